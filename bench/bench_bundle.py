"""Size of the lab extension's shipped JavaScript, gzipped, against jupyter-resource-usage's.

Two figures, each against the same figure of jupyter-resource-usage's installed lab extension
(``@jupyter-server/resource-usage``, about 20 KB), the anchor:

- **all JavaScript**: every ``static/*.js`` of the prebuilt extension (source maps and
  license files left out), each gzipped on its own (level 9) and summed;
- **at page start**: the files a browser really fetches from each extension's ``static/``
  folder while JupyterLab starts, found by loading ``/lab`` in headless Chromium (DevTools
  protocol, Network domain) from a real ``jupyter lab`` holding both extensions; the same
  gzipped sizes, summed over what was fetched.

The sizes are those of a production build, as the wheel ships it (``jlpm build:prod``). The
working tree usually holds a development build (``make build``); then the bench makes a
production build of the same sources in a temporary folder (``tsc``, then the extension
builder) and measures that, leaving the working tree alone. ``--static DIR`` measures a given
``static`` folder instead (e.g. from an unpacked wheel).

Run: ``.venv/bin/python bench/bench_bundle.py`` (``--json`` for machine-readable output).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gzip
import http.client
import json
import os
import secrets
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import common
from jupyter_core.paths import jupyter_path
from tornado.websocket import websocket_connect

REPO = Path(__file__).resolve().parent.parent
SOURCE = REPO / "labextension"
IN_TREE = REPO / "jupyter_binder_ext" / "labextension"
OURS_NAME = "jupyter-binder-ext"
ANCHOR_NAME = "@jupyter-server/resource-usage"
TARGET_KB = 60.0
GZIP_LEVEL = 9
# What the production build needs from labextension/ (node_modules is linked, not copied).
BUILD_INPUTS = ("package.json", "tsconfig.json", "install.json", "src", "style", "schema")
# The page has started when no extension file was fetched for this long after the load event.
QUIET_S = 4.0
PAGE_TIMEOUT_S = 120.0


def gz_size(path: Path) -> int:
    return len(gzip.compress(path.read_bytes(), GZIP_LEVEL))


def js_files(static: Path) -> list[Path]:
    return sorted(p for p in static.glob("*.js") if p.is_file())


def kb(size: int) -> float:
    return round(size / 1024, 1)


# -- where the two extensions are ------------------------------------------------------------


def anchor_dir() -> Path:
    """The installed resource-usage extension, found where JupyterLab looks for it."""
    for base in jupyter_path("labextensions"):
        candidate = Path(base, *ANCHOR_NAME.split("/"))
        if (candidate / "package.json").exists():
            return candidate
    raise SystemExit(f"{ANCHOR_NAME} is not installed (pip install jupyter-resource-usage)")


def build_mode(ext_dir: Path) -> str:
    """'production' or 'development', from the builder's own log; '' when it left none."""
    log = ext_dir / "build_log.json"
    if not log.exists():
        return ""
    with contextlib.suppress(ValueError, OSError):
        for entry in json.loads(log.read_text()):
            if isinstance(entry, dict) and entry.get("mode"):
                return str(entry["mode"])
    return ""


def production_build(workdir: Path) -> tuple[Path, float]:
    """Build the extension for production into `workdir`; (its folder, seconds taken)."""
    began = time.monotonic()
    copy = workdir / "src-copy"
    copy.mkdir()
    for name in BUILD_INPUTS:
        source = SOURCE / name
        if source.is_dir():
            shutil.copytree(source, copy / name)
        elif source.exists():
            shutil.copy2(source, copy / name)
    node_modules = SOURCE / "node_modules"
    if not node_modules.is_dir():
        raise SystemExit("labextension/node_modules is missing: run `make setup` first")
    (copy / "node_modules").symlink_to(node_modules)
    package = json.loads((copy / "package.json").read_text())
    package["jupyterlab"]["outputDir"] = "../out"  # the builder resolves it from the copy
    (copy / "package.json").write_text(json.dumps(package, indent=2))
    builder = common.VENV_BIN / "jupyter-builder"
    build = [str(builder), "build", "."] if builder.exists() else None
    build = build or [str(common.VENV_BIN / "jupyter"), "labextension", "build", "."]
    env = {**os.environ, "PATH": f"{common.VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    for command in ([str(copy / "node_modules" / ".bin" / "tsc")], build):
        done = subprocess.run(command, cwd=copy, env=env, capture_output=True, text=True)
        if done.returncode != 0:
            raise SystemExit(
                f"production build failed: {' '.join(command)}\n{done.stdout[-3000:]}"
                f"{done.stderr[-3000:]}"
            )
    out = workdir / "out"
    if not js_files(out / "static"):
        raise SystemExit(f"the production build left no JavaScript in {out / 'static'}")
    return out, time.monotonic() - began


# -- what a browser fetches at page start -----------------------------------------------------


def wait_http(
    port: int, path: str, timeout: float, proc: subprocess.Popen[bytes], name: str
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"{name} exited with {proc.returncode}")
        with contextlib.suppress(OSError):
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", path)
            if conn.getresponse().status < 500:
                return
        time.sleep(0.2)
    raise SystemExit(f"nothing answered on port {port} within {timeout:.0f} s")


def stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)


