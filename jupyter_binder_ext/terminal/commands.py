"""The command table behind both ``jupyter binder ...`` and ``%binder ...``.

One argparse parser describes every subcommand; the CLI and the magics parse with it and
call the same :class:`~jupyter_binder_ext.state.ExtensionState` the REST handlers use.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import threading
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from jupyter_binder_ext.state import ExtensionState

T = TypeVar("T")


class Result(dict[str, Any]):
    """A command's data (a dict, for code) that displays as readable text in IPython."""

    def __init__(self, data: dict[str, Any], text: str) -> None:
        super().__init__(data)
        self.text = text

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(self.text)


def command_logger(verbose: bool = False) -> logging.Logger:
    """The core's logger for the CLI and the magics.

    A failure reaches the user as the error message it raises; the server-style log line
    about the same failure would only say it twice, so it is shown with ``--verbose`` only.
    """
    log = logging.getLogger("jupyter_binder_ext.terminal.commands")
    log.propagate = False
    if not log.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("[%(levelname)s] %(message)s"))
        log.addHandler(handler)
    log.setLevel(logging.DEBUG if verbose else logging.CRITICAL)
    return log


def run_sync(awaitable: Awaitable[T]) -> T:
    """Run a coroutine to completion, also from inside a running loop (an IPython kernel)."""

    async def _main() -> T:
        return await awaitable

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(_main())
    box: dict[str, Any] = {}

    def _target() -> None:
        try:
            box["value"] = asyncio.run(_main())
        except BaseException as err:
            box["error"] = err

    thread = threading.Thread(target=_target, name="binder-command")
    thread.start()
    thread.join()
    if "error" in box:
        raise box["error"]
    return box["value"]


def parse_assignments(items: list[str]) -> dict[str, str]:
    """``["cpul=4", "meml=8"]`` → ``{"cpul": "4", "meml": "8"}`` (values checked by the core)."""
    from jupyter_binder_ext.errors import InvalidInput

    values: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise InvalidInput(f"Expected KEY=VALUE, got {item!r} (for example: meml=8).")
        values[key.strip()] = value.strip()
    return values


# -- command implementations ---------------------------------------------------------------


def _info(state: ExtensionState, args: argparse.Namespace) -> Result:
    from jupyter_binder_ext.launch.info import describe_launch

    info = state.launch()
    return Result(info.to_json(), describe_launch(info))


def _limits(state: ExtensionState, args: argparse.Namespace) -> Result:
    from jupyter_binder_ext.limits.reader import describe_limits

    data = run_sync(state.limits())
    return Result(data, describe_limits(data))


def _persist(state: ExtensionState, args: argparse.Namespace) -> Result:
    from jupyter_binder_ext.persistence.volume import describe_persistence

    if args.create:
        state.create_instance_dir()
    data = state.persistence()
    return Result(data, describe_persistence(data))


def _ssh(state: ExtensionState, args: argparse.Namespace) -> Result:
    from jupyter_binder_ext.ssh.status import describe_ssh, describe_ssh_test

    if args.configure_git:
        state.configure_git()
    data = state.ssh()
    text = describe_ssh(data)
    if args.test:
        outcome = run_sync(state.ssh_test())
        data = {**data, "test": outcome}
        text += "\n\n" + describe_ssh_test(outcome)
    return Result(data, text)


def _sessions(state: ExtensionState, args: argparse.Namespace) -> Result:
    from jupyter_binder_ext.projects.listing import describe_sessions

    data = run_sync(state.sessions())
    return Result(data, describe_sessions(data))


def _stop(state: ExtensionState, args: argparse.Namespace) -> Result:
    data = run_sync(state.stop_session(args.name, remove=False, force=args.force))
    return Result(data, data.get("message", f"Stopped {args.name}."))


def _delete(state: ExtensionState, args: argparse.Namespace) -> Result:
    data = run_sync(state.stop_session(args.name, remove=True, force=args.force))
    return Result(data, data.get("message", f"Deleted {args.name}."))


def _resources(state: ExtensionState, args: argparse.Namespace) -> Result:
    from jupyter_binder_ext.resources.file import describe_resources

    if args.action == "set":
        current = state.resources()
        state.write_resources(values=parse_assignments(args.values), if_match=current["etag"])
    elif args.values:
        raise_usage("resources takes KEY=VALUE pairs only after 'set'.")
    data = state.resources()
    return Result(data, describe_resources(data))


def _relaunch(state: ExtensionState, args: argparse.Namespace) -> Result:
    from jupyter_binder_ext.relaunch.flow import describe_relaunch

    data = run_sync(
        state.relaunch(
            values=parse_assignments(args.values) or None,
            message=args.message,
            stop_current=args.stop_current,
        )
    )
    return Result(data, describe_relaunch(data))


def raise_usage(message: str) -> None:
    from jupyter_binder_ext.errors import InvalidInput

    raise InvalidInput(message)


# -- the parser ----------------------------------------------------------------------------

Handler = Callable[[ExtensionState, argparse.Namespace], Result]


def build_parser(prog: str = "jupyter binder") -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=prog,
        description="Persistence, SSH keys, limits and sibling projects of this Binder notebook.",
    )
    parser.add_argument("--json", action="store_true", help="print the data as JSON")
    parser.add_argument(
        "-v", "--verbose", action="store_true", help="also show the log of what was tried"
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    def add(name: str, handler: Handler, help: str) -> argparse.ArgumentParser:
        cmd = sub.add_parser(name, help=help, description=help)
        cmd.set_defaults(handler=handler)
        return cmd

    add("info", _info, "what was launched: repository, commit, relaunch link, hub")
    add("limits", _limits, "CPU, RAM and GPU guarantees, limits and live usage")
    persist = add("persist", _persist, "the persistent volume and this instance's folder on it")
    persist.add_argument(
        "--create", action="store_true", help="create this instance's folder and its link"
    )
    ssh = add("ssh", _ssh, "the mounted SSH key pair and its use for GitHub pushes")
    ssh.add_argument(
        "--configure-git", action="store_true", help="set up ssh and git to push with the key"
    )
    ssh.add_argument("--test", action="store_true", help="try the SSH connection to GitHub")
    add("sessions", _sessions, "your running projects (named servers) and free slots")
    for name, handler, verb in (("stop", _stop, "stop"), ("delete", _delete, "stop and delete")):
        cmd = add(name, handler, f"{verb} one of your projects")
        cmd.add_argument("name", help="the server name, as `sessions` lists it")
        cmd.add_argument(
            "--force", action="store_true", help="allow acting on this notebook's own server"
        )
    res = add("resources", _resources, "show or change the repository's .resources file")
    res.add_argument("action", nargs="?", choices=["show", "set"], default="show")
    res.add_argument("values", nargs="*", metavar="KEY=VALUE", help="e.g. cpul=4 meml=8")
    rel = add(
        "relaunch",
        _relaunch,
        "write .resources, commit, push and launch the new commit",
    )
    rel.add_argument("values", nargs="*", metavar="KEY=VALUE", help="e.g. meml=8 gpu=1")
    rel.add_argument("-m", "--message", default=None, help="commit message")
    rel.add_argument(
        "--stop-current", action="store_true", help="stop this server once the new one is ready"
    )
    return parser


def execute(state: ExtensionState, args: argparse.Namespace) -> Result:
    handler: Handler = args.handler
    return handler(state, args)
