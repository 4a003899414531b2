"""``POST environment/keep``: pin packages installed since launch into the file repo2docker
reads, so that the next build has them.

environment.yml is edited as a YAML document with a round-trip library (ruamel.yaml):
comments, order and layout stay; conda packages go in ``dependencies``, pip ones in its
``pip:`` list. requirements.txt is edited line by line: a line already asking for the
package is replaced in place (its comment kept), others are appended. A Dockerfile is never
edited: the answer says which line to add. Every request is checked before anything is
written; a refusal writes nothing.
"""

from __future__ import annotations

import difflib
import re
from pathlib import Path

from packaging.utils import canonicalize_name

from jupyter_binder_ext.common.files import write_atomic
from jupyter_binder_ext.common.requests import check_request as check_fields
from jupyter_binder_ext.environment.answers import Build, KeepAnswer
from jupyter_binder_ext.environment.edits import Edit, pin
from jupyter_binder_ext.environment.envfiles import (
    read_file,
    requirement_name,
)
from jupyter_binder_ext.environment.installed import Installed
from jupyter_binder_ext.environment.requests import KeepRequest
from jupyter_binder_ext.errors import Conflict, InvalidInput

MAX_NAME_LENGTH = 200


def check_request(
    packages: object, file: object = None, **unknown: object
) -> tuple[list[str], str]:
    """The package names and file choice of a keep request, or :class:`InvalidInput`: its
    fields checked against :class:`KeepRequest`, then what a type cannot say (no empty list,
    no blank or overlong name)."""
    request = check_fields(KeepRequest, {"packages": packages, "file": file, **unknown})
    if not request["packages"]:
        raise InvalidInput("packages must be a non-empty list of package names.")
    names: list[str] = []
    for item in request["packages"]:
        if not item.strip() or len(item) > MAX_NAME_LENGTH:
            raise InvalidInput(f"{item!r} is not a package name.")
        names.append(item.strip())
    return names, request.get("file", "auto")


def choose(names: list[str], installed: list[Installed]) -> list[Installed]:
    """The installed packages asked for; a name not installed since launch, or one that came
    from a local folder, refuses the whole request (nothing is written)."""
    by_key = {package.key: package for package in installed}
    chosen: list[Installed] = []
    for name in names:
        package = by_key.get(canonicalize_name(name))
        if package is None:
            raise InvalidInput(
                f"{name} was not installed since this server started, so there is nothing "
                "to keep (packages already in the image are in its environment files).",
                package=name,
            )
        if package.source in ("local", "editable"):
            raise InvalidInput(
                f"{package.name} was installed from a local folder ({package.url}): that path "
                "does not exist where BinderHub builds the image. Publish it (an index or a "
                "git URL) and install it from there, or commit it and install it in postBuild.",
                package=package.name,
                reason=package.source,
            )
        if package not in chosen:
            chosen.append(package)
    return chosen


def target_file(build: Build, file: str) -> str:
    """The file (relative to the repository) repo2docker reads for packages."""
    if not build["available"]:
        raise Conflict(f"What BinderHub would build is unknown: {build['message']}")
    name = build["name"] or ""
    if name in ("DockerBuildPack", "LegacyBinderDockerBuildPack"):
        raise Conflict(
            "This repository is built from its Dockerfile, which the extension never edits.",
            reason="dockerfile",
        )
    config_dir = build["config_dir"]
    # A file the build uses; else the one it would read, requirements.txt first: creating
    # an environment.yml would switch the build to conda.
    choices = [(wanted, build["files_used"]) for wanted in ("environment.yml", "requirements.txt")]
    choices += [(wanted, build["would_read"]) for wanted in ("requirements.txt", "environment.yml")]
    for wanted, candidates in choices:
        path = str(Path(config_dir, wanted))
        if path in candidates:
            if file not in ("auto", wanted):
                raise Conflict(
                    f"repo2docker reads {path} for this repository, not {file}: keep the "
                    'packages there (file: "auto").',
                    file=path,
                )
            return path
    raise Conflict(
        f"repo2docker builds this repository with its {name}, which reads neither "
        "environment.yml nor requirements.txt: add the packages to its own files.",
        reason="unsupported_build",
    )


def dockerfile_lines(chosen: list[Installed]) -> str:
    pins = " ".join(pin(package) for package in chosen)
    return f"RUN pip install --no-cache-dir {pins}"


def keep(repo: Path, build: Build, chosen: list[Installed], file: str) -> KeepAnswer:
    """Write the pins (blocking: run it in a worker thread)."""
    try:
        relative = target_file(build, file)
    except Conflict as err:
        if err.details.get("reason") == "dockerfile":
            line = dockerfile_lines(chosen)
            raise Conflict(
                f"{err.message} Add this line to it, before its last USER line: {line}",
                reason="dockerfile",
                line=line,
            ) from None
        raise
    old = read_file(repo, relative)
    if relative.endswith("environment.yml"):
        from jupyter_binder_ext.environment.keep_yaml import edit_environment

        new, edit = edit_environment(old, chosen, relative)
    else:
        new, edit = _edit_requirements(old, chosen, relative)
    if new != (old or ""):
        write_atomic(repo / relative, new)
    diff = "".join(
        difflib.unified_diff(
            (old or "").splitlines(keepends=True),
            new.splitlines(keepends=True),
            fromfile=f"a/{relative}",
            tofile=f"b/{relative}",
        )
    )
    return {
        "file": relative,
        "created": old is None,
        "added": edit.added,
        "updated": edit.updated,
        "unchanged": edit.unchanged,
        "diff": diff,
        "message": _message(relative, old is None, edit),
    }


def _message(relative: str, created: bool, edit: Edit) -> str:
    changed = len(edit.added) + len(edit.updated)
    if not changed:
        return f"{relative} already asks for every one of them; nothing was written."
    verb = "Created" if created else "Updated"
    return (
        f"{verb} {relative}: {changed} package(s) pinned. The next build (a relaunch) "
        "installs them; commit and push the file to keep it."
    )


# -- requirements.txt -----------------------------------------------------------------------


def _edit_requirements(old: str | None, chosen: list[Installed], relative: str) -> tuple[str, Edit]:
    lines = (old or "").splitlines(keepends=True)
    edit = Edit()
    for package in chosen:
        wanted = pin(package)
        index = _find_line(lines, package.key)
        if index is None:
            if lines and not lines[-1].endswith("\n"):
                lines[-1] += "\n"
            lines.append(wanted + "\n")
            edit.added.append(wanted)
            continue
        current, comment = _split_comment(lines[index])
        if current.strip() == wanted:
            edit.unchanged.append(wanted)
            continue
        ending = "\n" if lines[index].endswith("\n") else ""
        lines[index] = wanted + comment + ending
        edit.updated.append(wanted)
    return "".join(lines), edit


def _find_line(lines: list[str], key: str) -> int | None:
    for index, line in enumerate(lines):
        if requirement_name(line) == key:
            return index
    return None


def _split_comment(line: str) -> tuple[str, str]:
    """(the request, the whitespace and comment after it, as written)."""
    text = line.rstrip("\n")
    match = re.match(r"^(.*?)(\s+#.*)?$", text)
    assert match is not None  # the pattern matches any line
    return match.group(1), match.group(2) or ""
