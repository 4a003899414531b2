"""The demo's spawner: JupyterHub's SimpleLocalProcessSpawner, one folder per named server.

Each server gets its own folder (its home and root, as a BinderHub pod's /home/jovyan), the
environment and arguments the pre-spawn hooks prepared (``binder_env``, ``binder_args``), a
cgroup of its own with the limits its `.resources` asked for (as the kubelet enforces a pod's;
see :mod:`.cgroups`), and a pid file so the demo runner can clean up servers a stopped hub
left running.
"""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import shutil
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

from jupyterhub.spawner import SimpleLocalProcessSpawner
from traitlets import Bool, Float, List, Unicode, default

from jupyter_binder_ext.demo.cgroups import (
    CgroupUnavailable,
    ServerCgroup,
    ServerLimits,
    cgroup_name,
    clear_server_cgroup,
    create_server_cgroup,
    enter,
    find_server_cgroup,
)
from jupyter_binder_ext.demo.serverenv import (
    ServerEnv,
    ServerEnvFailed,
    make_server_env,
    server_env_folder,
)

# The demo's stand-in for a namespace LimitRange, read at every start: {"memory_gb": 4, "cpu": 2}.
NAMESPACE_LIMITS_FILE = "namespace-limits.json"
# Deleted servers' files being removed (delete_forever): held so that no task is collected.
_REMOVALS: set[asyncio.Task[None]] = set()
# The longest image pull a launch may ask the demo to pretend (user_options, see start()).
MAX_PULL_SECONDS = 120.0


def write_namespace_limits(state_dir: Path, memory_gb: float = 0, cpu: float = 0) -> None:
    """Set (or, with neither, remove) the demo namespace's per-container maxima."""
    path = Path(state_dir) / NAMESPACE_LIMITS_FILE
    if not memory_gb and not cpu:
        path.unlink(missing_ok=True)
        return
    path.write_text(json.dumps({"memory_gb": memory_gb, "cpu": cpu}))


def _read_namespace_limits(state_dir: str) -> dict[str, float]:
    try:
        data = json.loads((Path(state_dir) / NAMESPACE_LIMITS_FILE).read_text())
    except (OSError, ValueError):
        return {}
    return {k: float(v) for k, v in data.items() if isinstance(v, (int, float)) and v > 0}


def _remove_folder(folder: Path) -> None:
    """Move `folder` aside first (one rename, at once), then remove it: a new server of the
    same name, made meanwhile, never loses a file to this removal."""
    aside = folder.with_name(f".deleted-{folder.name}-{secrets.token_hex(4)}")
    try:
        folder.rename(aside)
    except FileNotFoundError:
        return
    shutil.rmtree(aside, ignore_errors=True)


class PodForbidden(Exception):
    """What KubeSpawner raises when the Kubernetes API refuses the pod (kubespawner
    spawner.py:3013-3018 at 4161d54 re-raises the client's ApiException): its text is the
    kubernetes client's ApiException.__str__, "(403)\nReason: Forbidden\n..." with the API's
    Status body, whose message is the LimitRanger admission plugin's ("maximum memory usage
    per Container is 4Gi, but limit is 8589934592", plugin/pkg/admission/limitranger)."""


