"""``GET environment`` with 500 installed distributions, next to ``pip list`` on the same
environment, and many tabs asking at once (one shared scan).

A site folder holds ``--dists`` distributions in pip's own on-disk format (a ``.dist-info``
folder with METADATA, INSTALLER and RECORD, as ``pip install`` leaves it), ``--recent`` of
them installed "since launch"; the server's own site folders are scanned as well. Figures:

- scan: the median time of the whole environment scan through the core (repo2docker's
  verdict, kept while the repository's files are unchanged; the packages installed since
  launch with their sources and the environment files' requests; the checks) over
  ``--rounds`` rounds, against ``pip list --path`` on the same folders (what a user would run
  to see what is installed); target: faster than ``pip list``;
- first scan: the same with repo2docker's detection (a child Python) included;
- load: ``--readers`` concurrent reads through the service (the shared, cached scan); target:
  one scan for all of them.

Run: ``.venv/bin/python bench/bench_environment.py`` (``--json`` for machine-readable output).
"""

from __future__ import annotations

import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import common

from jupyter_binder_ext.config import SiteConfig
from jupyter_binder_ext.environment.installed import site_folders
from jupyter_binder_ext.environment.service import EnvironmentService


def make_site(folder: Path, dists: int, recent: int, since: float) -> None:
    """`dists` distributions as pip installs them; all but `recent` older than `since`."""
    folder.mkdir(parents=True)
    for index in range(dists):
        name = f"benchpkg{index:04d}"
        info = folder / f"{name}-1.{index}.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.{index}\n")
        (info / "INSTALLER").write_text("pip\n")
        (info / "RECORD").write_text(f"{name}/__init__.py,,\n")
        (folder / name).mkdir()
        (folder / name / "__init__.py").write_text("")
        if index >= recent:
            old = since - 3600
            os.utime(info, (old, old))


def median_seconds(job: Any, rounds: int) -> float:
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        job()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def pip_list(folders: list[Path]) -> None:
    paths = [arg for folder in folders for arg in ("--path", str(folder))]
    subprocess.run(
        [sys.executable, "-m", "pip", "list", "--disable-pip-version-check", *paths],
        check=True,
        capture_output=True,
    )


async def concurrent_reads(service: EnvironmentService, readers: int) -> tuple[int, float]:
    service.invalidate()
    before = service.scans_run
    start = time.perf_counter()
    await asyncio.gather(*(service.read() for _ in range(readers)))
    return service.scans_run - before, time.perf_counter() - start


def run(dists: int, recent: int, rounds: int, readers: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="bench-environment-") as tmp:
        base = Path(tmp)
        repo = base / "repo"
        repo.mkdir()
        (repo / "requirements.txt").write_text("numpy\nbenchpkg0001\n")
        since = time.time() - 60
        site = base / "site-packages"
        make_site(site, dists, recent, since)
        settings = SiteConfig(repo_dir=str(repo), environment_paths=str(site))
        service = EnvironmentService(settings, {"HOME": tmp}, since=since)
        start = time.perf_counter()
        first = service.scan_now()
        first_scan = time.perf_counter() - start
        assert len(first["installed"]) == recent, first["installed"]
        scan = median_seconds(service.scan_now, rounds)
        folders = site_folders(Path(tmp), [str(site)])
        anchor = median_seconds(lambda: pip_list(folders), rounds)
        scans, wall = asyncio.run(concurrent_reads(service, readers))
        service.close()
    return {
        "dists": dists,
        "recent": recent,
        "folders": len(folders),
        "rounds": rounds,
        "scan_ms": scan * 1000,
        "first_scan_ms": first_scan * 1000,
        "pip_list_ms": anchor * 1000,
        "ratio": scan / anchor,
        "target_met": scan < anchor,
        "readers": readers,
        "scans_for_readers": scans,
        "readers_wall_ms": wall * 1000,
        "load_target_met": scans == 1,
    }


def print_table(result: dict[str, Any]) -> None:
    print(
        f"{result['dists']} distributions ({result['recent']} since launch) in a site folder, "
        f"{result['folders']} site folders scanned, median of {result['rounds']} rounds"
    )
    print(f"  environment scan          {result['scan_ms']:9.1f} ms")
    print(f"  first scan (repo2docker)  {result['first_scan_ms']:9.1f} ms")
    print(f"  pip list (anchor)         {result['pip_list_ms']:9.1f} ms")
    print(
        f"  ratio {result['ratio']:.3f} of pip list: target (faster) "
        f"{common.verdict(result['target_met'])}"
    )
    print(
        f"  {result['readers']} concurrent readers: {result['scans_for_readers']} scan(s) in "
        f"{result['readers_wall_ms']:.1f} ms: target (one) "
        f"{common.verdict(result['load_target_met'])}"
    )


def main() -> None:
    parser = common.argument_parser(__doc__ or "")
    parser.add_argument("--dists", type=int, default=500)
    parser.add_argument("--recent", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--readers", type=int, default=50)
    args = parser.parse_args()
    result = run(args.dists, args.recent, args.rounds, args.readers)
    common.report(result, args.json, print_table)


if __name__ == "__main__":
    main()
