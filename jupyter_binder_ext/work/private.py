"""The one rule for what may leave the notebook: what is never the user's work.

On a BinderHub the repository is cloned into the home folder, so everything the user's tools
write lies beside the work: the SSH folder (the key copy ssh needs), git and netrc
credentials, the GitHub and GitLab CLIs' hosts files, cloud CLIs' credentials, `.env` files,
shell and Python histories, Jupyter's runtime files (the server's token, kernel connection
files with their HMAC keys, the cookie secret) and checkpoints. Deletion losing them loses no
work, and saving them would put a key or a token on the volume or on GitHub.

:class:`LeaveRule` decides file by file, on the *resolved* path (a link into ``.git`` is
``.git``), and for small files on their content too (a private key is one whatever its name).
Every listing, copy and commit asks it; a file it holds back is never listed as at risk,
copied or committed, and naming one is refused with the rule's words. Tools' state at the
home root (``.cache``, ``.local``, ``.config``, ...) is not work either, unless the user names
a file in it (and that file passes the other rules).
"""

from __future__ import annotations

import contextlib
import os
import re
import stat
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from jupyter_binder_ext.config import SiteConfig
from jupyter_binder_ext.work.answers import HeldBackFile, HeldBackRule, SkippedFile

# Why a file may not leave (the answers' own Literal); each has one sentence in RULE_TEXT.
Rule = HeldBackRule

RULE_TEXT: dict[Rule, str] = {
    "git": "git's own folder (its config can hold a token in a remote URL)",
    "ssh": "SSH keys and their settings",
    "credentials": "a credentials file (tokens or passwords)",
    "private_key": "a private key",
    "history": "a command history (it may hold passwords typed on a command line)",
    "jupyter_state": "Jupyter's own state (server tokens, kernel keys, settings)",
    "checkpoint": "a checkpoint copy Jupyter makes by itself",
    "tool_state": "tools' own state at the home folder's top (caches, installed packages, "
    "settings); name a file in it to save that file",
    "secret": "a credential (a token, key or password) in its text",
}

# Folders of this name hold copies Jupyter makes by itself, wherever they are.
CHECKPOINT_FOLDER = ".ipynb_checkpoints"
GIT_FOLDER = ".git"

# Credential files by name, wherever they lie.
_CREDENTIAL_NAMES = frozenset(
    {
        ".git-credentials",
        ".netrc",
        "_netrc",
        ".pgpass",
        ".pypirc",
        ".npmrc",
        ".dockercfg",
        ".my.cnf",
        ".boto",
        ".s3cfg",
        "credentials.db",  # gcloud's
        "access_tokens.db",
        "netrc",
        ".envrc",  # direnv's environment
        ".Renviron",  # R's environment, where tokens are kept
        ".cdsapirc",  # the Copernicus data store's key
        ".databrickscfg",
        ".boto3",
    }
)
# `.env` and `.env.local`, `.env.production`...; a template for others to fill in is work.
_ENV_FILE = re.compile(r"^\.env(\..+)?$")
_ENV_TEMPLATES = frozenset({"example", "sample", "template", "dist", "defaults"})
# SSH private keys by their usual names (their content is checked too).
_KEY_NAMES = frozenset(
    {"id_rsa", "id_dsa", "id_ecdsa", "id_ed25519", "id_ecdsa_sk", "id_ed25519_sk"}
)
_HISTORY_NAMES = frozenset(
    {
        ".bash_history",
        ".zsh_history",
        ".sh_history",
        ".ash_history",
        ".history",
        ".python_history",
        ".Rhistory",
        ".psql_history",
        ".mysql_history",
        ".sqlite_history",
        ".node_repl_history",
        ".lesshst",
        ".wget-hsts",
        ".viminfo",
        "repl_history.jl",  # Julia's, in ~/.julia/logs
    }
)
# Jupyter's runtime files by name, wherever a server or kernel left them.
_JUPYTER_STATE_NAME = re.compile(
    r"^(jupyter_cookie_secret|jpserver-\d+(-open)?\.(json|html)|nbserver-\d+(-open)?\.(json|html)"
    r"|kernel-[0-9a-f-]+\.json|notebook_secret)$"
)
# Home-relative places of credentials.
_CREDENTIAL_PLACES = (
    ".aws",
    ".azure",
    ".config/gcloud",
    ".config/gh",
    ".config/glab-cli",
    ".config/hub",
    ".kube",
    ".docker/config.json",
    ".gnupg",
    ".password-store",
    ".local/share/keyrings",
    ".huggingface/token",
    ".kaggle",
    ".config/kaggle",
    ".streamlit/secrets.toml",
    ".config/rclone",
    ".terraform.d/credentials.tfrc.json",
    ".cache/huggingface/token",
)
# Home-relative places of Jupyter's and IPython's own state.
_JUPYTER_PLACES = (".jupyter", ".ipython", ".local/share/jupyter")
# Tools' state at the home folder's top: not work unless a file in it is named.
_TOOL_STATE = frozenset(
    {
        ".cache",
        ".local",
        ".config",
        ".conda",
        ".condarc",
        ".npm",
        ".yarn",
        ".node-gyp",
        ".cargo",
        ".rustup",
        ".julia",
        ".R",
        ".m2",
        ".gradle",
        ".ivy2",
        ".sbt",
        ".nv",
        ".mamba",
        ".java",
        ".dotnet",
        ".vscode-server",
        ".mozilla",
        ".pki",
        ".keras",
        ".torch",
        ".virtual_documents",
    }
)
# A private key, by what every format's text starts with (PEM, OpenSSH, PuTTY).
# One pattern for both: a file's start here, and every byte of a commit in work/secret_scan.py.
PRIVATE_KEY_CONTENT = re.compile(
    rb"-----BEGIN (?:[A-Z0-9]{1,20} ){0,3}PRIVATE KEY(?: BLOCK)?-----|PuTTY-User-Key-File-\d{1,2}:"
)
# A key file starts with its header; the start of a larger file is read (a key pasted at
# the top of a log), the rest is left to the commit's credential scan.
_SNIFF_LIMIT = 64 * 1024


