"""jupyter_binder_ext: tools for notebooks launched from a BinderHub.

Importing the package is cheap: the server extension, the magics and the CLI load their
modules only when they are used.
"""

from __future__ import annotations

from typing import Any

try:
    from jupyter_binder_ext._version import __version__
except ImportError:  # a source checkout that was never built
    __version__ = "0.0.0"


def _jupyter_labextension_paths() -> list[dict[str, str]]:
    return [{"src": "labextension", "dest": "jupyter-binder-ext"}]


def _jupyter_server_extension_points() -> list[dict[str, Any]]:
    from jupyter_binder_ext.server.app import BinderExt

    return [{"module": "jupyter_binder_ext", "app": BinderExt}]


def load_ipython_extension(ipython: Any) -> None:
    """``%load_ext jupyter_binder_ext`` registers the ``%binder`` magics."""
    from jupyter_binder_ext.terminal.magics import BinderMagics

    ipython.register_magics(BinderMagics)
