"""What the repository's own git config may not make the extension's git run.

The extension runs git in the user's repository, which on a BinderHub is the home folder:
whatever built the image (a ``postBuild``, say) may have written its ``.git/config``. Every
key of that file (and of the files it includes, and of ``config.worktree``) is read as
hostile; the user's global and system config and the server's environment are the user's
own. Before each git, the runner lists the config with its scopes (:func:`read_config`) and
gives git command-line values (``-c``, which win over every file) for each key of the
repository's config that would make git run a program:

* clean, smudge and process filters, diff and merge drivers, textconv, ``diff.external``,
  ``core.alternateRefsCommand``, pagers, editors, ``core.askPass``: the user's own value
  where their config has one, else a value that runs nothing (an empty command, which git
  skips or refuses to run, and ``filter.<driver>.required=false`` so that a filter it skips
  is not an error: the blob committed is the working file as it is);
* signing and signature checks (``commit.gpgSign``, ``tag.gpgSign``, ``push.gpgSign``,
  ``log.showSignature``...) as the user's own config sets them, else off, and
  ``gpg.program`` / ``gpg.<format>.program`` back to the user's own or git's default;
* ``core.excludesFile`` and ``core.ignoreStat``, which would hide work from git status:
  the user's own value, else none;
* ``core.sshCommand`` and ``ssh.variant``: the extension's own ssh command
  (:func:`own_ssh_command`, the one ``ssh/git_setup.py`` writes), never the repository's;
* credential helpers: the list is emptied and the user's own helpers added back, in order;
* ``remote.<name>.receivepack`` / ``uploadpack`` cannot be outvoted by ``-c`` (git takes the
  first one it reads), so the transport's program is named on the command line instead
  (:func:`command_options`); a diff gets ``--no-ext-diff`` / ``--no-textconv``.

What does not depend on the repository is in the runner's fixed rules (hooks, fsmonitor,
automatic gc and maintenance, the protocols git may use, no pager or editor). Not covered: a
checked-out submodule's own config (the keys that make git recurse are outvoted, but
``git status`` still looks inside a submodule).
"""

from __future__ import annotations

import asyncio
import os
import pwd
import shlex
import subprocess
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

# The scopes of the repository's own config: .git/config, config.worktree and their includes.
UNTRUSTED_SCOPES = frozenset({"local", "worktree"})
LISTING = ("config", "--list", "--show-scope", "-z")
# Before git 2.26 there is no --show-scope: every key of the repository's config is then
# listed alone (the user's own values are not known, so each gets the neutral one).
OLD_GIT_LISTING = ("config", "--local", "--includes", "--list", "-z")
LISTING_TIMEOUT = 10.0

