"""Every REST answer has one declared type, and the checks against it catch drift.

The conftest's ``jp_fetch`` (and the real hub's ``server_api``) check every answer any test
fetches; these tests make sure that check, the route table and the terminal faces hold too.
"""

from __future__ import annotations

import copy
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from fixtures.answer_types import check_answer, problems

from jupyter_binder_ext.common.answers import Warning
from jupyter_binder_ext.launch.answers import LaunchAnswer
from jupyter_binder_ext.limits.answers import LimitsAnswer
from jupyter_binder_ext.persistence.answers import PersistenceAnswer
from jupyter_binder_ext.resources.answers import ResourcesAnswer
from jupyter_binder_ext.server.answers import ANSWERS, EVENT_STREAMS, ROUTE_ALIASES, answer_type
from jupyter_binder_ext.server.handlers import API, routes
from jupyter_binder_ext.ssh.answers import SshAnswer

CLI = Path(sys.executable).with_name("jupyter-binder")


def _route_patterns() -> set[str]:
    found = set()
    for pattern, _handler in routes():
        # A named group stands for one segment: `(?P<name>[^/]+)` is `{name}` in the table.
        route = re.sub(r"\(\?P<(\w+)>[^)]*\)", r"{\1}", pattern.removeprefix(f"{API}/"))
        head, _, rest = route.partition("/")
        found.add("/".join(filter(None, [ROUTE_ALIASES.get(head, head), rest])))
    return found


def test_every_route_has_a_declared_answer_and_every_declaration_a_route() -> None:
    declared = {route for _method, route in ANSWERS}
    streams = {route for _method, route in EVENT_STREAMS}
    assert not declared & streams
    assert declared | streams == _route_patterns()


def test_aliases_answer_with_the_type_of_the_route_they_stand_for() -> None:
    for old, new in ROUTE_ALIASES.items():
        assert answer_type("GET", old) is answer_type("GET", new) is not None


async def test_drift_in_a_live_answer_is_caught(jp_fetch: Any, binder_env: dict[str, str]) -> None:
    response = await jp_fetch("binder", "api", "launch")
    answer = json.loads(response.body)
    assert problems(answer, LaunchAnswer) == []

    added = {**answer, "new_field": 1}
    assert problems(added, LaunchAnswer) == ["answer: LaunchAnswer does not declare new_field"]
    removed = {key: value for key, value in answer.items() if key != "repo"}
    assert problems(removed, LaunchAnswer) == ["answer: LaunchAnswer lacks repo"]
    retyped = {**answer, "is_github": "yes"}
    assert problems(retyped, LaunchAnswer) == ["answer.is_github: expected bool, got 'yes'"]
    with pytest.raises(AssertionError, match="does not declare new_field"):
        check_answer("GET", "launch", 200, added)


async def test_nested_drift_is_caught_with_its_path(jp_fetch: Any) -> None:
    answer = json.loads((await jp_fetch("binder", "api", "limits")).body)
    assert problems(answer, LimitsAnswer) == []
    changed = copy.deepcopy(answer)
    changed["memory"]["used"] = "12 GB"  # a formatted figure where a number is due
    # A warning of a level the panel does not know, otherwise well formed.
    changed["warnings"].append({key: "x" for key in Warning.__required_keys__} | {"level": "fatal"})
    found = problems(changed, LimitsAnswer)
    assert len(found) == 2, found
    assert found[0].startswith("answer.memory.used: matches none of int | None")
    assert found[0].endswith("expected int, got '12 GB'")
    assert found[1].startswith("answer.warnings[0].level: 'fatal' is not one of")


async def test_errors_are_error_answers_even_when_jupyter_server_refuses(jp_fetch: Any) -> None:
    response = await jp_fetch(
        "binder", "api", "launch", headers={"Authorization": ""}, raise_error=False
    )
    assert response.code == 403
    body = json.loads(response.body)
    assert body["error"] == "forbidden"
    assert "traceback" not in body


@pytest.mark.parametrize(
    ("subcommand", "declared"),
    [
        ("launch", LaunchAnswer),
        ("limits", LimitsAnswer),
        ("persistence", PersistenceAnswer),
        ("ssh", SshAnswer),
        ("resources", ResourcesAnswer),
    ],
)
def test_the_cli_answers_with_the_same_types(
    subcommand: str, declared: Any, binder_env: dict[str, str], tmp_path: Path
) -> None:
    env = {**os.environ, "JUPYTER_CONFIG_DIR": str(tmp_path), "HOME": str(tmp_path)}
    result = subprocess.run(
        [str(CLI), subcommand, "--json"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=60,
        check=False,
    )
    assert problems(json.loads(result.stdout), declared) == [], result.stderr
