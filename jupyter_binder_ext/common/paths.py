"""Path questions every domain asks the same way."""

from __future__ import annotations

import os


def is_inside(path: str | os.PathLike[str], folder: str | os.PathLike[str]) -> bool:
    """Whether `path` is `folder` or lies under it, by their text (resolve both first).

    A prefix test alone would put ``/vol-other`` inside ``/vol``; the separator rules it out.
    """
    path, folder = os.fspath(path), os.fspath(folder)
    return path == folder or path.startswith(folder.rstrip("/") + "/")