async def fetched_urls(lab_url: str, devtools_port: int) -> list[str]:
    """Every URL the page at `lab_url` fetches until the extensions' files stop coming."""
    conn = http.client.HTTPConnection("127.0.0.1", devtools_port, timeout=10)
    conn.request("GET", "/json/list")
    pages = [t for t in json.loads(conn.getresponse().read()) if t.get("type") == "page"]
    if not pages:
        raise SystemExit("headless Chromium shows no page to drive")
    socket_ = await websocket_connect(pages[0]["webSocketDebuggerUrl"], max_message_size=2**26)
    for number, (method, params) in enumerate(
        [("Network.enable", {}), ("Page.enable", {}), ("Page.navigate", {"url": lab_url})]
    ):
        await socket_.write_message(json.dumps({"id": number, "method": method, "params": params}))
    urls: list[str] = []
    loaded_at: float | None = None
    last_extension_fetch = time.monotonic()
    deadline = time.monotonic() + PAGE_TIMEOUT_S
    while time.monotonic() < deadline:
        if loaded_at is not None and time.monotonic() - last_extension_fetch > QUIET_S:
            break
        try:
            raw = await asyncio.wait_for(socket_.read_message(), timeout=0.5)
        except asyncio.TimeoutError:
            continue
        if raw is None:
            raise SystemExit("Chromium closed the DevTools connection")
        event = json.loads(raw)
        if event.get("method") == "Network.requestWillBeSent":
            url = event["params"]["request"]["url"]
            urls.append(url)
            if "/lab/extensions/" in url:
                last_extension_fetch = time.monotonic()
        elif event.get("method") == "Page.loadEventFired":
            loaded_at = time.monotonic()
            last_extension_fetch = max(last_extension_fetch, loaded_at)
    else:
        raise SystemExit(f"JupyterLab did not finish loading within {PAGE_TIMEOUT_S:.0f} s")
    socket_.close()
    return urls


