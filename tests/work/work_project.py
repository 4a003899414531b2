"""A launched project for the work tests: a real clone inside a home folder, a real volume.

``project`` is the case where the repository is a folder of the server's home (files may lie
outside it); the ssh tests use the Binder case, where the repository is the home itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from fixtures.gitrepo import git
from fixtures.launch_env import BINDER_ENV

from jupyter_binder_ext.config import SiteConfig
from jupyter_binder_ext.state import ExtensionState


@dataclass
class Project:
    home: Path
    repo: Path
    bare: Path
    user_volume: Path  # the volume of user alice
    site: SiteConfig

    def state(self) -> ExtensionState:
        return ExtensionState(self.site, env={**BINDER_ENV, "HOME": str(self.home)})

    def git(self, *args: str) -> str:
        return git(self.repo, *args)

    @property
    def instance(self) -> Path:
        return self.user_volume / "o-r-ab12cd34"


def make_project(tmp_path: Path, repo: Path, home: Path, bare: Path) -> Project:
    volume = tmp_path / "volumes" / "alice-nfs-pvc"
    volume.mkdir(parents=True)
    site = SiteConfig(
        repo_dir=str(repo),
        persistent_volume_template=str(tmp_path / "volumes" / "{username}-nfs-pvc"),
        hub_request_timeout=2.0,
    )
    return Project(home, repo, bare, volume, site)
