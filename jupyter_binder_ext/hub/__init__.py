"""Hub-side parts of jupyter_binder_ext, for JupyterHub / BinderHub operators.

Imported only by a hub (``jupyterhub_config.py`` or the z2jh chart's ``hub.extraConfig``),
never by the single-user server. In the hub's configuration::

    from jupyter_binder_ext.hub import BinderSite, binder_pre_spawn_hook

    c.KubeSpawner.pre_spawn_hook = binder_pre_spawn_hook  # .resources, volume, SSH keys
    BinderSite(config=c).configure_hub(c)  # 5 named servers, token scopes, idle culler
    c.BinderResourcesHook.max_gpu = 1  # and any other c.BinderResourcesHook / c.BinderSite

The hooks read their settings from the hub's configuration each time they run. JupyterHub,
KubeSpawner and the Kubernetes client are imported only inside the functions that use them.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from typing import Any

from jupyter_binder_ext.hub.apply import (
    GPU_RESOURCE,
    LiteralEnv,
    ResourcePlan,
    apply_plan,
    clamp,
    defaults_plan,
    plan_from_fetch,
    plan_from_text,
)
from jupyter_binder_ext.hub.hook import BinderResourcesHook, resources_hook
from jupyter_binder_ext.hub.site import (
    BinderSite,
    generate_ssh_key_pair,
    idle_culler_role,
    idle_culler_service,
    safe_username,
    server_token_scopes,
    site_hook,
)
from jupyter_binder_ext.hub.sources import (
    FetchResult,
    GitHubRawSource,
    LaunchTarget,
    LocalGitSource,
    ResourcesSource,
    launch_target,
)
from jupyter_binder_ext.limits.facts import NOTICE_ENV

SpawnerHook = Callable[[Any], Any]

__all__ = [
    "GPU_RESOURCE",
    "NOTICE_ENV",
    "BinderResourcesHook",
    "BinderSite",
    "FetchResult",
    "GitHubRawSource",
    "LaunchTarget",
    "LiteralEnv",
    "LocalGitSource",
    "ResourcePlan",
    "ResourcesSource",
    "apply_plan",
    "binder_pre_spawn_hook",
    "chain_hooks",
    "clamp",
    "defaults_plan",
    "generate_ssh_key_pair",
    "idle_culler_role",
    "idle_culler_service",
    "launch_target",
    "plan_from_fetch",
    "plan_from_text",
    "resources_hook",
    "safe_username",
    "server_token_scopes",
    "site_hook",
]


def chain_hooks(*hooks: SpawnerHook) -> Callable[[Any], Awaitable[None]]:
    """One ``pre_spawn_hook`` that runs `hooks` in order (each may be sync or async)."""

    async def run_hooks(spawner: Any) -> None:
        for hook in hooks:
            result = hook(spawner)
            if inspect.isawaitable(result):
                await result

    return run_hooks


async def binder_pre_spawn_hook(spawner: Any) -> None:
    """The whole seed-site behaviour for one spawn: `.resources`, then volume and SSH keys.

    The second half only acts on a spawner with Kubernetes volumes (KubeSpawner and its
    subclasses such as BinderHub's BinderSpawner).
    """
    await resources_hook(spawner)
    await site_hook(spawner)