# Keys (section, name) with no subsection that make git run something, and the value that
# runs nothing (or git's own default program).
_SINGLE_KEYS: dict[tuple[str, str], str] = {
    ("core", "askpass"): "",
    ("core", "editor"): ":",
    ("sequence", "editor"): ":",
    ("core", "pager"): "cat",
    ("diff", "external"): "",
    ("core", "alternaterefscommand"): "true",  # advertises no alternate refs
    ("ssh", "variant"): "auto",
    ("gpg", "program"): "gpg",
    ("commit", "gpgsign"): "false",
    ("tag", "gpgsign"): "false",
    ("tag", "forcesignannotated"): "false",
    ("push", "gpgsign"): "false",
    ("log", "showsignature"): "false",
    ("merge", "verifysignatures"): "false",
    # Submodules have configs of their own that these keys would make git read and obey.
    ("push", "recursesubmodules"): "no",
    ("fetch", "recursesubmodules"): "false",
    ("submodule", "recurse"): "false",
    ("status", "submodulesummary"): "false",
    # Not programs, but they would hide the user's work from git status (and so from what
    # idle deletion would lose): an excludes file of "*", stat information ignored.
    ("core", "excludesfile"): "",
    ("core", "ignorestat"): "false",
}
# Keys (section, name) under a subsection (a driver, a signing format...).
_DRIVER_KEYS: dict[tuple[str, str], str] = {
    ("filter", "clean"): "",
    ("filter", "smudge"): "",
    ("filter", "process"): "",
    ("diff", "command"): "",
    ("diff", "textconv"): "",
    ("merge", "driver"): "",
    ("mergetool", "cmd"): "",
    ("difftool", "cmd"): "",
    ("trailer", "command"): "",
    ("trailer", "cmd"): "",
    ("gpg", "defaultkeycommand"): "",
}
_GPG_FORMAT_PROGRAMS = {"openpgp": "gpg", "x509": "gpgsm", "ssh": "ssh-keygen"}
_FILTER_COMMANDS = ("clean", "smudge", "process")
SSH_COMMAND_KEY = "core.sshcommand"
CREDENTIAL_HELPER = "credential.helper"
RECEIVE_PACK = "git-receive-pack"
# git commands that run no program whatever the config says (no filter, driver, signing,
# transport, pager or editor: with GIT_EDITOR=":" even `config --edit`): their config is
# not listed first. Not `log`, `rev-list` or `for-each-ref` (their formats check
# signatures), nor `ls-files` or `hash-object` (they may run clean filters).
RUNS_NOTHING = frozenset({"rev-parse", "symbolic-ref", "show-ref", "config", "var"})
# Commands that run nothing with some arguments only: `remote` listing or naming a URL (not
# `remote show`, which asks the remote), `rev-list` without a format and `for-each-ref` without
# a signature atom (a format may check a signature, which runs gpg).
_REMOTE_READS = frozenset({"-v", "--verbose", "get-url"})
_FORMATS = ("--format", "--pretty", "--show-signature")


def runs_nothing(command: str, rest: Sequence[str]) -> bool:
    """Whether git `command` with the arguments `rest` can run no program, whatever the
    config says: its config need not be listed first (a `git status` each poll costs one
    listing, not four)."""
    if command in RUNS_NOTHING:
        return True
    if command == "remote":
        return not rest or rest[0] in _REMOTE_READS
    if command == "rev-list":
        return not any(arg.startswith(_FORMATS) for arg in rest)
    if command == "for-each-ref":  # only a %(signature) atom checks a signature (gpg)
        return not any("%(signature" in arg for arg in rest)
    return False


UPLOAD_PACK = "git-upload-pack"


class ConfigUnreadable(Exception):
    """The config could not be listed in time: nothing is run blind."""


@dataclass(frozen=True)
class ConfigEntry:
    """One line of ``git config --list``: the key as git prints it (section and name in lower
    case, a subsection as written) and its value (None for a bare key, which means true)."""

    scope: str
    key: str
    value: str | None

    @property
    def trusted(self) -> bool:
        return self.scope not in UNTRUSTED_SCOPES

    @property
    def section(self) -> str:
        return self.key.split(".", 1)[0]

    @property
    def name(self) -> str:
        return self.key.rsplit(".", 1)[-1]

    @property
    def subsection(self) -> str | None:
        parts = self.key.split(".", 1)[-1]
        return parts.rsplit(".", 1)[0] if "." in parts else None


def parse_listing(text: str, scope: str | None = None) -> list[ConfigEntry]:
    """The entries of ``git config --list -z`` (``--show-scope`` unless `scope` is given)."""
    fields = text.split("\0")
    if fields and fields[-1] == "":
        fields.pop()
    if scope is not None:
        pairs = [(scope, item) for item in fields]
    else:
        pairs = list(zip(fields[0::2], fields[1::2], strict=False))
    entries = []
    for entry_scope, item in pairs:
        key, newline, value = item.partition("\n")
        entries.append(ConfigEntry(entry_scope, key, value if newline else None))
    return entries


