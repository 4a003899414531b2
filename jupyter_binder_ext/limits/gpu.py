"""GPUs this server may use, through NVML (``nvidia-ml-py``, module ``pynvml``).

NVML is imported and initialised on first use, never at server start. No library, no driver
or no GPU is the normal case on most notebooks: it gives a quiet ``count: 0`` with a
``source`` that says why, logged once at debug level, and the failure is remembered so that
polls do not retry it.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from typing import Any

NVML_SOURCE = "nvml"

# NVIDIA_VISIBLE_DEVICES values that mean "no GPU" (the NVIDIA container runtime's words).
_NO_DEVICES = {"", "void", "none"}


def _load_pynvml() -> Any:
    import pynvml

    return pynvml


def parse_visible_devices(value: str | None) -> list[str] | None:
    """``NVIDIA_VISIBLE_DEVICES`` → None (every device NVML sees), [] (none), or the listed
    indices / UUIDs."""
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


def _empty(source: str) -> dict[str, Any]:
    return {"count": 0, "devices": [], "source": source}


class GpuReader:
    """Enumerates the visible GPUs. ``load_nvml`` returns the pynvml module (or an object with
    the same API); it is the seam tests use where there is no NVIDIA hardware."""

    def __init__(
        self,
        env: Mapping[str, str],
        log: logging.Logger | Any = None,
        load_nvml: Callable[[], Any] | None = None,
    ) -> None:
        self.env = env
        self.log = log or logging.getLogger("jupyter_binder_ext")
        self._load_nvml = load_nvml or _load_pynvml
        self._nvml: Any = None
        # Set once NVML proved unusable: every later read answers this without retrying.
        self._unavailable: str | None = None
        self._query_failed = False
        self._lock = threading.Lock()

    @property
    def wanted(self) -> list[str] | None:
        return parse_visible_devices(self.env.get("NVIDIA_VISIBLE_DEVICES"))

    @property
    def needs_io(self) -> bool:
        """False when the answer is known without touching NVML (callers skip the thread)."""
        return self._unavailable is None and self.wanted != []

    def read(self) -> dict[str, Any]:
        """The GPU section of the limits answer (blocking: NVML calls the driver)."""
        wanted = self.wanted
        if wanted == []:
            value = self.env.get("NVIDIA_VISIBLE_DEVICES", "")
            return _empty(f"none: NVIDIA_VISIBLE_DEVICES={value!r} gives this server no GPU")
        with self._lock:
            nvml = self._init()
            if nvml is None:
                return _empty(f"none: {self._unavailable}")
            try:
                devices = self._devices(nvml, wanted)
            except Exception as err:  # a GPU lost mid-run must not break the answer
                if not self._query_failed:  # once, not on every poll
                    self.log.debug("NVML query failed: %s", err)
                    self._query_failed = True
                return _empty(f"none: NVML query failed ({err})")
        return {"count": len(devices), "devices": devices, "source": NVML_SOURCE}

    def _init(self) -> Any:
        if self._nvml is not None or self._unavailable is not None:
            return self._nvml
        try:
            nvml = self._load_nvml()
        except ImportError:
            self._give_up("nvidia-ml-py is not installed")
            return None
        try:
            nvml.nvmlInit()
        except Exception as err:  # NVMLError_LibraryNotFound, _DriverNotLoaded, ...
            self._give_up(f"NVML unavailable ({err or type(err).__name__})")
            return None
        self._nvml = nvml
        return nvml

    def _give_up(self, why: str) -> None:
        self._unavailable = why
        self.log.debug("No GPU information: %s", why)

    def _devices(self, nvml: Any, wanted: list[str] | None) -> list[dict[str, Any]]:
        count = int(nvml.nvmlDeviceGetCount())
        handles = [(index, nvml.nvmlDeviceGetHandleByIndex(index)) for index in range(count)]
        if wanted is not None:
            handles = _select(nvml, handles, wanted)
        return [_describe(nvml, index, handle) for index, handle in handles]


def _select(nvml: Any, handles: list[tuple[int, Any]], wanted: list[str]) -> list[tuple[int, Any]]:
    uuids = {item for item in wanted if not item.isdigit()}
    indices = {int(item) for item in wanted if item.isdigit()}
    # Inside a container the NVIDIA runtime already exposes only the listed devices, and
    # renumbers them from 0: when NVML sees no more devices than listed, they are the ones.
    if not uuids and len(handles) <= len(indices):
        return handles
    chosen = []
    for index, handle in handles:
        if index in indices or (uuids and _text(nvml.nvmlDeviceGetUUID(handle)) in uuids):
            chosen.append((index, handle))
    return chosen


def _describe(nvml: Any, index: int, handle: Any) -> dict[str, Any]:
    def attempt(call: Callable[[], Any]) -> Any:
        # One figure a device does not support (utilisation on a MIG slice) is null, not fatal.
        try:
            return call()
        except Exception:
            return None

    memory = attempt(lambda: nvml.nvmlDeviceGetMemoryInfo(handle))
    rates = attempt(lambda: nvml.nvmlDeviceGetUtilizationRates(handle))
    name = attempt(lambda: nvml.nvmlDeviceGetName(handle))
    uuid = attempt(lambda: nvml.nvmlDeviceGetUUID(handle))
    return {
        "index": index,
        "name": _text(name) if name is not None else None,
        "uuid": _text(uuid) if uuid is not None else None,
        "memory_total": int(memory.total) if memory is not None else None,
        "memory_used": int(memory.used) if memory is not None else None,
        "utilization": int(rates.gpu) if rates is not None else None,
    }
