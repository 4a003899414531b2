"""The launch's sentences, in one place: :func:`.builders.build_launch` puts them in the answer
and :func:`.text.describe_launch` in the text. A leaf module, so that
:attr:`.facts.LaunchInfo.message` can name the same sentence without an import cycle.
"""

from __future__ import annotations

NOT_GITHUB_NOTE = "Note: the site honours .resources only for repositories on github.com."


def launch_message(under_hub: bool, under_binder: bool) -> str:
    """Where this server runs, when that is not a BinderHub launch (empty when it is)."""
    if not under_hub:
        return "Not running under JupyterHub: there is no launch to describe."
    if not under_binder:
        return "Running under JupyterHub, but not launched by a BinderHub."
    return ""
