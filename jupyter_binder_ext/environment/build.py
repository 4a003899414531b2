"""What repo2docker (BinderHub's builder) will do with the repository as it is now.

Every decision is repo2docker's own: its ``Repo2Docker.buildpacks`` list, in its order, each
build pack's ``detect()``, then the picked build pack's own methods. Its build packs read
paths relative to the working directory, so they run in a child Python started in the
repository (a ``chdir`` in the server would move every thread's working directory), which
also keeps repo2docker and what it imports (docker, requests, jinja2) out of the server.

Which files the picked build pack uses is observed, not re-derived: the child records each
path the build pack checks for or opens while it works out the image (``os.path.exists``,
``open``), with the network off so that nothing waits on an online version lookup (R,
Julia). A known environment file the build pack never touched is ignored.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from jupyter_binder_ext.environment.answers import Build, IgnoredFile

# The files repo2docker's documentation lists as configuration files. Only used to say which
# of them the picked build pack did not read; whether a file is read is repo2docker's call.
CONFIG_FILES = (
    "Dockerfile",
    "environment.yml",
    "requirements.txt",
    "Pipfile",
    "Pipfile.lock",
    "setup.py",
    "pyproject.toml",
    "Project.toml",
    "JuliaProject.toml",
    "REQUIRE",
    "install.R",
    "DESCRIPTION",
    "apt.txt",
    "default.nix",
    "runtime.txt",
    "postBuild",
    "start",
)
CONFIG_DIRS = ("binder", ".binder")
DETECT_TIMEOUT = 60.0
# Rendering the Dockerfile of an R or Julia build looks versions up online.
DOCKERFILE_TIMEOUT = 120.0
# The build arguments BinderHub passes (the user every Binder image runs as).
BUILD_ARGS = {"NB_USER": "jovyan", "NB_UID": "1000"}

# The child: drop sys.path[0] (the repository, for -c) before importing anything, so that a
# repository's own json.py or repo2docker/ folder cannot stand in for the real ones.
_CHILD = (
    "import sys; sys.path.pop(0); "
    "from jupyter_binder_ext.environment.build import child_main; child_main()"
)


def fingerprint(repo: Path) -> tuple[Any, ...]:
    """What detection depends on: the names, sizes, times and modes of the files at the
    root and in binder/ or .binder/ (a change there means detecting again)."""
    parts: list[Any] = []
    for folder in (repo, *(repo / name for name in CONFIG_DIRS)):
        try:
            with os.scandir(folder) as entries:
                for entry in entries:
                    st = entry.stat(follow_symlinks=False)
                    parts.append((folder.name, entry.name, st.st_mtime_ns, st.st_size, st.st_mode))
        except (FileNotFoundError, NotADirectoryError, PermissionError):
            continue
    return tuple(sorted(parts))


def detect_build(repo: Path, dockerfile: bool = False) -> Build:
    """repo2docker's verdict on `repo` (blocking: run it in a worker thread)."""
    command = [sys.executable, "-c", _CHILD]
    if dockerfile:
        command.append("--dockerfile")
    try:
        done = subprocess.run(
            command,
            cwd=repo,
            capture_output=True,
            text=True,
            timeout=DOCKERFILE_TIMEOUT if dockerfile else DETECT_TIMEOUT,
            env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
        )
    except subprocess.TimeoutExpired:
        return unavailable(f"repo2docker did not decide within {DETECT_TIMEOUT:g} seconds.")
    except OSError as err:
        return unavailable(f"The repository folder {repo} cannot be read: {err.strerror}.")
    try:
        answer: Build = json.loads(done.stdout)
    except ValueError:
        tail = done.stderr.strip().splitlines()[-1:] or ["no output"]
        return unavailable(f"repo2docker's detection failed: {tail[0]}")
    return answer


def unavailable(message: str, version: str | None = None) -> Build:
    return {
        "available": False,
        "repo2docker_version": version,
        "name": None,
        "config_dir": "",
        "files_used": [],
        "files_ignored": [],
        "would_read": [],
        "python": None,
        "dockerfile": None,
        "message": message,
    }


# -- the child (runs in the repository, never in the server) ---------------------------------


def child_main() -> None:
    answer = _detect_here(dockerfile="--dockerfile" in sys.argv[1:])
    sys.stdout.write(json.dumps(answer))


def _detect_here(dockerfile: bool) -> Build:
    try:
        import repo2docker
        from repo2docker.app import Repo2Docker
    except ImportError as err:
        return unavailable(
            f"The jupyter-repo2docker package cannot be imported here ({err}), so what "
            "BinderHub would build is unknown. Install it: pip install jupyter-repo2docker."
        )
    version = str(getattr(repo2docker, "__version__", "")) or None
    app = Repo2Docker()
    try:
        with _offline():
            picked = _pick(app)
    except Exception as err:  # repo2docker itself refuses the repository: say why
        return unavailable(f"repo2docker refuses this repository: {err}", version)
    cls = type(picked)
    touched = _observe(_prepared(cls, app))
    config_dir = _config_dir(picked)
    used = sorted(path for path, exists in touched.items() if exists)
    build: Build = {
        "available": True,
        "repo2docker_version": version,
        "name": cls.__name__,
        "config_dir": config_dir,
        "files_used": used,
        "files_ignored": _ignored(cls.__name__, config_dir, used),
        "would_read": sorted(p for p, exists in touched.items() if not exists),
        "python": _python(picked),
        "dockerfile": None,
        "message": "",
    }
    if dockerfile:
        build["dockerfile"], build["message"] = _render(_prepared(cls, app))
    return build


