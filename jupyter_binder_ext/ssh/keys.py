"""The key pair: the public key's facts, and a private key file ssh will accept.

Public keys: type, size, comment and fingerprint, as ``ssh-keygen -lf`` shows them. The key
blob is the wire format of RFC 4253 section 6.6
(a string with the algorithm name, then the algorithm's fields), so the size of an RSA or DSA
key is read from its modulus / prime and the fingerprint is the unpadded base64 of the
blob's SHA-256, exactly as OpenSSH prints it.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import logging
import os
import stat
import struct
from dataclasses import dataclass
from pathlib import Path

from jupyter_binder_ext.common.files import UnsafeFile, read_bytes, write_atomic
from jupyter_binder_ext.errors import BinderError, InvalidInput
from jupyter_binder_ext.ssh.answers import PrivateKeyFacts

log = logging.getLogger(__name__)

# Algorithm name -> the label ssh-keygen prints in parentheses.
KEY_TYPE_LABELS = {
    "ssh-ed25519": "ED25519",
    "ssh-rsa": "RSA",
    "ssh-dss": "DSA",
    "ecdsa-sha2-nistp256": "ECDSA",
    "ecdsa-sha2-nistp384": "ECDSA",
    "ecdsa-sha2-nistp521": "ECDSA",
    "sk-ssh-ed25519@openssh.com": "ED25519-SK",
    "sk-ecdsa-sha2-nistp256@openssh.com": "ECDSA-SK",
}
_FIXED_BITS = {
    "ssh-ed25519": 256,
    "sk-ssh-ed25519@openssh.com": 256,
    "ecdsa-sha2-nistp256": 256,
    "ecdsa-sha2-nistp384": 384,
    "ecdsa-sha2-nistp521": 521,
    "sk-ecdsa-sha2-nistp256@openssh.com": 256,
}


# A private or public key file is a few KiB at most (an RSA-16384 key is under 13 KiB).
KEY_MAX_BYTES = 64 * 1024


class InvalidKey(InvalidInput):
    code = "invalid_key"


@dataclass(frozen=True)
class PublicKey:
    algorithm: str
    blob: bytes
    comment: str

    @property
    def key_type(self) -> str:
        return KEY_TYPE_LABELS[self.algorithm]

    @property
    def bits(self) -> int:
        fixed = _FIXED_BITS.get(self.algorithm)
        if fixed is not None:
            return fixed
        # ssh-rsa: string name, mpint e, mpint n; ssh-dss: string name, mpint p, q, g, y.
        fields = _read_strings(self.blob, 3)
        number = fields[2] if self.algorithm == "ssh-rsa" else fields[1]
        return int.from_bytes(number, "big").bit_length()

    @property
    def fingerprint(self) -> str:
        digest = hashlib.sha256(self.blob).digest()
        return "SHA256:" + base64.b64encode(digest).decode("ascii").rstrip("=")

    @property
    def openssh(self) -> str:
        """The one-line form, ready to paste into GitHub."""
        text = f"{self.algorithm} {base64.b64encode(self.blob).decode('ascii')}"
        return f"{text} {self.comment}" if self.comment else text

    def fingerprint_line(self) -> str:
        """What ``ssh-keygen -lf`` prints for this key (without the newline)."""
        return f"{self.bits} {self.fingerprint} {self.comment or 'no comment'} ({self.key_type})"


def _read_strings(blob: bytes, count: int) -> list[bytes]:
    """The first `count` length-prefixed strings of an SSH wire-format blob."""
    out: list[bytes] = []
    offset = 0
    for _ in range(count):
        if offset + 4 > len(blob):
            raise InvalidKey("The public key is truncated.")
        (length,) = struct.unpack(">I", blob[offset : offset + 4])
        offset += 4
        if offset + length > len(blob):
            raise InvalidKey("The public key is truncated.")
        out.append(blob[offset : offset + length])
        offset += length
    return out


def parse_public_key(text: str) -> PublicKey:
    """Parse the first key line of an OpenSSH ``.pub`` file (``type base64 [comment]``)."""
    line = next(
        (ln.strip() for ln in text.splitlines() if ln.strip() and not ln.startswith("#")), ""
    )
    if not line:
        raise InvalidKey("The public key file is empty.")
    if line.startswith("-----BEGIN") or line.startswith("---- BEGIN"):
        raise InvalidKey(
            "This is not an OpenSSH public key line (it looks like a PEM or RFC 4716 block)."
        )
    parts = line.split(None, 2)
    if len(parts) < 2:
        raise InvalidKey("The public key line has no key data after its type.")
    algorithm, data = parts[0], parts[1]
    comment = parts[2].strip() if len(parts) > 2 else ""
    if algorithm not in KEY_TYPE_LABELS:
        raise InvalidKey(f"Unsupported key type {algorithm!r}.")
    try:
        blob = base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError) as err:
        raise InvalidKey(f"The key data is not valid base64 ({err}).") from err
    (embedded,) = _read_strings(blob, 1)
    if embedded.decode("ascii", "replace") != algorithm:
        raise InvalidKey(
            f"The key says it is {algorithm} but its data is {embedded.decode('ascii', 'replace')}."
        )
    key = PublicKey(algorithm=algorithm, blob=blob, comment=comment)
    key.bits  # noqa: B018 - checks that the RSA/DSA fields are complete
    return key


# -- the private key ----------------------------------------------------------------------
# Its content never enters this process except as a file-to-file copy: it is stat'ed,
# copied and handed to ssh / ssh-keygen by path, and never returned or logged.


def _not_there(path: Path, reason: str, *, exists: bool = False) -> PrivateKeyFacts:
    """The facts of a key file that could not be looked at."""
    return {
        "path": str(path),
        "exists": exists,
        "readable": False,
        "mode": None,
        "owner_uid": None,
        "owned_by_user": False,
        "too_open": False,
        "usable": False,
        "path_used": None,
        "copied": False,
        "reason": reason,
    }


def _copy_private(src: Path, dst: Path) -> bool:
    """Copy file to file into a 0600 file owned by this user; False when already equal.

    Both go through :mod:`..common.files`: the source is a regular file (a link is followed
    only inside its own folder, as Kubernetes mounts secrets), the copy is never a link.
    """
    data = read_bytes(src, limit=KEY_MAX_BYTES, links="within")
    if data is None:
        raise FileNotFoundError(f"{src} does not exist")
    try:
        current = read_bytes(dst, limit=KEY_MAX_BYTES)
        st = dst.lstat() if current is not None else None
    except UnsafeFile:
        current, st = None, None  # write_atomic refuses it below, with the reason
    if (
        current == data
        and st is not None
        and st.st_uid == os.geteuid()
        and stat.S_IMODE(st.st_mode) == 0o600
    ):
        return False
    dst.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    # The temporary file is created 0600: the copy is never readable by others, not even briefly.
    write_atomic(dst, data, mode=0o600)
    return True


def ensure_usable_key(private_key: Path, copy_path: Path) -> PrivateKeyFacts:
    """Which private key file ssh can use. When the mounted one is too open (ssh refuses a
    key others can read) or not the user's own, a private copy at `copy_path` is made."""
    src = private_key
    try:
        st = src.stat()
    except FileNotFoundError:
        return _not_there(src, f"There is no private key at {src}.")
    except OSError as err:
        return _not_there(src, f"Cannot look at {src}: {err.strerror}.", exists=True)
    mode = stat.S_IMODE(st.st_mode)
    state: PrivateKeyFacts = {
        **_not_there(src, "", exists=True),
        "readable": stat.S_ISREG(st.st_mode) and os.access(src, os.R_OK),
        "mode": f"{mode:04o}",
        "owner_uid": st.st_uid,
        "owned_by_user": st.st_uid == os.geteuid(),
        "too_open": bool(mode & 0o077),
    }
    if not stat.S_ISREG(st.st_mode):
        return {**state, "reason": f"{src} is not a regular file."}
    if not state["readable"]:
        return {
            **state,
            "reason": f"{src} is not readable by this user (it belongs to uid {st.st_uid}, "
            f"mode {mode:04o}); ask the site's administrators to mount it readable.",
        }
    if state["owned_by_user"] and not state["too_open"]:
        return {
            **state,
            "usable": True,
            "path_used": str(src),
            "reason": f"{src} is yours and only you can read it: ssh uses it as it is.",
        }
    return _use_a_copy(state, src, copy_path)


