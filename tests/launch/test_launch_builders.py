"""The launch answer built from hand-made facts: links, names, sentences, hidden credentials."""

from __future__ import annotations

import json
from dataclasses import replace

from fixtures.answer_types import problems

from jupyter_binder_ext.launch.answers import LaunchAnswer
from jupyter_binder_ext.launch.builders import build_launch
from jupyter_binder_ext.launch.facts import LaunchInfo
from jupyter_binder_ext.launch.text import describe_launch

SHA = "0123456789abcdef0123456789abcdef01234567"
HOST = "https://binder.example.org/"

# A BinderHub launch of o/r on github.com, as BinderSpawnerMixin.get_env passes it.
GITHUB = LaunchInfo(
    under_hub=True,
    under_binder=True,
    user="alice",
    server_name="s1",
    repo_url="https://github.com/o/r",
    provider="gh",
    owner="o",
    repo="r",
    ref="main",
    resolved_ref=SHA,
    ref_url=f"https://github.com/o/r/tree/{SHA}",
    launch_host=HOST,
    request="v2/gh/o/r/main",
    persistent_request=f"v2/gh/o/r/{SHA}",
    is_github=True,
    hub_url="https://hub.example.org/hub/",
    hub_api_url="http://hub:8081/hub/api",
    control_panel_url="https://hub.example.org/hub/home",
    image="registry.example.org/r2d-o-r:abc",
    image_source="JUPYTER_IMAGE_SPEC",
)
NO_HUB = replace(
    GITHUB,
    under_hub=False,
    under_binder=False,
    user="",
    server_name="",
    hub_url="",
    hub_api_url="",
    control_panel_url="",
)


def test_a_github_launch_answers_with_its_name_its_link_and_no_sentence() -> None:
    answer = build_launch(GITHUB)
    assert problems(answer, LaunchAnswer) == []
    assert answer["provider_name"] == "GitHub"
    # builder.py:399: the link BinderHub shows is the launch host and the persistent request.
    assert answer["launch_url"] == f"{HOST}v2/gh/o/r/{SHA}"
    assert answer["message"] == ""
    assert (answer["owner"], answer["repo"], answer["resolved_ref"]) == ("o", "r", SHA)


def test_without_a_persistent_request_the_link_is_made_from_the_resolved_commit() -> None:
    answer = build_launch(replace(GITHUB, request="", persistent_request=""))
    assert answer["launch_url"] == f"{HOST}v2/gh/o/r/{SHA}"
    assert build_launch(replace(GITHUB, persistent_request="", launch_host=""))["launch_url"] == ""


def test_outside_a_hub_the_answer_says_so_and_the_text_is_that_sentence() -> None:
    answer = build_launch(NO_HUB)
    assert answer["message"] == "Not running under JupyterHub: there is no launch to describe."
    assert describe_launch(answer) == answer["message"]
    plain_hub = build_launch(replace(NO_HUB, under_hub=True))
    assert plain_hub["message"] == "Running under JupyterHub, but not launched by a BinderHub."


def test_an_unknown_provider_keeps_its_own_name() -> None:
    answer = build_launch(replace(GITHUB, provider="newprovider", is_github=False))
    assert answer["provider_name"] == "newprovider"
    assert "(newprovider)" in describe_launch(answer)


def test_a_token_the_facts_keep_is_in_no_field_of_the_answer_nor_in_its_text() -> None:
    # BinderHub passes a private repository's URL as given (GitRepoProvider, repoproviders.py
    # :650-665): the token is in the URL, the requests and the link made from them.
    url = "https://oauth2:GLSECRET@gitlab.com/o/r"
    encoded = "https%3A%2F%2Foauth2%3AGLSECRET%40gitlab.com%2Fo%2Fr"
    info = replace(
        GITHUB,
        repo_url=url,
        provider="git",
        is_github=False,
        ref_url=url,
        request=f"v2/git/{encoded}/main",
        persistent_request=f"v2/git/{encoded}/{SHA}",
    )
    assert "GLSECRET" in info.launch_url  # the fact keeps it: a relaunch needs it
    answer = build_launch(info)
    assert "GLSECRET" not in json.dumps(answer)
    assert answer["repo_url"] == "https://***@gitlab.com/o/r"
    assert answer["launch_url"].startswith(f"{HOST}v2/git/https%3A%2F%2F")
    text = describe_launch(answer)
    assert "GLSECRET" not in text
    assert "Note: the site honours .resources only for repositories on github.com." in text


def test_the_text_lists_what_is_known_and_leaves_out_what_is_not() -> None:
    text = describe_launch(build_launch(replace(GITHUB, image="", ref="")))
    assert text.splitlines() == [
        "User:        alice",
        "Server:      s1",
        "Repository:  https://github.com/o/r (GitHub)",
        f"Commit:      {SHA}",
        f"Relaunch:    {HOST}v2/gh/o/r/{SHA}",
        "Projects:    https://hub.example.org/hub/home",
    ]
