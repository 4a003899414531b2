"""Start and stop the demo hub: configurable-http-proxy plus a real JupyterHub process.

Used by ``python -m jupyter_binder_ext.demo`` and by the tests (``tests/fixtures/realhub.py``)::

    with DemoHub(Path("/tmp/demo"), port=0) as hub:     # 0: any free port
        print(hub.url)                                  # http://127.0.0.1:PORT/
        hub.api("GET", "/users")                        # admin API token

It also drives the hub as its users do: a user's token and named servers (``user_token``,
``start_server``, ``stop_server``), calls to a server through the proxy (``server_api``) and a
browser logged in through the login form (``browser``), for the tests, the UI tests and the
benchmarks alike.

The proxy is started here rather than by the hub, so that the hub can be stopped, paused
and restarted (``stop_hub``, ``pause_hub``, ``start_hub``) while the proxy and the servers keep
running, as a hub upgrade does on a real site.
"""

from __future__ import annotations

import http.cookiejar
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

from jupyter_binder_ext.demo.cgroups import cgroup_name, clear_server_cgroup, find_server_cgroup
from jupyter_binder_ext.demo.settings import SETTINGS_ENV, DemoSettings

CONFIG_FILE = Path(__file__).with_name("jupyterhub_config.py")
INFO_FILE = "demo.json"


class DemoError(RuntimeError):
    """The demo could not start; the message ends with the tail of the relevant log."""