def page_start_files(ours_dir: Path, workdir: Path) -> dict[str, list[str]]:
    """File names each extension's ``static/`` served while JupyterLab started in Chromium."""
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        raise SystemExit("chromium is not installed (apt-get install chromium)")
    # Our production build first on JupyterLab's extension path, ahead of the dev build.
    lab_path = workdir / "jupyter-path"
    (lab_path / "labextensions").mkdir(parents=True)
    (lab_path / "labextensions" / OURS_NAME).symlink_to(ours_dir)
    port, token = common.free_port(), secrets.token_hex(16)
    env = common.plain_env()
    env.update(
        JUPYTER_PATH=str(lab_path),
        JUPYTER_CONFIG_DIR=str(workdir / "config"),
        JUPYTER_RUNTIME_DIR=str(workdir / "runtime"),
        JUPYTERLAB_SETTINGS_DIR=str(workdir / "settings"),
        JUPYTERLAB_WORKSPACES_DIR=str(workdir / "workspaces"),
    )
    (workdir / "root").mkdir()
    lab_log = (workdir / "lab.log").open("wb")
    lab = subprocess.Popen(
        [
            str(common.VENV_BIN / "jupyter"), "lab", "--allow-root", "--no-browser",
            "--ip=127.0.0.1", f"--port={port}", "--ServerApp.port_retries=0",
            f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={workdir / 'root'}",
        ],
        env=env, stdout=lab_log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    devtools_port = common.free_port()
    browser = subprocess.Popen(
        [
            chromium, "--headless=new", "--no-sandbox", "--disable-gpu",
            "--disable-dev-shm-usage", "--no-first-run", f"--remote-debugging-port={devtools_port}",
            f"--user-data-dir={workdir / 'chromium'}", "about:blank",
        ],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        wait_http(port, "/api/status", 90, lab, "jupyter lab")
        wait_http(devtools_port, "/json/version", 60, browser, "chromium")
        lab_url = f"http://127.0.0.1:{port}/lab?token={token}"
        urls = asyncio.run(fetched_urls(lab_url, devtools_port))
    finally:
        stop(browser)
        stop(lab)
        lab_log.close()
    files: dict[str, list[str]] = {OURS_NAME: [], ANCHOR_NAME: []}
    for url in urls:
        path = urlsplit(url).path
        for name, found in files.items():
            prefix = f"/lab/extensions/{name}/static/"
            if path.startswith(prefix) and path.endswith(".js"):
                file_name = path[len(prefix) :]
                if file_name not in found:
                    found.append(file_name)
    return files


# -- the figures -----------------------------------------------------------------------------


def sizes(static: Path, names: list[str] | None = None) -> dict[str, Any]:
    files = js_files(static) if names is None else [static / n for n in names]
    missing = [p.name for p in files if not p.exists()]
    if missing:
        raise SystemExit(f"fetched files not in {static}: {missing} (another build was served)")
    gz = {p.name: gz_size(p) for p in files}
    return {
        "files": gz,
        "raw_bytes": sum(p.stat().st_size for p in files),
        "gzip_bytes": sum(gz.values()),
        "gzip_kb": kb(sum(gz.values())),
    }


def run(args: argparse.Namespace) -> dict[str, Any]:
    started = time.monotonic()
    anchor = anchor_dir()
    anchor_version = json.loads((anchor / "package.json").read_text())["version"]
    with tempfile.TemporaryDirectory(prefix="bench-bundle-") as tmp:
        workdir = Path(tmp)
        build_seconds = None
        if args.static:
            ours = Path(args.static).resolve().parent
            source = f"{args.static} (given)"
        elif build_mode(IN_TREE) == "production":
            ours, source = IN_TREE, "the working tree's production build"
        else:
            ours, build_seconds = production_build(workdir)
            source = "a production build of labextension/ made in a temporary folder"
        result: dict[str, Any] = {
            "figure": "lab extension JavaScript, gzipped",
            "ours": f"{OURS_NAME}: {source}",
            "anchor": f"{ANCHOR_NAME} {anchor_version} ({anchor})",
            "gzip_level": GZIP_LEVEL,
            "all": {"ours": sizes(ours / "static"), "anchor": sizes(anchor / "static")},
        }
        if build_seconds is not None:
            result["build_seconds"] = round(build_seconds, 1)
        if not args.no_browser:
            fetched = page_start_files(ours, workdir / "page")
            if not fetched[OURS_NAME] or not fetched[ANCHOR_NAME]:
                raise SystemExit(f"JupyterLab did not load both extensions: {fetched}")
            result["page_start"] = {
                "ours": sizes(ours / "static", fetched[OURS_NAME]),
                "anchor": sizes(anchor / "static", fetched[ANCHOR_NAME]),
            }
    for figures in (result["all"], result.get("page_start")):
        if figures:
            ratio = figures["ours"]["gzip_bytes"] / figures["anchor"]["gzip_bytes"]
            figures["ratio"] = round(ratio, 2)
    ours_kb = result["all"]["ours"]["gzip_kb"]
    result["target"] = {"limit_kb": TARGET_KB, "value_kb": ours_kb, "met": ours_kb <= TARGET_KB}
    result["seconds"] = round(time.monotonic() - started, 1)
    return result


def print_table(result: dict[str, Any]) -> None:
    print(f"ours:   {result['ours']}")
    print(f"anchor: {result['anchor']}")
    print(f"sizes: each .js file gzipped (level {result['gzip_level']}), summed\n")
    print(f"{'':>22}{'ours KB':>10}{'anchor KB':>11}{'ratio':>8}")
    for key, label in (("all", "all JavaScript"), ("page_start", "fetched at page start")):
        if key in result:
            row = result[key]
            print(
                f"{label:>22}{row['ours']['gzip_kb']:>10.1f}{row['anchor']['gzip_kb']:>11.1f}"
                f"{row['ratio']:>7.2f}x"
            )
    if "page_start" in result:
        for side in ("ours", "anchor"):
            print(f"  {side} fetched: {', '.join(result['page_start'][side]['files'])}")
    target = result["target"]
    print(
        f"\ntarget: at most {target['limit_kb']:.0f} KB gzipped: {target['value_kb']:.1f} KB -> "
        f"{common.verdict(target['met'])}"
    )
    print(f"(took {result['seconds']} s)")


def main() -> None:
    parser = common.argument_parser(__doc__)
    parser.add_argument("--static", help="measure this static/ folder instead of building")
    parser.add_argument(
        "--no-browser", action="store_true", help="skip the page-start figure (no Chromium)"
    )
    args = parser.parse_args()
    common.report(run(args), args.json, print_table)


if __name__ == "__main__":
    main()
