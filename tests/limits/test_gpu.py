"""GPUs through NVML: the quiet no-GPU paths, NVIDIA_VISIBLE_DEVICES, device enumeration."""

from __future__ import annotations

import ctypes
import logging
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from fixtures.nvidia_smi_standin import make_nvidia_smi

from jupyter_binder_ext.config import SiteConfig
from jupyter_binder_ext.limits.gpu import SMI_QUERY, GpuReader, parse_visible_devices
from jupyter_binder_ext.limits.reader import LimitsReader
from jupyter_binder_ext.limits.text import describe_limits

GIB = 1024**3


# -- stand-in for libnvidia-ml: no NVIDIA hardware here ---------------------------------------
# It follows pynvml's documented API (nvidia-ml-py): nvmlInit, nvmlDeviceGetCount,
# nvmlDeviceGetHandleByIndex, nvmlDeviceGetName / GetUUID (str), nvmlDeviceGetMemoryInfo
# (.total/.free/.used in bytes), nvmlDeviceGetUtilizationRates (.gpu/.memory in percent), and
# raises NVMLError (whose str() is NVML's error string) on failure.


class StandInNVMLError(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


@dataclass
class StandInDevice:
    name: str | bytes
    uuid: str
    total: int
    used: int
    utilization: int | None  # None: NVML answers "Not Supported" (e.g. a MIG slice)
    # MIG (nvmlDeviceGetMigMode and friends): None where the GPU has no MIG ("Not
    # Supported"), else 0/1; `slices` maps a slot to the slice in it (others: "Not Found").
    mig_mode: int | None = None
    slices: dict[int, StandInDevice] = field(default_factory=dict)


@dataclass(frozen=True)
class _Memory:
    total: int
    free: int
    used: int


@dataclass(frozen=True)
class _Utilization:
    gpu: int
    memory: int


class StandInNVML:
    """Stand-in for libnvidia-ml (no NVIDIA hardware here), shaped like the pynvml module."""

    NVMLError = StandInNVMLError

    def __init__(self, devices: list[StandInDevice], init_error: str | None = None) -> None:
        self.devices = devices
        self.init_error = init_error
        self.init_calls = 0

    def nvmlInit(self) -> None:
        self.init_calls += 1
        if self.init_error:
            raise StandInNVMLError(self.init_error)

    def nvmlDeviceGetCount(self) -> int:
        return len(self.devices)

    def nvmlDeviceGetHandleByIndex(self, index: int) -> StandInDevice:
        if not 0 <= index < len(self.devices):
            raise StandInNVMLError("Invalid Argument")
        return self.devices[index]

    def nvmlDeviceGetName(self, handle: StandInDevice) -> str | bytes:
        return handle.name

    def nvmlDeviceGetUUID(self, handle: StandInDevice) -> str:
        return handle.uuid

    def nvmlDeviceGetMemoryInfo(self, handle: StandInDevice) -> _Memory:
        return _Memory(handle.total, handle.total - handle.used, handle.used)

    def nvmlDeviceGetUtilizationRates(self, handle: StandInDevice) -> _Utilization:
        if handle.utilization is None:
            raise StandInNVMLError("Not Supported")
        return _Utilization(handle.utilization, 10)

    def nvmlDeviceGetMigMode(self, handle: StandInDevice) -> list[int]:
        if handle.mig_mode is None:
            raise StandInNVMLError("Not Supported")
        return [handle.mig_mode, handle.mig_mode]  # [current, pending]

    def nvmlDeviceGetMaxMigDeviceCount(self, handle: StandInDevice) -> int:
        if handle.mig_mode is None:
            raise StandInNVMLError("Not Supported")
        return 7  # an A100's seven 1g slots

    def nvmlDeviceGetMigDeviceHandleByIndex(self, handle: StandInDevice, index: int) -> Any:
        if index not in handle.slices:
            raise StandInNVMLError("Not Found")
        return handle.slices[index]


def four_gpus() -> StandInNVML:
    return StandInNVML(
        [
            StandInDevice(
                "NVIDIA A100-SXM4-40GB",
                f"GPU-0000000{i}-aaaa-bbbb-cccc-dddddddddddd",
                40 * GIB,
                i * GIB,
                10 * i,
            )
            for i in range(4)
        ]
    )


# -- NVIDIA_VISIBLE_DEVICES -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, None),
        ("all", None),
        ("void", []),
        ("none", []),
        ("", []),
        ("  ", []),
        ("0,2", ["0", "2"]),
        ("GPU-aaa, GPU-bbb", ["GPU-aaa", "GPU-bbb"]),
        ("MIG-1234,1", ["MIG-1234", "1"]),
    ],
)
def test_parse_visible_devices(value: str | None, expected: list[str] | None) -> None:
    assert parse_visible_devices(value) == expected


