"""Find the cgroup this process runs in, and read the limits and usage the kernel enforces there.

The cgroup is found the way the kernel describes it: ``/proc/self/cgroup`` names the process's
cgroup in each hierarchy, and ``/proc/self/mountinfo`` says where each hierarchy is mounted and
which part of it the mount shows. Both cgroup v1 (one hierarchy per controller, or several
controllers co-mounted, e.g. ``cpu,cpuacct``) and v2 (one unified hierarchy) are handled, with
and without a cgroup namespace, and the hybrid layout (v1 controllers plus a v2 mount).

Everything here is plain file reading, cheap enough for every poll: no process is walked.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from pathlib import Path, PurePosixPath

from jupyter_binder_ext.common.mountinfo import parse_mountinfo
from jupyter_binder_ext.limits.kernel_files import KERNEL_FILES

DEFAULT_CGROUP_ROOT = "/sys/fs/cgroup"

# v1 writes "no limit" as the largest page-aligned number (9223372036854771712 with 4 KiB
# pages, a little less with 64 KiB pages); nothing real comes near 2**62 bytes.
UNLIMITED_BYTES = 1 << 62

# The v1 controllers whose files we read; v2 has the same facts in one hierarchy.
MEMORY, CPU, CPUACCT = "memory", "cpu", "cpuacct"


@dataclass(frozen=True)
class CgroupMount:
    """One cgroup file system mount, from a line of ``/proc/self/mountinfo``."""

    mount_point: str
    # The path, inside the hierarchy, of the cgroup shown at the mount point ("/" when the
    # whole hierarchy, or the whole namespace, is mounted).
    root: str
    version: int
    # v1: the controllers bound to this hierarchy (from the super options); v2: empty.
    controllers: frozenset[str]


@dataclass(frozen=True)
class Cgroup:
    """The cgroup this process is in, in one hierarchy, and where its files are."""

    version: int
    # The path as /proc/self/cgroup names it (relative to the cgroup namespace, if any).
    path: str
    directory: Path
    # The mount point: the highest ancestor this process can see.
    top: Path

    @property
    def source(self) -> str:
        return f"cgroup v{self.version}"

    @cached_property
    def folder(self) -> str:
        """`directory` as text: the files are read on every poll, joined without pathlib."""
        return str(self.directory)

    @cached_property
    def chain(self) -> tuple[str, ...]:
        """This cgroup's directory, then each visible ancestor's, up to the mount point."""
        dirs = [self.directory]
        current = self.directory
        while current != self.top and self.top in current.parents:
            current = current.parent
            dirs.append(current)
        return tuple(str(folder) for folder in dirs)


@dataclass(frozen=True)
class CgroupLayout:
    """Where each fact lives: a v1 controller's hierarchy, or the v2 unified one."""

    memory: Cgroup | None
    # CFS quota and throttling (v1 "cpu" controller, or v2 cpu.max / cpu.stat).
    cpu: Cgroup | None
    # CPU time used (v1 "cpuacct" controller, or v2 cpu.stat usage_usec).
    cpuacct: Cgroup | None


NO_CGROUP = CgroupLayout(memory=None, cpu=None, cpuacct=None)


def cgroup_mounts(mountinfo_text: str) -> list[CgroupMount]:
    """The cgroup mounts in a ``/proc/<pid>/mountinfo`` text, in the order listed (the lines
    are parsed by :func:`..common.mountinfo.parse_mountinfo`)."""
    mounts: list[CgroupMount] = []
    for mount in parse_mountinfo(mountinfo_text):
        if mount.fs_type == "cgroup2":
            version, controllers = 2, frozenset[str]()
        elif mount.fs_type == "cgroup":
            version, controllers = 1, frozenset(mount.super_options.split(","))
        else:
            continue
        mounts.append(
            CgroupMount(
                mount_point=mount.mount_point,
                root=mount.root,
                version=version,
                controllers=controllers,
            )
        )
    return mounts


def parse_proc_cgroup(text: str) -> tuple[dict[str, str], str | None]:
    """``/proc/<pid>/cgroup`` → (v1 controller → path, v2 path or None).

    Lines are ``hierarchy-id:controller-list:path``; v2's line is ``0::path``; co-mounted v1
    controllers share a line (``2:cpu,cpuacct:/path``).
    """
    v1: dict[str, str] = {}
    v2: str | None = None
    for line in text.splitlines():
        parts = line.split(":", 2)
        if len(parts) != 3:
            continue
        hierarchy, controllers, path = parts
        # The kernel appends " (deleted)" when the cgroup was removed under us.
        path = path.removesuffix(" (deleted)")
        if hierarchy == "0" and controllers == "":
            v2 = path
            continue
        for controller in controllers.split(","):
            if controller:
                v1[controller] = path
    return v1, v2


