"""Jupyter server started by the Galata tests (`jlpm start`).

Galata's own test configuration, plus a BinderHub-shaped environment, so that "This launch"
shows real values, and the extension's site paths pointed at a throw-away folder holding a
real ssh-keygen key pair and a folder standing in for the persistent volume. Limits are read
from the cgroup this server really runs in.

Relaunch: BinderHub and GitHub cannot be reached from the test machine, so `origin` has a
local bare repository as its push URL (a stand-in for GitHub) and the test answers the
BinderHub launch URL with a stand-in page.

Hub hook: the Projects test reads whatever `GET binder/api/projects` answers. By default the
hub address below points at a closed port, so the section must show the server's "hub
unreachable" error while the other sections keep working. To run the same test against a real
hub (e.g. the demo hub), export BINDER_UI_TESTS_HUB_API_URL, BINDER_UI_TESTS_HUB_TOKEN and
BINDER_UI_TESTS_HUB_USER before `jlpm playwright test`.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import zipfile
from pathlib import Path

from jupyterlab.galata import configure_jupyter_server

c = get_config()  # type: ignore[name-defined]  # noqa: F821

configure_jupyter_server(c)

PORT = int(os.environ.get("BINDER_UI_TESTS_PORT", "8877"))
c.ServerApp.port = PORT
c.ServerApp.allow_root = True
c.ServerApp.jpserver_extensions = {"jupyter_binder_ext": True}

# A long base path, so that the panel shows paths as long as a real site's (the layout
# test checks that they wrap or shorten in a 250 px sidebar).
base = Path(tempfile.mkdtemp(prefix="binder-ui-tests-")) / "a-site-with-a-rather-long-folder-name"
base.mkdir()
root = base / "work"
root.mkdir()
c.ServerApp.root_dir = str(root)

# The launched repository: a real git checkout with a `.resources` file at its root.
(root / ".resources").write_text(
    "# Resource requests (UI test)\ncpur=1\ncpul=4\nmemr=1\nmeml=4\n", encoding="utf-8"
)
(root / "README.md").write_text("# demo\n", encoding="utf-8")
git = ["git", "-C", str(root), "-c", "user.name=ui-tests", "-c", "user.email=ui@tests.invalid"]
subprocess.run([*git, "init", "-q", "-b", "main"], check=True)
subprocess.run([*git, "add", "-A"], check=True)
subprocess.run([*git, "commit", "-q", "-m", "demo"], check=True)
subprocess.run(
    [*git, "remote", "add", "origin", "https://github.com/octo-org/demo-repo"], check=True
)
# GitHub cannot be reached from here: pushes go to a local bare repository standing in for
# it (fetch stays on the GitHub URL, as after `configure-git` with a push URL of its own).
remote = base / "github-standin.git"
subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(remote)], check=True)
subprocess.run([*git, "push", "-q", str(remote), "main"], check=True)
subprocess.run([*git, "config", "remote.origin.pushurl", str(remote)], check=True)
sha = subprocess.run(
    [*git, "rev-parse", "HEAD"], check=True, capture_output=True, text=True
).stdout.strip()

USER = os.environ.get("BINDER_UI_TESTS_HUB_USER", "galata-user")
# As long as the names BinderHub gives (15 + 15 characters of the repository, 8 random).
SERVER = "octo-org-demo-r-ository-with-a-ab12cd34"

# The persistent volume stand-in: a plain folder at the template's place.
volume_template = str(base / "home" / "{username}-nfs-pvc")
Path(volume_template.format(username=USER)).mkdir(parents=True)

# The site's SSH key pair, generated for real (the private key must never reach the UI).
keys = base / "mounted-ssh"
keys.mkdir()
subprocess.run(
    [
        "ssh-keygen",
        "-q",
        "-t",
        "ed25519",
        "-N",
        "",
        "-C",
        f"{USER}@binderhub",
        "-f",
        str(keys / "ssh.priv"),
    ],
    check=True,
)
(keys / "ssh.priv.pub").rename(keys / "ssh.pub")

c.BinderExt.persistent_volume_template = volume_template
c.BinderExt.ssh_private_key_path = str(keys / "ssh.priv")
c.BinderExt.ssh_public_key_path = str(keys / "ssh.pub")
c.BinderExt.ssh_dir = str(base / "dot-ssh")
c.BinderExt.repo_dir = str(root)

# Environment: a site folder the scan looks in, and a wheel written here (no network) that
# environment.spec.ts installs with pip. At a fixed place per port, so that the test finds it.
ENV_DIR = Path(tempfile.gettempdir()) / f"binder-ui-tests-env-{PORT}"
shutil.rmtree(ENV_DIR, ignore_errors=True)
(ENV_DIR / "site-packages").mkdir(parents=True)
c.BinderExt.environment_paths = str(ENV_DIR / "site-packages")
with zipfile.ZipFile(ENV_DIR / "uitinypkg-1.0-py3-none-any.whl", "w") as wheel:
    info = "uitinypkg-1.0.dist-info"
    wheel.writestr("uitinypkg/__init__.py", "")
    wheel.writestr(f"{info}/METADATA", "Metadata-Version: 2.1\nName: uitinypkg\nVersion: 1.0\n")
    wheel.writestr(
        f"{info}/WHEEL",
        "Wheel-Version: 1.0\nGenerator: ui-tests\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
    )
    wheel.writestr(f"{info}/RECORD", "")

# What KubeSpawner and BinderHub put into a launched server's environment.
GB = 1024**3
os.environ.update(
    {
        "JUPYTERHUB_USER": USER,
        "JUPYTERHUB_SERVER_NAME": SERVER,
        "JUPYTERHUB_API_URL": os.environ.get(
            "BINDER_UI_TESTS_HUB_API_URL", "http://127.0.0.1:9/hub/api"
        ),
        "JUPYTERHUB_API_TOKEN": os.environ.get("BINDER_UI_TESTS_HUB_TOKEN", "not-a-real-token"),
        "JUPYTERHUB_BASE_URL": "/",
        "JUPYTERHUB_PUBLIC_HUB_URL": "https://hub.example.org/hub/",
        "BINDER_LAUNCH_HOST": "https://binder.example.org/",
        "BINDER_REPO_URL": "https://github.com/octo-org/demo-repo",
        "BINDER_REF_URL": f"https://github.com/octo-org/demo-repo/tree/{sha}",
        "BINDER_REQUEST": "v2/gh/octo-org/demo-repo/main",
        "BINDER_PERSISTENT_REQUEST": f"v2/gh/octo-org/demo-repo/{sha}",
        "CPU_GUARANTEE": "1.0",
        "CPU_LIMIT": "4.0",
        "MEM_GUARANTEE": str(1 * GB),
        "MEM_LIMIT": str(4 * GB),
        "JUPYTER_IMAGE_SPEC": "registry.example.org/binder/octo-org-demo-repo:" + sha[:12],
    }
)
