"""The one check of request bodies against their declared types (common/requests.py)."""

from __future__ import annotations

from typing import Any

import pytest

from jupyter_binder_ext.common.requests import check_request
from jupyter_binder_ext.environment.requests import KeepRequest
from jupyter_binder_ext.errors import InvalidInput
from jupyter_binder_ext.relaunch.requests import RelaunchRequest
from jupyter_binder_ext.server.answers import REQUESTS
from jupyter_binder_ext.work.requests import MAX_PATHS, WorkSaveRequest


@pytest.mark.parametrize(
    ("shape", "fields", "words"),
    [
        (WorkSaveRequest, {}, 'to is required: "persistent" or "github".'),
        (WorkSaveRequest, {"to": "disk"}, 'to must be "persistent" or "github".'),
        (WorkSaveRequest, {"to": "github", "paths": "a.csv"}, "paths must be a list of file"),
        (WorkSaveRequest, {"to": "github", "paths": ["a", 1]}, "1 in paths is not a file path."),
        (WorkSaveRequest, {"to": "github", "overwrite": 1}, "overwrite must be true or false."),
        (
            WorkSaveRequest,
            {"to": "github", "force": True, "dry": 1},
            "Unknown field(s) dry, force: the fields are to, paths, overwrite and message.",
        ),
        (
            WorkSaveRequest,
            {"to": "github", "paths": ["a"] * (MAX_PATHS + 1)},
            f"paths holds {MAX_PATHS + 1} items; at most {MAX_PATHS}.",
        ),
        (RelaunchRequest, {"values": [["meml", 4]]}, 'values must be an object, such as {"meml"'),
        (RelaunchRequest, {"stop_current": "yes"}, "stop_current must be true or false."),
        (RelaunchRequest, {"message": 4}, "message must be a string (the commit message)."),
        (KeepRequest, {"packages": ["x"], "file": "../Dockerfile"}, "file must be one of"),
        (KeepRequest, {"packages": "x"}, "packages must be a non-empty list of package names"),
    ],
)
def test_a_body_that_does_not_fit_its_type_is_refused_by_name(
    shape: Any, fields: dict[str, Any], words: str
) -> None:
    with pytest.raises(InvalidInput) as caught:
        check_request(shape, fields)
    assert words in caught.value.message
    assert caught.value.status == 400


def test_a_fitting_body_comes_back_without_the_fields_left_out() -> None:
    fields = {"to": "github", "paths": ["a.csv"], "message": "m", "overwrite": None}
    assert check_request(WorkSaveRequest, fields) == {
        "to": "github",
        "paths": ["a.csv"],
        "message": "m",
    }
    assert check_request(RelaunchRequest, {}) == {}


def test_every_route_that_takes_a_body_declares_it() -> None:
    assert set(REQUESTS) == {
        ("PUT", "resources"),
        ("POST", "relaunch"),
        ("POST", "work/save"),
        ("POST", "environment/keep"),
    }
