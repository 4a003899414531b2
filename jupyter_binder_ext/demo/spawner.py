"""The demo's spawner: JupyterHub's SimpleLocalProcessSpawner, one folder per named server.

Each server gets its own folder (its home and root, as a BinderHub pod's /home/jovyan), the
environment and arguments the pre-spawn hooks prepared (``binder_env``, ``binder_args``), and
a pid file so the demo runner can clean up servers a stopped hub left running.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jupyterhub.spawner import SimpleLocalProcessSpawner
from traitlets import List, Unicode, default


class BinderDemoSpawner(SimpleLocalProcessSpawner):
    state_dir = Unicode(config=True, help="The demo's state folder (servers, git, keys, pids).")
    launch_host = Unicode(config=True, help="Where the demo serves BinderHub-style launch links.")
    extension_args = List(
        Unicode(), config=True, help="Extra --BinderExt.* arguments for every server."
    )

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        # Filled by the pre-spawn hooks before every start.
        self.binder_env: dict[str, str] = {}
        self.binder_args: list[str] = []

    @default("home_dir")
    def _default_home_dir(self) -> str:
        return str(Path(self.state_dir) / "servers" / self.user.name / (self.name or "default"))

    def options_from_query(self, query_data: dict[str, list[str]]) -> dict[str, Any]:
        # /hub/spawn?opt-repo_url=...: one value per key, as BinderHub's options are.
        return {key: values[-1] if values else "" for key, values in query_data.items()}

    def get_env(self) -> dict[str, str]:
        env: dict[str, str] = super().get_env()
        env.update(self.binder_env)
        return env

    def get_args(self) -> list[str]:
        return [*super().get_args(), *self.binder_args]

    @property
    def _pid_file(self) -> Path:
        return Path(self.state_dir) / "pids" / f"{self.user.name}.{self.name or 'default'}.pid"

    async def start(self) -> Any:
        url = await super().start()
        self._pid_file.parent.mkdir(parents=True, exist_ok=True)
        self._pid_file.write_text(str(self.pid))
        return url

    async def stop(self, now: bool = False) -> None:
        await super().stop(now=now)
        self._pid_file.unlink(missing_ok=True)
