"""GPUs this server may use: through NVML (``nvidia-ml-py``, module ``pynvml``), else through
``nvidia-smi`` when the image has only that.

Sites hand out whole GPUs or MIG slices: ``NVIDIA_VISIBLE_DEVICES`` lists indices, ``GPU-``
UUIDs, ``MIG-`` UUIDs (``MIG-GPU-<uuid>/<gi>/<ci>`` on drivers before R470) or
``<gpu>:<mig>`` pairs. A slice is its own device with its own memory: NVML lists it under its
parent (``nvmlDeviceGetMigDeviceHandleByIndex``), ``nvidia-smi -L`` on a line of its own.

Nothing is imported or run at server start. No library, no driver or no GPU is the normal case
on most notebooks: it gives a quiet ``count: 0`` with a ``source`` that says why, logged once
at debug level, and the failure is remembered so that polls do not retry it. Reads block (the
driver answers), so callers run them in a thread.
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from jupyter_binder_ext.limits.answers import GpuDevice, GpuFigures

NVML_SOURCE = "nvml"
SMI_SOURCE = "nvidia-smi"
SMI_TIMEOUT = 5.0
# `nvidia-smi --help-query-gpu`: memory in MiB and utilization in percent with `nounits`.
SMI_FIELDS = "index,name,uuid,memory.total,memory.used,utilization.gpu"
SMI_QUERY = ("--query-gpu=" + SMI_FIELDS, "--format=csv,noheader,nounits")
MIB = 1024**2
_MIG_ENABLED = 1  # NVML_DEVICE_MIG_ENABLE

# NVIDIA_VISIBLE_DEVICES values that mean "no GPU" (the NVIDIA container runtime's words).
_NO_DEVICES = {"", "void", "none"}


def _load_pynvml() -> Any:
    import pynvml

    return pynvml


def parse_visible_devices(value: str | None) -> list[str] | None:
    """``NVIDIA_VISIBLE_DEVICES`` → None (every device NVML sees), [] (none), or the listed
    indices / UUIDs / ``gpu:mig`` pairs."""
    if value is None:
        return None
    value = value.strip()
    if value.lower() in _NO_DEVICES:
        return []
    if value.lower() == "all":
        return None
    return [item.strip() for item in value.split(",") if item.strip()]


def _text(value: Any) -> str:
    # Older pynvml releases answer bytes, newer ones str.
    return value.decode() if isinstance(value, bytes) else str(value)


def _empty(source: str) -> GpuFigures:
    return {"count": 0, "devices": [], "source": source}


@dataclass
class Candidate:
    """A device the driver reports: a whole GPU, or a MIG slice of GPU ``index``."""

    index: int
    uuid: str | None
    mig_index: int | None = None
    handle: Any = None  # NVML's handle; None for nvidia-smi's devices
    figures: dict[str, Any] | None = None  # nvidia-smi's figures, already read

    @property
    def is_mig(self) -> bool:
        return self.mig_index is not None


def choose(candidates: list[Candidate], wanted: list[str] | None) -> list[Candidate]:
    """The devices this server may use, among those the driver reports.

    A GPU in MIG mode is not usable whole: with nothing listed, its slices stand for it.
    """
    mig_parents = {c.index for c in candidates if c.is_mig}
    gpus = [c for c in candidates if not c.is_mig]
    if wanted is None:
        return [c for c in candidates if c.is_mig or c.index not in mig_parents]
    uuids = {item for item in wanted if not item.isdigit() and ":" not in item}
    pairs = {item for item in wanted if ":" in item and not item.startswith(("MIG-", "GPU-"))}
    indices = {int(item) for item in wanted if item.isdigit()}
    # Inside a container the NVIDIA runtime already exposes only the listed devices, and
    # renumbers them from 0: when the driver sees no more GPUs than listed, they are the ones.
    if not uuids and not pairs and len(gpus) <= len(indices):
        return choose(candidates, None)
    chosen = []
    for c in candidates:
        if c.is_mig:
            hit = c.uuid in uuids or f"{c.index}:{c.mig_index}" in pairs
        else:
            hit = c.index in indices or c.uuid in uuids
        if hit:
            chosen.append(c)
    return chosen


# -- NVML --------------------------------------------------------------------------------------


def _attempt(call: Callable[..., Any], *args: Any) -> Any:
    # One figure a device does not support (utilisation on a MIG slice) is null, not fatal.
    try:
        return call(*args)
    except Exception:
        return None


def _uuid(nvml: Any, handle: Any) -> str | None:
    uuid = _attempt(nvml.nvmlDeviceGetUUID, handle)
    return _text(uuid) if uuid is not None else None


def nvml_candidates(nvml: Any) -> list[Candidate]:
    """Every GPU NVML sees, and the MIG slices of those in MIG mode."""
    found: list[Candidate] = []
    for index in range(int(nvml.nvmlDeviceGetCount())):
        handle = nvml.nvmlDeviceGetHandleByIndex(index)
        found.append(Candidate(index, _uuid(nvml, handle), handle=handle))
        mode = _attempt(nvml.nvmlDeviceGetMigMode, handle)  # "Not Supported" on most GPUs
        if not mode or int(mode[0]) != _MIG_ENABLED:
            continue
        slots = _attempt(nvml.nvmlDeviceGetMaxMigDeviceCount, handle) or 0
        for slot in range(int(slots)):
            # A slot without a slice answers "Not Found"; inside a container, so does a
            # slice this server was not given.
            mig = _attempt(nvml.nvmlDeviceGetMigDeviceHandleByIndex, handle, slot)
            if mig is not None:
                found.append(Candidate(index, _uuid(nvml, mig), mig_index=slot, handle=mig))
    return found


def describe_nvml(nvml: Any, device: Candidate) -> GpuDevice:
    handle = device.handle
    memory = _attempt(nvml.nvmlDeviceGetMemoryInfo, handle)  # a slice: its own memory
    rates = _attempt(nvml.nvmlDeviceGetUtilizationRates, handle)
    name = _attempt(nvml.nvmlDeviceGetName, handle)
    return {
        "index": device.index,
        "name": _text(name) if name is not None else None,
        "uuid": device.uuid,
        "mig": device.is_mig,
        "memory_total": int(memory.total) if memory is not None else None,
        "memory_used": int(memory.used) if memory is not None else None,
        "utilization": int(rates.gpu) if rates is not None else None,
    }


# -- nvidia-smi --------------------------------------------------------------------------------


def _smi_number(value: str) -> int | None:
    # "[N/A]", "[Not Supported]" and the like: no figure.
    value = value.strip()
    return int(float(value)) if value and value[0].isdigit() else None


def parse_smi_query(text: str) -> list[Candidate]:
    """Whole GPUs from ``nvidia-smi --query-gpu=<SMI_FIELDS> --format=csv,noheader,nounits``."""
    found = []
    for line in text.splitlines():
        fields = [field.strip() for field in line.split(",")]
        if len(fields) != 6 or not fields[0].isdigit():
            continue
        index, name, uuid, total, used, busy = fields
        total_mib, used_mib = _smi_number(total), _smi_number(used)
        figures = {
            "name": name,
            "memory_total": total_mib * MIB if total_mib is not None else None,
            "memory_used": used_mib * MIB if used_mib is not None else None,
            "utilization": _smi_number(busy),
        }
        found.append(Candidate(int(index), uuid, figures=figures))
    return found


def parse_smi_list(text: str, gpus: list[Candidate]) -> list[Candidate]:
    """MIG slices from ``nvidia-smi -L``, under the GPU line they follow::

    GPU 0: NVIDIA A100-SXM4-40GB (UUID: GPU-5fd4...)
      MIG 1g.5gb      Device  0: (UUID: MIG-a7f1...)
    """
    names = {c.index: (c.figures or {}).get("name") for c in gpus}
    found: list[Candidate] = []
    parent: int | None = None
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith("GPU ") and ":" in stripped:
            number = stripped[4:].split(":", 1)[0]
            parent = int(number) if number.isdigit() else None
        elif stripped.startswith("MIG ") and parent is not None and "UUID:" in stripped:
            profile = stripped[4:].split()[0]
            slot = stripped.split("Device", 1)[1].split(":", 1)[0].strip()
            uuid = stripped.rsplit("UUID:", 1)[1].strip(" )")
            figures = {
                "name": f"{names.get(parent) or 'GPU'} MIG {profile}",
                # nvidia-smi lists no figures for a slice (its memory is in the profile name)
                "memory_total": None,
                "memory_used": None,
                "utilization": None,
            }
            mig_index = int(slot) if slot.isdigit() else len(found)
            found.append(Candidate(parent, uuid, mig_index=mig_index, figures=figures))
    return found


def describe_smi(device: Candidate) -> GpuDevice:
    figures = device.figures or {}
    return {
        "index": device.index,
        "name": figures.get("name"),
        "uuid": device.uuid,
        "mig": device.is_mig,
        "memory_total": figures.get("memory_total"),
        "memory_used": figures.get("memory_used"),
        "utilization": figures.get("utilization"),
    }


class SmiFailed(Exception):
    """nvidia-smi did not answer (no driver, no device, too slow)."""


def run_smi(command: str, *args: str) -> str:
    """nvidia-smi's output; blocking, bounded by SMI_TIMEOUT (runs in the reader's thread)."""
    try:
        done = subprocess.run(
            [command, *args],
            capture_output=True,
            text=True,
            timeout=SMI_TIMEOUT,
            stdin=subprocess.DEVNULL,
        )
    except (OSError, subprocess.TimeoutExpired) as err:
        raise SmiFailed(f"{type(err).__name__}: {err}") from err
    if done.returncode != 0:
        said = (done.stdout or done.stderr).strip().splitlines()
        raise SmiFailed(said[0] if said else f"exit status {done.returncode}")
    return done.stdout


# -- the reader --------------------------------------------------------------------------------


class GpuReader:
    """Enumerates the visible GPUs. ``load_nvml`` returns the pynvml module (or an object with
    the same API) and ``nvidia_smi`` names the nvidia-smi program (default: found on the
    environment's PATH); they are the seams tests use where there is no NVIDIA hardware."""

    def __init__(
        self,
        env: Mapping[str, str],
        log: logging.Logger | Any = None,
        load_nvml: Callable[[], Any] | None = None,
        nvidia_smi: str | None = None,
    ) -> None:
        self.env = env
        self.log = log or logging.getLogger("jupyter_binder_ext")
        self._load_nvml = load_nvml or _load_pynvml
        self._nvidia_smi = nvidia_smi
        self._nvml: Any = None
        self._smi: str | None = None
        # Set once neither NVML nor nvidia-smi proved usable: later reads answer this.
        self._unavailable: str | None = None
        self._query_failed = False
        self._lock = threading.Lock()

    @property
    def wanted(self) -> list[str] | None:
        return parse_visible_devices(self.env.get("NVIDIA_VISIBLE_DEVICES"))

    @property
    def needs_io(self) -> bool:
        """False when the answer is known without touching the driver (callers skip the
        thread)."""
        return self._unavailable is None and self.wanted != []

    def read(self) -> GpuFigures:
        """The GPU section of the limits answer (blocking: the driver answers)."""
        wanted = self.wanted
        if wanted == []:
            value = self.env.get("NVIDIA_VISIBLE_DEVICES", "")
            return _empty(f"none: NVIDIA_VISIBLE_DEVICES={value!r} gives this server no GPU")
        with self._lock:
            self._init()
            if self._unavailable is not None:
                return _empty(f"none: {self._unavailable}")
            try:
                devices, source = self._devices(wanted)
            except Exception as err:  # a GPU lost mid-run must not break the answer
                if not self._query_failed:  # once, not on every poll
                    self.log.debug("GPU query failed: %s", err)
                    self._query_failed = True
                backend = "NVML" if self._nvml is not None else "nvidia-smi"
                return _empty(f"none: {backend} query failed ({err})")
        return {"count": len(devices), "devices": devices, "source": source}

    def _devices(self, wanted: list[str] | None) -> tuple[list[GpuDevice], str]:
        if self._nvml is not None:
            nvml = self._nvml
            chosen = choose(nvml_candidates(nvml), wanted)
            return [describe_nvml(nvml, c) for c in chosen], NVML_SOURCE
        assert self._smi is not None
        gpus = parse_smi_query(run_smi(self._smi, *SMI_QUERY))
        migs = parse_smi_list(run_smi(self._smi, "-L"), gpus)
        # In NVML's order: each GPU, then its slices.
        ordered = sorted(
            gpus + migs, key=lambda c: (c.index, -1 if c.mig_index is None else c.mig_index)
        )
        return [describe_smi(c) for c in choose(ordered, wanted)], SMI_SOURCE

    def _init(self) -> None:
        if self._nvml is not None or self._smi is not None or self._unavailable is not None:
            return
        why = self._init_nvml()
        if why is None:
            return
        smi = self._nvidia_smi or shutil.which(
            "nvidia-smi", path=self.env.get("PATH") or os.defpath
        )
        if smi is None:
            self._give_up(why)
            return
        try:  # an image with nvidia-smi but without nvidia-ml-py, or NVML not loadable
            run_smi(smi, *SMI_QUERY)
        except SmiFailed as err:
            self._give_up(f"{why}; nvidia-smi failed ({err})")
            return
        self._smi = smi

    def _init_nvml(self) -> str | None:
        """None once NVML is ready; else why not."""
        try:
            nvml = self._load_nvml()
        except ImportError:
            return "nvidia-ml-py is not installed"
        try:
            nvml.nvmlInit()
        except Exception as err:  # NVMLError_LibraryNotFound, _DriverNotLoaded, ...
            return f"NVML unavailable ({err or type(err).__name__})"
        self._nvml = nvml
        return None

    def _give_up(self, why: str) -> None:
        self._unavailable = why
        self.log.debug("No GPU information: %s", why)
