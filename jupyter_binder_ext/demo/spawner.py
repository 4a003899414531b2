"""The demo's spawner: JupyterHub's SimpleLocalProcessSpawner, one folder per named server.

Each server gets its own folder (its home and root, as a BinderHub pod's /home/jovyan), the
environment and arguments the pre-spawn hooks prepared (``binder_env``, ``binder_args``), a
cgroup of its own with the limits its `.resources` asked for (as the kubelet enforces a pod's;
see :mod:`.cgroups`), and a pid file so the demo runner can clean up servers a stopped hub
left running.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from jupyterhub.spawner import SimpleLocalProcessSpawner
from traitlets import Bool, List, Unicode, default

from jupyter_binder_ext.demo.cgroups import (
    CgroupUnavailable,
    ServerCgroup,
    ServerLimits,
    cgroup_name,
    create_server_cgroup,
    enter,
    remove_server_cgroup,
)


class BinderDemoSpawner(SimpleLocalProcessSpawner):
    state_dir = Unicode(config=True, help="The demo's state folder (servers, git, keys, pids).")
    launch_host = Unicode(config=True, help="Where the demo serves BinderHub-style launch links.")
    extension_args = List(
        Unicode(), config=True, help="Extra --BinderExt.* arguments for every server."
    )
    enforce_limits = Bool(
        True,
        config=True,
        help="""Run each server in a cgroup of its own with its memory and CPU limits (needs
        root and a writable cgroup hierarchy; without them the servers run unlimited and a
        warning says so).""",
    )

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        # Filled by the pre-spawn hooks before every start.
        self.binder_env: dict[str, str] = {}
        self.binder_args: list[str] = []
        self.cgroup: ServerCgroup | None = None

    @default("home_dir")
    def _default_home_dir(self) -> str:
        return str(Path(self.state_dir) / "servers" / self.user.name / (self.name or "default"))

    def options_from_query(self, query_data: dict[str, list[str]]) -> dict[str, Any]:
        # /hub/spawn?opt-repo_url=...: one value per key, as BinderHub's options are.
        return {key: values[-1] if values else "" for key, values in query_data.items()}

    def get_env(self) -> dict[str, str]:
        env: dict[str, str] = super().get_env()
        env.update(self.binder_env)
        # The server's Python first on PATH, as an image puts its environment there: its
        # terminals then find `jupyter binder` however the demo itself was started.
        python_bin = str(Path(self.cmd[0]).parent)
        env["PATH"] = os.pathsep.join([python_bin, env.get("PATH", os.defpath)])
        return env

    def get_args(self) -> list[str]:
        # Terminals as non-login shells: a login shell resets PATH from /etc/profile, which
        # knows nothing of the demo's venv (BinderHub images put their Python on PATH in
        # /etc/profile.d). jupyter-resource-usage stays off: the status bar then shows this
        # extension's own RAM figure, the one the demo's cgroups make per server.
        return [
            *super().get_args(),
            "--ServerApp.terminado_settings=shell_command=/bin/bash",
            "--ServerApp.jpserver_extensions=jupyter_resource_usage=False",
            *self.binder_args,
        ]

    @property
    def _pid_file(self) -> Path:
        return Path(self.state_dir) / "pids" / f"{self.user.name}.{self.name or 'default'}.pid"

    def make_preexec_fn(self, name: str) -> Callable[[], None]:
        base = super().make_preexec_fn(name)
        cgroup = self.cgroup

        def preexec() -> None:
            # In the child, before exec: the server and all it starts live in its cgroup.
            if cgroup is not None:
                enter(cgroup)
            base()

        return preexec

    def _limits(self) -> ServerLimits:
        return ServerLimits(
            mem_limit=self.mem_limit or None,
            mem_guarantee=self.mem_guarantee or None,
            cpu_limit=self.cpu_limit or None,
            cpu_guarantee=self.cpu_guarantee or None,
        )

    async def start(self) -> Any:
        self.cgroup = None
        if self.enforce_limits:
            name = cgroup_name(self.user.name, self.name)
            try:
                self.cgroup = await asyncio.to_thread(create_server_cgroup, name, self._limits())
            except CgroupUnavailable as err:
                self.log.warning("%s runs without a cgroup of its own: %s", self._log_name, err)
        url = await super().start()
        self._pid_file.parent.mkdir(parents=True, exist_ok=True)
        self._pid_file.write_text(str(self.pid))
        return url

    async def stop(self, now: bool = False) -> None:
        await super().stop(now=now)
        self._pid_file.unlink(missing_ok=True)
        if self.cgroup is not None and await asyncio.to_thread(remove_server_cgroup, self.cgroup):
            self.cgroup = None