def _pick(app: Any) -> Any:
    """The first build pack whose detect() is true, in repo2docker's order (app.py)."""
    for pack_class in app.buildpacks:
        pack = pack_class(base_image=app.base_image)
        if pack.detect():
            return pack
    return app.default_buildpack(base_image=app.base_image)


def _prepared(cls: Any, app: Any) -> Any:
    """A fresh build pack set up as repo2docker's build() sets up the one it picked."""
    pack = cls(base_image=app.base_image)
    pack.platform = app.platform
    pack.appendix = app.appendix
    return pack


def _config_dir(pack: Any) -> str:
    return str(pack.binder_dir)


def _python(pack: Any) -> str | None:
    try:
        with _offline():
            version = getattr(pack, "python_version", None)
    except Exception:
        return None
    return str(version) if version else None


# What render() calls; each is run on its own, so one failing (an online lookup) still
# leaves the files the others read observed.
_GETTERS = (
    "detect",
    "get_packages",
    "get_base_packages",
    "get_path",
    "get_build_env",
    "get_env",
    "get_labels",
    "get_build_scripts",
    "get_build_script_files",
    "get_preassemble_script_files",
    "get_preassemble_scripts",
    "get_assemble_scripts",
    "get_post_build_scripts",
    "get_start_script",
    "render",
)


def _observe(pack: Any) -> dict[str, bool]:
    """Relative path -> whether it existed, for every file the build pack checked or opened."""
    touched: dict[str, bool] = {}
    with _offline(), _recording(touched):
        for name in _GETTERS:
            try:
                getattr(pack, name)()
            except Exception:
                continue
    return touched


def _render(pack: Any) -> tuple[str | None, str]:
    try:
        return str(pack.render(dict(BUILD_ARGS))), ""
    except Exception as err:
        return None, f"repo2docker could not render the Dockerfile here: {err}"


class _Offline(OSError):
    pass


class _offline:
    """No network while detecting: an online lookup fails at once instead of waiting."""

    def __enter__(self) -> None:
        try:
            import requests.sessions
        except ImportError:
            self._session = None
            return
        self._session = requests.sessions.Session
        self._request = self._session.request

        def refuse(*args: Any, **kwargs: Any) -> Any:
            raise _Offline("no network while detecting")

        self._session.request = refuse  # type: ignore[method-assign]

    def __exit__(self, *exc: object) -> None:
        if self._session is not None:
            self._session.request = self._request  # type: ignore[method-assign]


class _recording:
    """Record the relative paths passed to os.path.exists and open (repo2docker's own
    checks), with whether each was a file."""

    def __init__(self, touched: dict[str, bool]) -> None:
        self.touched = touched

    def __enter__(self) -> None:
        import builtins

        self._exists = os.path.exists
        self._open = builtins.open
        exists, real_open, touched = self._exists, self._open, self.touched

        def note(path: Any) -> None:
            if isinstance(path, (str, os.PathLike)):
                text = os.fspath(path)
                if isinstance(text, str) and not Path(text).is_absolute():
                    normal = os.path.normpath(text)
                    touched[normal] = touched.get(normal, False) or Path(normal).is_file()

        def recording_exists(path: Any) -> bool:
            note(path)
            return exists(path)

        def recording_open(file: Any, *args: Any, **kwargs: Any) -> Any:
            note(file)
            return real_open(file, *args, **kwargs)

        os.path.exists = recording_exists
        builtins.open = recording_open

    def __exit__(self, *exc: object) -> None:
        import builtins

        os.path.exists = self._exists
        builtins.open = self._open


# -- why a file is not used ---------------------------------------------------------------


def _present(config_dir: str) -> Iterator[str]:
    """The known configuration files present at the root and in the config folder."""
    folders = [""] + ([config_dir] if config_dir else [])
    for folder in folders:
        for name in CONFIG_FILES:
            path = str(Path(folder, name))
            if Path(path).is_file():
                yield path


def _ignored(pack_name: str, config_dir: str, used: list[str]) -> list[IgnoredFile]:
    ignored: list[IgnoredFile] = []
    for path in _present(config_dir):
        if path in used:
            continue
        ignored.append({"path": path, "why": _why(path, pack_name, config_dir, used)})
    return ignored


def _why(path: str, pack_name: str, config_dir: str, used: list[str]) -> str:
    folder, name = os.path.split(path)
    if config_dir and folder != config_dir:
        return (
            f"A {config_dir}/ folder exists, so repo2docker reads only the files in it; "
            f"move {name} into {config_dir}/ or it is not part of the build."
        )
    if pack_name in ("DockerBuildPack", "LegacyBinderDockerBuildPack"):
        return (
            "A Dockerfile makes repo2docker ignore every other file: install what this file "
            "asks for in the Dockerfile itself."
        )
    environment = str(Path(config_dir, "environment.yml"))
    if name == "requirements.txt" and environment in used:
        return (
            "environment.yml is used, and repo2docker then ignores requirements.txt: put these "
            "packages in the pip: list of environment.yml's dependencies."
        )
    label = pack_name.removesuffix("BuildPack") or pack_name
    return (
        f"repo2docker builds this repository with its {label} build pack, which does not "
        f"read {name}."
    )
