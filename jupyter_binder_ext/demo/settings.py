"""The values the runner hands to the hub's config file (one JSON file under the state dir)."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

SETTINGS_ENV = "BINDER_DEMO_SETTINGS"
DEFAULT_REPO_URL = "https://github.com/binder-demo/sample"
DEFAULT_REF = "main"


@dataclass(frozen=True)
class DemoSettings:
    state_dir: str
    ip: str
    port: int
    hub_port: int
    proxy_api_port: int
    proxy_auth_token: str
    admin_token: str
    python: str
    named_server_limit: int = 5
    # Users whose server tokens get only JupyterHub's default scopes (the `server` role).
    scopeless_users: list[str] = field(default_factory=list)
    # Extra `--BinderExt.*` arguments for every single-user server (tests shorten timeouts).
    extension_args: list[str] = field(default_factory=list)
    # False keeps single-user servers running when the hub stops (the tests restart it).
    cleanup_servers: bool = True

    @property
    def public_host(self) -> str:
        return "127.0.0.1" if self.ip in ("", "0.0.0.0", "::") else self.ip

    @property
    def url(self) -> str:
        return f"http://{self.public_host}:{self.port}/"

    @property
    def hub_api_url(self) -> str:
        return f"http://127.0.0.1:{self.hub_port}/hub/api"

    @property
    def launch_host(self) -> str:
        """Where BinderHub-style launch links (``v2/gh/owner/repo/ref``) are served."""
        return f"{self.url}hub/binder/"

    def save(self, path: Path) -> None:
        path.write_text(json.dumps(asdict(self), indent=2))
        path.chmod(0o600)  # holds the admin and proxy tokens

    @classmethod
    def load(cls, path: str | Path) -> DemoSettings:
        return cls(**json.loads(Path(path).read_text()))
