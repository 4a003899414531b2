"""What a save acts on: the request's paths checked, then every file they name.

Everything the request names is checked before anything is written, so bad input changes
nothing; folders are walked file by file, links never followed.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from jupyter_binder_ext.common.paths import is_inside
from jupyter_binder_ext.common.text import MAX_MESSAGE_LENGTH, check_text
from jupyter_binder_ext.common.walk import Walk, WalkBudget
from jupyter_binder_ext.errors import InvalidInput
from jupyter_binder_ext.work.answers import HeldBackFile, SkippedFile
from jupyter_binder_ext.work.private import Refusal, held_back_entries, never_leaves
from jupyter_binder_ext.work.requests import SaveTarget, WorkSaveRequest
from jupyter_binder_ext.work.scan import SAVE_VISIT_LIMIT, Layout, files_to_save

MAX_PATH_LENGTH = 4096
# One save copies at most this many files; the rest are counted (``not_tried``) and the next
# save goes on (what was copied is then "already there").
MAX_SAVE_FILES = 20_000


@dataclass(frozen=True)
class Item:
    path: str  # as the request or the answer of GET work names it
    source: Path
    target: str  # relative to the instance folder


@dataclass
class Selection:
    """What a save to the volume acts on, and what it could not look at."""

    items: list[Item]
    skipped: list[SkippedFile]  # links, special files, unreadable names, nested repositories
    held_back: list[HeldBackFile]  # what the rule keeps (work/private.py), by file or folder
    incomplete: str = ""  # why the listing stopped early ("" when it did not)


@dataclass(frozen=True)
class SaveChoice:
    """A save request once checked: where to, which files (None: all at risk), the rest."""

    to: SaveTarget
    paths: list[str] | None
    overwrite: bool
    message: str | None


def check_save(request: WorkSaveRequest) -> SaveChoice:
    """What no type can say of a save request (its shape is checked by
    :func:`.common.requests.check_request`): paths inside the project, text git accepts,
    and which fields go with which target."""
    to = request["to"]
    paths = check_paths(request.get("paths"))
    overwrite = request.get("overwrite", False)
    message = check_message(request.get("message"))
    if to == "persistent" and message is not None:
        raise InvalidInput("message is for saving to github (it commits); a copy needs none.")
    if to == "github" and overwrite:
        raise InvalidInput("overwrite is for copies to the volume; a push never overwrites.")
    if to == "github" and paths is not None and not (message or "").strip():
        raise InvalidInput(
            "paths choose the files to commit: give a commit message too (without one, only "
            "the commits already made are pushed)."
        )
    return SaveChoice(to, paths, overwrite, message)


def check_paths(paths: list[str] | None) -> list[str] | None:
    """The `paths` of a request: None, or relative POSIX paths with no ``..``.

    Checked before anything is done: text git and the file system accept (no NUL, no lone
    surrogate), and an error never quotes a path that could not be encoded.
    """
    if paths is None:
        return None
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


def check_message(message: str | None) -> str | None:
    """The commit message of a request: None or text git accepts, within the cap."""
    if message is None:
        return None
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
    """Every changed file of the repository and every file outside it that may leave."""
    found = files_to_save(layout)
    reasons = [reason.rstrip(".") for reason in found.not_checked]
    selection = Selection([], [], found.held_back, "; ".join(reasons))
    repo = layout.repo
    for path, status in found.changes:
        if repo is None or status == "deleted":
            continue
        if is_unreadable_name(path):
            selection.skipped.append(bad_name(path))
        elif path.endswith("/"):
            selection.skipped.append(nested_repository(path))
        else:
            # Links and other non-files go through too, to be reported as skipped.
            selection.items.append(Item(path, repo / path, _target(layout, repo / path, repo)))
    for path, _size in found.outside.files:
        if is_unreadable_name(path):
            selection.skipped.append(bad_name(path))
        else:
            selection.items.append(Item(path, layout.outside_root / path, path))
    return selection


def is_unreadable_name(path: str) -> bool:
    """A name that is not UTF-8: git's output shows it with U+FFFD, the file system's with
    lone surrogates; neither can be named in an answer or a pathspec as it is."""
    return "\ufffd" in path or any("\udc80" <= char <= "\udcff" for char in path)


def bad_name(path: str) -> SkippedFile:
    shown = path.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    return {
        "path": shown,
        "reason": "bad_name",
        "message": "Its name is not valid UTF-8 text, so it cannot be saved by name: rename it "
        "(in a terminal, `mv`), then save again.",
    }


def nested_repository(path: str) -> SkippedFile:
    folder = path.rstrip("/")
    return {
        "path": path,
        "reason": "nested_repository",
        "message": f"{folder} is a git repository of its own (or a submodule): commit and push "
        f"inside it (`cd {folder}`), or copy it to persistent storage by name.",
    }


def _bases(layout: Layout, server_root: Path) -> list[Path]:
    """The folders a requested path may be relative to, in order: the repository, the
    server's folder (where the file browser's paths start), the home folder."""
    bases: list[Path] = []
    for folder in (layout.repo, server_root, None if layout.outside_note else layout.outside_root):
        if folder is not None and folder not in bases:
            bases.append(folder)
    return bases


def chosen(layout: Layout, server_root: Path, paths: list[str]) -> Selection:
    """The files `paths` name, folders walked file by file; refused (nothing done) when one
    is not there, leads out of the project, or may not leave (the rule's words say why)."""
    selection = Selection([], [], [])
    volume = os.path.realpath(layout.volume) if layout.volume else None
    unknown: list[str] = []
    refused: list[str] = []
    held: list[tuple[str, Refusal]] = []
    for path in paths:
        base = next((b for b in _bases(layout, server_root) if os.path.lexists(b / path)), None)
        if base is None:
            unknown.append(path)
            continue
        source = base / path
        real = os.path.realpath(source)
        # Never through a link out of the folder, nor from the volume onto itself, nor git's
        # own folder (checked on the resolved path by the rule: a link into .git is .git).
        if not is_inside(real, os.path.realpath(base)) or (volume and is_inside(real, volume)):
            refused.append(path)
            continue
        refusal = layout.rule.check(source, named=True)
        if refusal is not None and refusal.rule == "git":
            refused.append(path)
        elif refusal is not None:
            held.append((path, refusal))
        elif source.is_dir() and not source.is_symlink():
            _walk(layout, base, source, volume, selection)
        else:
            selection.items.append(Item(path, source, _target(layout, source, base)))
    if unknown or refused or held:
        raise _refused(unknown, refused, held)
    return selection


def _refused(
    unknown: list[str], refused: list[str], held: list[tuple[str, Refusal]]
) -> InvalidInput:
    parts = []
    if unknown:
        parts.append("not a file or folder of the project: " + some(unknown))
    if refused:
        parts.append(
            "a link out of the project's folder, git's own folder, or on the persistent "
            "volume already: " + some(refused)
        )
    text = "; ".join(parts)
    sentences = [text[:1].upper() + text[1:] + "."] if text else []
    if held:
        sentences.append(never_leaves(held))
    return InvalidInput(
        " ".join(sentences) + " Nothing was copied.",
        reason="held_back" if held and not (unknown or refused) else "not_saveable",
        paths=(unknown + refused + [path for path, _ in held])[:100],
        held_back=held_back_entries(held),
    )


def some(paths: list[str]) -> str:
    return ", ".join(paths[:10]) + (" ..." if len(paths) > 10 else "")


def _walk(layout: Layout, base: Path, folder: Path, volume: str | None, into: Selection) -> None:
    """Every file under `folder` that may leave, links not followed (reported as skipped);
    what the rule holds back is reported, an unreadable folder makes the walk incomplete."""
    walk = Walk(folder, WalkBudget(SAVE_VISIT_LIMIT), sort=True)
    held: list[tuple[str, Refusal]] = []
    for entry in walk:
        relative = os.path.relpath(entry.path, base)
        if entry.is_symlink():
            into.skipped.append(
                {
                    "path": relative,
                    "reason": "not_a_file",
                    "message": "It is a link; the file it points to is not copied.",
                }
            )
            continue
        refusal = layout.rule.check(entry.path, named=True)
        if refusal is not None:
            held.append((relative + ("/" if entry.is_dir() else ""), refusal))
        elif not _enter(walk, entry, volume):
            _add_file(layout, base, relative, Path(entry.path), into)
    into.held_back.extend(held_back_entries(held))
    reasons = (
        [] if walk.complete else [f"the walk of {folder} stopped after {SAVE_VISIT_LIMIT} entries"]
    )
    unreadable = [
        f"{os.path.relpath(path, base)} ({err.strerror})" for path, err in walk.unreadable
    ]
    if unreadable:
        reasons.append("could not read " + some(unreadable))
    into.incomplete = "; ".join(filter(None, [into.incomplete, *reasons]))


def _enter(walk: Walk, entry: os.DirEntry[str], volume: str | None) -> bool:
    """Whether `entry` is a folder (walked later, unless it is on the volume)."""
    if not entry.is_dir(follow_symlinks=False):
        return False
    if not (volume and is_inside(os.path.realpath(entry.path), volume)):
        walk.enter(entry)
    return True


def _add_file(layout: Layout, base: Path, relative: str, source: Path, into: Selection) -> None:
    if is_unreadable_name(relative):
        into.skipped.append(bad_name(relative))
    else:
        # A FIFO or socket goes through too: the copy reports it as skipped.
        into.items.append(Item(relative, source, _target(layout, source, base)))
