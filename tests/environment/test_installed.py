"""What was installed since the server started: real `pip install`s of a wheel the test
writes, into folders the scanner is pointed at; conda's history in its own format."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

from conftest import make_wheel, pip_install

from jupyter_binder_ext.environment.installed import (
    conda_prefixes,
    scan_conda,
    scan_pip,
    site_folders,
)
from jupyter_binder_ext.environment.since import SINCE_ENV, process_start, since


def test_a_pip_install_from_an_index_is_found(tmp_path: Path, wheels: Path) -> None:
    since = time.time() - 1
    target = tmp_path / "site-packages"
    pip_install(target, "tinypkg", find_links=wheels)
    (found,) = scan_pip([target], since)
    assert (found.name, found.version, found.manager, found.source) == (
        "tinypkg",
        "1.0",
        "pip",
        "index",
    )
    assert found.location == str(target)


def test_what_the_image_already_had_is_not_listed(tmp_path: Path, wheels: Path) -> None:
    target = tmp_path / "site-packages"
    pip_install(target, "tinypkg", find_links=wheels)
    built = time.time() - 3600
    os.utime(target / "tinypkg-1.0.dist-info", (built, built))
    assert scan_pip([target], time.time() - 60) == []


def test_a_wheel_file_is_a_local_source(tmp_path: Path, wheels: Path) -> None:
    target = tmp_path / "site-packages"
    wheel = make_wheel(tmp_path / "elsewhere", "localpkg", "0.3")
    pip_install(target, str(wheel))
    (found,) = scan_pip([target], time.time() - 60)
    assert (found.name, found.source, found.url) == ("localpkg", "local", str(wheel))


def test_the_user_site_in_the_home_folder_is_scanned(tmp_path: Path) -> None:
    home = tmp_path / "home"
    version = f"python{sys.version_info[0]}.{sys.version_info[1]}"
    user_site = home / ".local" / "lib" / version / "site-packages"
    user_site.mkdir(parents=True)
    assert user_site in site_folders(home)
    assert site_folders(home, [str(tmp_path / "missing")]) == site_folders(home)


HISTORY = """\
==> 2020-01-01 10:00:00 <==
# cmd: conda create -n x python
+conda-forge/linux-64::python-3.11.7-hab00c5b_1_cpython
==> {late} <==
# cmd: conda install numpy
+conda-forge/linux-64::numpy-1.26.4-py311h64a7726_0
-conda-forge/linux-64::libzlib-1.2.13-hd590333_5
==> {later} <==
# cmd: conda install -c conda-forge tqdm
+conda-forge::tqdm-4.66.1-pyhd8ed1ab_0
"""


def test_conda_history_since_launch(tmp_path: Path) -> None:
    prefix = tmp_path / "env"
    (prefix / "conda-meta").mkdir(parents=True)
    since = time.time() - 600
    late = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(since + 60))
    later = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(since + 120))
    (prefix / "conda-meta" / "history").write_text(HISTORY.format(late=late, later=later))
    added, removed = scan_conda(prefix, since)
    assert [(p.name, p.version, p.manager) for p in added] == [
        ("numpy", "1.26.4", "conda"),
        ("tqdm", "4.66.1", "conda"),
    ]
    assert [(p.name, p.version) for p in removed] == [("libzlib", "1.2.13")]
    site = prefix / "lib" / "python3.11" / "site-packages"
    site.mkdir(parents=True)
    assert prefix in conda_prefixes([site])


def test_this_process_start_time_comes_from_procfs() -> None:
    started = process_start("self")
    assert started is not None and started <= time.time()
    assert process_start("self", "/nonexistent") is None


def test_the_baseline_is_the_server_s_published_start() -> None:
    assert since({SINCE_ENV: "1700000000.5"}) == 1700000000.5
    container = process_start(1)
    assert container is not None and since({}) == container
