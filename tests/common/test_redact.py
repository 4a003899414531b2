"""Credentials in URLs are hidden wherever a URL may carry them."""

from __future__ import annotations

import pytest

from jupyter_binder_ext.common.redact import redact, redact_strings


def test_tokens_in_urls_are_hidden_and_ssh_user_names_kept() -> None:
    text = (
        "https://x-access-token:ghs_abc@github.com/o/r.git https://ghp_def@github.com/o/r "
        "ssh://git@github.com/o/r.git ssh://me:pw@host/x git@github.com:o/r.git"
    )
    assert redact(text) == (
        "https://***@github.com/o/r.git https://***@github.com/o/r "
        "ssh://git@github.com/o/r.git ssh://me:***@host/x git@github.com:o/r.git"
    )


PLAIN_SPEC = "v2/git/https%3A%2F%2Fgitlab.com%2Fo%2Fr/main"  # nothing to hide: unchanged


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        # A token holding "@": all of it, not the part before the first "@".
        ("https://ghp_PART1@ghp_PART2@github.com/o/r", "https://***@github.com/o/r"),
        # pip's and BinderHub's git+https form.
        ("git+https://TOKEN@github.com/o/r", "git+https://***@github.com/o/r"),
        ("https://oauth2:GLTOKEN@gitlab.com/o/r", "https://***@gitlab.com/o/r"),
        (
            "https://github.com/o/r.git?access_token=SECRET",
            "https://github.com/o/r.git?access_token=***",
        ),
        ("https://x.org/r?a=1&private_token=S&b=2", "https://x.org/r?a=1&private_token=***&b=2"),
        # A whole URL percent-encoded into a BinderHub spec (git and gl providers).
        (
            "v2/git/https%3A%2F%2Foauth2%3ASECRET%40gitlab.com%2Fo%2Fr/main",
            "v2/git/https%3A%2F%2F%2A%2A%2A%40gitlab.com%2Fo%2Fr/main",
        ),
        (
            "v2/git/https%3A%2F%2Fgitlab.com%2Fo%2Fr/main",
            "v2/git/https%3A%2F%2Fgitlab.com%2Fo%2Fr/main",
        ),
    ],
)
def test_every_form_a_token_takes(url: str, shown: str) -> None:
    assert redact(url) == shown
    assert "SECRET" not in redact(url) and "PART" not in redact(url)


def test_redact_strings_leaves_other_values() -> None:
    assert redact_strings({"url": "https://t@x.org/r", "n": 1, "none": None}) == {
        "url": "https://***@x.org/r",
        "n": 1,
        "none": None,
    }
