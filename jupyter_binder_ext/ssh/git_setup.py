"""Setting ssh and git up for pushes to GitHub with the mounted key.

An ssh config entry for the git host inside a clearly delimited managed block of the user's
ssh config (their other lines are kept), GitHub's published host keys pinned in a
known_hosts file of our own (no trust on first use), and for the launched repository an ssh
push URL beside its https fetch URL. Every step is idempotent; git is driven through its own
``git config`` command.
"""

from __future__ import annotations

import stat
import subprocess
from importlib import resources
from pathlib import Path

from jupyter_binder_ext.common.files import UnsafeFile, read_text, write_atomic
from jupyter_binder_ext.common.git_runner import run_git
from jupyter_binder_ext.common.git_safety import ssh_command_for
from jupyter_binder_ext.common.redact import redact
from jupyter_binder_ext.config import SiteConfig
from jupyter_binder_ext.errors import CommandFailed, Conflict
from jupyter_binder_ext.launch.spec import github_owner_repo
from jupyter_binder_ext.ssh.answers import PrivateKeyFacts, RepoConfigured, RepoPushFacts
from jupyter_binder_ext.ssh.keys import ensure_usable_key

PRIVATE_COPY_NAME = "binder_id"
KNOWN_HOSTS_NAME = "binder_known_hosts"
BLOCK_BEGIN = (
    "# >>> jupyter-binder-ext managed block: do not edit, "
    "`jupyter binder ssh --configure-git` rewrites it >>>"
)
BLOCK_END = "# <<< jupyter-binder-ext managed block <<<"
OUTPUT_LIMIT = 2000
# The most an ssh config or a known_hosts file may hold for the extension to read it.
CONFIG_MAX_BYTES = 1024 * 1024


def expand(path: str) -> Path:
    return Path(path).expanduser()


def private_copy_path(site: SiteConfig) -> Path:
    return site.ssh_dir_path() / PRIVATE_COPY_NAME


def usable_key(site: SiteConfig) -> PrivateKeyFacts:
    """The site's private key as ssh can use it (see :func:`.keys.ensure_usable_key`)."""
    return ensure_usable_key(expand(site.ssh_private_key_path), private_copy_path(site))


# -- pinned host keys and the ssh config ----------------------------------------------------


def pinned_known_hosts_text(site: SiteConfig) -> str:
    """The host keys to trust: the site's file, or GitHub's published keys (packaged)."""
    if site.ssh_known_hosts_file:
        path = expand(site.ssh_known_hosts_file)
        # The operator's file: a link inside its folder (a Kubernetes ConfigMap) is followed.
        text = read_text(path, limit=CONFIG_MAX_BYTES, links="within")
        if text is None:
            raise FileNotFoundError(f"{path} does not exist")
        return text
    packaged = resources.files("jupyter_binder_ext.ssh").joinpath("github_known_hosts")
    return packaged.read_text(encoding="utf-8")


def ssh_config_path(site: SiteConfig) -> Path:
    return site.ssh_dir_path() / "config"


def known_hosts_path(site: SiteConfig) -> Path:
    return site.ssh_dir_path() / KNOWN_HOSTS_NAME


def _config_value(path: str) -> str:
    # ssh_config expands %-tokens in these paths and splits on spaces unless quoted.
    return '"' + path.replace("%", "%%") + '"'


def render_block(site: SiteConfig, identity_file: str) -> str:
    host = site.github_ssh_host
    lines = [
        BLOCK_BEGIN,
        f"Host {host}",
        f"    User {site.github_ssh_user}",
        f"    Port {site.github_ssh_port}",
        # Host keys are looked up under this name whatever address or port is used.
        f"    HostKeyAlias {host}",
        f"    IdentityFile {_config_value(identity_file)}",
        "    IdentitiesOnly yes",
        f"    UserKnownHostsFile {_config_value(str(known_hosts_path(site)))}",
        "    StrictHostKeyChecking yes",
        "    UpdateHostKeys no",
        # Ends the Host section: the user's own global lines below keep applying everywhere.
        "Host *",
        BLOCK_END,
    ]
    return "\n".join(lines) + "\n"


def _split_block(text: str) -> tuple[str, str | None, str]:
    """(before, managed block or None, after); a half block is refused, not guessed at."""
    begin = text.find(BLOCK_BEGIN)
    if begin < 0:
        if BLOCK_END in text:
            raise Conflict(
                "The ssh config has the end of a managed block but not its start; fix it by "
                "hand (remove the jupyter-binder-ext lines) and try again.",
                reason="broken_managed_block",
            )
        return text, None, ""
    end = text.find(BLOCK_END, begin)
    if end < 0:
        raise Conflict(
            "The ssh config has the start of a managed block but not its end; fix it by hand "
            "(remove the jupyter-binder-ext lines) and try again.",
            reason="broken_managed_block",
        )
    end += len(BLOCK_END)
    if text[end : end + 1] == "\n":
        end += 1
    return text[:begin], text[begin:end], text[end:]


def write_managed_block(path: Path, block: str) -> bool:
    """Put `block` in the ssh config, replacing ours in place or adding it on top (ssh takes
    the first value it finds); the user's other lines are kept. False when unchanged.

    A config that is a link (to a dotfiles repository, say) is refused, not written through:
    see :mod:`..common.files`.
    """
    text = read_text(path, limit=CONFIG_MAX_BYTES) or ""
    before, current, after = _split_block(text)
    if current is None:
        new = block + ("\n" + text if text else "")
    else:
        # Further copies (a hand-made duplicate) go: one block, where the first one was.
        while BLOCK_BEGIN in after:
            rest_before, _dup, rest_after = _split_block(after)
            after = rest_before + rest_after
        new = before + block + after
    if new == text:
        return False
    mode = 0o600
    if path.exists():
        # Keep the user's mode, minus group/other write (ssh rejects such a config).
        mode = stat.S_IMODE(path.stat().st_mode) & ~0o022
    write_atomic(path, new, mode=mode)
    return True