def _rebase(mount_point: str, cgroup_root: str) -> Path:
    """Where a mount point's files are read from (tests point ``cgroup_root`` at a tree)."""
    if cgroup_root.rstrip("/") == DEFAULT_CGROUP_ROOT:
        return Path(mount_point)
    point = PurePosixPath(mount_point)
    try:
        return Path(cgroup_root) / point.relative_to(DEFAULT_CGROUP_ROOT)
    except ValueError:
        return Path(cgroup_root) / point.relative_to("/")


def _locate(mount: CgroupMount, path: str, cgroup_root: str) -> Path | None:
    """The directory of cgroup ``path`` under ``mount``, if the mount shows it."""
    base = _rebase(mount.mount_point, cgroup_root)
    root = mount.root.rstrip("/") or "/"
    if root == "/":
        relative = path
    elif path == root or path.startswith(root + "/"):
        # A sub-tree mounted at the mount point (a container without a cgroup namespace):
        # the process's full path starts with the mounted sub-tree's path.
        relative = path[len(root) :]
    else:
        # The mount shows some other part of the hierarchy ("/.." roots seen across
        # namespaces): our cgroup is not visible through it.
        return None
    directory = base / relative.lstrip("/")
    return directory if directory.is_dir() else None


def find_cgroup_layout(proc_root: str | Path, cgroup_root: str | Path) -> CgroupLayout:
    """Find this process's cgroups; :data:`NO_CGROUP` where nothing can be found."""
    proc = Path(proc_root)
    try:
        cgroup_text = (proc / "self" / "cgroup").read_text()
        mountinfo_text = (proc / "self" / "mountinfo").read_text()
    except OSError:
        return NO_CGROUP
    return layout_from(cgroup_text, mountinfo_text, str(cgroup_root))


def layout_from(cgroup_text: str, mountinfo_text: str, cgroup_root: str) -> CgroupLayout:
    """The layout described by a ``/proc/self/cgroup`` and a ``/proc/self/mountinfo`` text."""
    v1_paths, v2_path = parse_proc_cgroup(cgroup_text)
    mounts = cgroup_mounts(mountinfo_text)
    unified = _in_v2(mounts, v2_path, cgroup_root) if v2_path is not None else None

    def find(controller: str) -> Cgroup | None:
        path = v1_paths.get(controller)
        in_v1 = _in_v1(mounts, controller, path, cgroup_root) if path is not None else None
        return in_v1 or _holding(unified, controller)

    # CPU time is accounted by v1's cpuacct; v2's cpu.stat has usage_usec in every cgroup,
    # with or without the cpu controller.
    cpuacct = v1_paths.get(CPUACCT)
    in_v1_cpuacct = _in_v1(mounts, CPUACCT, cpuacct, cgroup_root) if cpuacct is not None else None
    return CgroupLayout(memory=find(MEMORY), cpu=find(CPU), cpuacct=in_v1_cpuacct or unified)


def _in_v1(mounts: list[CgroupMount], controller: str, path: str, root: str) -> Cgroup | None:
    for mount in mounts:
        if mount.version == 1 and controller in mount.controllers:
            directory = _locate(mount, path, root)
            if directory is not None:
                return Cgroup(1, path, directory, _rebase(mount.mount_point, root))
    return None


def _in_v2(mounts: list[CgroupMount], path: str, root: str) -> Cgroup | None:
    for mount in mounts:
        if mount.version == 2:
            directory = _locate(mount, path, root)
            if directory is not None:
                return Cgroup(2, path, directory, _rebase(mount.mount_point, root))
    return None


def _holding(unified: Cgroup | None, controller: str) -> Cgroup | None:
    # In a hybrid layout a controller bound to v1 is absent from v2's cgroup.controllers,
    # so v1 wins for it; v2 is used only for controllers it really holds.
    if unified is None:
        return None
    try:
        held = (unified.directory / "cgroup.controllers").read_text().split()
    except OSError:
        return None
    return unified if controller in held else None


# -- reading the files ----------------------------------------------------------------------


def _read(path: str) -> str | None:
    return KERNEL_FILES.read(path)


def _read_int(path: str) -> int | None:
    text = _read(path)
    if text is None:
        return None
    try:
        return int(text.strip())
    except ValueError:
        return None


def read_keyed(path: str) -> dict[str, int]:
    """A flat-keyed file (``key value`` per line: memory.stat, cpu.stat, memory.events...)."""
    values: dict[str, int] = {}
    for line in (_read(path) or "").splitlines():
        key, _, value = line.partition(" ")
        if value.isdigit():  # nearly every line: no exception to pay for
            values[key] = int(value)
            continue
        try:
            values[key] = int(value.strip())
        except ValueError:
            continue
    return values


