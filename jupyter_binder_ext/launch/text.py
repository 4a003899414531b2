"""``%binder launch`` and ``jupyter binder launch``: the launch answer as text."""

from __future__ import annotations

from jupyter_binder_ext.launch.answers import LaunchAnswer
from jupyter_binder_ext.launch.messages import NOT_GITHUB_NOTE


def describe_launch(answer: LaunchAnswer) -> str:
    """Readable text (the answer's strings are already free of credentials)."""
    if not answer["under_hub"]:
        return answer["message"]
    lines = [
        f"User:        {answer['user']}",
        f"Server:      {answer['server_name'] or '(default)'}",
    ]
    if answer["repo_url"]:
        provider = answer["provider_name"] or "unknown provider"
        lines.append(f"Repository:  {answer['repo_url']} ({provider})")
    rows = (
        ("Ref:", answer["ref"]),
        ("Commit:", answer["resolved_ref"]),
        ("Image:", answer["image"]),
        ("Relaunch:", answer["launch_url"]),
        ("Projects:", answer["control_panel_url"]),
    )
    lines += [f"{label:<13}{value}" for label, value in rows if value]
    if answer["repo_url"] and not answer["is_github"]:
        lines.append(NOT_GITHUB_NOTE)
    if answer["message"]:
        lines.append(answer["message"])
    return "\n".join(lines)
