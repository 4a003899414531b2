"""``%binder ...`` and ``%%resources``: the command table of :mod:`.commands` in a notebook."""

from __future__ import annotations

import shlex
from typing import Any

from IPython.core.magic import Magics, cell_magic, line_magic, magics_class

from jupyter_binder_ext.errors import BinderError
from jupyter_binder_ext.state import ExtensionState
from jupyter_binder_ext.terminal.commands import (
    Result,
    build_parser,
    command_logger,
    execute,
    parse_command,
)
from jupyter_binder_ext.terminal.run_sync import run_sync


@magics_class
class BinderMagics(Magics):
    """``%binder [launch|limits|persistence|ssh|projects|stop|delete|resources|relaunch]``."""

    _state: ExtensionState | None = None

    @property
    def state(self) -> ExtensionState:
        if self._state is None:
            from jupyter_binder_ext.terminal.site import load_site_config

            self._state = ExtensionState(load_site_config(), log=command_logger())
        return self._state

    @line_magic
    def binder(self, line: str) -> Any:
        """Show and change this Binder notebook's resources, storage, keys and projects.

        ``%binder`` alone shows an overview; ``%binder --help`` (or ``%binder COMMAND
        --help``) lists the commands. The value returned is the data as a dict, displayed as
        readable text.
        """
        parser = build_parser(prog="%binder")
        try:
            args = parse_command(parser, shlex.split(line))
        except SystemExit:
            # argparse already printed the usage or the help text.
            return None
        command_logger(args.verbose)
        try:
            return execute(self.state, args)
        except BinderError as err:
            print(f"Error: {err.message}")
            return None

    @cell_magic
    def resources(self, line: str, cell: str) -> Any:
        """Write the cell as the repository's ``.resources`` file (checked first)."""
        from jupyter_binder_ext.resources.file import describe_resources

        try:
            current = run_sync(self.state.resources())
            run_sync(self.state.write_resources(text=cell, if_match=current["etag"]))
        except BinderError as err:
            print(f"Error: {err.message}")
            for problem in err.details.get("problems", []):
                print(f"  line {problem.get('line')}: {problem.get('message')}")
            return None
        data = run_sync(self.state.resources())
        return Result(data, describe_resources(data))
