"""``jupyter binder ...``: the command table of :mod:`.commands` in a terminal."""

from __future__ import annotations

import json
import sys

from jupyter_binder_ext.errors import BinderError


def main(argv: list[str] | None = None) -> int:
    from jupyter_binder_ext.state import ExtensionState
    from jupyter_binder_ext.terminal.commands import (
        build_parser,
        command_logger,
        execute,
        parse_command,
    )
    from jupyter_binder_ext.terminal.site import load_site_config

    args = parse_command(build_parser(), sys.argv[1:] if argv is None else argv)
    state = ExtensionState(load_site_config(), log=command_logger(args.verbose))
    try:
        result = execute(state, args)
    except BinderError as err:
        if args.json:
            print(json.dumps(err.to_json(), indent=2))
        else:
            print(f"Error: {err.message}", file=sys.stderr)
        return 1
    print(json.dumps(dict(result), indent=2, default=str) if args.json else result.text)
    # An answer that reports a failure (a refused push, a missing volume) is not a success.
    return 1 if result.is_error else 0


if __name__ == "__main__":
    sys.exit(main())
