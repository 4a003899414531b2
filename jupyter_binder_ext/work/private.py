"""What is never the user's work: credentials and Jupyter's own state in the home folder.

On a BinderHub the repository is cloned into the home folder, so the SSH folder (the key copy
ssh needs, its config), Jupyter's runtime files (the server's token, kernel connection files,
the cookie secret), its data and config folders, IPython's profile and checkpoint copies all
lie inside the repository. Deletion losing them loses no work, and saving them would put a
private key or a token on the volume or on GitHub: they are never listed, copied or committed.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from jupyter_binder_ext.config import SiteConfig

# Folders of this name hold copies Jupyter makes by itself, wherever they are.
CHECKPOINT_FOLDER = ".ipynb_checkpoints"
# Home-relative folders of tools' own state.
_HOME_STATE = (".ssh", ".jupyter", ".ipython", ".local/share/jupyter", ".cache")


@dataclass(frozen=True)
class PrivatePaths:
    """Absolute real paths of folders (and files) that are never saved."""

    locations: tuple[str, ...] = ()

    def covers(self, path: str | os.PathLike[str]) -> bool:
        """Whether `path` (absolute) lies in, or is, a private location or a checkpoint."""
        real = os.path.realpath(path)
        if CHECKPOINT_FOLDER in Path(real).parts:
            return True
        return any(real == place or real.startswith(place + os.sep) for place in self.locations)


def private_paths(site: SiteConfig, home: Path) -> PrivatePaths:
    """The private locations of this server (site paths, Jupyter's own folders, `home`'s)."""
    from jupyter_core.paths import jupyter_config_dir, jupyter_data_dir, jupyter_runtime_dir

    places: list[str | Path] = [
        site.ssh_dir_path(),
        # The mounted pair itself (not its folder: a site may mount it into the home folder).
        Path(site.ssh_private_key_path).expanduser(),
        Path(site.ssh_public_key_path).expanduser(),
        jupyter_runtime_dir(),
        jupyter_data_dir(),
        jupyter_config_dir(),
        *(home / relative for relative in _HOME_STATE),
    ]
    absolute = {os.path.realpath(p) for p in places if Path(p).is_absolute()}
    return PrivatePaths(tuple(sorted(absolute)))