def _listing_env(env: Mapping[str, str]) -> dict[str, str]:
    return {**env, "LC_ALL": "C"}


def read_config(repo: Path | str, git: str, env: Mapping[str, str]) -> list[ConfigEntry]:
    """Every config entry git would read in `repo`, with its scope, includes followed."""

    def listing(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [git, "-C", str(repo), *args],
            capture_output=True,
            text=True,
            errors="replace",
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            timeout=LISTING_TIMEOUT,
            env=_listing_env(env),
        )

    try:
        done = listing(*LISTING)
        if done.returncode != 0 and "show-scope" in done.stderr:
            done = listing(*OLD_GIT_LISTING)
            return parse_listing(done.stdout, "local") if done.returncode == 0 else []
    except subprocess.TimeoutExpired as err:
        raise ConfigUnreadable(f"git config --list took over {LISTING_TIMEOUT:g} s") from err
    except OSError:
        return []  # no git: the command itself says so
    # A config git cannot read fails the command itself the same way, before it runs anything.
    return parse_listing(done.stdout) if done.returncode == 0 else []


async def read_config_async(
    repo: Path | str, git: str, env: Mapping[str, str]
) -> list[ConfigEntry]:
    """:func:`read_config` without blocking the event loop (git 2.26 or later)."""
    try:
        process = await asyncio.create_subprocess_exec(
            git,
            "-C",
            str(repo),
            *LISTING,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            start_new_session=True,
            env=_listing_env(env),
        )
    except OSError:
        return []
    try:
        out, _errors = await asyncio.wait_for(process.communicate(), LISTING_TIMEOUT)
    except asyncio.TimeoutError as err:
        process.kill()
        await process.wait()
        raise ConfigUnreadable(f"git config --list took over {LISTING_TIMEOUT:g} s") from err
    except asyncio.CancelledError:
        process.kill()
        await process.wait()
        raise
    if process.returncode != 0:
        return []
    return parse_listing(out.decode("utf-8", "replace"))


# -- our own ssh command --------------------------------------------------------------------


def ssh_command_for(ssh_config: Path) -> str | None:
    """``ssh -F <config>`` when `ssh_config` is not the one ssh reads by itself (ssh finds
    ~/.ssh/config through the passwd entry, not $HOME); None when it is."""
    ours = os.path.realpath(ssh_config)
    try:
        home = pwd.getpwuid(os.geteuid()).pw_dir
    except KeyError:
        home = str(Path("~").expanduser())
    if ours == os.path.realpath(Path(home) / ".ssh" / "config"):
        return None
    return f"ssh -F {shlex.quote(ours)}"


def own_ssh_command(env: Mapping[str, str] | None = None) -> str | None:
    """The ssh command the extension's ssh set-up writes for this site (None: plain ssh).

    Recomputed from the site the server publishes in its environment (the defaults when
    none is), never read from the repository's config.
    """
    # Imported here: the config module is small, but the runner must not need it at import.
    from jupyter_binder_ext.config import SITE_ENV, SiteConfig

    published = (os.environ if env is None else env).get(SITE_ENV)
    site = SiteConfig()
    if published:
        try:
            site = SiteConfig.from_json(published)
        except (ValueError, TypeError):
            site = SiteConfig()
    return ssh_command_for(site.ssh_dir_path() / "config")


# -- what overrides the repository's keys ---------------------------------------------------


def _neutral_value(entry: ConfigEntry) -> str | None:
    """The value that runs nothing for a command-running key; None for any other key."""
    section, name, sub = entry.section, entry.name, entry.subsection
    if sub is None:
        if section == "pager":  # pager.<command>: a pager for that command
            return "false"
        return _SINGLE_KEYS.get((section, name))
    if section == "gpg" and name == "program":
        return _GPG_FORMAT_PROGRAMS.get(sub, "")
    return _DRIVER_KEYS.get((section, name))


