"""The command table behind both ``jupyter binder ...`` and ``%binder ...``.

One argparse parser describes every subcommand; the CLI and the magics parse with it and
call the same :class:`~jupyter_binder_ext.state.ExtensionState` the REST handlers use.
"""

from __future__ import annotations

import argparse
import logging
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from jupyter_binder_ext.state import ExtensionState
from jupyter_binder_ext.terminal.run_sync import run_sync

T = TypeVar("T")


class Result(dict[str, Any]):
    """A command's data (a dict, for code) that displays as readable text in IPython."""

    def __init__(self, data: Mapping[str, Any], text: str) -> None:
        super().__init__(data)
        self.text = text

    @property
    def is_error(self) -> bool:
        """The answer reports a failure (``ok: false`` or an error-level warning): the CLI
        then exits non-zero, as a shell script expects."""
        if self.get("ok") is False:
            return True
        test = self.get("test")
        if isinstance(test, dict) and test.get("ok") is False:
            return True
        warnings = self.get("warnings") or []
        return any(isinstance(w, dict) and w.get("level") == "error" for w in warnings)

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


def _launch(state: ExtensionState, args: argparse.Namespace) -> Result:
    from jupyter_binder_ext.launch.text import describe_launch

    answer = run_sync(state.launch_answer())
    return Result(answer, describe_launch(answer))


def _limits(state: ExtensionState, args: argparse.Namespace) -> Result:
    from jupyter_binder_ext.limits.text import describe_limits

    data = run_sync(state.limits())
    return Result(data, describe_limits(data))


def _persistence(state: ExtensionState, args: argparse.Namespace) -> Result:
    from jupyter_binder_ext.persistence.volume import describe_persistence

    if args.create:
        run_sync(state.create_instance_dir())
    data = run_sync(state.persistence())
    return Result(data, describe_persistence(data))


def _ssh(state: ExtensionState, args: argparse.Namespace) -> Result:
    from jupyter_binder_ext.ssh.status import describe_ssh, describe_ssh_test

    if args.configure_git:
        run_sync(state.configure_git())
    answer = run_sync(state.ssh())
    text = describe_ssh(answer)
    data: dict[str, Any] = {**answer}
    if args.test:
        outcome = run_sync(state.ssh_test())
        data["test"] = outcome
        text += "\n\n" + describe_ssh_test(outcome)
    return Result(data, text)


def _projects(state: ExtensionState, args: argparse.Namespace) -> Result:
    from jupyter_binder_ext.projects.listing import describe_projects

    data = run_sync(state.projects())
    return Result(data, describe_projects(data))


def _stop(state: ExtensionState, args: argparse.Namespace) -> Result:
    data = run_sync(state.stop_project(args.name, remove=False, force=args.force))
    return Result(data, data.get("message", f"Stopped {args.name}."))


def _delete(state: ExtensionState, args: argparse.Namespace) -> Result:
    data = run_sync(state.stop_project(args.name, remove=True, force=args.force))
    return Result(data, data.get("message", f"Deleted {args.name}."))


def _report(state: ExtensionState, args: argparse.Namespace) -> Result:
    data = run_sync(state.project_report(args.name))
    return Result(data, data["text"])


def _resources(state: ExtensionState, args: argparse.Namespace) -> Result:
    from jupyter_binder_ext.resources.text import describe_resources

    if args.action == "set":
        current = run_sync(state.resources())
        values = parse_assignments(args.values)
        run_sync(state.write_resources(values=values, if_match=current["etag"]))
    elif args.values:
        raise_usage("resources takes KEY=VALUE pairs only after 'set'.")
    data = run_sync(state.resources())
    return Result(data, describe_resources(data))


def _relaunch(state: ExtensionState, args: argparse.Namespace) -> Result:
    from jupyter_binder_ext.relaunch.text import describe_relaunch

    data = run_sync(
        state.relaunch(
            values=parse_assignments(args.values) or None,
            message=args.message,
            stop_current=args.stop_current,
        )
    )
    return Result(data, describe_relaunch(data))


def _work(state: ExtensionState, args: argparse.Namespace) -> Result:
    from jupyter_binder_ext.work.text import describe_save, describe_sibling, describe_work

    if args.action == "save":
        if not args.to:
            raise_usage("work save needs --to persistent or --to github.")
        data = run_sync(
            state.save_work(
                args.to, args.paths or None, overwrite=args.overwrite, message=args.message
            )
        )
        return Result(data, describe_save(data))
    if args.paths or args.to or args.message or args.overwrite:
        raise_usage("paths, --to, -m and --overwrite go with `work save`.")
    if args.project:
        sibling = run_sync(state.sibling_work(args.project))
        return Result(sibling, describe_sibling(sibling))
    work = run_sync(state.work(args.remind_days))
    return Result(work, describe_work(work))


