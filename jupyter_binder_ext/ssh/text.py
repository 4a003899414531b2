"""The ssh answers as text, for ``%binder ssh`` and ``jupyter binder ssh``."""

from __future__ import annotations

from typing import cast

from jupyter_binder_ext.ssh.answers import ConfigureGitAnswer, SshAnswer, SshTestAnswer


def describe_ssh(answer: SshAnswer | ConfigureGitAnswer) -> str:
    lines = []
    if answer["public_key"]:
        lines.append(f"Public key ({answer['public_key_path']}):")
        lines.append(f"  {answer['public_key']}")
        lines.append(f"  {answer['fingerprint_line']}")
    if answer["private_key_usable"]:
        lines.append(f"Private key used by ssh: {answer['private_key_path_used']}")
    else:
        lines.append(f"Private key: not usable ({answer['private_key']['reason']})")
    status = answer["git_over_ssh"]
    hint = " (--configure-git)" if status["state"] == "not_set_up" else ""
    lines.append(f"Git over SSH: {status['message']}{hint}")
    if not answer["git_configured"] or not answer["private_key_usable"]:
        lines.append("Next steps:")
        for index, step in enumerate(answer["steps"], 1):
            url = f" ({step['url']})" if step["url"] else ""
            lines.append(f"  {index}. {step['title']}{url}")
    if "configure" in answer:  # the answer of POST .../configure-git (mypy cannot narrow on it)
        lines.append(cast(ConfigureGitAnswer, answer)["configure"]["message"])
    lines.extend(f"{item['level'].upper()}: {item['message']}" for item in answer["warnings"])
    return "\n".join(lines)


def describe_ssh_test(answer: SshTestAnswer) -> str:
    lines = [("OK: " if answer["ok"] else "FAILED: ") + answer["message"]]
    if answer["next_step"]:
        lines.append("Next: " + answer["next_step"])
    if answer["output"] and not answer["ok"]:
        lines.append("ssh said: " + answer["output"])
    return "\n".join(lines)