@dataclass(frozen=True)
class Refusal:
    """Why one file may not leave."""

    rule: Rule
    message: str


@dataclass(frozen=True)
class LeaveRule:
    """What may leave this server, decided on resolved paths (see the module's docstring)."""

    home: str  # the home folder's real path
    # (real path, rule) of folders and files that never leave: the site's SSH folder and key
    # pair, Jupyter's folders, the repository's git folder, and where a link at one of the
    # home's credential places points (`.kube -> dotfiles/kube` makes dotfiles/kube one).
    places: tuple[tuple[str, Rule], ...] = ()
    # (device, inode) of the credential files at the home's top: another hard link to one
    # under an innocent name is that file.
    hard_linked: Mapping[tuple[int, int], Rule] = field(default_factory=dict)

    def check(
        self,
        path: str | os.PathLike[str],
        *,
        named: bool = False,
        read: bool = True,
        folders: dict[str, str] | None = None,
    ) -> Refusal | None:
        """Why the file at `path` (absolute) may not leave, or None when it may.

        `named`: the user named this file (or a folder holding it), which lets a file of
        tools' state go; no other rule bends. `read`: the content of a small regular file
        is read too (a private key is one whatever its name): call it off the event loop.
        A listing too long to read every file passes False past what it shows; every save
        reads. `folders`: resolved folders kept for one listing (many files share a folder).
        """
        real = _resolve(os.fspath(path), folders)
        # Plain strings, not Path objects: a listing checks thousands of files.
        refusal = self._by_place(real, named) or _by_name(os.path.basename(real))  # noqa: PTH119
        if refusal is None and read:
            holds_key, linked = _sniff(real)
            if holds_key:
                refusal = "private_key"
            elif linked is not None:
                refusal = self.hard_linked.get(linked)
        return None if refusal is None else Refusal(refusal, RULE_TEXT[refusal])

    def _by_place(self, real: str, named: bool) -> Rule | None:
        parts = real.split(os.sep)  # noqa: PTH206 (a str, see check)
        rule = _by_folder(parts)
        if rule is not None:
            return rule
        for place, rule in self.places:
            if _is_under(real, place, os.sep):
                return rule
        if not real.startswith(self.home + os.sep):
            return None
        return _in_home(real[len(self.home) + 1 :], named)

    def covers(self, path: str | os.PathLike[str]) -> bool:
        """Whether the file at `path` may not leave when nobody names it."""
        return self.check(path) is not None


