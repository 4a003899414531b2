"""The resources answer built from hand-made facts: values, problems, warnings, running values."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from pathlib import Path

from fixtures.answer_types import problems

from jupyter_binder_ext.config import SiteConfig
from jupyter_binder_ext.launch.facts import LaunchInfo
from jupyter_binder_ext.resources.answers import ResourcesAnswer
from jupyter_binder_ext.resources.builders import MAX_PROBLEMS, build_resources
from jupyter_binder_ext.resources.facts import FileFacts, ReadFailure, ResourcesFacts
from jupyter_binder_ext.resources.model import ABSENT_ETAG, NOT_GITHUB_WARNING
from jupyter_binder_ext.resources.text import describe_resources

PATH = Path("/srv/repo/.resources")
SITE = SiteConfig(repo_dir="/srv/repo")
GITHUB = LaunchInfo(
    under_hub=True,
    under_binder=True,
    user="alice",
    server_name="",
    repo_url="https://github.com/o/r",
    provider="gh",
    owner="o",
    repo="r",
    ref="main",
    resolved_ref="",
    ref_url="",
    launch_host="https://binder.example.org/",
    request="v2/gh/o/r/main",
    persistent_request="",
    is_github=True,
    hub_url="",
    hub_api_url="http://hub:8081/hub/api",
    control_panel_url="",
    image="",
    image_source="",
)


def facts(
    data: bytes | None,
    failure: ReadFailure | None = None,
    launch: LaunchInfo = GITHUB,
    env: dict[str, str] | None = None,
) -> ResourcesFacts:
    exists = data is not None or failure is not None
    return ResourcesFacts(FileFacts(PATH, data, failure, exists), env or {}, launch)


def build(*args: object, **kwargs: object) -> ResourcesAnswer:
    answer = build_resources(facts(*args, **kwargs), SITE)  # type: ignore[arg-type]
    assert problems(answer, ResourcesAnswer) == []
    return answer


def test_a_file_answers_with_its_values_in_its_order_over_the_site_defaults() -> None:
    data = b"# mine\nmeml=8\ncpul=2.5\n"
    answer = build(data)
    assert list(answer["values"].items()) == [("meml", 8), ("cpul", 2.5)]
    assert answer["effective"] == {"gpu": 0, "cpur": 1, "cpul": 2.5, "memr": 1, "meml": 8}
    assert answer["defaults"] == {"gpu": 0, "cpur": 1, "cpul": 8, "memr": 1, "meml": 16}
    assert answer["maximums"] == answer["ceilings"] == {"gpu": 1, "cpul": 8, "meml": 16}
    assert answer["etag"] == hashlib.sha256(data).hexdigest()
    assert (answer["exists"], answer["has_errors"], answer["problems"]) == (True, False, [])
    assert answer["text"] == data.decode()
    assert answer["warnings"] == []


def test_no_file_is_the_site_defaults_with_the_absent_etag() -> None:
    answer = build(None)
    assert (answer["exists"], answer["text"], answer["values"]) == (False, "", {})
    assert answer["etag"] == ABSENT_ETAG
    assert "(no file: the site defaults apply)" in describe_resources(answer)


def test_a_file_that_cannot_be_read_is_a_problem_the_user_can_fix() -> None:
    folder = build(None, ReadFailure("folder"))
    assert folder["exists"] is True and folder["has_errors"] is True
    assert folder["problems"] == [
        {
            "line": None,
            "key": None,
            "message": f"{PATH} is a folder, not a file: rename or remove it.",
            "severity": "error",
        }
    ]
    denied = build(None, ReadFailure("unreadable", "Permission denied"))
    assert denied["problems"][0]["message"] == f"Cannot read {PATH}: Permission denied."
    unsafe = build(None, ReadFailure("unsafe", "It is a link: never followed."))
    assert unsafe["problems"][0]["message"] == "It is a link: never followed."


def test_bytes_that_are_not_utf8_are_shown_replaced_and_said_so() -> None:
    answer = build(b"meml=4\n\xff\n")
    assert answer["text"] == "meml=4\n\ufffd\n"
    assert answer["problems"][0]["message"] == (
        "The file is not UTF-8 text (byte 7); save it as plain UTF-8 text."
    )
    assert answer["values"] == {"meml": 4}  # the lines that were UTF-8 still count


def test_the_launch_decides_the_warning() -> None:
    gitlab = replace(GITHUB, repo_url="https://gitlab.com/o/r", provider="gl", is_github=False)
    assert build(b"", launch=gitlab)["warnings"] == [
        {"kind": "not_github", "level": "warning", "message": NOT_GITHUB_WARNING}
    ]
    plain = replace(GITHUB, under_binder=False, repo_url="", is_github=False)
    (only,) = build(b"", launch=plain)["warnings"]
    assert (only["kind"], only["level"]) == ("not_binder", "info")


def test_what_runs_now_comes_from_the_spawner_variables() -> None:
    env = {
        "CPU_GUARANTEE": "0.5",
        "CPU_LIMIT": "4",
        "MEM_GUARANTEE": str(2 * 1024**3),
        "MEM_LIMIT": "not a number",
        "NVIDIA_VISIBLE_DEVICES": "all",  # every GPU of the node: how many is unknown
    }
    assert build(b"", env=env)["running"] == {
        "gpu": None,
        "cpur": 0.5,
        "cpul": 4,
        "memr": 2,
        "meml": None,
    }


def test_a_file_with_many_problems_lists_some_and_counts_the_rest() -> None:
    data = "".join(f"bad line {n}\n" for n in range(MAX_PROBLEMS + 10)).encode()
    answer = build(data)
    assert len(answer["problems"]) == MAX_PROBLEMS
    assert answer["problems"][-1]["message"] == "... and 11 more problems, not listed."
    assert answer["problems"][-1]["severity"] == "error"


def test_the_text_shows_file_effective_and_running_values_and_each_problem() -> None:
    answer = build(b"meml=8\ncpur=x\n", env={"CPU_LIMIT": "8"})
    lines = describe_resources(answer).splitlines()
    assert lines[0] == str(PATH)
    assert lines[4].split() == ["CPU", "request", "(cores)", "[cpur]", "-", "1", "-"]
    assert lines[5].split() == ["CPU", "limit", "(cores)", "[cpul]", "-", "8", "8"]
    assert lines[7].split() == ["RAM", "limit", "(GB)", "[meml]", "8", "8", "-"]
    assert lines[-1].startswith("  line 2 (error): cpur=x is not a number")