def limit_range_refusal(pod: str, limits: dict[str, float], mem: int, cpu: float) -> str | None:
    """The API server's refusal of a pod above the namespace's maxima, or None."""
    problems = []
    if limits.get("memory_gb") and mem > limits["memory_gb"] * 1024**3:
        problems.append(
            f"maximum memory usage per Container is {limits['memory_gb']:g}Gi, but limit is {mem}"
        )
    if limits.get("cpu") and cpu > limits["cpu"]:
        most = limits["cpu"]
        problems.append(f"maximum cpu usage per Container is {most:g}, but limit is {cpu:g}")
    if not problems:
        return None
    message = f'pods "{pod}" is forbidden: ' + ", ".join(problems)
    body = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure"}
    body.update(message=message, reason="Forbidden", details={"name": pod, "kind": "pods"})
    return f"(403)\nReason: Forbidden\nHTTP response body: {json.dumps(body)}\n"


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
    image_pull_seconds = Float(
        0.0,
        config=True,
        help="""How long each start pretends to pull its image (progress events meanwhile); a
        launch's user_options may set its own with `demo_image_pull_seconds`.""",
    )

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        # Filled by the pre-spawn hooks before every start.
        self.binder_env: dict[str, str] = {}
        self.binder_args: list[str] = []
        self.cgroup: ServerCgroup | None = None
        # What start() has done so far, for progress().
        self._stages: list[dict[str, Any]] = []
        # The configured command's Python makes each start's own environment (serverenv.py).
        self._base_cmd: list[str] = list(self.cmd)
        self.server_env: ServerEnv | None = None

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
        # Before it, the server's own environment's: `pip install` there installs into it.
        python_bin = str(Path(self._base_cmd[0]).parent)
        own = [self.server_env.bin] if self.server_env else []
        env["PATH"] = os.pathsep.join([*own, python_bin, env.get("PATH", os.defpath)])
        if self.server_env:
            env.update(self.server_env.jupyter_env(env))
        return env

    async def _make_server_env(self) -> None:
        """A fresh environment of this server's own, and the server run with its Python."""
        folder = server_env_folder(self.state_dir, self.user.name, self.name)
        try:
            self.server_env = await make_server_env(self._base_cmd[0], folder)
        except (ServerEnvFailed, OSError, ValueError) as err:
            # As without a cgroup: the server still starts, in the demo's shared environment.
            self.log.warning("%s shares the demo's environment: %s", self._log_name, err)
            self.server_env = None
        python = self.server_env.python if self.server_env else self._base_cmd[0]
        self.cmd = [python, *self._base_cmd[1:]]

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

    def _pod_name(self) -> str:
        return f"jupyter-{self.user.name}--{self.name or 'default'}"

    async def _check_namespace_limits(self) -> None:
        limits = await asyncio.to_thread(_read_namespace_limits, self.state_dir)
        refusal = limit_range_refusal(
            self._pod_name(), limits, int(self.mem_limit or 0), float(self.cpu_limit or 0)
        )
        if refusal:
            raise PodForbidden(refusal)

    def _set_stage(self, progress: int, message: str) -> None:
        self._stages.append({"progress": progress, "message": message})

    async def _pretend_image_pull(self) -> None:
        asked = (self.user_options or {}).get("demo_image_pull_seconds", self.image_pull_seconds)
        try:
            seconds = min(max(float(asked), 0.0), MAX_PULL_SECONDS)
        except (TypeError, ValueError):
            seconds = 0.0
        image = str((self.user_options or {}).get("image") or "the image")
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            done = 1 - left / seconds
            self._set_stage(20 + int(60 * done), f"Pulling image {image} ({left:.0f} s left)")
            await asyncio.sleep(min(1.0, left))

    async def progress(self) -> AsyncIterator[dict[str, Any]]:
        """The stages start() records, as KubeSpawner relays its pod's events."""
        stages, sent = self._stages, 0
        while True:
            if stages is not self._stages:  # a new start began: its stages from the first
                stages, sent = self._stages, 0
            while sent < len(stages):
                yield stages[sent]
                sent += 1
            await asyncio.sleep(0.2)

    def run_pre_spawn_hook(self) -> Any:
        self._stages = []  # a new start: forget the last one's stages
        return super().run_pre_spawn_hook()

    async def start(self) -> Any:
        self._set_stage(10, "Checking the namespace's limits")
        await self._check_namespace_limits()
        await self._pretend_image_pull()
        self._set_stage(82, "Making the server's Python environment")
        await self._make_server_env()
        self._set_stage(85, "Starting the server process")
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
        await self._clear_cgroup()

    async def _clear_cgroup(self) -> None:
        """Remove this server's cgroup, found by name when a restarted hub lost its record,
        after ending what its server left inside (a pod's end ends all of it)."""
        name = cgroup_name(self.user.name, self.name)
        cgroup = self.cgroup or await asyncio.to_thread(find_server_cgroup, name)
        if cgroup is not None and await asyncio.to_thread(clear_server_cgroup, cgroup):
            self.cgroup = None

    def delete_forever(self) -> None:
        """JupyterHub's hook when the named server is deleted (after it stopped): its folder
        goes, as a deleted pod's files do, and so does every cgroup it made. The user's
        volume and keys are the user's, not the server's: they stay.

        Started, not awaited, and not a coroutine: the hub forgets the server in the same turn
        of its loop as before (an awaited coroutine would let a listing in between, which
        still showed the deleted server), and KubeSpawner's own ``delete_forever`` likewise
        only asks Kubernetes to delete, which then does."""
        task = asyncio.create_task(self._remove_server_files())
        _REMOVALS.add(task)
        task.add_done_callback(_REMOVALS.discard)

    async def _remove_server_files(self) -> None:
        await self._clear_cgroup()
        home = Path(self.home_dir)
        if home.parent == Path(self.state_dir) / "servers" / self.user.name:
            await asyncio.to_thread(_remove_folder, home)
        # Its own Python environment (serverenv.py) goes with it, as the pod's image layer.
        environment = server_env_folder(self.state_dir, self.user.name, self.name)
        await asyncio.to_thread(_remove_folder, environment)
