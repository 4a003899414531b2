"""Units and constants every domain shares: one definition of each."""

from __future__ import annotations

import re

# The site's "GB" (meml=16 in .resources) is 16 GiB, as KubeSpawner and JupyterHub's ``G`` count it.
GB = 1024**3

# A commit id as BinderHub writes it in a persistent request or a ref URL (full or abbreviated).
SHA_RE = re.compile(r"^[0-9a-f]{7,40}$")

# How many hex digits of a commit id the faces show (git's own default abbreviation is 7;
# 12 stays unique in repositories far larger than any notebook's).
SHORT_SHA_LENGTH = 12


def short_sha(sha: str) -> str:
    """The abbreviated commit id every face shows."""
    return sha[:SHORT_SHA_LENGTH]
