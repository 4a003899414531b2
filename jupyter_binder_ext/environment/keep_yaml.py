"""Pinning packages in an environment.yml, with every other byte of the file kept.

The round-trip YAML library (ruamel.yaml) reads the file and says where each dependency is
(its line and column); the edit then touches only those lines: a request already there is
rewritten in place (its quotes and comment kept), a new one is inserted after the last item
of its list with that item's own indentation. Dumping the whole document again would
re-indent files that mix styles (``conda env export`` writes the pip: list at another
offset than the dependencies), so the library checks the result instead: the edited text is
parsed again and must ask for exactly what was kept, or nothing is written.
"""

from __future__ import annotations

from typing import Any

from jupyter_binder_ext.environment.edits import Edit, pin
from jupyter_binder_ext.environment.envfiles import (
    UnreadableFile,
    conda_name,
    environment_requests,
    load_yaml,
    requirement_name,
)
from jupyter_binder_ext.environment.installed import Installed
from jupyter_binder_ext.errors import Conflict

DEFAULT_PREFIX = "  - "


def edit_environment(old: str | None, chosen: list[Installed], relative: str) -> tuple[str, Edit]:
    text = old or ""
    edit = Edit()
    wanted: list[tuple[str, str]] = []  # (kind, spec) the result must ask for
    for package in chosen:
        if package.manager == "conda":
            spec = f"{package.name}={package.version}"
            text = _keep_item(text, relative, spec, package.key, edit, pip=False)
            wanted.append(("conda", spec))
        else:
            spec = pin(package)
            text = _keep_item(text, relative, spec, package.key, edit, pip=True)
            wanted.append(("pip", spec))
    _verify(text, relative, wanted)
    return text, edit


def _parse(text: str, relative: str) -> Any:
    try:
        document = load_yaml(text, relative) if text.strip() else None
    except UnreadableFile as err:
        raise Conflict(f"{err} Fix it first; nothing was written.", file=relative) from None
    if document is not None and not isinstance(document, dict):
        raise Conflict(f"{relative} is not a YAML mapping; nothing was written.", file=relative)
    return document


def _dependencies(text: str, relative: str) -> tuple[str, Any, Any]:
    """The text (with a `dependencies:` key added when it had none), its document, and the
    dependencies list (None when empty)."""
    document = _parse(text, relative)
    if document is None or "dependencies" not in document:
        text = _ending(text) + "dependencies:\n"
        document = _parse(text, relative)
    dependencies = document["dependencies"]
    if dependencies is not None and not isinstance(dependencies, list):
        raise Conflict(f"dependencies in {relative} is not a list; nothing was written.")
    if dependencies is not None and _flow(dependencies):
        raise Conflict(
            f"dependencies in {relative} is written on one line ([a, b]); write it as a list "
            "of `- name` lines first. Nothing was written.",
            file=relative,
        )
    return text, document, dependencies


def _keep_item(text: str, relative: str, spec: str, key: str, edit: Edit, pip: bool) -> str:
    text, document, dependencies = _dependencies(text, relative)
    if pip:
        return _keep_pip(text, relative, document, dependencies, (spec, key), edit)
    return _keep_conda(text, document, dependencies, spec, key, edit)


def _keep_conda(
    text: str, document: Any, dependencies: Any, spec: str, key: str, edit: Edit
) -> str:
    items = list(dependencies or [])
    for index, item in enumerate(items):
        if isinstance(item, str) and conda_name(item) == key:
            if item.split("::")[-1].strip() == spec:
                edit.unchanged.append(spec)
                return text
            edit.updated.append(spec)
            return _replace(text, dependencies, index, spec)
    edit.added.append(spec)
    return _insert_in_dependencies(text, document, dependencies, spec)


def _keep_pip(
    text: str, relative: str, document: Any, dependencies: Any, pin: tuple[str, str], edit: Edit
) -> str:
    spec, key = pin
    items = list(dependencies or [])
    pip_index = next(
        (i for i, item in enumerate(items) if isinstance(item, dict) and "pip" in item), None
    )
    if pip_index is None:
        # conda installs a pip: list with pip, which must be a dependency itself.
        if not any(isinstance(i, str) and conda_name(i) == "pip" for i in items):
            text = _insert_in_dependencies(text, document, dependencies, "pip")
            text, document, dependencies = _dependencies(text, relative)
        edit.added.append(spec)
        return _insert_pip_list(text, document, dependencies, spec)
    pip_list = items[pip_index]["pip"]
    if not isinstance(pip_list, list) or not pip_list or _flow(pip_list):
        raise Conflict(
            f"The pip: entry of {relative} is not a list of `- name` lines; nothing was written.",
            file=relative,
        )
    for index, item in enumerate(pip_list):
        if requirement_name(str(item)) == key:
            if str(item).strip() == spec:
                edit.unchanged.append(spec)
                return text
            edit.updated.append(spec)
            return _replace(text, pip_list, index, spec)
    edit.added.append(spec)
    return _insert_after(text, pip_list, len(pip_list) - 1, spec)