def _use_a_copy(state: PrivateKeyFacts, src: Path, copy_path: Path) -> PrivateKeyFacts:
    # Plain words for the panel; the mode and owner are in the answer's own fields.
    why = "other users can read it" if state["too_open"] else "it belongs to another user"
    refused = f"ssh will not use the key as mounted ({why}), and a copy only you can read"
    try:
        made = _copy_private(src, copy_path)
    except OSError as err:
        reason = f"{refused} could not be made at {copy_path}: {err.strerror or err}."
        return {**state, "reason": reason}
    except BinderError as err:  # a link or a FIFO where the key or its copy should be
        return {**state, "reason": f"{refused} could not be made: {err.message}"}
    if made:
        log.info("Made a private 0600 copy of the SSH key at %s (%s: %s)", copy_path, src, why)
    return {
        **state,
        "usable": True,
        "path_used": str(copy_path),
        "copied": True,
        "reason": f"ssh will not use the key as mounted ({why}), so a copy only you can read "
        f"is used: {copy_path}.",
    }


def derive_public_key(private_path: str) -> tuple[PublicKey | None, str | None]:
    """The public half, as ``ssh-keygen -y`` computes it from the private file (which only
    that subprocess reads); (None, reason) when it cannot, e.g. behind a passphrase."""
    import subprocess

    from jupyter_binder_ext.common.git_runner import git_env

    try:
        proc = subprocess.run(
            ["ssh-keygen", "-y", "-P", "", "-f", private_path],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=10,
            start_new_session=True,  # no terminal: a passphrase prompt fails at once
            env=git_env(),  # the same policy as git: no hub token, no credentials
        )
    except (OSError, subprocess.SubprocessError) as err:
        return None, f"ssh-keygen could not run: {err}"
    if proc.returncode != 0:
        error = proc.stderr.strip().splitlines()
        return None, error[-1] if error else f"ssh-keygen exited with {proc.returncode}"
    try:
        return parse_public_key(proc.stdout), None
    except InvalidKey as err:
        return None, err.message
