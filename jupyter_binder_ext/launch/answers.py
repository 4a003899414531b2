"""The answer of ``GET binder/api/launch``."""

from __future__ import annotations

from typing import TypedDict


class LaunchAnswer(TypedDict):
    under_hub: bool
    under_binder: bool
    user: str
    server_name: str
    repo_url: str
    provider: str
    provider_name: str
    owner: str
    repo: str
    ref: str
    resolved_ref: str
    ref_url: str
    launch_host: str
    launch_url: str
    request: str
    persistent_request: str
    is_github: bool
    hub_url: str
    hub_api_url: str
    control_panel_url: str
    image: str
    image_source: str
    message: str