def _setting(key: str, value: str | None) -> list[str]:
    return ["-c", key if value is None else f"{key}={value}"]


def _ssh_command(trusted: ConfigEntry | None, own: str | None) -> str | None:
    """Ours where the site needs one; else the user's own, else plain ssh."""
    if own is not None:
        return own
    return trusted.value if trusted is not None else "ssh"


def _unrun_filters(values: Mapping[str, str | None], entries: Sequence[ConfigEntry]) -> set[str]:
    """Filter drivers of the repository's config left with no command at all: no longer
    ``required``, so that git stores and checks out the files as they are."""
    last_trusted = {entry.key: entry.value for entry in entries if entry.trusted}
    drivers = {
        entry.subsection
        for entry in entries
        if not entry.trusted and entry.section == "filter" and entry.name in _FILTER_COMMANDS
    }
    unrun = set()
    for driver in drivers - {None}:
        keys = [f"filter.{driver}.{name}" for name in _FILTER_COMMANDS]
        effective = [values[key] if key in values else last_trusted.get(key) for key in keys]
        if not any(effective):
            unrun.add(str(driver))
    return unrun


def _is_credential_helper(entry: ConfigEntry) -> bool:
    return entry.section == "credential" and entry.name == "helper"


def _credential_options(entries: Sequence[ConfigEntry]) -> list[str]:
    """Empty the helper list (an empty value does that), then add back the user's own."""
    if not any(_is_credential_helper(entry) and not entry.trusted for entry in entries):
        return []
    options = _setting(CREDENTIAL_HELPER, "")
    for entry in entries:
        if _is_credential_helper(entry) and entry.trusted:
            options += _setting(entry.key, entry.value)
    return options


def config_overrides(
    entries: Sequence[ConfigEntry], own_ssh: Callable[[], str | None] = own_ssh_command
) -> list[str]:
    """The ``-c`` options that outvote every command-running key of the repository's config;
    `own_ssh` gives the extension's own ssh command (asked only when one is needed)."""
    if all(entry.trusted for entry in entries):
        return []
    last_trusted = {entry.key: entry for entry in entries if entry.trusted}
    values: dict[str, str | None] = {}
    for entry in entries:
        if entry.trusted:
            continue
        if entry.key == SSH_COMMAND_KEY:
            values[entry.key] = _ssh_command(last_trusted.get(entry.key), own_ssh())
            continue
        neutral = _neutral_value(entry)
        if neutral is not None:
            trusted = last_trusted.get(entry.key)
            values[entry.key] = trusted.value if trusted is not None else neutral
    for driver in sorted(_unrun_filters(values, entries)):
        values[f"filter.{driver}.required"] = "false"
    options: list[str] = []
    for key, value in values.items():
        options += _setting(key, value)
    return options + _credential_options(entries)


def command_options(subcommand: str, entries: Sequence[ConfigEntry]) -> list[str]:
    """Options given after the git command where the repository's config names a program
    that a ``-c`` cannot outvote (git keeps the first receive-pack or upload-pack it reads),
    or that a diff would run: git's own receive-pack or upload-pack, no external diff and no
    textconv (so a diff still works, without them)."""
    untrusted = [entry for entry in entries if not entry.trusted]
    remote_keys = {entry.name for entry in untrusted if entry.section == "remote"}
    diff_keys = {entry.name for entry in untrusted if entry.section == "diff"}
    if subcommand == "push" and "receivepack" in remote_keys:
        return [f"--receive-pack={RECEIVE_PACK}"]
    if subcommand in ("fetch", "pull", "ls-remote") and "uploadpack" in remote_keys:
        return [f"--upload-pack={UPLOAD_PACK}"]
    options = []
    if subcommand in ("diff", "log", "show"):
        if diff_keys & {"external", "command"}:
            options.append("--no-ext-diff")
        if "textconv" in diff_keys:
            options.append("--no-textconv")
    return options
