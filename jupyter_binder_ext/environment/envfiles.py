"""Reading the environment files repo2docker uses: which packages each one asks for.

Only what the answers need (a package's name, its line and the text asking for it); which
file is read at all is repo2docker's decision (build.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from jupyter_binder_ext.common.files import read_text
from jupyter_binder_ext.errors import BinderError

# Environment files are small; a larger one is refused rather than read whole.
MAX_FILE_BYTES = 1024 * 1024
# A conda match spec's name: optional channel (`conda-forge::`), then the package name.
_CONDA_NAME = re.compile(r"^\s*(?:[\w.\-/]+::)?([A-Za-z0-9_][A-Za-z0-9_.\-]*)")


@dataclass(frozen=True)
class Request:
    """One package an environment file asks for."""

    name: str  # canonical (PEP 503) name
    file: str  # relative to the repository
    line: int  # 1-based
    spec: str  # the text as written
    kind: str  # "pip" or "conda"


class UnreadableFile(ValueError):
    """The file cannot be parsed; the message says where."""

    def __init__(self, file: str, line: int | None, message: str) -> None:
        super().__init__(message)
        self.file = file
        self.line = line


def read_file(repo: Path, relative: str) -> str | None:
    return read_text(repo / relative, limit=MAX_FILE_BYTES, links="within")


def requirement_name(line: str) -> str | None:
    """The canonical name a requirements.txt line asks for, or None (options, paths, URLs
    without a name, comments)."""
    text = line.split(" #", 1)[0].strip()
    if not text or text.startswith(("#", "-")):
        return None
    try:
        return canonicalize_name(Requirement(text).name)
    except InvalidRequirement:
        return None


def conda_name(spec: str) -> str | None:
    match = _CONDA_NAME.match(spec)
    return canonicalize_name(match.group(1)) if match else None


def requirements_requests(text: str, file: str) -> list[Request]:
    found: list[Request] = []
    for number, line in enumerate(text.splitlines(), start=1):
        name = requirement_name(line)
        if name:
            found.append(Request(name, file, number, line.split(" #", 1)[0].strip(), "pip"))
    return found


def load_yaml(text: str, file: str) -> Any:
    """The round-trip document (comments and layout kept), or :class:`UnreadableFile`."""
    from ruamel.yaml import YAML
    from ruamel.yaml.error import MarkedYAMLError, YAMLError

    try:
        return YAML(typ="rt").load(text)
    except MarkedYAMLError as err:
        mark = err.problem_mark
        line = mark.line + 1 if mark is not None else None
        raise UnreadableFile(file, line, f"{file} is not valid YAML: {err.problem}") from None
    except YAMLError as err:
        raise UnreadableFile(file, None, f"{file} is not valid YAML: {err}") from None


def _line_of(seq: Any, index: int) -> int:
    try:
        return int(seq.lc.item(index)[0]) + 1
    except (AttributeError, KeyError, IndexError, TypeError):
        return 0


def environment_requests(document: Any, file: str) -> list[Request]:
    """The conda dependencies and the pip: list of an environment.yml document."""
    found: list[Request] = []
    dependencies = document.get("dependencies") if isinstance(document, dict) else None
    if not isinstance(dependencies, list):
        return found
    for index, item in enumerate(dependencies):
        if isinstance(item, str):
            name = conda_name(item)
            if name:
                found.append(Request(name, file, _line_of(dependencies, index), item, "conda"))
        elif isinstance(item, dict) and isinstance(item.get("pip"), list):
            pip_list = item["pip"]
            for pip_index, pip_item in enumerate(pip_list):
                name = requirement_name(str(pip_item))
                if name:
                    line = _line_of(pip_list, pip_index)
                    found.append(Request(name, file, line, str(pip_item), "pip"))
    return found


def requests_in(repo: Path, files_used: list[str]) -> dict[str, Request]:
    """name -> the first request for it in the environment files the build uses."""
    found: dict[str, Request] = {}
    for relative in files_used:
        name = Path(relative).name
        if name not in ("requirements.txt", "environment.yml"):
            continue
        try:
            text = read_file(repo, relative)
        except (OSError, ValueError, BinderError):  # the checks report unreadable files
            continue
        if text is None:
            continue
        if name == "requirements.txt":
            requests = requirements_requests(text, relative)
        else:
            try:
                requests = environment_requests(load_yaml(text, relative), relative)
            except UnreadableFile:
                continue
        for request in requests:
            found.setdefault(request.name, request)
    return found
