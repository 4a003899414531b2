"""What would fail or surprise the next build, file by file.

The seed site's rules for a Dockerfile (it must end as the user, 1000, chown what it uses to
1000, and carry Jupyter), the known traps of environment files written by hand (`conda env
export` output: build strings, a `prefix:`, packages that exist only on macOS or Windows),
local paths in requirements, a postBuild that is not executable, and every file repo2docker
will ignore (from build.py's verdict).
"""

from __future__ import annotations

import re
import stat
from pathlib import Path
from typing import Any

from jupyter_binder_ext.environment.answers import Build, Check, CheckLevel
from jupyter_binder_ext.environment.envfiles import (
    UnreadableFile,
    conda_name,
    load_yaml,
    read_file,
)
from jupyter_binder_ext.errors import BinderError

# conda packages built only for macOS or Windows: an environment exported there lists them,
# and the Linux build then fails to solve.
OS_ONLY_PACKAGES = {
    "appnope": "macOS",
    "libcxx": "macOS",
    "libcxxabi": "macOS",
    "cctools": "macOS",
    "ld64": "macOS",
    "tapi": "macOS",
    "pyobjc-core": "macOS",
    "pyobjc-framework-cocoa": "macOS",
    "pywin32": "Windows",
    "pywin32-ctypes": "Windows",
    "pywinpty": "Windows",
    "winpty": "Windows",
    "vc": "Windows",
    "vs2015-runtime": "Windows",
    "vc14-runtime": "Windows",
    "ucrt": "Windows",
    "wincertstore": "Windows",
    "win-inet-pton": "Windows",
    "menuinst": "Windows",
}
_OS_ONLY_PREFIXES = {"m2w64-": "Windows", "msys2-": "Windows", "clang-osx-": "macOS"}
_USER = re.compile(r"^\s*USER\s+(\S+)", re.IGNORECASE)
_JUPYTER = re.compile(r"jupyter|notebook|jupyterlab|jupyterhub", re.IGNORECASE)
_CHOWN_USER = re.compile(r"chown[^\n]*(1000|\$\{?NB_UID\}?|jovyan|\$\{?NB_USER\}?)", re.IGNORECASE)
_LOCAL_PATH = re.compile(r"^(\.{1,2}/|/|~|file:|\.$)")


def check(level: CheckLevel, file: str, line: int | None, message: str) -> Check:
    return {"level": level, "file": file, "line": line, "message": message}


def run_checks(repo: Path, build: Build) -> list[Check]:
    if not build["available"]:
        return []
    checks: list[Check] = [
        check("warning", ignored["path"], None, f"Ignored by the next build: {ignored['why']}")
        for ignored in build["files_ignored"]
    ]
    for relative in build["files_used"]:
        name = Path(relative).name
        try:
            if name == "Dockerfile":
                checks.extend(dockerfile_checks(_text(repo, relative), relative))
            elif name in ("environment.yml", "environment.yaml"):
                checks.extend(environment_checks(_text(repo, relative), relative))
            elif name.startswith("requirements") and name.endswith(".txt"):
                checks.extend(requirements_checks(_text(repo, relative), relative))
            elif name == "postBuild":
                checks.extend(post_build_checks(repo / relative, relative))
        except (OSError, BinderError) as err:
            message = err.message if isinstance(err, BinderError) else str(err.strerror)
            checks.append(check("error", relative, None, f"{relative} cannot be read: {message}"))
    return checks


def _text(repo: Path, relative: str) -> str:
    return read_file(repo, relative) or ""


