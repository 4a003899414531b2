"""``%binder resources`` and ``jupyter binder resources``: the resources answer as text."""

from __future__ import annotations

from jupyter_binder_ext.resources.answers import ResourcesAnswer, ResourcesProblem
from jupyter_binder_ext.resources.model import LABELS, Number, format_number


def _cell(value: Number | None) -> str:
    return "-" if value is None else format_number(value)


def _row(key: str, file: Number | None, effective: Number, running: Number | None) -> str:
    label = f"{LABELS[key]} [{key}]"
    return f"{label:28}{_cell(file):>6}{_cell(effective):>11}{_cell(running):>9}"


def describe_resources(answer: ResourcesAnswer) -> str:
    """Readable text: the file's values, the effective ones and what runs now; problems."""
    values, effective, running = answer["values"], answer["effective"], answer["running"]
    state = "" if answer["exists"] else " (no file: the site defaults apply)"
    lines = [f"{answer['path']}{state}", "", f"{'':28}{'file':>6}{'effective':>11}{'running':>9}"]
    lines += [
        _row("gpu", values.get("gpu"), effective["gpu"], running["gpu"]),
        _row("cpur", values.get("cpur"), effective["cpur"], running["cpur"]),
        _row("cpul", values.get("cpul"), effective["cpul"], running["cpul"]),
        _row("memr", values.get("memr"), effective["memr"], running["memr"]),
        _row("meml", values.get("meml"), effective["meml"], running["meml"]),
    ]
    if answer["problems"]:
        lines += ["", "Problems:", *(_problem_line(p) for p in answer["problems"])]
    lines += [f"Note: {warning['message']}" for warning in answer["warnings"]]
    return "\n".join(lines)


def _problem_line(problem: ResourcesProblem) -> str:
    where = f"line {problem['line']}" if problem["line"] else "file"
    return f"  {where} ({problem['severity']}): {problem['message']}"
