"""What a save acts on: the request's paths checked, then every file they name.

Everything the request names is checked before anything is written, so bad input changes
nothing; folders are walked file by file, links never followed.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from jupyter_binder_ext.common.paths import is_inside
from jupyter_binder_ext.common.text import check_text
from jupyter_binder_ext.errors import InvalidInput
from jupyter_binder_ext.work.answers import SkippedFile
from jupyter_binder_ext.work.scan import SAVE_VISIT_LIMIT, Layout, files_to_save

MAX_PATHS = 5000
MAX_PATH_LENGTH = 4096
MAX_MESSAGE_LENGTH = 10_000
# One save copies at most this many files; the rest are counted (``not_tried``) and the next
# save goes on (what was copied is then "already there").
MAX_SAVE_FILES = 20_000
# git's own folder: never copied (its config may hold a token in a remote URL).
GIT_FOLDER = ".git"



@dataclass(frozen=True)
class Item:
    path: str  # as the request or the answer of GET work names it
    source: Path
    target: str  # relative to the instance folder
    in_repo: bool


@dataclass
class Selection:
    """What a save to the volume acts on, and what it could not look at."""

    items: list[Item]
    skipped: list[SkippedFile]  # links and special files met inside chosen folders
    incomplete: str = ""  # why the listing stopped early ("" when it did not)


def check_paths(paths: Any) -> list[str] | None:
    """The `paths` of a request: None, or relative POSIX paths with no ``..``.

    Checked before anything is done: text git and the file system accept (no NUL, no lone
    surrogate), and an error never quotes a path that could not be encoded.
    """
    if paths is None:
        return None
    if not isinstance(paths, list) or not all(isinstance(p, str) for p in paths):
        raise InvalidInput('paths must be a list of file paths, such as ["results/a.csv"].')
    if len(paths) > MAX_PATHS:
        raise InvalidInput(f"At most {MAX_PATHS} paths at a time.")
    clean: list[str] = []
    for index, raw in enumerate(paths):
        check_text(f"paths[{index}]", raw, max_length=MAX_PATH_LENGTH)
        pure = PurePosixPath(raw)
        if not raw or pure.is_absolute() or ".." in pure.parts or pure.as_posix() == ".":
            raise InvalidInput(
                f"{raw!r} is not a relative path inside the project (no leading /, no ..).",
                path=raw,
            )
        clean.append(pure.as_posix())
    return clean


def check_message(message: Any) -> str | None:
    """The commit message of a request: None or text git accepts, within the cap."""
    if message is None:
        return None
    if not isinstance(message, str):
        raise InvalidInput("message must be a string (the commit message).")
    return check_text("message", message, max_length=MAX_MESSAGE_LENGTH)


def _target(layout: Layout, source: Path, base: Path) -> str:
    """Where `source` goes in the instance folder: its path in the home folder (the
    repository under its folder name), or in `base` when it lies in neither."""
    # The folders' real paths (the file itself may be a link, reported later, not followed).
    real = str(Path(os.path.realpath(source.parent)) / source.name)
    repo = os.path.realpath(layout.repo) if layout.repo is not None else None
    if repo is not None and is_inside(real, repo):
        relative = os.path.relpath(real, repo)
        return f"{layout.repo_prefix}/{relative}" if layout.repo_prefix else relative
    home = os.path.realpath(layout.outside_root)
    if not layout.outside_note and is_inside(real, home):
        return os.path.relpath(real, home)
    return os.path.relpath(real, os.path.realpath(base))


def everything(layout: Layout) -> Selection:
    changes, outside = files_to_save(layout)
    items = [
        Item(path, layout.repo / path, _target(layout, layout.repo / path, layout.repo), True)
        for path, status in changes
        # Links and other non-files go through too, to be reported as skipped.
        if layout.repo is not None and status != "deleted"
    ]
    items += [Item(p, layout.outside_root / p, p, False) for p, _size in outside.files]
    return Selection(items, [], outside.note if outside.truncated else "")


def _bases(layout: Layout, server_root: Path) -> list[Path]:
    """The folders a requested path may be relative to, in order: the repository, the
    server's folder (where the file browser's paths start), the home folder."""
    bases: list[Path] = []
    for folder in (layout.repo, server_root, None if layout.outside_note else layout.outside_root):
        if folder is not None and folder not in bases:
            bases.append(folder)
    return bases


def chosen(layout: Layout, server_root: Path, paths: list[str]) -> Selection:
    selection = Selection([], [])
    volume = os.path.realpath(layout.volume) if layout.volume else None
    unknown: list[str] = []
    refused: list[str] = []
    private: list[str] = []  # keys, tokens, Jupyter's own state (work/private.py)
    for path in paths:
        base = next((b for b in _bases(layout, server_root) if os.path.lexists(b / path)), None)
        if base is None:
            unknown.append(path)
            continue
        source = base / path
        real = os.path.realpath(source)
        # Never through a link out of the folder, nor from the volume onto itself, nor git's
        # own folder (its config may hold a token).
        if (
            not is_inside(real, os.path.realpath(base))
            or (volume and is_inside(real, volume))
            or GIT_FOLDER in PurePosixPath(path).parts
        ):
            refused.append(path)
        elif layout.private.covers(source):
            private.append(path)
        elif source.is_dir() and not source.is_symlink():
            _walk(layout, base, source, volume, selection)
        else:
            selection.items.append(Item(path, source, _target(layout, source, base), True))
    if unknown or refused or private:
        parts = []
        if unknown:
            parts.append("not a file or folder of the project: " + some(unknown))
        if refused:
            parts.append(
                "a link out of the project's folder, git's own folder, or on the persistent "
                "volume already: " + some(refused)
            )
        if private:
            parts.append("keys, tokens or Jupyter's own files, never saved: " + some(private))
        text = "; ".join(parts)
        raise InvalidInput(
            text[:1].upper() + text[1:] + ". Nothing was copied.",
            paths=(unknown + refused + private)[:100],
        )
    return selection


def some(paths: list[str]) -> str:
    return ", ".join(paths[:10]) + (" ..." if len(paths) > 10 else "")


def _walk(layout: Layout, base: Path, folder: Path, volume: str | None, into: Selection) -> None:
    """Every file under `folder`, links not followed (they are reported as skipped)."""
    stack = [str(folder)]
    visited = 0
    while stack:
        current = stack.pop()
        try:
            entries = sorted(os.scandir(current), key=lambda e: e.name)
        except OSError:
            continue
        for entry in entries:
            visited += 1
            if visited > SAVE_VISIT_LIMIT:
                into.incomplete = f"the walk of {folder} stopped after {SAVE_VISIT_LIMIT} entries"
                return
            relative = os.path.relpath(entry.path, base)
            if entry.is_symlink():
                into.skipped.append(
                    {
                        "path": relative,
                        "reason": "not_a_file",
                        "message": "It is a link; the file it points to is not copied.",
                    }
                )
            elif layout.private.covers(entry.path):
                continue  # keys, tokens, Jupyter's own state: never saved, not even listed
            elif entry.is_dir(follow_symlinks=False):
                if entry.name != GIT_FOLDER and not (
                    volume and is_inside(os.path.realpath(entry.path), volume)
                ):
                    stack.append(entry.path)
            else:
                source = Path(entry.path)
                # A FIFO or socket goes through too: the copy reports it as skipped.
                into.items.append(Item(relative, source, _target(layout, source, base), True))

