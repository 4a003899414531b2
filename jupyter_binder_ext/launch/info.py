"""What was launched: the entry point of the launch domain.

:func:`read_launch` gathers this server's :class:`LaunchInfo` from its environment (see
:mod:`.facts`); :func:`.builders.build_launch` turns it into the answer of
``GET binder/api/launch`` and :func:`.text.describe_launch` that answer into text. The spec
parsing the other domains use is re-exported from :mod:`.spec`, where it lives.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from jupyter_binder_ext.launch.builders import build_launch
from jupyter_binder_ext.launch.facts import LaunchInfo, gather_launch
from jupyter_binder_ext.launch.text import describe_launch as describe_answer

__all__ = ["LaunchInfo", "describe_launch", "read_launch"]


def read_launch(
    env: Mapping[str, str] | None = None,
    *,
    launch_host: str = "",
    control_panel_url: str = "",
) -> LaunchInfo:
    """Describe this server's launch from its environment (``os.environ`` by default)."""
    return gather_launch(
        os.environ if env is None else env,
        launch_host=launch_host,
        control_panel_url=control_panel_url,
    )


def describe_launch(info: LaunchInfo) -> str:
    """The launch as text, for a caller holding the facts (the faces hold the answer and call
    :func:`.text.describe_launch`)."""
    return describe_answer(build_launch(info))