def dockerfile_checks(text: str, file: str) -> list[Check]:
    found: list[Check] = []
    last_user: tuple[int, str] | None = None
    for number, line in enumerate(text.splitlines(), start=1):
        match = _USER.match(line)
        if match:
            last_user = (number, match.group(1).split(":")[0])
    if last_user is None:
        found.append(
            check(
                "warning",
                file,
                None,
                "The Dockerfile never sets USER: the image's default user runs the notebook. "
                "BinderHub runs it as user 1000: end with USER ${NB_USER} (or USER 1000).",
            )
        )
    elif last_user[1] in ("root", "0"):
        found.append(
            check(
                "error",
                file,
                last_user[0],
                "The Dockerfile ends as root; BinderHub's notebook must run as the user: "
                "end with USER ${NB_USER} (or USER 1000).",
            )
        )
    if not _CHOWN_USER.search(text):
        found.append(
            check(
                "warning",
                file,
                None,
                "Nothing is chowned to the user: add RUN chown -R 1000:1000 /home/jovyan (and "
                "every folder the notebook writes to), or COPY --chown=1000:1000.",
            )
        )
    if not _JUPYTER.search(text):
        found.append(
            check(
                "error",
                file,
                None,
                "Nothing in the Dockerfile installs Jupyter or starts from a Jupyter image: "
                "BinderHub starts jupyterhub-singleuser, so add RUN pip install --no-cache-dir "
                "notebook jupyterhub (or start FROM quay.io/jupyter/base-notebook).",
            )
        )
    return found


def os_only(name: str) -> str | None:
    if name in OS_ONLY_PACKAGES:
        return OS_ONLY_PACKAGES[name]
    matches = (where for prefix, where in _OS_ONLY_PREFIXES.items() if name.startswith(prefix))
    return next(matches, None)


def environment_checks(text: str, file: str) -> list[Check]:
    try:
        document = load_yaml(text, file)
    except UnreadableFile as err:
        return [check("error", file, err.line, f"{err} repo2docker will fail on it.")]
    if not isinstance(document, dict):
        return [check("error", file, None, f"{file} is not a mapping with dependencies:.")]
    found: list[Check] = []
    if "prefix" in document:
        found.append(
            check(
                "warning",
                file,
                _key_line(document, "prefix"),
                "prefix: names a folder of the machine it was exported on; delete the line.",
            )
        )
    dependencies = document.get("dependencies")
    if not isinstance(dependencies, list):
        return found
    for index, item in enumerate(dependencies):
        if not isinstance(item, str):
            continue
        line = _item_line(dependencies, index)
        found.extend(_dependency_checks(item, file, line))
    return found


def _dependency_checks(item: str, file: str, line: int | None) -> list[Check]:
    found: list[Check] = []
    spec = item.split("::")[-1].strip()
    if len(spec.split("=")) >= 3 and "==" not in spec and not spec.endswith("="):
        found.append(
            check(
                "warning",
                file,
                line,
                f"{item} pins a build string (conda env export's output): builds are "
                "platform-specific and often missing on Linux; keep name=version only.",
            )
        )
    name = conda_name(item)
    platform = os_only(name) if name else None
    if platform:
        found.append(
            check(
                "error",
                file,
                line,
                f"{name} exists only on {platform}: the Linux build cannot install it; "
                "delete this line.",
            )
        )
    return found


def requirements_checks(text: str, file: str) -> list[Check]:
    found: list[Check] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.split(" #", 1)[0].strip()
        editable = line.startswith(("-e ", "--editable ", "--editable="))
        target = line.split(None, 1)[-1].split("=", 1)[-1] if editable else line
        if editable and target.strip() in (".", "./"):
            found.append(
                check(
                    "warning",
                    file,
                    number,
                    "-e . installs the repository itself: repo2docker runs it before the "
                    "repository is copied into the image unless setup.py or pyproject.toml is "
                    "at its root; prefer a package name from an index.",
                )
            )
        elif _LOCAL_PATH.match(target.strip()) and target.strip():
            found.append(
                check(
                    "error",
                    file,
                    number,
                    f"{target.strip()} is a local path: it does not exist where BinderHub "
                    "builds the image; use the package's name on an index or a URL.",
                )
            )
    return found


def post_build_checks(path: Path, file: str) -> list[Check]:
    try:
        mode = path.stat().st_mode
    except OSError:
        return []
    if mode & stat.S_IXUSR:
        return []
    return [
        check(
            "warning",
            file,
            None,
            f"{file} is not executable: older repo2docker versions fail on it. Run "
            f"chmod +x {file} and commit the change.",
        )
    ]


def _key_line(document: Any, key: str) -> int | None:
    try:
        return int(document.lc.key(key)[0]) + 1
    except (AttributeError, KeyError, TypeError):
        return None


def _item_line(seq: Any, index: int) -> int | None:
    try:
        return int(seq.lc.item(index)[0]) + 1
    except (AttributeError, KeyError, IndexError, TypeError):
        return None
