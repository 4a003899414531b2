"""The spawner hook that applies a launch's `.resources`, configured as ``c.BinderResourcesHook``.

JupyterHub calls ``Spawner.pre_spawn_hook(spawner)`` (and awaits it when it returns an
awaitable) after ``user_options`` are set and before ``start()``; KubeSpawner builds the pod
from the traits the hook sets. :func:`resources_hook` is that hook: it reads the settings
below from the hub's configuration, so ``c.BinderResourcesHook.max_gpu = 1`` in
``jupyterhub_config.py`` works wherever the line appears.
"""

from __future__ import annotations

from typing import Any, cast

from traitlets import Any as AnyTrait
from traitlets import Bool, Float, Int, Unicode
from traitlets.config import LoggingConfigurable

from jupyter_binder_ext.hub.apply import (
    GPU_RESOURCE,
    ResourcePlan,
    apply_plan,
    defaults_plan,
    plan_from_fetch,
)
from jupyter_binder_ext.hub.sources import (
    DEFAULT_MAX_BYTES,
    DEFAULT_TIMEOUT,
    GITHUB_RAW_BASE_URL,
    GitHubRawSource,
    ResourcesSource,
    launch_target,
)
from jupyter_binder_ext.resources.traits import ResourceDefaultsTraits


class BinderResourcesHook(ResourceDefaultsTraits, LoggingConfigurable):
    """Applies the launched repository's `.resources` to the spawner, within the hub's maxima.

    The maxima (`max_cpu_limit`, `max_mem_limit_gb`, `max_gpu`) are on by default, so a file
    asking for `gpu=1000` or `meml=999999` gets the ceiling and a notice, never what it asked.
    """

    github_only = Bool(
        True,
        config=True,
        help="""Honour `.resources` only for repositories on github.com (the seed site's rule).
        Launches from other hosts get the defaults and a notice saying why. A hub whose
        `source` can read other hosts (e.g. a local git mirror) may turn this off.""",
    )
    github_raw_base_url = Unicode(
        GITHUB_RAW_BASE_URL,
        config=True,
        help="""Base URL of GitHub's raw-content host; the file is read from
        `{base}/{owner}/{repo}/{commit}/.resources`. Change it for a GitHub Enterprise proxy
        or a test stand-in.""",
    )
    fetch_timeout = Float(
        DEFAULT_TIMEOUT,
        config=True,
        help="""Seconds the whole read of `.resources` may take, connection included. When it
        runs out the spawn goes on with the defaults and a notice.""",
    )
    max_bytes = Int(
        DEFAULT_MAX_BYTES,
        config=True,
        help="""Largest `.resources` file read, in bytes; a larger one is refused (defaults
        and a notice), never cut.""",
    )
    resources_filename = Unicode(
        ".resources",
        config=True,
        help="Name of the resource request file in the repository root.",
    )
    gpu_resource_name = Unicode(
        GPU_RESOURCE,
        config=True,
        help="""Kubernetes extended resource that stands for one GPU, set in KubeSpawner's
        `extra_resource_guarantees` and `extra_resource_limits`.""",
    )
    source = AnyTrait(
        None,
        allow_none=True,
        config=True,
        help="""Where `.resources` is read from: any object with
        `async fetch(target) -> FetchResult` (see `jupyter_binder_ext.hub.sources`), e.g.
        `LocalGitSource("/srv/repos/project")`. None reads GitHub's raw-content host with
        `github_raw_base_url`, `fetch_timeout` and `max_bytes`.""",
    )

    def make_source(self) -> ResourcesSource:
        if self.source is not None:
            return cast(ResourcesSource, self.source)
        return GitHubRawSource(
            self.github_raw_base_url,
            timeout=self.fetch_timeout,
            max_bytes=self.max_bytes,
            filename=self.resources_filename,
        )

    async def plan_for(self, user_options: dict[str, Any] | None) -> ResourcePlan:
        """What a launch with these ``user_options`` gets; never raises for a bad file."""
        defaults = self.resource_defaults
        filename = self.resources_filename
        target = launch_target(user_options)
        if target is None:
            # Not a BinderHub launch (e.g. started from the hub's home page): nothing to read.
            return defaults_plan(defaults, "")
        if self.github_only and not target.is_github:
            return defaults_plan(
                defaults,
                f"This hub applies {filename} only for repositories on github.com, and "
                f"{target.repo_url or target.label} is not one.",
            )
        try:
            result = await self.make_source().fetch(target)
        except Exception as error:  # a broken source must not block the spawn
            self.log.exception("Reading %s of %s failed", filename, target.label)
            return defaults_plan(
                defaults,
                f"{filename} of {target.label} could not be read ({type(error).__name__}).",
            )
        return plan_from_fetch(result, defaults, filename=filename)

    async def __call__(self, spawner: Any) -> ResourcePlan:
        plan = await self.plan_for(getattr(spawner, "user_options", None))
        apply_plan(spawner, plan, gpu_resource=self.gpu_resource_name)
        self.log.info(
            "Resources for %s: cpu %g/%g, memory %d/%d GB, gpu %d (%s)%s",
            getattr(spawner, "_log_name", type(spawner).__name__),
            plan.cpu_guarantee,
            plan.cpu_limit,
            plan.mem_guarantee_gb,
            plan.mem_limit_gb,
            plan.gpu,
            "from the file" if plan.from_file else "defaults",
            f"; notice: {plan.notice}" if plan.notice else "",
        )
        return plan


async def resources_hook(spawner: Any) -> None:
    """``c.Spawner.pre_spawn_hook = resources_hook``: apply `.resources` to this spawn."""
    await BinderResourcesHook(parent=spawner)(spawner)