def _is_under(path: str, place: str, sep: str = "/") -> bool:
    return path == place or path.startswith(place + sep)


def _by_folder(parts: list[str]) -> Rule | None:
    """The rules by a folder on the way, wherever the file lies."""
    # In any case: git itself refuses a ".GIT" path (a case-insensitive disk's .git).
    if any(part.lower() == GIT_FOLDER for part in parts[:-1]):
        return "git"
    if CHECKPOINT_FOLDER in parts:
        return "checkpoint"
    if parts[-2:] == [".streamlit", "secrets.toml"]:  # a Streamlit app's own secrets
        return "credentials"
    return None


def _in_home(relative: str, named: bool) -> Rule | None:
    """The rules of the hidden places at the home folder's top (`relative` to it)."""
    if not relative.startswith("."):
        return None  # every place below is a hidden folder at the home's top
    if any(_is_under(relative, place) for place in _CREDENTIAL_PLACES):
        return "credentials"
    if any(_is_under(relative, place) for place in _JUPYTER_PLACES):
        return "jupyter_state"
    top = relative.split("/", 1)[0]
    if top == ".ssh":
        return "ssh"
    if top in _TOOL_STATE and not named:
        return "tool_state"
    return None


def _resolve(path: str, folders: dict[str, str] | None) -> str:
    """The resolved path: what a copy or `git add` would read (a link into .git is .git).
    The folder's resolution is kept in `folders` for the files beside it; a file that is a
    link is resolved whole."""
    if folders is None:
        return os.path.realpath(path)
    parent, name = os.path.split(path)
    real_parent = folders.get(parent)
    if real_parent is None:
        real_parent = folders[parent] = os.path.realpath(parent)
    joined = os.path.join(real_parent, name)  # noqa: PTH118 (str paths, see LeaveRule.check)
    return os.path.realpath(joined) if os.path.islink(joined) else joined  # noqa: PTH114


def _by_name(name: str) -> Rule | None:
    if name.lower() == GIT_FOLDER:
        return "git"
    if name in _CREDENTIAL_NAMES:
        return "credentials"
    match = _ENV_FILE.match(name)
    if match and (match.group(1) or "")[1:].lower() not in _ENV_TEMPLATES:
        return "credentials"
    if name in _KEY_NAMES:
        return "private_key"
    if name in _HISTORY_NAMES:
        return "history"
    if _JUPYTER_STATE_NAME.match(name):
        return "jupyter_state"
    return None


