"""``jupyter binder ...``: the command table of :mod:`.commands` in a terminal."""

from __future__ import annotations

import json
import sys

from jupyter_binder_ext.errors import BinderError


def main(argv: list[str] | None = None) -> int:
    from jupyter_binder_ext.state import ExtensionState
    from jupyter_binder_ext.terminal.commands import build_parser, command_logger, execute
    from jupyter_binder_ext.terminal.site import load_site_config

    args = build_parser().parse_args(argv)
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
    return 0


if __name__ == "__main__":
    sys.exit(main())
