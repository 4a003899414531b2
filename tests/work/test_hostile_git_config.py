"""A hostile ``.git/config`` runs nothing through ``binder/api/work`` and ``work/save``.

On a BinderHub the repository is the home folder, and whatever built the image may have
written its ``.git/config``. Here that file names a program for every kind of key the
extension's git could meet on its way through "Your work" and a save to GitHub (a filter,
signing, the ssh command, receive-pack, a credential helper, an external diff, a merge
driver, an editor; some through an included file); each program leaves a marker when run.
Through a real Jupyter server the work is read and saved: no marker appears, and the commit
lands on the real bare remote with the file's exact bytes.
"""

from __future__ import annotations

import json
import shlex
import subprocess
from pathlib import Path
from typing import Any

from work_project import Project

CONTENT = b"a,b\r\n1,2\n\x00tail\n"


def hostile_program(folder: Path, name: str, then: str = "exit 1") -> str:
    """An executable that leaves ``ran-<name>`` in `folder` when run; its quoted path."""
    path = folder / f"evil-{name}"
    path.write_text(f"#!/bin/sh\ntouch {shlex.quote(str(folder / f'ran-{name}'))}\n{then}\n")
    path.chmod(0o755)
    return shlex.quote(str(path))


def make_config_hostile(project: Project, folder: Path) -> None:
    folder.mkdir()
    included = folder / "included-config"
    included.write_text(
        "[gpg]\n"
        f"\tprogram = {hostile_program(folder, 'gpg')}\n"
        '[filter "evil"]\n'
        f"\tsmudge = {hostile_program(folder, 'smudge', 'cat')}\n"
    )
    settings = {
        "include.path": str(included),
        "filter.evil.clean": hostile_program(folder, "clean", "cat"),
        "filter.evil.process": hostile_program(folder, "process", "cat"),
        "filter.evil.required": "true",
        "diff.external": hostile_program(folder, "external"),
        "diff.evil.textconv": hostile_program(folder, "textconv", "cat"),
        "merge.evil.driver": hostile_program(folder, "merge"),
        "commit.gpgSign": "true",
        "core.sshCommand": hostile_program(folder, "ssh", "exit 255"),
        "core.editor": hostile_program(folder, "editor"),
        "core.askPass": hostile_program(folder, "askpass"),
        "remote.origin.receivepack": hostile_program(folder, "receive-pack"),
        "remote.origin.uploadpack": hostile_program(folder, "upload-pack"),
        "credential.helper": hostile_program(folder, "credential"),
        "core.alternateRefsCommand": hostile_program(folder, "alternates"),
    }
    for key, value in settings.items():
        project.git("config", "--local", key, value)
    (project.repo / ".gitattributes").write_text("*.csv filter=evil diff=evil merge=evil\n")


def blob(repo: Path, spec: str) -> bytes:
    return subprocess.run(
        ["git", "-C", str(repo), "cat-file", "blob", spec], capture_output=True, check=True
    ).stdout


async def test_reading_and_saving_work_runs_nothing_the_repository_config_names(
    jp_fetch: Any, project: Project, binder_env: dict[str, str], tmp_path: Path
) -> None:
    markers = tmp_path / "hostile"
    make_config_hostile(project, markers)
    (project.repo / "results.csv").write_bytes(CONTENT)
    (project.repo / "README.md").write_text("# edited\n")

    work = json.loads((await jp_fetch("binder", "api", "work")).body)
    assert {e["path"] for e in work["changed"]} >= {"results.csv", "README.md"}
    response = await jp_fetch(
        "binder",
        "api",
        "work",
        "save",
        method="POST",
        body=json.dumps({"to": "github", "message": "m"}),
    )
    saved = json.loads(response.body)
    after = json.loads((await jp_fetch("binder", "api", "work")).body)

    assert sorted(p.name for p in markers.glob("ran-*")) == []
    assert saved["commit"] is not None and "results.csv" in saved["commit"]["files"]
    pushed = subprocess.run(
        ["git", "-C", str(project.bare), "rev-parse", "main"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert pushed == saved["commit"]["sha"]
    assert blob(project.bare, "main:results.csv") == CONTENT
    assert blob(project.bare, "main:README.md") == b"# edited\n"
    assert "gpgsig" not in project.git("cat-file", "-p", pushed)
    assert after["unpushed"]["count"] == 0