def _sniff(real: str) -> tuple[bool, tuple[int, int] | None]:
    """Whether a regular file's start holds a private key, and its (device, inode) when it
    has other hard links (read without following links or blocking on a FIFO)."""
    try:
        fd = os.open(real, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError:
        return False, None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            return False, None
        linked = (info.st_dev, info.st_ino) if info.st_nlink > 1 else None
        return PRIVATE_KEY_CONTENT.search(os.read(fd, _SNIFF_LIMIT)) is not None, linked
    except OSError:
        return False, None
    finally:
        os.close(fd)


def _identities(places: list[tuple[str, Rule]]) -> dict[tuple[int, int], Rule]:
    """(device, inode) of every file at these places (a folder: the files in it): a hard
    link to one under another name is that file."""
    found: dict[tuple[int, int], Rule] = {}
    for place, rule in places:
        try:
            entries = [e for e in os.scandir(place) if e.is_file(follow_symlinks=False)]
        except NotADirectoryError:
            entries = []
            with contextlib.suppress(OSError):
                info = os.lstat(place)
                if stat.S_ISREG(info.st_mode):
                    found[(info.st_dev, info.st_ino)] = rule
        except OSError:
            continue
        for entry in entries[:1000]:
            with contextlib.suppress(OSError):
                info = entry.stat(follow_symlinks=False)
                found[(info.st_dev, info.st_ino)] = rule
    return found


def leave_rule(site: SiteConfig, home: Path, git_dir: Path | None = None) -> LeaveRule:
    """This server's rule: its home, the site's SSH paths, Jupyter's folders, git's folder."""
    from jupyter_core.paths import jupyter_config_dir, jupyter_data_dir, jupyter_runtime_dir

    places: list[tuple[str | Path, Rule]] = [
        (site.ssh_dir_path(), "ssh"),
        # The mounted pair itself (not its folder: a site may mount it into the home folder).
        (Path(site.ssh_private_key_path).expanduser(), "ssh"),
        (Path(site.ssh_public_key_path).expanduser(), "ssh"),
        (jupyter_runtime_dir(), "jupyter_state"),
        (jupyter_data_dir(), "jupyter_state"),
        (jupyter_config_dir(), "jupyter_state"),
    ]
    if git_dir is not None:
        places.append((git_dir, "git"))
    real_home = os.path.realpath(home)
    home_places = [(f"{real_home}/{relative}", rule) for relative, rule in _HOME_PLACES]
    # A credential place that is a link (or lies under one): where it points never leaves.
    places += [(place, rule) for place, rule in home_places if os.path.realpath(place) != place]
    resolved = {
        (os.path.realpath(place), rule) for place, rule in places if Path(place).is_absolute()
    }
    credential_files: list[tuple[str, Rule]] = [
        (place, rule) for place, rule in home_places if rule != "jupyter_state"
    ]
    credential_files += [(os.fspath(place), rule) for place, rule in places[:3]]  # SSH
    return LeaveRule(real_home, tuple(sorted(resolved)), _identities(credential_files))


# The home's own credential, SSH and Jupyter places, and its credential files by name.
_HOME_PLACES: tuple[tuple[str, Rule], ...] = (
    *((place, "credentials") for place in _CREDENTIAL_PLACES),
    *((place, "jupyter_state") for place in _JUPYTER_PLACES),
    (".ssh", "ssh"),
    (".env", "credentials"),
    *((name, "credentials") for name in sorted(_CREDENTIAL_NAMES)),
    *((name, "history") for name in sorted(_HISTORY_NAMES)),
)


# Held-back files listed one by one in an answer, at most; tools' state goes by folder.
MAX_HELD_BACK = 50


def held_back_entries(held: list[tuple[str, Refusal]]) -> list[HeldBackFile]:
    """The answer's list of what was held back: files one by one (at most
    :data:`MAX_HELD_BACK`), tools' state as one entry per top folder with its count."""
    entries: list[HeldBackFile] = []
    tool_folders: dict[str, int] = {}
    for path, refusal in held:
        if refusal.rule == "tool_state":
            top = path.split("/", 1)[0] + "/"
            tool_folders[top] = tool_folders.get(top, 0) + 1
        elif len(entries) < MAX_HELD_BACK:
            entries.append(
                {"path": path, "rule": refusal.rule, "line": None, "message": refusal.message}
            )
    for folder, count in sorted(tool_folders.items()):
        files = f"{count} file{'s' if count != 1 else ''}"
        entries.append(
            {
                "path": folder,
                "rule": "tool_state",
                "line": None,
                "message": f"{files}: {RULE_TEXT['tool_state']}",
            }
        )
    return entries


def never_leaves(refused: list[tuple[str, Refusal]]) -> str:
    """The refusal of files a request named that may not leave, in one sentence."""
    said = "; ".join(f"{path} is {refusal.message}" for path, refusal in refused[:10])
    more = f" (and {len(refused) - 10} more)" if len(refused) > 10 else ""
    return f"Never saved: {said}{more}."


def held_back_text(held_back: list[HeldBackFile], skipped: list[SkippedFile]) -> str:
    """One sentence each for what a save held back and what it could not save ("" if none),
    to follow the save's own message."""
    parts = []
    files = [entry for entry in held_back if entry["rule"] != "secret"]
    if files:
        listed = "; ".join(f"{e['path']}: {e['message']}" for e in files[:5])
        more = f" and {len(files) - 5} more" if len(files) > 5 else ""
        parts.append(f" Held back, never saved: {listed}{more}.")
    unsaved = [entry for entry in skipped if entry["reason"] in ("bad_name", "nested_repository")]
    if unsaved:
        listed = "; ".join(f"{e['path']}: {e['message']}" for e in unsaved[:5])
        parts.append(f" Not saved: {listed}")
    return "".join(parts)
