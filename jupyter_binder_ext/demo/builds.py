"""The demo's stand-in for BinderHub's builder: image names, and a record of the builds.

BinderHub builds an image per repository and resolved commit; its name is
``{image_prefix}{safe build slug}:{commit}`` with ``_`` made ``-`` and all lower case
(binderhub ``builder.py:404-423``; the slug escaped to ``[a-zA-Z0-9-]`` and suffixed with 6
characters of its SHA-256, ``builder.py:117-140``; a GitHub build slug is ``{user}-{repo}``,
``repoproviders.py:1111-1112``). A launch of a commit whose image exists starts at once; any
other first builds it (minutes on a real BinderHub). The demo builds nothing, but names each
image as BinderHub does and appends a line to ``builds.jsonl`` per launch, saying whether
BinderHub would have built then, so a test or the bench can tell a rebuild from none.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import string
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import escapism

IMAGE_PREFIX = "binder-demo/"
BUILDS_FILE = "builds.jsonl"
_SAFE = set(string.ascii_letters + string.digits)


def _safe_build_slug(build_slug: str, limit: int, hash_length: int = 6) -> str:
    digest = hashlib.sha256(build_slug.encode("utf-8")).hexdigest()[:hash_length]
    escaped = escapism.escape(build_slug, safe=_SAFE, escape_char="-")
    return f"{escaped[: limit - hash_length - 1]}-{digest}".lower()


def image_name(owner: str, repo: str, sha: str, prefix: str = IMAGE_PREFIX) -> str:
    """The image BinderHub builds for github.com/{owner}/{repo} at commit `sha`."""
    slug = _safe_build_slug(f"{owner}-{repo}", limit=255 - len(prefix))
    return f"{prefix}{slug}:{sha}".replace("_", "-").lower()


def builds_file(state_dir: Path) -> Path:
    return Path(state_dir) / BUILDS_FILE


def read_builds(state_dir: Path) -> list[dict[str, Any]]:
    """Every launch recorded so far, oldest first."""
    path = builds_file(state_dir)
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def record_launch(state_dir: Path, image: str, repo_url: str, sha: str) -> bool:
    """Note a launch of `image`; True when BinderHub would have built it now (first launch)."""
    path = builds_file(state_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a+") as records:
        fcntl.flock(records, fcntl.LOCK_EX)  # two spawns of one new commit: one build
        records.seek(0)
        seen = any(json.loads(line).get("image") == image for line in records if line.strip())
        entry = {
            "time": datetime.now(timezone.utc).isoformat().replace("+00:00", "Z"),
            "image": image,
            "repo_url": repo_url,
            "commit": sha,
            "built": not seen,
        }
        records.write(json.dumps(entry) + "\n")
    return not seen
