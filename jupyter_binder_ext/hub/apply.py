"""Turn a launch's `.resources` into the spawner's CPU, memory and GPU settings.

The file is parsed with the same core model the notebook's sidebar uses
(:func:`jupyter_binder_ext.resources.model.parse_resources`), so a value the sidebar accepts is the
value the hub applies. On top of the model the hub clamps to the operator's maxima (on by
default: the seed site's 8 cores and 16 GB, and one GPU), with a notice naming each value it
lowered. Whenever
the file cannot be used (another git host, no file, GitHub unreachable, an invalid file) the
site defaults apply and a sentence saying why goes into the server's environment as
``BINDER_RESOURCES_NOTICE``, which the limits API passes on to the sidebar.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from jupyter_binder_ext.common.units import GB
from jupyter_binder_ext.config import ResourceDefaults
from jupyter_binder_ext.hub.sources import FetchResult
from jupyter_binder_ext.limits.facts import NOTICE_ENV
from jupyter_binder_ext.resources.model import RESOURCES_OPTION

GPU_RESOURCE = "nvidia.com/gpu"


@dataclass(frozen=True)
class ResourcePlan:
    """What a spawn gets: cores, whole GB, GPUs, and the notice for the sidebar ("" if none)."""

    cpu_guarantee: float
    cpu_limit: float
    mem_guarantee_gb: int
    mem_limit_gb: int
    gpu: int
    from_file: bool
    notice: str = ""
    origin: str = ""
    notes: tuple[str, ...] = field(default=())

    @property
    def mem_guarantee_bytes(self) -> int:
        return self.mem_guarantee_gb * GB

    @property
    def mem_limit_bytes(self) -> int:
        return self.mem_limit_gb * GB

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def describe_defaults(defaults: ResourceDefaults) -> str:
    gpu = f"{defaults.gpu} GPU" if defaults.gpu else "no GPU"
    return (
        f"{defaults.cpu_guarantee:g} CPU guaranteed / {defaults.cpu_limit:g} limit, "
        f"{defaults.mem_guarantee_gb} GB / {defaults.mem_limit_gb} GB memory, {gpu}"
    )


def defaults_plan(defaults: ResourceDefaults, reason: str, *, origin: str = "") -> ResourcePlan:
    """The site defaults, with `reason` (why the file was not used) as the notice."""
    notice = f"{reason} The site defaults apply ({describe_defaults(defaults)})." if reason else ""
    return ResourcePlan(
        cpu_guarantee=defaults.cpu_guarantee,
        cpu_limit=defaults.cpu_limit,
        mem_guarantee_gb=defaults.mem_guarantee_gb,
        mem_limit_gb=defaults.mem_limit_gb,
        gpu=defaults.gpu,
        from_file=False,
        notice=notice,
        origin=origin,
    )


def plan_from_text(
    text: str, defaults: ResourceDefaults, *, filename: str = ".resources", origin: str = ""
) -> ResourcePlan:
    """Parse `text` with the core model; errors mean defaults, warnings and clamps are noted.

    The core reports a value above a maximum as an error (the sidebar asks the user to fix
    it); the hub instead lowers it to the maximum and says so, so the maxima are left out of
    the parse and applied by :func:`clamp`.
    """
    from jupyter_binder_ext.resources.model import parse_resources

    parsed = parse_resources(
        text, replace(defaults, max_cpu_limit=0.0, max_mem_limit_gb=0, max_gpu=0)
    )
    if parsed.has_errors:
        errors = [p for p in parsed.problems if _is_error(p)]
        return defaults_plan(
            defaults, f"{filename} could not be used: {_listed(errors)}.", origin=origin
        )
    values, clamped = clamp(parsed.effective, parsed.values, defaults)
    notes = [_describe_problem(p) for p in parsed.problems] + clamped
    return ResourcePlan(
        cpu_guarantee=float(values["cpur"]),
        cpu_limit=float(values["cpul"]),
        mem_guarantee_gb=int(values["memr"]),
        mem_limit_gb=int(values["meml"]),
        gpu=int(values["gpu"]),
        from_file=True,
        notice=f"{filename}: {_listed(notes)}." if notes else "",
        origin=origin,
        notes=tuple(notes),
    )


# Which maximum holds each key; the guarantees are held to their limit's maximum as well.
_CEILINGS = {
    "cpur": ("max_cpu_limit", ""),
    "cpul": ("max_cpu_limit", ""),
    "memr": ("max_mem_limit_gb", " GB"),
    "meml": ("max_mem_limit_gb", " GB"),
    "gpu": ("max_gpu", ""),
}


def clamp(
    effective: Mapping[str, float],
    requested: Collection[str],
    defaults: ResourceDefaults,
) -> tuple[dict[str, float], list[str]]:
    """Hold the keys the file sets to the operator's maxima (0 = none), then keep each
    guarantee within its limit. Returns the values and a note per change.

    The site defaults are not clamped: they are the operator's own choice.
    """
    values = dict(effective)
    notes: list[str] = []
    for key, (field_name, unit) in _CEILINGS.items():
        ceiling = float(getattr(defaults, field_name))
        if key in requested and ceiling > 0 and values[key] > ceiling:
            notes.append(
                f"{key}={values[key]:g} is above this hub's maximum, {ceiling:g}{unit} applies"
            )
            values[key] = ceiling
    # Kubernetes refuses a request above its limit; the limit is what the user asked to get.
    for request, limit, what, unit in (
        ("cpur", "cpul", "CPU", ""),
        ("memr", "meml", "memory", " GB"),
    ):
        if values[request] > values[limit]:
            notes.append(f"the {what} guarantee is lowered to the limit, {values[limit]:g}{unit}")
            values[request] = values[limit]
    return values, notes


def plan_from_fetch(
    result: FetchResult, defaults: ResourceDefaults, *, filename: str = ".resources"
) -> ResourcePlan:
    if result.found and result.text is not None:
        return plan_from_text(result.text, defaults, filename=filename, origin=result.origin)
    return defaults_plan(defaults, result.message, origin=result.origin)


def apply_plan(spawner: Any, plan: ResourcePlan, *, gpu_resource: str = GPU_RESOURCE) -> None:
    """Set the spawner's traits from `plan`; every value is set, so a reused spawner forgets
    what an earlier launch of the same named server asked for."""
    spawner.cpu_guarantee = plan.cpu_guarantee
    spawner.cpu_limit = plan.cpu_limit
    spawner.mem_guarantee = plan.mem_guarantee_bytes
    spawner.mem_limit = plan.mem_limit_bytes
    notice = plan.notice
    if _has_trait(spawner, "extra_resource_limits"):
        _set_gpu(spawner, plan.gpu, gpu_resource)
    elif plan.gpu:
        kind = type(spawner).__name__
        extra = f"gpu={plan.gpu} was asked for, but this hub's spawner ({kind}) cannot attach GPUs."
        notice = f"{notice} {extra}".strip()
    environment = dict(spawner.environment)
    environment.pop(NOTICE_ENV, None)
    if notice:
        environment[NOTICE_ENV] = LiteralEnv(notice)
    spawner.environment = environment
    record_plan(spawner, plan)


def record_plan(spawner: Any, plan: ResourcePlan) -> None:
    """Keep what this spawn got in its ``user_options``: the hub's API lists them (stopped
    servers' too), so each project's card can say its resources. JupyterHub saves the ORM's
    copy (committed after ``start()``, jupyterhub ``user.py`` spawn)."""
    applied = {
        "cpu_guarantee": plan.cpu_guarantee,
        "cpu_limit": plan.cpu_limit,
        "mem_guarantee_gb": plan.mem_guarantee_gb,
        "mem_limit_gb": plan.mem_limit_gb,
        "gpu": plan.gpu,
        "from_file": plan.from_file,
    }
    options = {**(getattr(spawner, "user_options", None) or {}), RESOURCES_OPTION: applied}
    spawner.user_options = options
    orm_spawner = getattr(spawner, "orm_spawner", None)
    if orm_spawner is not None:
        orm_spawner.user_options = options


def _set_gpu(spawner: Any, gpu: int, gpu_resource: str) -> None:
    # Kubernetes wants an extended resource's request equal to its limit.
    limits = dict(spawner.extra_resource_limits)
    guarantees = dict(spawner.extra_resource_guarantees)
    if gpu > 0:
        limits[gpu_resource] = str(gpu)
        guarantees[gpu_resource] = str(gpu)
    else:
        limits.pop(gpu_resource, None)
        guarantees.pop(gpu_resource, None)
    spawner.extra_resource_limits = limits
    spawner.extra_resource_guarantees = guarantees


class LiteralEnv:
    """An environment value passed through unchanged.

    ``Spawner.environment`` calls callables with the spawner; KubeSpawner formats plain string
    values as templates (``{username}``...), which would break on a notice quoting a brace.
    """

    def __init__(self, value: str) -> None:
        self.value = value

    def __call__(self, spawner: Any) -> str:
        return self.value

    def __eq__(self, other: object) -> bool:
        return isinstance(other, LiteralEnv) and other.value == self.value

    def __hash__(self) -> int:
        return hash(self.value)

    def __repr__(self) -> str:
        return f"LiteralEnv({self.value!r})"


def _has_trait(obj: Any, name: str) -> bool:
    has_trait = getattr(obj, "has_trait", None)
    return bool(has_trait(name)) if callable(has_trait) else hasattr(obj, name)


def _is_error(problem: Any) -> bool:
    return str(getattr(problem, "severity", "error")) == "error"


def _listed(sentences: Any, most: int = 5) -> str:
    """Problems or notes as one sentence: "a; b; c (and 2 more)"."""
    texts = [
        str(_describe_problem(item)) if not isinstance(item, str) else item for item in sentences
    ]
    texts = [text.rstrip(" .") for text in texts]
    shown = "; ".join(texts[:most])
    return f"{shown} (and {len(texts) - most} more)" if len(texts) > most else shown


def _describe_problem(problem: Any) -> str:
    line = getattr(problem, "line", None)
    where = f"line {line}" if line else ""
    key = getattr(problem, "key", "") or ""
    if key:
        where = f"{where} ({key})" if where else key
    message = str(getattr(problem, "message", problem))
    return f"{where}: {message}" if where else message