def test_no_visible_devices_never_touches_nvml() -> None:
    def must_not_load() -> Any:
        raise AssertionError("NVML loaded although NVIDIA_VISIBLE_DEVICES=void")

    reader = GpuReader({"NVIDIA_VISIBLE_DEVICES": "void"}, load_nvml=must_not_load)
    assert reader.needs_io is False
    data = reader.read()
    assert data["count"] == 0
    assert data["devices"] == []
    assert "NVIDIA_VISIBLE_DEVICES='void'" in data["source"]


# -- no library, no driver ------------------------------------------------------------------


def test_library_missing_is_a_quiet_zero(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    # A None entry in sys.modules makes `import pynvml` raise ImportError, as when
    # nvidia-ml-py is not installed.
    monkeypatch.setitem(sys.modules, "pynvml", None)
    caplog.set_level(logging.DEBUG, logger="jupyter_binder_ext")
    reader = GpuReader({})
    for _ in range(3):
        data = reader.read()
        assert data == {
            "count": 0,
            "devices": [],
            "source": "none: nvidia-ml-py is not installed",
        }
    assert reader.needs_io is False  # the failure is remembered, not retried
    records = [r for r in caplog.records if r.name == "jupyter_binder_ext"]
    assert [r.levelno for r in records] == [logging.DEBUG]


def _nvml_library_loadable() -> bool:
    try:
        ctypes.CDLL("libnvidia-ml.so.1")
    except OSError:
        return False
    return True


def test_real_pynvml_on_this_machine(caplog: pytest.LogCaptureFixture) -> None:
    # The real nvidia-ml-py package, with whatever driver this machine has. Without NVIDIA's
    # library nvmlInit fails: a quiet count 0 that says so, logged once at debug level.
    caplog.set_level(logging.DEBUG)
    reader = GpuReader({})
    first, second = reader.read(), reader.read()
    if _nvml_library_loadable():
        assert first["source"] == "nvml"
        assert first["count"] == len(first["devices"]) >= 1
        assert all(d["memory_total"] > 0 for d in first["devices"])
    else:
        assert first == second
        assert first["count"] == 0
        assert first["source"] == "none: NVML unavailable (NVML Shared Library Not Found)"
        assert reader.needs_io is False
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len([r for r in caplog.records if r.name == "jupyter_binder_ext"]) <= 1


def test_driver_not_loaded_is_cached() -> None:
    nvml = StandInNVML([], init_error="Driver Not Loaded")
    reader = GpuReader({}, load_nvml=lambda: nvml)
    for _ in range(5):
        data = reader.read()
    assert data == {
        "count": 0,
        "devices": [],
        "source": "none: NVML unavailable (Driver Not Loaded)",
    }
    assert nvml.init_calls == 1


# -- enumeration through the stand-in -------------------------------------------------------


def test_every_device_when_unset() -> None:
    nvml = four_gpus()
    reader = GpuReader({}, load_nvml=lambda: nvml)
    data = reader.read()
    assert data["source"] == "nvml"
    assert data["count"] == 4
    assert data["devices"][2] == {
        "index": 2,
        "name": "NVIDIA A100-SXM4-40GB",
        "uuid": "GPU-00000002-aaaa-bbbb-cccc-dddddddddddd",
        "memory_total": 40 * GIB,
        "memory_used": 2 * GIB,
        "utilization": 20,
        "mig": False,
    }
    reader.read()
    assert nvml.init_calls == 1  # initialised once, kept


@pytest.mark.parametrize(
    ("visible", "indices"),
    [
        ("all", [0, 1, 2, 3]),
        ("1,3", [1, 3]),
        ("GPU-00000002-aaaa-bbbb-cccc-dddddddddddd", [2]),
        ("GPU-00000000-aaaa-bbbb-cccc-dddddddddddd,3", [0, 3]),
        ("GPU-ffffffff-0000-0000-0000-000000000000", []),
    ],
)
def test_visible_devices_select_among_what_nvml_sees(visible: str, indices: list[int]) -> None:
    nvml = four_gpus()
    data = GpuReader({"NVIDIA_VISIBLE_DEVICES": visible}, load_nvml=lambda: nvml).read()
    assert [d["index"] for d in data["devices"]] == indices
    assert data["count"] == len(indices)


def test_container_runtime_already_renumbered_the_listed_device() -> None:
    # With NVIDIA_VISIBLE_DEVICES=2 the container runtime exposes only host GPU 2, which NVML
    # inside the container calls index 0: it is the visible one, not "missing".
    nvml = StandInNVML([StandInDevice(b"Tesla T4", "GPU-2", 16 * GIB, GIB, None)])
    data = GpuReader({"NVIDIA_VISIBLE_DEVICES": "2"}, load_nvml=lambda: nvml).read()
    assert data["count"] == 1
    device = data["devices"][0]
    assert device["name"] == "Tesla T4"  # older pynvml answers bytes
    assert device["utilization"] is None  # "Not Supported" for one figure is not fatal
    assert device["memory_used"] == GIB


async def test_limits_answer_carries_the_gpus(tmp_path: Path) -> None:
    (tmp_path / "meminfo").write_text("MemTotal: 1024 kB\nMemAvailable: 512 kB\n")
    site = SiteConfig(proc_root=str(tmp_path), cgroup_root=str(tmp_path / "none"))
    nvml = four_gpus()
    env = {"NVIDIA_VISIBLE_DEVICES": "0,1"}
    reader = LimitsReader(site, env=env, gpu=GpuReader(env, load_nvml=lambda: nvml))
    data = await reader.read()
    assert data["gpu"]["count"] == 2
    assert data["gpu"]["source"] == "nvml"
    text = describe_limits(data)
    assert "GPU (nvml)" in text
    assert "1: NVIDIA A100-SXM4-40GB, memory 1.0 GiB of 40.0 GiB, 10% busy" in text


def test_a_device_lost_mid_run_is_quiet(caplog: pytest.LogCaptureFixture) -> None:
    nvml = four_gpus()
    reader = GpuReader({}, load_nvml=lambda: nvml)
    assert reader.read()["count"] == 4

    def lost(index: int) -> Any:
        raise StandInNVMLError("GPU is lost")

    nvml.nvmlDeviceGetHandleByIndex = lost  # type: ignore[method-assign]
    caplog.set_level(logging.DEBUG, logger="jupyter_binder_ext")
    for _ in range(3):
        assert reader.read() == {
            "count": 0,
            "devices": [],
            "source": "none: NVML query failed (GPU is lost)",
        }
    assert len([r for r in caplog.records if r.name == "jupyter_binder_ext"]) == 1


# -- MIG slices (NVML's MIG calls: nvmlDeviceGetMigMode, nvmlDeviceGetMaxMigDeviceCount,
#    nvmlDeviceGetMigDeviceHandleByIndex; a slice's handle answers its own memory) -------------

MIG_A = "MIG-5a6f0f0c-1111-5b5b-9e1c-aaaaaaaaaaaa"
MIG_B = "MIG-5a6f0f0c-2222-5b5b-9e1c-bbbbbbbbbbbb"


def a100_in_mig_mode() -> StandInNVML:
    slices = {
        0: StandInDevice("NVIDIA A100-SXM4-40GB MIG 3g.20gb", MIG_A, 19968 * 1024**2, GIB, None),
        3: StandInDevice("NVIDIA A100-SXM4-40GB MIG 1g.5gb", MIG_B, 4864 * 1024**2, 0, None),
    }
    parent = StandInDevice(
        "NVIDIA A100-SXM4-40GB", "GPU-0000000a-aaaa-bbbb-cccc-dddddddddddd", 40 * GIB, GIB, None
    )
    parent.mig_mode, parent.slices = 1, slices
    whole = StandInDevice("NVIDIA T4", "GPU-0000000b-aaaa-bbbb-cccc-dddddddddddd", 16 * GIB, 0, 5)
    return StandInNVML([parent, whole])


def test_a_mig_slice_is_its_own_device_with_its_own_memory() -> None:
    nvml = a100_in_mig_mode()
    data = GpuReader({"NVIDIA_VISIBLE_DEVICES": MIG_B}, load_nvml=lambda: nvml).read()
    assert data == {
        "count": 1,
        "devices": [
            {
                "index": 0,
                "name": "NVIDIA A100-SXM4-40GB MIG 1g.5gb",
                "uuid": MIG_B,
                "mig": True,
                "memory_total": 4864 * 1024**2,
                "memory_used": 0,
                "utilization": None,  # NVML measures no utilisation per slice
            }
        ],
        "source": "nvml",
    }


@pytest.mark.parametrize(
    ("visible", "uuids"),
    [
        # nothing listed: a GPU in MIG mode counts as its slices, not as itself
        ("all", [MIG_A, MIG_B, "GPU-0000000b-aaaa-bbbb-cccc-dddddddddddd"]),
        (f"{MIG_A},{MIG_B}", [MIG_A, MIG_B]),
        ("0:3", [MIG_B]),  # the container toolkit's <gpu>:<mig> form
        ("1", ["GPU-0000000b-aaaa-bbbb-cccc-dddddddddddd"]),
    ],
)
def test_visible_mig_slices(visible: str, uuids: list[str]) -> None:
    nvml = a100_in_mig_mode()
    data = GpuReader({"NVIDIA_VISIBLE_DEVICES": visible}, load_nvml=lambda: nvml).read()
    assert [d["uuid"] for d in data["devices"]] == uuids


# -- images with nvidia-smi only (stand-in: tests/fixtures/nvidia_smi_standin.py) -------------


def smi_scenario() -> dict[str, Any]:
    return {
        "gpus": [
            {
                "index": 0,
                "name": "NVIDIA A100-SXM4-40GB",
                "uuid": "GPU-0000000a-aaaa-bbbb-cccc-dddddddddddd",
                "memory.total": 40960,
                "memory.used": 1024,
                "utilization.gpu": "[N/A]",  # a GPU in MIG mode
                "migs": [
                    {"profile": "3g.20gb", "device": 0, "uuid": MIG_A},
                    {"profile": "1g.5gb", "device": 1, "uuid": MIG_B},
                ],
            },
            {
                "index": 1,
                "name": "Tesla T4",
                "uuid": "GPU-0000000b-aaaa-bbbb-cccc-dddddddddddd",
                "memory.total": 15360,
                "memory.used": 0,
                "utilization.gpu": 7,
            },
        ]
    }


def no_pynvml() -> Any:
    raise ImportError("No module named 'pynvml'")


def test_nvidia_smi_when_the_image_has_no_nvml_package(tmp_path: Path) -> None:
    smi = make_nvidia_smi(tmp_path, smi_scenario())
    env = {"NVIDIA_VISIBLE_DEVICES": "1", "PATH": str(tmp_path)}
    data = GpuReader(env, load_nvml=no_pynvml).read()
    assert data == {
        "count": 1,
        "devices": [
            {
                "index": 1,
                "name": "Tesla T4",
                "uuid": "GPU-0000000b-aaaa-bbbb-cccc-dddddddddddd",
                "mig": False,
                "memory_total": 15360 * 1024**2,
                "memory_used": 0,
                "utilization": 7,
            }
        ],
        "source": "nvidia-smi",
    }
    assert smi.exists()


def test_nvidia_smi_lists_mig_slices(tmp_path: Path) -> None:
    make_nvidia_smi(tmp_path, smi_scenario())
    env = {"NVIDIA_VISIBLE_DEVICES": MIG_B, "PATH": str(tmp_path)}
    (device,) = GpuReader(env, load_nvml=no_pynvml).read()["devices"]
    assert (device["uuid"], device["mig"], device["index"]) == (MIG_B, True, 0)
    assert device["name"] == "NVIDIA A100-SXM4-40GB MIG 1g.5gb"
    everything = GpuReader({"PATH": str(tmp_path)}, load_nvml=no_pynvml).read()
    assert [d["uuid"] for d in everything["devices"]] == [
        MIG_A,
        MIG_B,
        "GPU-0000000b-aaaa-bbbb-cccc-dddddddddddd",
    ]


def test_nvidia_smi_without_a_driver_is_quiet_and_remembered(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    make_nvidia_smi(tmp_path, {"no_driver": True})
    caplog.set_level(logging.DEBUG, logger="jupyter_binder_ext")
    reader = GpuReader({"PATH": str(tmp_path)}, load_nvml=no_pynvml)
    first, second = reader.read(), reader.read()
    assert (
        first
        == second
        == {
            "count": 0,
            "devices": [],
            "source": (
                "none: nvidia-ml-py is not installed; nvidia-smi failed (NVIDIA-SMI has failed "
                "because it couldn't communicate with the NVIDIA driver. Make sure that the "
                "latest NVIDIA driver is installed and running.)"
            ),
        }
    )
    assert reader.needs_io is False
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len([r for r in caplog.records if r.name == "jupyter_binder_ext"]) == 1


def test_the_smi_query_asks_only_documented_fields(tmp_path: Path) -> None:
    # The stand-in refuses an unknown field as nvidia-smi does (exit 2): the reader's query
    # passes, a wrong one would not.
    import subprocess

    smi = make_nvidia_smi(tmp_path, smi_scenario())
    good = subprocess.run([smi, *SMI_QUERY], capture_output=True, text=True, check=False)
    assert good.returncode == 0 and good.stdout.count("\n") == 2
    bad = subprocess.run(
        [smi, "--query-gpu=index,gpu_fans", "--format=csv,noheader,nounits"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert bad.returncode == 2 and "gpu_fans" in bad.stdout
