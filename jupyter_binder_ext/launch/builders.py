"""The answer of ``GET binder/api/launch`` from its facts: pure, no I/O.

:class:`.facts.LaunchInfo` declares what was launched (the fact every domain reads);
:class:`.answers.LaunchAnswer` declares what the route sends. This builder is the one place
that maps one onto the other: it adds what only the answer holds (the provider's name, the
relaunch link, the sentence) and hides every credential the facts keep.
"""

from __future__ import annotations

from jupyter_binder_ext.common.redact import redact
from jupyter_binder_ext.launch.answers import LaunchAnswer
from jupyter_binder_ext.launch.facts import LaunchInfo
from jupyter_binder_ext.launch.messages import launch_message
from jupyter_binder_ext.launch.spec import PROVIDER_NAMES


def provider_name(provider: str) -> str:
    """``gh`` → ``GitHub``; an unknown provider keeps its own name."""
    return PROVIDER_NAMES.get(provider, provider)


def build_launch(info: LaunchInfo) -> LaunchAnswer:
    # Every string through redact(): BinderHub passes a private repository's URL as given,
    # token included, and it reaches the request, the refs and the links alike.
    return {
        "under_hub": info.under_hub,
        "under_binder": info.under_binder,
        "user": redact(info.user),
        "server_name": redact(info.server_name),
        "repo_url": redact(info.repo_url),
        "provider": redact(info.provider),
        "provider_name": redact(provider_name(info.provider)),
        "owner": redact(info.owner),
        "repo": redact(info.repo),
        "ref": redact(info.ref),
        "resolved_ref": redact(info.resolved_ref),
        "ref_url": redact(info.ref_url),
        "launch_host": redact(info.launch_host),
        "launch_url": redact(info.launch_url),
        "request": redact(info.request),
        "persistent_request": redact(info.persistent_request),
        "is_github": info.is_github,
        "hub_url": redact(info.hub_url),
        "hub_api_url": redact(info.hub_api_url),
        "control_panel_url": redact(info.control_panel_url),
        "image": redact(info.image),
        "image_source": redact(info.image_source),
        "message": launch_message(info.under_hub, info.under_binder),
    }
