"""Each demo server's own Python environment, as each BinderHub pod has its image's own.

In a BinderHub pod, ``pip install`` in a terminal (or ``%pip`` in a notebook) writes into the
image's environment, seen by that server only and gone with its container. The demo's servers
would otherwise share the demo's ``.venv``: one server's install would land in every other
one's, and in the demo itself. So every start makes the server a fresh virtual environment
on top of the demo's (``--system-site-packages``, so ``pip install --user`` works as in an
image; the demo's site folder added by a ``.pth`` file: nothing copied), runs the server with
its Python and puts its ``bin`` first on PATH. The environment domain then finds what was
installed there (it scans the server's ``sys.path``).
"""

from __future__ import annotations

import asyncio
import json
import os
from dataclasses import dataclass
from pathlib import Path

# The base environment's folders, as its own Python says (a venv's sys.prefix).
_BASE_FACTS = (
    "import json, sys, sysconfig; print(json.dumps([sys.prefix, sysconfig.get_path('purelib')]))"
)
# What `pip` in the server's environment runs: the demo's pip, under the server's Python
# (so sys.prefix, where pip installs, is the server's environment).
_PIP_SCRIPT = "#!{python}\nimport sys\nfrom pip._internal.cli.main import main\nsys.exit(main())\n"
ENV_TIMEOUT = 60.0


class ServerEnvFailed(RuntimeError):
    """The server's environment could not be made (the message says which step)."""


@dataclass(frozen=True)
class ServerEnv:
    folder: Path
    base_prefix: Path  # the demo's own environment, under the server's

    @property
    def python(self) -> str:
        return str(self.folder / "bin" / "python")

    @property
    def bin(self) -> str:
        return str(self.folder / "bin")

    def jupyter_env(self, env: dict[str, str]) -> dict[str, str]:
        """Where Jupyter finds its extensions, settings and JupyterLab's files: the demo's
        environment (sys.prefix is now the server's, which holds none of them)."""
        share, etc = self.base_prefix / "share" / "jupyter", self.base_prefix / "etc" / "jupyter"
        return {
            "JUPYTERLAB_DIR": str(share / "lab"),
            "JUPYTER_PATH": _prepend(str(share), env.get("JUPYTER_PATH", "")),
            "JUPYTER_CONFIG_PATH": _prepend(str(etc), env.get("JUPYTER_CONFIG_PATH", "")),
        }


def _prepend(first: str, rest: str) -> str:
    return os.pathsep.join([first, *(p for p in rest.split(os.pathsep) if p)])


def server_env_folder(state_dir: str | Path, user: str, server: str) -> Path:
    """Outside the server's home: its files are the user's work, the environment is not."""
    return Path(state_dir) / "envs" / user / (server or "default")


async def _run(*command: str) -> str:
    process = await asyncio.create_subprocess_exec(
        *command, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    try:
        out, err = await asyncio.wait_for(process.communicate(), ENV_TIMEOUT)
    except asyncio.TimeoutError:
        process.kill()
        await process.wait()
        raise ServerEnvFailed(f"{command[0]} did not finish within {ENV_TIMEOUT:g} s") from None
    if process.returncode != 0:
        raise ServerEnvFailed(f"{' '.join(command)} failed: {err.decode(errors='replace')}")
    return out.decode()


async def make_server_env(base_python: str, folder: Path) -> ServerEnv:
    """A fresh environment at `folder` (a new start is a new container: the last one's
    installs are gone) on top of `base_python`'s."""
    prefix, purelib = json.loads(await _run(base_python, "-c", _BASE_FACTS))
    await _run(
        base_python, "-m", "venv", "--clear", "--without-pip", "--system-site-packages", str(folder)
    )
    env = ServerEnv(folder, Path(prefix))
    own_purelib = json.loads(await _run(env.python, "-c", _BASE_FACTS))[1]
    await asyncio.to_thread(_link_base, Path(own_purelib), purelib, env)
    return env


def _link_base(own_purelib: Path, base_purelib: str, env: ServerEnv) -> None:
    """The demo's packages after the server's own (its .pth files run too: editable
    installs), and `pip` / `pip3` commands that install into the server's environment."""
    line = f"import site; site.addsitedir({base_purelib!r})\n"
    (own_purelib / "_binder_demo_base.pth").write_text(line)
    for name in ("pip", "pip3"):
        script = Path(env.bin) / name
        script.write_text(_PIP_SCRIPT.format(python=env.python))
        script.chmod(0o755)
