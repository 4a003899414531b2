"""``python -m jupyter_binder_ext.demo``: run the local Binder demo hub until Ctrl-C.

Non-interactive use (tests, UI tests): ``--port 0`` picks a free port; once the hub answers,
the demo prints ``READY <url>`` and writes ``<state-dir>/demo.json`` (url, admin token, pid).
SIGTERM or SIGINT stops the hub, every server it started and the proxy, then exits 0.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from pathlib import Path
from types import FrameType

from jupyter_binder_ext.demo.runner import INFO_FILE, DemoError, DemoHub


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m jupyter_binder_ext.demo",
        description="A local JupyterHub standing in for a BinderHub: named servers (5 per "
        "user), dummy login, a sample repository cloned into every server, the extension.",
    )
    parser.add_argument("--ip", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--port", type=int, default=8000, help="port to listen on (0: any free)")
    parser.add_argument(
        "--state-dir",
        type=Path,
        default=Path(".demo"),
        help="folder for the hub's database, servers, keys and logs (default: .demo)",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    hub = DemoHub(args.state_dir, ip=args.ip, port=args.port)
    print(f"Starting the Binder demo hub (state in {hub.state_dir}) ...", flush=True)
    try:
        hub.start()
    except DemoError as err:
        print(f"The demo hub did not start: {err}", file=sys.stderr)
        return 1
    try:
        url = hub.url
        print(
            f"\nBinder demo hub: {url}\n"
            f"  Log in with any user name (e.g. demo) and an empty password.\n"
            f"  Your projects (the control panel): {url}hub/home  (5 named servers per user)\n"
            f"  Launch like BinderHub: {hub.launch_host}v2/gh/binder-demo/sample/main\n"
            f"  Logs: {hub.hub_log}, {hub.proxy_log}; details: {hub.state_dir / INFO_FILE}\n"
            f"Press Ctrl-C to stop.\nREADY {url}",
            flush=True,
        )
        while not stop.wait(1.0):
            if hub.hub is not None and hub.hub.poll() is not None:
                print(f"The hub exited ({hub.hub.returncode}); see {hub.hub_log}", file=sys.stderr)
                return 1
    finally:
        print("Stopping the demo hub ...", flush=True)
        hub.stop()
        print(
            f"Stopped: the hub, every server it started and the proxy. Its state stays in "
            f"{hub.state_dir} for the next `make demo`.",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