# -- text edits at the places the YAML library gives --------------------------------------------


def _flow(seq: Any) -> bool:
    """Written on one line (`[a, b]`): no line of its own per item to edit."""
    return bool(seq.fa.flow_style())


def _lines(text: str) -> list[str]:
    return _ending(text).splitlines(keepends=True)


def _ending(text: str) -> str:
    return text if not text or text.endswith("\n") else text + "\n"


def _replace(text: str, seq: Any, index: int, spec: str) -> str:
    """The item's scalar replaced by `spec`; its quotes, the spacing and comment after it
    kept."""
    line_no, column = seq.lc.item(index)
    lines = _lines(text)
    line = lines[line_no]
    body = line.rstrip("\n")
    comment_at = body.find(" #", column)
    end = comment_at if comment_at != -1 else len(body)
    token = body[column:end].rstrip()
    quote = token[0] if token[:1] in ("'", '"') else ""
    lines[line_no] = body[:column] + f"{quote}{spec}{quote}" + body[column + len(token) :] + "\n"
    return "".join(lines)


def _prefix(line: str, column: int) -> str:
    """What comes before an item's text on its line: its indentation and dash ("  - ")."""
    return line[:column]


def _insert_after(text: str, seq: Any, index: int, spec: str) -> str:
    line_no, column = seq.lc.item(index)
    lines = _lines(text)
    prefix = _prefix(lines[line_no], column)
    lines.insert(line_no + 1, f"{prefix}{spec}\n")
    return "".join(lines)


def _last_string(dependencies: Any) -> int | None:
    indexes = [i for i, item in enumerate(dependencies or []) if isinstance(item, str)]
    return indexes[-1] if indexes else None


def _insert_in_dependencies(text: str, document: Any, dependencies: Any, spec: str) -> str:
    """A new conda item: after the last one (before the pip: list, where conda puts pip's),
    or first under `dependencies:`."""
    last = _last_string(dependencies)
    if last is not None:
        return _insert_after(text, dependencies, last, spec)
    return _insert_under_key(text, document, f"{_item_prefix(text, dependencies)}{spec}\n")


def _insert_pip_list(text: str, document: Any, dependencies: Any, spec: str) -> str:
    last = _last_string(dependencies)
    if last is not None:
        line_no, column = dependencies.lc.item(last)
        prefix = _prefix(_lines(text)[line_no], column)
        block = f"{prefix}pip:\n{' ' * len(prefix)}- {spec}\n"
        lines = _lines(text)
        lines.insert(line_no + 1, block)
        return "".join(lines)
    prefix = _item_prefix(text, dependencies)
    return _insert_under_key(text, document, f"{prefix}pip:\n{' ' * len(prefix)}- {spec}\n")


def _item_prefix(text: str, dependencies: Any) -> str:
    if dependencies:
        line_no, column = dependencies.lc.item(0)
        return _prefix(_lines(text)[line_no], column)
    return DEFAULT_PREFIX


def _insert_under_key(text: str, document: Any, block: str) -> str:
    """`block` as the first lines of the dependencies list (after its last item when the
    list holds only a pip: mapping)."""
    dependencies = document["dependencies"]
    lines = _lines(text)
    if dependencies:
        line_no, _ = dependencies.lc.item(0)
        lines.insert(line_no, block)
    else:
        key_line, _ = document.lc.key("dependencies")
        lines.insert(key_line + 1, block)
    return "".join(lines)


def _verify(text: str, relative: str, wanted: list[tuple[str, str]]) -> None:
    document = _parse(text, relative)
    found = {(r.kind, r.spec) for r in environment_requests(document, relative)}
    missing = [spec for kind, spec in wanted if (kind, spec) not in found]
    if missing:
        raise Conflict(
            f"{relative} could not be edited safely ({', '.join(missing)} would not be read "
            "back); nothing was written. Add the lines by hand.",
            file=relative,
        )
