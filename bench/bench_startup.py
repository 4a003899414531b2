"""Server start-up time with and without jupyter_binder_ext enabled.

Anchor: the same ``jupyter server`` with the extension disabled. Each run starts a fresh
server process and measures wall time from launch until ``GET /api/status`` answers; the two
variants alternate so that machine noise hits both alike. Target: the extension adds under
5 % or under 50 ms, whichever is larger.

Run: ``.venv/bin/python bench/bench_startup.py`` (``--json`` for machine-readable output).
"""

from __future__ import annotations

import http.client
import json
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import common

TARGET_FRACTION = 0.05
TARGET_MS = 50.0


def start_and_time(enabled: bool, workdir: Path, timeout: float = 60) -> float:
    """Seconds from process launch until the server answers an authenticated request."""
    port, token = common.free_port(), secrets.token_hex(8)
    config = workdir / f"config_{int(enabled)}.json"
    config.write_text(
        json.dumps({"ServerApp": {"jpserver_extensions": {"jupyter_binder_ext": enabled}}})
    )
    cmd = [
        str(common.VENV_BIN / "jupyter"),
        "server",
        "--allow-root",
        "--no-browser",
        f"--port={port}",
        "--ip=127.0.0.1",
        f"--IdentityProvider.token={token}",
        f"--config={config}",
        f"--ServerApp.root_dir={workdir}",
    ]
    began = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while time.perf_counter() - began < timeout:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
                conn.request("GET", "/api/status", headers={"Authorization": f"token {token}"})
                if conn.getresponse().status == 200:
                    return time.perf_counter() - began
            except OSError:
                pass
            time.sleep(0.005)
        raise RuntimeError("the server did not start in time")
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def check_enabled(workdir: Path) -> None:
    """Make sure the 'with' variant really loads the extension (else the bench lies)."""
    out = subprocess.run(
        [str(common.VENV_BIN / "jupyter"), "server", "extension", "list"],
        capture_output=True,
        text=True,
        check=True,
    )
    if "jupyter_binder_ext" not in out.stdout + out.stderr:
        raise SystemExit("jupyter_binder_ext is not installed in this environment")


def run(rounds: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        check_enabled(workdir)
        start_and_time(True, workdir)  # warm the file cache for both variants
        start_and_time(False, workdir)
        times: dict[str, list[float]] = {"with": [], "without": []}
        for _ in range(rounds):
            times["without"].append(start_and_time(False, workdir))
            times["with"].append(start_and_time(True, workdir))
    ours = statistics.median(times["with"]) * 1000
    anchor = statistics.median(times["without"]) * 1000
    added = ours - anchor
    allowed = max(TARGET_FRACTION * anchor, TARGET_MS)
    return {
        "figure": "server start-up",
        "rounds": rounds,
        "with_ms": round(ours, 1),
        "without_ms": round(anchor, 1),
        "added_ms": round(added, 1),
        "ratio": round(ours / anchor, 3),
        "allowed_ms": round(allowed, 1),
        "target_met": added <= allowed,
        "samples_ms": {k: [round(v * 1000, 1) for v in vs] for k, vs in times.items()},
    }


def print_table(result: dict[str, Any]) -> None:
    print(f"Server start-up, median of {result['rounds']} alternating runs per variant")
    print(f"  without jupyter_binder_ext (anchor): {result['without_ms']:8.1f} ms")
    print(f"  with jupyter_binder_ext:             {result['with_ms']:8.1f} ms")
    print(
        f"  added: {result['added_ms']:.1f} ms, ratio {result['ratio']:.3f} "
        f"(target: at most {result['allowed_ms']:.0f} ms = max(5 %, 50 ms)) "
        f"{common.verdict(result['target_met'])}"
    )


def main() -> int:
    parser = common.argument_parser(__doc__)
    parser.add_argument("--rounds", type=int, default=7, help="start-ups per variant")
    args = parser.parse_args()
    common.report(run(args.rounds), args.json, print_table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
