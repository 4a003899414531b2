"""``GET work`` on a big repository: one scan's cost next to plain ``git status``, and many
tabs asking at once (one shared scan) next to one scan per request.

A real clone of a bare repository with ``--tracked`` committed files (``--modified`` of them
edited), ``--untracked`` new files in nested folders and one unpushed commit; its home holds
``--outside`` files beside the repository and a persistent volume holding copies of half
the changes. Figures:

- scan: the median time of the whole work scan (git status, sizes, the unpushed count, the
  walk outside the repository and the comparison with the volume's copies) over
  ``--rounds`` rounds, against the floor, ``git status --porcelain --untracked-files=all``
  alone on the same tree; target: at most 3x the floor;
- load: ``--readers`` concurrent ``GET work`` reads through the core (the service's shared,
  cached scan) against the same readers each running its own scan in the default thread
  pool (what a handler without the coalescing cache would do); scans made and wall time.

Run: ``.venv/bin/python bench/bench_work.py`` (``--json`` for machine-readable output).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import common

from jupyter_binder_ext.config import SiteConfig
from jupyter_binder_ext.state import ExtensionState
from jupyter_binder_ext.work.scan import scan_work

IDENTITY = ["-c", "user.name=bench", "-c", "user.email=bench@example.org"]
ENV = {
    "JUPYTERHUB_USER": "bench",
    "JUPYTERHUB_SERVER_NAME": "o-r-ab12cd34",
    "BINDER_REPO_URL": "https://github.com/o/r",
    "BINDER_REQUEST": "v2/gh/o/r/main",
}


def git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(repo), *IDENTITY, *args], check=True, capture_output=True)


def write_files(folder: Path, count: int, prefix: str, per_folder: int = 200) -> list[Path]:
    paths = []
    for index in range(count):
        path = folder / f"d{index // per_folder:03d}" / f"{prefix}{index}.txt"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"{prefix} {index}\n")
        paths.append(path)
    return paths


def make_workspace(root: Path, args: Any) -> tuple[Path, Path, SiteConfig]:
    bare = root / "origin.git"
    subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(bare)], check=True)
    home = root / "home"
    repo = home / "proj"
    repo.mkdir(parents=True)
    git(repo, "init", "-q", "-b", "main")
    tracked = write_files(repo / "src", args.tracked, "t")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "many files")
    git(repo, "remote", "add", "origin", bare.as_uri())
    git(repo, "push", "-q", "-u", "origin", "main")
    (repo / "unpushed.txt").write_text("one commit not on the remote\n")
    git(repo, "add", "unpushed.txt")
    git(repo, "commit", "-q", "-m", "unpushed")
    for path in tracked[: args.modified]:
        path.write_text("edited\n")
    untracked = write_files(repo / "new", args.untracked, "u")
    write_files(home / "data", args.outside, "o")
    volume = root / "volumes" / "bench-nfs-pvc"
    volume.mkdir(parents=True)
    site = SiteConfig(
        repo_dir=str(repo), persistent_volume_template=str(root / "volumes" / "{username}-nfs-pvc")
    )
    state = ExtensionState(site, env={**ENV, "HOME": str(home)})
    # Half the new files already have their copy on the volume (the instance folder made
    # by a save, then emptied of the other half).
    asyncio.run(state.save_work("persistent"))
    instance = next(p for p in volume.iterdir() if p.is_dir())
    for path in untracked[::2]:
        (instance / "proj" / path.relative_to(repo)).unlink()
    return repo, home, site


def median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


def time_scans(repo: Path, home: Path, site: SiteConfig, rounds: int) -> dict[str, Any]:
    state = ExtensionState(site, env={**ENV, "HOME": str(home)})
    launch = state.launch()
    ours, floor = [], []
    for _ in range(rounds):
        started = time.perf_counter()
        scan = scan_work(site, launch, home)
        ours.append(time.perf_counter() - started)
        started = time.perf_counter()
        subprocess.run(
            ["git", "-C", str(repo), "status", "--porcelain", "--untracked-files=all"],
            check=True,
            capture_output=True,
        )
        floor.append(time.perf_counter() - started)
    return {
        "ours_median_ms": median_ms(ours),
        "floor_median_ms": median_ms(floor),
        "ratio": statistics.median(ours) / statistics.median(floor),
        "changed_listed": len(scan["changed"]),
        "changed_total": scan["changed_total"],
        "outside_listed": len(scan["outside"]["files"]),
        "saved_on_volume": scan["volume"]["saved"],
    }


async def _load(home: Path, site: SiteConfig, readers: int) -> dict[str, Any]:
    state = ExtensionState(site, env={**ENV, "HOME": str(home)})
    launch = state.launch()
    loop = asyncio.get_running_loop()

    started = time.perf_counter()
    await asyncio.gather(*(state.work_service.scan() for _ in range(readers)))
    ours_s = time.perf_counter() - started
    ours_scans = state.work_service.scans_run

    started = time.perf_counter()
    await asyncio.gather(
        *(loop.run_in_executor(None, scan_work, site, launch, home) for _ in range(readers))
    )
    anchor_s = time.perf_counter() - started
    return {
        "readers": readers,
        "ours": {"wall_ms": ours_s * 1000, "scans": ours_scans},
        "anchor": {"wall_ms": anchor_s * 1000, "scans": readers},
        "ratio_wall": anchor_s / ours_s,
    }


def run(args: Any) -> dict[str, Any]:
    root = Path(tempfile.mkdtemp(prefix="bench-work-"))
    try:
        repo, home, site = make_workspace(root, args)
        scan = time_scans(repo, home, site, args.rounds)
        load = asyncio.run(_load(home, site, args.readers))
    finally:
        shutil.rmtree(root, ignore_errors=True)
    return {
        "tracked": args.tracked,
        "modified": args.modified,
        "untracked": args.untracked,
        "outside": args.outside,
        "rounds": args.rounds,
        "cpus": os.cpu_count(),
        "scan": scan,
        "load": load,
        "target": {"ratio_limit": 3.0, "met": scan["ratio"] <= 3.0},
    }


def print_table(r: dict[str, Any]) -> None:
    scan, load = r["scan"], r["load"]
    print(
        f"work scan, {r['tracked']} tracked files ({r['modified']} modified), "
        f"{r['untracked']} untracked, {r['outside']} outside, {r['rounds']} rounds"
    )
    print(
        f"  scan (median): {scan['ours_median_ms']:.1f} ms; git status alone: "
        f"{scan['floor_median_ms']:.1f} ms; {scan['ratio']:.2f}x the floor "
        f"(target <= 3x: {common.verdict(r['target']['met'])})"
    )
    print(
        f"  listed: {scan['changed_listed']} of {scan['changed_total']} changed, "
        f"{scan['outside_listed']} outside, {scan['saved_on_volume']} already on the volume"
    )
    print(
        f"  {load['readers']} concurrent readers: ours {load['ours']['wall_ms']:.0f} ms, "
        f"{load['ours']['scans']} scan; one scan each: {load['anchor']['wall_ms']:.0f} ms, "
        f"{load['anchor']['scans']} scans ({load['ratio_wall']:.1f}x longer)"
    )


def main() -> None:
    parser = common.argument_parser(__doc__)
    parser.add_argument("--tracked", type=int, default=20_000)
    parser.add_argument("--modified", type=int, default=200)
    parser.add_argument("--untracked", type=int, default=800)
    parser.add_argument("--outside", type=int, default=150)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--readers", type=int, default=20)
    args = parser.parse_args()
    common.report(run(args), args.json, print_table)


if __name__ == "__main__":
    main()