def read_managed_block(path: Path) -> str | None:
    try:
        text = read_text(path, limit=CONFIG_MAX_BYTES)
    except (OSError, UnsafeFile):
        return None
    if text is None:
        return None
    try:
        return _split_block(text)[1]
    except Conflict:
        return None


# -- git -----------------------------------------------------------------------------------


def _git(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return run_git(root, *args, check=False)


def _git_get(root: Path, key: str) -> str | None:
    proc = _git(root, "config", "--get", key)
    return proc.stdout.strip() if proc.returncode == 0 else None


def _git_set(root: Path, key: str, value: str) -> None:
    proc = _git(root, "config", "--local", key, value)
    if proc.returncode != 0:
        raise CommandFailed(
            f"git config {key} failed: {redact(proc.stderr.strip())}",
            command=f"git config --local {key}",
            stderr=redact(proc.stderr.strip())[-OUTPUT_LIMIT:],
        )


def ssh_push_url(site: SiteConfig, owner: str, repo: str) -> str:
    return f"{site.github_ssh_user}@{site.github_ssh_host}:{owner}/{repo}.git"


def _is_ssh_url_for(site: SiteConfig, url: str) -> bool:
    host = site.github_ssh_host
    return url.startswith(f"{site.github_ssh_user}@{host}:") or url.startswith(
        (f"ssh://{site.github_ssh_user}@{host}/", f"ssh://{site.github_ssh_user}@{host}:")
    )


def needed_ssh_command(site: SiteConfig) -> str | None:
    """``ssh -F <config>`` when our config is not the one ssh reads by itself (ssh finds
    ~/.ssh/config through the passwd entry, not $HOME). The git runner recomputes the same
    command (:func:`.common.git_safety.own_ssh_command`): it never takes the repository's."""
    return ssh_command_for(ssh_config_path(site))


def _redacted(facts: RepoPushFacts) -> RepoPushFacts:
    """The facts as answers and logs may show them: no credential from a URL's userinfo."""

    def hidden(value: str | None) -> str | None:
        return None if value is None else redact(value)

    return {
        **facts,
        "path": redact(facts["path"]),
        "origin_url": hidden(facts["origin_url"]),
        "push_url": hidden(facts["push_url"]),
        "ssh_push_url": hidden(facts["ssh_push_url"]),
        "ssh_command": hidden(facts["ssh_command"]),
        "message": redact(facts["message"]),
    }


def repo_status(site: SiteConfig) -> RepoPushFacts:
    """The launched repository's origin and how pushes to it would go (credentials hidden)."""
    return _redacted(_repo_status(site))


def _no_push(root: Path, message: str) -> RepoPushFacts:
    return {
        "path": str(root),
        "is_git": False,
        "origin_url": None,
        "push_url": None,
        "is_github": False,
        "ssh_push_url": None,
        "ssh_command": None,
        "push_ready": False,
        "message": message,
    }


def _repo_status(site: SiteConfig) -> RepoPushFacts:
    root = site.repo_path()
    if not root.is_dir():
        return _no_push(root, f"{root} does not exist.")
    inside = _git(root, "rev-parse", "--is-inside-work-tree")
    if inside.returncode != 0 or inside.stdout.strip() != "true":
        return _no_push(root, f"{root} is not a git repository.")
    origin = _git_get(root, "remote.origin.url")
    info: RepoPushFacts = {
        **_no_push(root, ""),
        "is_git": True,
        "origin_url": origin,
        "push_url": _git_get(root, "remote.origin.pushurl"),
        "ssh_command": _git_get(root, "core.sshCommand"),
    }
    if not origin:
        return {**info, "message": "The repository has no remote called origin."}
    owner_repo = github_owner_repo(origin)
    if owner_repo is None and not _is_ssh_url_for(site, origin):
        message = f"origin ({origin}) is not on GitHub: its push URL is left as it is."
        return {**info, "message": message}
    effective = info["push_url"] or origin
    command_ok = needed_ssh_command(site) in (None, info["ssh_command"])
    ready = _is_ssh_url_for(site, effective) and command_ok
    return {
        **info,
        "is_github": True,
        "ssh_push_url": ssh_push_url(site, *owner_repo) if owner_repo is not None else None,
        "push_ready": ready,
        "message": f"Pushes go to {effective} over SSH."
        if ready
        else f"Pushes go to {effective}; set up git to push over SSH with the key.",
    }


def configure_repo(site: SiteConfig) -> RepoConfigured:
    """Give an https GitHub origin an ssh push URL (fetch URL untouched)."""
    status = _repo_status(site)
    root = site.repo_path()
    changed: list[str] = []
    if not status["is_github"]:
        return {**_redacted(status), "changed": changed}
    push_url = status["push_url"]
    wanted = status["ssh_push_url"]
    origin = status["origin_url"] or ""
    if wanted and not _is_ssh_url_for(site, origin) and push_url != wanted:
        if push_url and github_owner_repo(push_url) is None and not _is_ssh_url_for(site, push_url):
            # A push URL the user chose for somewhere else: not ours to overwrite.
            message = f"remote.origin.pushurl is already set to {push_url}; left as it is."
            return {**_redacted({**status, "message": message}), "changed": changed}
        _git_set(root, "remote.origin.pushurl", wanted)
        changed.append("remote.origin.pushurl")
    command = needed_ssh_command(site)
    if command and status["ssh_command"] != command:
        _git_set(root, "core.sshCommand", command)
        changed.append("core.sshCommand")
    return {**repo_status(site), "changed": changed}