def _environment(state: ExtensionState, args: argparse.Namespace) -> Result:
    from jupyter_binder_ext.environment.text import describe_environment, describe_keep

    if args.action == "keep":
        if not args.packages:
            raise_usage("environment keep needs the names of the packages to keep.")
        kept = run_sync(state.keep_environment(args.packages, args.file))
        return Result(kept, describe_keep(kept))
    if args.packages:
        raise_usage("package names go with `environment keep`.")
    data = run_sync(state.environment(dockerfile=args.dockerfile))
    return Result(data, describe_environment(data))


def raise_usage(message: str) -> None:
    from jupyter_binder_ext.errors import InvalidInput

    raise InvalidInput(message)


# -- the parser ----------------------------------------------------------------------------

Handler = Callable[[ExtensionState, argparse.Namespace], Result]


# The names of earlier releases: still accepted, never shown in the help.
ALIASES = {"info": "launch", "persist": "persistence", "sessions": "projects"}


def _overview(state: ExtensionState, args: argparse.Namespace) -> Result:
    from jupyter_binder_ext.terminal.overview import overview

    data, text = overview(state)
    return Result(data, text)


# Long on purpose: every subcommand's arguments in one place, read top to bottom like the
# help it prints.
def build_parser(prog: str = "jupyter binder") -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=prog,
        description=(
            "Persistence, SSH keys, limits and sibling projects of this Binder notebook. "
            "Without a command: an overview of all of them."
        ),
    )
    parser.add_argument("--json", action="store_true", help="print the data as JSON")
    parser.add_argument(
        "-v", "--verbose", action="store_true", help="also show the log of what was tried"
    )
    parser.set_defaults(handler=_overview, command=None)
    # The same two options after the command (`limits --json`); SUPPRESS keeps the value
    # given before it when they are not repeated.
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--json", action="store_true", default=argparse.SUPPRESS, help="print the data as JSON"
    )
    common.add_argument(
        "-v",
        "--verbose",
        action="store_true",
        default=argparse.SUPPRESS,
        help="also show the log of what was tried",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    def add(name: str, handler: Handler, help: str) -> argparse.ArgumentParser:
        cmd = sub.add_parser(name, help=help, description=help, parents=[common])
        cmd.set_defaults(handler=handler)
        return cmd

    add("launch", _launch, "what was launched: repository, commit, relaunch link, hub")
    add("limits", _limits, "CPU, RAM and GPU guarantees, limits and live usage")
    persistence = add(
        "persistence", _persistence, "the persistent volume and this instance's folder on it"
    )
    persistence.add_argument(
        "--create", action="store_true", help="create this instance's folder and its link"
    )
    ssh = add("ssh", _ssh, "the mounted SSH key pair and its use for GitHub pushes")
    ssh.add_argument(
        "--configure-git", action="store_true", help="set up ssh and git to push with the key"
    )
    ssh.add_argument("--test", action="store_true", help="try the SSH connection to GitHub")
    add("projects", _projects, "your projects (named servers) and free slots")
    for name, handler, verb in (("stop", _stop, "stop"), ("delete", _delete, "stop and delete")):
        cmd = add(name, handler, f"{verb} one of your projects")
        cmd.add_argument("name", help="the server name, as `projects` lists it")
        cmd.add_argument(
            "--force", action="store_true", help="allow acting on this notebook's own server"
        )
    report = add("report", _report, "a report for the service desk on a project's launch")
    report.add_argument(
        "name", nargs="?", default="", help="the server name (default: the last failed one)"
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
    work = add("work", _work, "what idle deletion would lose here, and saving it")
    work.add_argument("action", nargs="?", choices=["show", "save"], default="show")
    work.add_argument(
        "paths", nargs="*", metavar="PATH", help="files to save, before the options (default: all)"
    )
    work.add_argument("--to", choices=["persistent", "github"], help="where `save` puts them")
    work.add_argument("-m", "--message", default=None, help="commit these files first (github)")
    work.add_argument(
        "--overwrite", action="store_true", help="replace different copies on the volume"
    )
    work.add_argument("--project", default="", help="ask another running project (activity)")
    work.add_argument("--remind-days", default=None, help="reminder window in days")
    env = add("environment", _environment, "what the next build uses; installs since launch")
    env.add_argument("action", nargs="?", choices=["show", "keep"], default="show")
    env.add_argument("packages", nargs="*", metavar="PACKAGE", help="packages to keep")
    env.add_argument("--file", default="auto", help="where to keep them (default: auto)")
    env.add_argument(
        "--dockerfile", action="store_true", help="also show the Dockerfile repo2docker renders"
    )
    return parser


def parse_command(parser: argparse.ArgumentParser, argv: list[str]) -> argparse.Namespace:
    """Parse ``argv``, accepting the old command names (:data:`ALIASES`)."""
    argv = list(argv)
    for index, token in enumerate(argv):
        if not token.startswith("-"):
            argv[index] = ALIASES.get(token, token)
            break
    return parser.parse_args(argv)


def execute(state: ExtensionState, args: argparse.Namespace) -> Result:
    handler: Handler = args.handler
    return handler(state, args)
