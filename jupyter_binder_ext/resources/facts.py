"""What ``GET binder/api/resources`` reads: the ``.resources`` file's bytes, the spawner's
variables, the launch.

:func:`gather_resources` does that I/O and says nothing to the user: :mod:`.builders` parses
the bytes and words the answer. It is synchronous; callers run it in a thread.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from jupyter_binder_ext.common.files import UnsafeFile, read_bytes
from jupyter_binder_ext.launch.facts import LaunchInfo

# The hub reads at most 16 KiB of the file; one this much larger is refused, never read whole.
RESOURCES_MAX_BYTES = 256 * 1024
# What the spawner sets for what this server runs with (KubeSpawner's get_env, the NVIDIA
# container runtime's device list).
SPAWNER_VARIABLES = ("CPU_GUARANTEE", "CPU_LIMIT", "MEM_GUARANTEE", "MEM_LIMIT")
GPU_VARIABLE = "NVIDIA_VISIBLE_DEVICES"

ReadFailureKind = Literal["unsafe", "folder", "unreadable"]


@dataclass(frozen=True)
class ReadFailure:
    """Why the file was not read: `unsafe` (a link, a hard link, a FIFO, a device, far too
    large: `detail` is :class:`UnsafeFile`'s own message), `folder`, or `unreadable` (the
    OS's words in `detail`)."""

    kind: ReadFailureKind
    detail: str = ""


@dataclass(frozen=True)
class FileFacts:
    path: Path
    data: bytes | None  # None when absent, or not read (see `failure`)
    failure: ReadFailure | None
    exists: bool  # something has the name, even a link or a FIFO that is never read


@dataclass(frozen=True)
class ResourcesFacts:
    file: FileFacts
    spawner_env: Mapping[str, str]  # the variables of SPAWNER_VARIABLES and GPU_VARIABLE set
    launch: LaunchInfo


def read_file(path: Path) -> tuple[bytes | None, ReadFailure | None]:
    """The file's bytes (None when absent), or why they were not read.

    Never through a link, and a hard link is refused: this text is shown in the panel and
    committed by a relaunch, and its other name may be the private key (see
    :mod:`..common.files`).
    """
    try:
        data = read_bytes(path, limit=RESOURCES_MAX_BYTES, links="never", hard_links="refuse")
        return data, None
    except UnsafeFile as err:
        return None, ReadFailure("unsafe", err.message)
    except IsADirectoryError:
        return None, ReadFailure("folder")
    except OSError as err:
        return None, ReadFailure("unreadable", str(err.strerror or err))


def gather_file(path: Path) -> FileFacts:
    data, failure = read_file(path)
    return FileFacts(path, data, failure, data is not None or os.path.lexists(path))


def gather_resources(path: Path, launch: LaunchInfo, env: Mapping[str, str]) -> ResourcesFacts:
    """Everything ``GET binder/api/resources`` reports, read once."""
    names = (*SPAWNER_VARIABLES, GPU_VARIABLE)
    spawner_env = {name: env[name] for name in names if name in env}
    return ResourcesFacts(gather_file(path), spawner_env, launch)