def free_port(ip: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((ip, 0))
        return int(sock.getsockname()[1])


def _tail(path: Path, lines: int = 40) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def _terminate(proc: subprocess.Popen[bytes] | None, timeout: float = 30.0) -> None:
    if proc is None or proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(10)


class DemoHub:
    """One demo hub: its proxy, its hub process and its state folder."""

    # Keyword-only settings, each with a default: what `make demo`, the tests and the benches
    # change one at a time.
    def __init__(  # noqa: PLR0913
        self,
        state_dir: Path | str,
        *,
        ip: str = "127.0.0.1",
        port: int = 8000,
        named_server_limit: int = 5,
        scopeless_users: list[str] | tuple[str, ...] = (),
        extension_args: list[str] | tuple[str, ...] = (),
        cleanup_servers: bool = True,
        python: str = sys.executable,
    ) -> None:
        self.state_dir = Path(state_dir).resolve()
        self.ip = ip
        self.requested_port = port
        self.named_server_limit = named_server_limit
        self.scopeless_users = list(scopeless_users)
        self.extension_args = list(extension_args)
        self.cleanup_servers = cleanup_servers
        self.python = python
        self.settings: DemoSettings | None = None
        self.proxy: subprocess.Popen[bytes] | None = None
        self.hub: subprocess.Popen[bytes] | None = None

    # -- addresses --------------------------------------------------------------------------
    def _settings(self) -> DemoSettings:
        if self.settings is None:
            raise DemoError("The demo hub is not started.")
        return self.settings

    @property
    def url(self) -> str:
        """The public URL (the proxy), ending in ``/``."""
        return self._settings().url

    @property
    def hub_api_url(self) -> str:
        """The hub's own API address, as single-user servers reach it."""
        return self._settings().hub_api_url

    @property
    def launch_host(self) -> str:
        return self._settings().launch_host

    @property
    def admin_token(self) -> str:
        return self._settings().admin_token

    @property
    def hub_log(self) -> Path:
        return self.state_dir / "hub.log"

    @property
    def proxy_log(self) -> Path:
        return self.state_dir / "proxy.log"

    # -- lifecycle --------------------------------------------------------------------------
    def start(self, timeout: float = 120.0) -> DemoHub:
        """Start proxy and hub; return once the hub answers through the proxy."""
        chp = shutil.which("configurable-http-proxy")
        if chp is None:
            raise DemoError(
                "configurable-http-proxy is not installed: npm install -g configurable-http-proxy"
            )
        self.state_dir.mkdir(parents=True, exist_ok=True)
        port = self.requested_port or free_port(self.ip if self.ip != "0.0.0.0" else "127.0.0.1")
        self.settings = DemoSettings(
            state_dir=str(self.state_dir),
            ip=self.ip,
            port=port,
            hub_port=free_port(),
            proxy_api_port=free_port(),
            proxy_auth_token=secrets.token_hex(32),
            admin_token=secrets.token_hex(32),
            python=self.python,
            named_server_limit=self.named_server_limit,
            scopeless_users=self.scopeless_users,
            extension_args=self.extension_args,
            cleanup_servers=self.cleanup_servers,
        )
        self.settings.save(self.state_dir / "demo-settings.json")
        try:
            self._start_proxy(chp, timeout)
            self.start_hub(timeout)
        except BaseException:
            self.stop()
            raise
        self._write_info()
        return self

    def _start_proxy(self, chp: str, timeout: float) -> None:
        settings = self._settings()
        hub_target = f"http://127.0.0.1:{settings.hub_port}"
        cmd = [
            chp,
            "--ip", settings.ip,
            "--port", str(settings.port),
            "--api-ip", "127.0.0.1",
            "--api-port", str(settings.proxy_api_port),
            "--default-target", hub_target,
            "--error-target", f"{hub_target}/hub/error",
            "--log-level", "warn",
        ]  # fmt: skip
        env = {**os.environ, "CONFIGPROXY_AUTH_TOKEN": settings.proxy_auth_token}
        with self.proxy_log.open("ab") as log:
            self.proxy = subprocess.Popen(
                cmd, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        self._wait(lambda: _port_open(settings.proxy_api_port), timeout, self.proxy, self.proxy_log)

    def start_hub(self, timeout: float = 120.0) -> None:
        """Start the hub process (again, after `stop_hub`) and wait until it answers."""
        settings = self._settings()
        env = {**os.environ, SETTINGS_ENV: str(self.state_dir / "demo-settings.json")}
        with self.hub_log.open("ab") as log:
            self.hub = subprocess.Popen(
                [self.python, "-m", "jupyterhub", "-f", str(CONFIG_FILE)],
                cwd=self.state_dir,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # Ctrl-C reaches the runner, which stops it in order
            )
        self._wait(
            lambda: self._answers(f"{settings.url}hub/api/"), timeout, self.hub, self.hub_log
        )

    def stop_hub(self, timeout: float = 60.0) -> None:
        """Stop the hub process only (proxy and, without cleanup_servers, servers stay)."""
        self.resume_hub()
        _terminate(self.hub, timeout)

    def pause_hub(self) -> None:
        """Freeze the hub (SIGSTOP): it accepts connections but never answers."""
        if self.hub is not None and self.hub.poll() is None:
            self.hub.send_signal(signal.SIGSTOP)

    def resume_hub(self) -> None:
        if self.hub is not None and self.hub.poll() is None:
            self.hub.send_signal(signal.SIGCONT)

    def stop(self) -> None:
        """Stop everything this demo started: hub, leftover servers, proxy."""
        self.stop_hub()
        self._stop_leftover_servers()
        _terminate(self.proxy)
        (self.state_dir / INFO_FILE).unlink(missing_ok=True)

    def _stop_leftover_servers(self) -> None:
        # Servers the hub left running (cleanup_servers=False, or a hub that was killed).
        for pid_file in sorted((self.state_dir / "pids").glob("*.pid")):
            try:
                pid = int(pid_file.read_text().strip())
                os.kill(pid, signal.SIGTERM)
            except (ValueError, ProcessLookupError, PermissionError):
                pid_file.unlink(missing_ok=True)
                continue
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline and _alive(pid):
                time.sleep(0.1)
            if _alive(pid):
                os.kill(pid, signal.SIGKILL)
            pid_file.unlink(missing_ok=True)
            _clear_leftover_cgroup(pid_file.stem)

    def __enter__(self) -> DemoHub:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _write_info(self) -> None:
        settings = self._settings()
        info = {
            "url": settings.url,
            "login": "any user name, empty password",
            "control_panel_url": f"{settings.url}hub/home",
            "launch_url": f"{settings.launch_host}v2/gh/binder-demo/sample/main",
            "hub_api_url": f"{settings.url}hub/api",
            "admin_token": settings.admin_token,
            "pid": os.getpid(),
            "hub_log": str(self.hub_log),
        }
        path = self.state_dir / INFO_FILE
        path.write_text(json.dumps(info, indent=2))
        path.chmod(0o600)

    # -- waiting ----------------------------------------------------------------------------
    @staticmethod
    def _answers(url: str) -> bool:
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                return bool(response.status == 200)
        except (OSError, urllib.error.URLError):
            return False

    @staticmethod
    def _wait(ready: Any, timeout: float, proc: subprocess.Popen[bytes] | None, log: Path) -> None:
        deadline = time.monotonic() + timeout
        while not ready():
            if proc is not None and proc.poll() is not None:
                raise DemoError(f"{log.stem} exited with {proc.returncode}:\n{_tail(log)}")
            if time.monotonic() > deadline:
                raise DemoError(f"{log.stem} not ready after {timeout:g} s:\n{_tail(log)}")
            time.sleep(0.2)

    # -- the hub's REST API with the admin token ---------------------------------------------
    def api(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        token: str | None = None,
        timeout: float = 60.0,
    ) -> tuple[int, Any]:
        """Call ``{url}hub/api{path}``; (status, parsed JSON or text). Never raises on status."""
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            f"{self.url}hub/api{path}",
            data=data,
            method=method,
            headers={
                "Authorization": f"token {token or self.admin_token}",
                "Content-Type": "application/json",
            },
        )
        return _send(request, timeout)

    # The parts of one request through the proxy, as a test writes them out.
    def server_api(  # noqa: PLR0913
        self,
        token: str,
        user: str,
        server: str,
        path: str,
        method: str = "GET",
        timeout: float = 60.0,
        *,
        body: Any = None,
    ) -> tuple[int, Any]:
        """Call ``/user/{user}/{server}/{path}`` through the proxy with a user's API token;
        `body`, when given, goes as JSON. (status, parsed JSON or text); never raises on status.
        """
        headers = {"Authorization": f"token {token}"}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        request = urllib.request.Request(
            f"{self.url}user/{user}/{server}/{path}", data=data, method=method, headers=headers
        )
        return _send(request, timeout)

    def browser(self, user: str) -> HubBrowser:
        """A browser logged in to the hub as `user` (the dummy login form), with its cookies."""
        browser = HubBrowser(self.url)
        browser.log_in(user)
        return browser

    def count_api_requests(self, method: str, path: str) -> int:
        """How many requests for ``/hub/api{path}`` the hub has logged (its access log)."""
        needle = f" {method} /hub/api{path} "
        text = self.hub_log.read_text(errors="replace")
        return sum(1 for line in text.splitlines() if needle in line)

    def create_user(self, name: str) -> None:
        status, body = self.api("POST", f"/users/{name}")
        if status not in (201, 409):
            raise DemoError(f"Could not create user {name}: {status} {body}")

    def user_token(self, name: str, scopes: list[str] | None = None) -> str:
        """A new API token of user `name` (created if missing); all the user's scopes."""
        self.create_user(name)
        body: dict[str, Any] = {"note": "binder demo"}
        if scopes is not None:
            body["scopes"] = scopes
        status, answer = self.api("POST", f"/users/{name}/tokens", body)
        if status != 201:
            raise DemoError(f"Could not create a token for {name}: {status} {answer}")
        return str(answer["token"])

    def binder_options(self, owner: str, repo: str, ref: str = "main") -> dict[str, Any]:
        """BinderHub-shaped user_options for owner/repo at `ref`, resolved to a commit.

        What BinderHub sends when it asks the hub for a server (the demo's stand-in for
        GitHub holds the repository).
        """
        from jupyter_binder_ext.demo.hooks import (
            resolve_launch,  # imports git helpers only, no jupyterhub
        )

        given = {
            "repo_url": f"https://github.com/{owner}/{repo}",
            "binder_request": f"v2/gh/{owner}/{repo}/{ref}",
        }
        return resolve_launch(self.state_dir, self.launch_host, given).options

    def start_server(
        self, user: str, name: str, options: dict[str, Any], timeout: float = 180.0
    ) -> dict[str, Any]:
        """Start a named server through the hub's API and wait until it is ready."""
        self.create_user(user)
        status, body = self.api("POST", f"/users/{user}/servers/{name}", options)
        if status not in (201, 202):
            raise DemoError(f"The hub refused to start {user}/{name}: {status} {body}")
        return self.wait_server(user, name, timeout)

    def wait_server(self, user: str, name: str, timeout: float = 180.0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            status, model = self.api("GET", f"/users/{user}?include_stopped_servers=1")
            server = (model or {}).get("servers", {}).get(name) if status == 200 else None
            if server and server.get("ready"):
                return dict(server)
            if server is not None and _stopped(server):
                raise DemoError(f"{user}/{name} stopped while starting:\n{_tail(self.hub_log)}")
            if time.monotonic() > deadline:
                raise DemoError(f"{user}/{name} not ready after {timeout:g} s")
            time.sleep(0.5)

    def named_servers(self, user: str) -> dict[str, Any]:
        """The user's named servers, stopped ones included, as the hub's API lists them."""
        status, model = self.api("GET", f"/users/{user}?include_stopped_servers=1")
        if status != 200:
            raise DemoError(f"Could not read the servers of {user}: {status} {model}")
        # The default server ('') is listed too but takes no named-server slot.
        return {name: server for name, server in model["servers"].items() if name}

    def stop_server(
        self, user: str, name: str, *, remove: bool = False, timeout: float = 60.0
    ) -> None:
        """Stop a named server (with `remove`, delete it) and wait until the hub says it is."""
        body = {"remove": True} if remove else None
        status, answer = self.api("DELETE", f"/users/{user}/servers/{name}", body)
        if status not in (202, 204):
            raise DemoError(f"The hub refused to stop {user}/{name}: {status} {answer}")
        deadline = time.monotonic() + timeout
        while True:
            server = self.named_servers(user).get(name)
            if (server is None) if remove else (server is not None and _stopped(server)):
                return
            if time.monotonic() > deadline:
                done = "deleted" if remove else "stopped"
                raise DemoError(f"{user}/{name} was not {done} within {timeout:g} s")
            time.sleep(0.2)

    def remove_servers(self, user: str) -> None:
        """Ask the hub to delete every named server of `user`; a clean-up: neither checks
        the answers nor waits."""
        _status, model = self.api("GET", f"/users/{user}?include_stopped_servers=1")
        for name in (model or {}).get("servers", {}):
            if name:
                self.api("DELETE", f"/users/{user}/servers/{name}", {"remove": True})


class NoRedirect(urllib.request.HTTPRedirectHandler):
    """For ``build_opener``: a 3xx answer comes back itself (as an HTTPError), not followed."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


class HubBrowser:
    """A user's browser on the hub: logs in through the dummy login form, keeps its cookies."""

    def __init__(self, hub_url: str) -> None:
        self.hub_url = hub_url
        cookies = urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
        self.following = urllib.request.build_opener(cookies)
        self.not_following = urllib.request.build_opener(cookies, NoRedirect)

    def log_in(self, user: str) -> None:
        """Post the login form (any name, empty password) with the _xsrf value it carries."""
        login = f"{self.hub_url}hub/login"
        with self.following.open(login, timeout=60) as page:
            form = page.read().decode()
        xsrf = re.search(r'name="_xsrf"\s+value="([^"]+)"', form)
        if xsrf is None:
            raise DemoError("The hub's login form carries no _xsrf field.")
        body = urlencode({"username": user, "password": "", "_xsrf": xsrf.group(1)}).encode()
        with self.following.open(login, data=body, timeout=60) as answer:
            if answer.status != 200 or urlsplit(answer.url).path != "/hub/home":
                raise DemoError(f"Logging in as {user} failed: {answer.status} at {answer.url}")

    def step(self, url: str, timeout: float = 60.0) -> tuple[int, str]:
        """One request, redirects not followed: (status, its Location or '')."""
        try:
            with self.not_following.open(url, timeout=timeout) as answer:
                answer.read()
                return int(answer.status), ""
        except urllib.error.HTTPError as err:
            err.read()
            return int(err.code), str(err.headers.get("Location") or "")

    def open(self, url: str, timeout: float = 180.0) -> int:
        """Open `url`, following redirects as a browser does; the last status."""
        with self.following.open(url, timeout=timeout) as answer:
            answer.read()
            return int(answer.status)


def _stopped(server: dict[str, Any]) -> bool:
    return bool(server.get("stopped") and not server.get("pending"))


def _send(request: urllib.request.Request, timeout: float) -> tuple[int, Any]:
    """(status, parsed JSON or text) of one request; HTTP errors are answers, not raised."""
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            status, raw = response.status, response.read()
    except urllib.error.HTTPError as err:
        status, raw = err.code, err.read()
    try:
        return status, json.loads(raw) if raw else None
    except ValueError:
        return status, raw.decode(errors="replace")


def _port_open(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


def _clear_leftover_cgroup(pid_file_stem: str) -> None:
    """The cgroup of a server the hub left running (its pid file's stem is ``user.server``,
    the cgroup's name): a server stopped here never reaches the spawner's stop."""
    user, _, server = pid_file_stem.partition(".")
    cgroup = find_server_cgroup(cgroup_name(user, server))
    if cgroup is not None:
        clear_server_cgroup(cgroup)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie child of ours counts as gone (the hub, not us, is its parent anyway).
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.split(")")[-1].split()[0] != "Z"