@dataclass(frozen=True)
class MemoryReading:
    limit: int | None
    usage: int | None
    inactive_file: int | None
    oom_kills: int | None

    @property
    def working_set(self) -> int | None:
        """Usage minus inactive file cache: the kubelet's figure, the one that gets pods killed."""
        if self.usage is None:
            return None
        return max(self.usage - (self.inactive_file or 0), 0)


def _v2_memory_max(directory: str) -> int | None:
    text = _read(f"{directory}/memory.max")
    if text is None or text.strip() == "max":
        return None
    try:
        return int(text.strip())
    except ValueError:
        return None


def _v1_memory_limit(directory: str) -> int | None:
    value = _read_int(f"{directory}/memory.limit_in_bytes")
    return value if value is not None and value < UNLIMITED_BYTES else None


def _lowest(values: list[int | None]) -> int | None:
    known = [v for v in values if v is not None]
    return min(known) if known else None


def read_memory(cgroup: Cgroup) -> MemoryReading:
    """Memory limit (the lowest on the way up: a parent's limit binds its children), usage,
    inactive file cache and OOM kills of ``cgroup``."""
    directory = cgroup.folder
    if cgroup.version == 2:
        limit = _lowest([_v2_memory_max(d) for d in cgroup.chain])
        stat = read_keyed(f"{directory}/memory.stat")
        events = read_keyed(f"{directory}/memory.events")
        return MemoryReading(
            limit=limit,
            usage=_read_int(f"{directory}/memory.current"),
            inactive_file=stat.get("inactive_file"),
            oom_kills=events.get("oom_kill"),
        )
    stat = read_keyed(f"{directory}/memory.stat")
    # hierarchical_memory_limit also covers ancestors this process cannot see.
    hierarchical = stat.get("hierarchical_memory_limit")
    if hierarchical is not None and hierarchical >= UNLIMITED_BYTES:
        hierarchical = None
    limit = _lowest([*(_v1_memory_limit(d) for d in cgroup.chain), hierarchical])
    inactive = stat.get("total_inactive_file", stat.get("inactive_file"))
    oom_control = read_keyed(f"{directory}/memory.oom_control")
    return MemoryReading(
        limit=limit,
        usage=_read_int(f"{directory}/memory.usage_in_bytes"),
        inactive_file=inactive,
        oom_kills=oom_control.get("oom_kill"),
    )


@dataclass(frozen=True)
class CpuReading:
    limit_cores: float | None
    nr_throttled: int | None
    throttled_seconds: float | None


def _v2_cpu_max(directory: str) -> float | None:
    # "max 100000" (no quota) or "150000 100000" (quota and period in microseconds).
    text = _read(f"{directory}/cpu.max")
    if text is None:
        return None
    parts = text.split()
    if len(parts) != 2 or parts[0] == "max":
        return None
    try:
        quota, period = int(parts[0]), int(parts[1])
    except ValueError:
        return None
    return quota / period if period > 0 else None


def _v1_cfs_quota(directory: str) -> float | None:
    quota = _read_int(f"{directory}/cpu.cfs_quota_us")
    period = _read_int(f"{directory}/cpu.cfs_period_us")
    if quota is None or period is None or quota < 0 or period <= 0:
        return None  # -1: no quota
    return quota / period


def read_cpu(cgroup: Cgroup) -> CpuReading:
    """CPU quota in cores (the lowest on the way up) and throttling counters of ``cgroup``."""
    stat = read_keyed(f"{cgroup.folder}/cpu.stat")
    if cgroup.version == 2:
        limits = [_v2_cpu_max(d) for d in cgroup.chain]
        throttled_usec = stat.get("throttled_usec")
        throttled = throttled_usec / 1e6 if throttled_usec is not None else None
    else:
        limits = [_v1_cfs_quota(d) for d in cgroup.chain]
        throttled_ns = stat.get("throttled_time")
        throttled = throttled_ns / 1e9 if throttled_ns is not None else None
    known = [v for v in limits if v is not None]
    return CpuReading(
        limit_cores=min(known) if known else None,
        nr_throttled=stat.get("nr_throttled"),
        throttled_seconds=throttled,
    )


def read_cpu_seconds(cgroup: Cgroup) -> float | None:
    """CPU time used by everything in ``cgroup`` so far, in seconds."""
    if cgroup.version == 2:
        usec = read_keyed(f"{cgroup.folder}/cpu.stat").get("usage_usec")
        return usec / 1e6 if usec is not None else None
    nsec = _read_int(f"{cgroup.folder}/cpuacct.usage")
    return nsec / 1e9 if nsec is not None else None
