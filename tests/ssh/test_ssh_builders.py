"""The ssh answers built from hand-made facts: the sentences, without keys, ssh or git."""

from __future__ import annotations

from pathlib import Path

from jupyter_binder_ext.config import SiteConfig
from jupyter_binder_ext.ssh.answers import PrivateKeyFacts, RepoPushFacts, SshSetupFacts
from jupyter_binder_ext.ssh.builders import build_ssh, build_ssh_test, git_over_ssh
from jupyter_binder_ext.ssh.facts import PublicKeyRead, SshFacts, SshRun
from jupyter_binder_ext.ssh.keys import PublicKey
from jupyter_binder_ext.ssh.text import describe_ssh, describe_ssh_test

PUB = Path("/home/jovyan/.ssh/ssh.pub")
KEY = PublicKey("ssh-ed25519", b"\0\0\0\x0bssh-ed25519" + b"\0\0\0\x20" + b"k" * 32, "me@x")
OTHER = PublicKey("ssh-ed25519", b"\0\0\0\x0bssh-ed25519" + b"\0\0\0\x20" + b"o" * 32, "")


def private(usable: bool = True, reason: str = "yours") -> PrivateKeyFacts:
    return {
        "path": "/home/jovyan/.ssh/ssh.priv",
        "exists": True,
        "readable": usable,
        "mode": "0600",
        "owner_uid": 1000,
        "owned_by_user": True,
        "too_open": False,
        "usable": usable,
        "path_used": "/home/jovyan/.ssh/ssh.priv" if usable else None,
        "copied": False,
        "reason": reason,
    }


SETUP: SshSetupFacts = {
    "ssh_config_path": "/home/jovyan/.ssh/config",
    "ssh_config_block": True,
    "ssh_config_current": True,
    "known_hosts_path": "/home/jovyan/.ssh/binder_known_hosts",
    "known_hosts_pinned": True,
}


def repo(**changes: object) -> RepoPushFacts:
    facts: RepoPushFacts = {
        "path": "/srv/repo",
        "is_git": True,
        "origin_url": "https://github.com/o/r",
        "push_url": "git@github.com:o/r.git",
        "is_github": True,
        "ssh_push_url": "git@github.com:o/r.git",
        "ssh_command": None,
        "push_ready": True,
        "message": "Pushes go to git@github.com:o/r.git over SSH.",
    }
    facts.update(changes)  # type: ignore[typeddict-item]
    return facts


def test_a_ready_key_and_repository_need_no_next_step() -> None:
    facts = SshFacts(PublicKeyRead(PUB, KEY), private(), KEY, None, SETUP, repo())
    answer = build_ssh(facts, SiteConfig())
    assert answer["git_configured"] is True and answer["pair_matches"] is True
    assert answer["public_key_source"] == "file" and answer["warnings"] == []
    assert answer["git_over_ssh"]["state"] == "ready"
    text = describe_ssh(answer)
    assert "Next steps:" not in text
    assert "Git over SSH: set up: pushes to origin go to git@github.com:o/r.git" in text


def test_a_missing_public_key_is_derived_and_said_once() -> None:
    facts = SshFacts(PublicKeyRead(PUB, None, "missing"), private(), KEY, None, SETUP, repo())
    answer = build_ssh(facts, SiteConfig())
    assert answer["public_key_source"] == "derived" and answer["pair_matches"] is None
    assert [w["kind"] for w in answer["warnings"]] == ["public_key_derived"]
    assert answer["warnings"][0]["message"] == (
        f"There is no public key at {PUB}. It was computed from the private key instead."
    )


def test_another_pairs_public_key_is_an_error() -> None:
    facts = SshFacts(PublicKeyRead(PUB, OTHER), private(), KEY, None, SETUP, repo())
    answer = build_ssh(facts, SiteConfig())
    assert answer["pair_matches"] is False
    assert answer["warnings"][-1]["kind"] == "pair_mismatch"
    assert (
        f"The public key {PUB} does not belong to the private key"
        in (answer["warnings"][-1]["message"])
    )


def test_no_usable_private_key_lists_the_steps_and_the_reason() -> None:
    reason = "There is no private key at /home/jovyan/.ssh/ssh.priv."
    no_key = private(usable=False, reason=reason)
    facts = SshFacts(PublicKeyRead(PUB, None, "invalid", "bad"), no_key, None, None, SETUP, repo())
    answer = build_ssh(facts, SiteConfig())
    assert answer["private_key_usable"] is False and answer["git_configured"] is False
    assert [w["kind"] for w in answer["warnings"]] == ["public_key", "private_key"]
    assert answer["warnings"][0]["message"] == f"{PUB}: bad"
    assert answer["git_over_ssh"]["message"] == "not set up: no private key ssh can use."
    text = describe_ssh(answer)
    assert f"Private key: not usable ({reason})" in text
    assert "  2. Add it to your GitHub account (https://github.com/settings/ssh/new)" in text


def test_an_origin_off_github_is_never_set_up() -> None:
    gitlab = repo(origin_url="https://gitlab.com/o/r", push_url=None, is_github=False)
    status = git_over_ssh(True, SETUP, gitlab)
    assert status["state"] == "not_on_github"
    assert "origin (https://gitlab.com/o/r) is not on GitHub" in status["message"]


def test_the_test_answer_without_a_key_says_fix_the_key_first() -> None:
    answer = build_ssh_test(SiteConfig(), private(usable=False, reason="No key."), None)
    assert answer["ok"] is False and answer["outcome"] == "no_key"
    assert answer["message"] == "No key." and answer["command"] is None
    assert answer["next_step"].startswith("Fix the private key first")
    assert describe_ssh_test(answer).startswith("FAILED: No key.\nNext: Fix the private key")


def test_the_test_answer_for_each_outcome_names_the_next_step() -> None:
    site = SiteConfig()
    denied = SshRun("ssh -T git@github.com", "permission_denied", None, 255, "denied", 0.2)
    answer = build_ssh_test(site, private(), denied)
    assert answer["message"] == "github.com refused the key (Permission denied (publickey))."
    assert answer["next_step_url"] == site.github_add_key_url
    assert answer["identity_file"] == "/home/jovyan/.ssh/ssh.priv"
    assert "ssh said: denied" in describe_ssh_test(answer)
    greeted = SshRun("ssh -T git@github.com", "authenticated", "octo", 1, "Hi octo!", 0.3)
    ok = build_ssh_test(site, private(), greeted)
    assert ok["ok"] is True and ok["message"] == "Authenticated to github.com as octo."
    assert "ssh said" not in describe_ssh_test(ok)
    broken = SshRun("ssh", "error", None, None, "", None, "ssh could not run: no ssh")
    assert build_ssh_test(site, private(), broken)["message"] == "ssh could not run: no ssh"
