"""The declared answer type of every REST route (under ``{base_url}binder/api/``).

One entry per method and route; errors (4xx/5xx) are :class:`ErrorAnswer`. The tests check
every answer they fetch against this table, and ``docs/answer_types.py`` generates the
TypeScript interfaces (``labextension/src/answers.ts``) and the field tables of
``docs/rest-api.md`` from the same types, so none of them can drift from the server.
"""

from __future__ import annotations

from typing import Any

from jupyter_binder_ext.common.answers import ErrorAnswer, Warning
from jupyter_binder_ext.environment.answers import EnvironmentAnswer, KeepAnswer
from jupyter_binder_ext.environment.requests import KeepRequest
from jupyter_binder_ext.launch.answers import LaunchAnswer
from jupyter_binder_ext.limits.answers import LimitsAnswer
from jupyter_binder_ext.persistence.answers import InstanceDirAnswer, PersistenceAnswer
from jupyter_binder_ext.projects.answers import (
    BuildLogAnswer,
    ProjectsAnswer,
    ReportAnswer,
    StopAnswer,
)
from jupyter_binder_ext.relaunch.answers import RelaunchAnswer
from jupyter_binder_ext.relaunch.requests import RelaunchRequest
from jupyter_binder_ext.resources.answers import ResourcesAnswer
from jupyter_binder_ext.resources.requests import ResourcesWriteRequest
from jupyter_binder_ext.ssh.answers import ConfigureGitAnswer, SshAnswer, SshTestAnswer
from jupyter_binder_ext.work.answers import SaveAnswer, SiblingWorkAnswer, WorkAnswer
from jupyter_binder_ext.work.requests import WorkSaveRequest

# (method, route) -> the answer's type; `{name}` stands for one path segment.
ANSWERS: dict[tuple[str, str], Any] = {
    ("GET", "launch"): LaunchAnswer,
    ("GET", "limits"): LimitsAnswer,
    ("GET", "persistence"): PersistenceAnswer,
    ("POST", "persistence/instance-dir"): InstanceDirAnswer,
    ("GET", "ssh"): SshAnswer,
    ("POST", "ssh/configure-git"): ConfigureGitAnswer,
    ("POST", "ssh/test"): SshTestAnswer,
    ("GET", "projects"): ProjectsAnswer,
    ("DELETE", "projects/{name}"): StopAnswer,
    ("GET", "projects/{name}/report"): ReportAnswer,
    ("GET", "projects/builds/{build_id}/log"): BuildLogAnswer,
    ("GET", "resources"): ResourcesAnswer,
    ("PUT", "resources"): ResourcesAnswer,
    ("POST", "relaunch"): RelaunchAnswer,
    ("GET", "work"): WorkAnswer,
    ("POST", "work/save"): SaveAnswer,
    ("GET", "work/projects/{name}"): SiblingWorkAnswer,
    ("GET", "environment"): EnvironmentAnswer,
    ("POST", "environment/keep"): KeepAnswer,
}

# (method, route) -> the type of the request's JSON body, for the routes that take one;
# `common/requests.check_request` checks every body against it before anything is done.
REQUESTS: dict[tuple[str, str], Any] = {
    ("PUT", "resources"): ResourcesWriteRequest,
    ("POST", "relaunch"): RelaunchRequest,
    ("POST", "work/save"): WorkSaveRequest,
    ("POST", "environment/keep"): KeepRequest,
}

# Routes that answer with an event stream (``text/event-stream``, JupyterHub's progress
# events as its own spawn page reads them), not with one JSON answer.
EVENT_STREAMS: frozenset[tuple[str, str]] = frozenset({("GET", "projects/{name}/progress")})

# Older route names that still answer, with the route they stand for.
ROUTE_ALIASES = {"sessions": "projects"}

# Answer types whose objects may carry more keys than they declare (an error's details).
OPEN_TYPES: tuple[Any, ...] = (ErrorAnswer,)

# Types the generated TypeScript exports although no route answers with them alone.
SHARED_TYPES: tuple[Any, ...] = (ErrorAnswer, Warning)


def answer_type(method: str, route: str) -> Any | None:
    """The declared type of a 2xx answer to `method` `route` (a path below binder/api/)."""
    parts = route.strip("/").split("/")
    parts[0] = ROUTE_ALIASES.get(parts[0], parts[0])
    for (known_method, pattern), declared in ANSWERS.items():
        pattern_parts = pattern.split("/")
        if known_method != method.upper() or len(pattern_parts) != len(parts):
            continue
        if all(p == q or (p.startswith("{") and q) for p, q in zip(pattern_parts, parts)):
            return declared
    return None
