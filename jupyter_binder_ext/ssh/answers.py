"""The answers of ``GET binder/api/ssh``, ``POST .../ssh/configure-git`` and ``.../ssh/test``.

Never any byte of the private key: its answer says where it is and whether ssh can use it.
"""

from __future__ import annotations

from typing import Literal, TypedDict

from jupyter_binder_ext.common.answers import Warning


class PrivateKeyFacts(TypedDict):
    path: str
    exists: bool
    readable: bool
    mode: str | None
    owner_uid: int | None
    owned_by_user: bool
    too_open: bool
    usable: bool
    path_used: str | None
    copied: bool
    reason: str


class SshSetupFacts(TypedDict):
    ssh_config_path: str
    ssh_config_block: bool
    ssh_config_current: bool
    known_hosts_path: str
    known_hosts_pinned: bool


class RepoPushFacts(TypedDict):
    """How pushes of the launched repository would go (URLs with any credential redacted)."""

    path: str
    is_git: bool
    origin_url: str | None
    push_url: str | None
    is_github: bool
    ssh_push_url: str | None
    ssh_command: str | None
    push_ready: bool
    message: str


class GitOverSsh(TypedDict):
    """One status of the remote's pushes over SSH, said the same in every face.

    ``state``: ``ready`` (a GitHub remote whose pushes go over SSH with this key),
    ``not_set_up`` (a GitHub remote, not set up yet), ``not_on_github`` (pushes there never
    use this key, however ssh is set up), ``no_remote`` (no git repository or no origin).
    """

    state: Literal["ready", "not_set_up", "not_on_github", "no_remote"]
    remote: str
    message: str


class SshHost(TypedDict):
    name: str
    user: str
    port: int


class SshStep(TypedDict):
    id: str
    title: str
    detail: str
    url: str | None
    done: bool | None


class SshAnswer(TypedDict):
    public_key: str | None
    public_key_path: str
    public_key_source: str | None
    key_type: str | None
    algorithm: str | None
    bits: int | None
    fingerprint: str | None
    fingerprint_line: str | None
    comment: str | None
    private_key: PrivateKeyFacts
    private_key_usable: bool
    private_key_path_used: str | None
    pair_matches: bool | None
    git_configured: bool
    git_over_ssh: GitOverSsh
    ssh_setup: SshSetupFacts
    repo: RepoPushFacts
    host: SshHost
    add_key_url: str
    fingerprints_url: str
    steps: list[SshStep]
    warnings: list[Warning]


class RepoConfigured(RepoPushFacts):
    changed: list[str]


class ConfigureResult(TypedDict):
    changed: list[str]
    repo: RepoConfigured
    message: str


class ConfigureGitAnswer(SshAnswer):
    """The ssh answer after the set-up, with what was changed."""

    configure: ConfigureResult


SshOutcome = Literal[
    "no_key",
    "authenticated",
    "permission_denied",
    "host_key_mismatch",
    "host_key_unknown",
    "unreachable",
    "timeout",
    "error",
]


class SshTestAnswer(TypedDict):
    ok: bool
    outcome: SshOutcome
    message: str
    next_step: str
    next_step_url: str | None
    github_user: str | None
    exit_code: int | None
    output: str
    command: str | None
    host: str
    port: int
    user: str
    identity_file: str | None
    elapsed_s: float | None
