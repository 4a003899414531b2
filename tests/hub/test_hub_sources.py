"""Where the hub reads `.resources` from: GitHub's raw host (a local stand-in) and local git."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from jupyter_binder_ext.hub import BinderResourcesHook, GitHubRawSource, LocalGitSource
from jupyter_binder_ext.hub.sources import (
    FOUND,
    MISSING,
    NOT_GITHUB,
    TOO_LARGE,
    UNAVAILABLE,
    LaunchTarget,
    launch_target,
)

if TYPE_CHECKING:
    from fixtures.raw_github_standin import RawGitHubStandIn

pytest_plugins = ("fixtures.raw_github_standin",)

SHA = "0123456789abcdef0123456789abcdef01234567"


def binderhub_options(owner: str = "o", repo: str = "r", sha: str = SHA) -> dict[str, str]:
    """``user_options`` as BinderHub's launcher sets them for a launch of ``owner/repo@main``."""
    return {
        "image": f"registry.example.org/binder-{owner}-2d{repo}:{sha}",
        "token": "not-a-real-token",
        "repo_url": f"https://github.com/{owner}/{repo}",
        "binder_ref_url": f"https://github.com/{owner}/{repo}/tree/{sha}",
        "binder_launch_host": "https://binder.example.org/",
        "binder_request": f"v2/gh/{owner}/{repo}/main",
        "binder_persistent_request": f"v2/gh/{owner}/{repo}/{sha}",
    }


def hook_for(standin: RawGitHubStandIn, **settings: object) -> BinderResourcesHook:
    return BinderResourcesHook(github_raw_base_url=standin.url, **settings)


# -- the launch a spawn is for ---------------------------------------------------------------


def test_target_is_the_resolved_commit_not_the_branch() -> None:
    target = launch_target(binderhub_options())
    assert target == LaunchTarget(
        repo_url="https://github.com/o/r",
        provider="gh",
        owner="o",
        repo="r",
        ref=SHA,
        is_github=True,
    )


def test_target_of_a_git_provider_launch_on_github_counts_as_github() -> None:
    url = "https%3A%2F%2Fgithub.com%2Fo%2Fr.git"
    target = launch_target(
        {
            "repo_url": "https://github.com/o/r.git",
            "binder_persistent_request": f"v2/git/{url}/{SHA}",
        }
    )
    assert target is not None
    assert (target.owner, target.repo, target.ref, target.is_github) == ("o", "r", SHA, True)


def test_target_of_a_gitlab_launch_is_not_github() -> None:
    target = launch_target(
        {
            "repo_url": "https://gitlab.com/group/project",
            "binder_persistent_request": f"v2/gl/group%2Fproject/{SHA}",
        }
    )
    assert target is not None
    assert target.is_github is False
    assert target.ref == SHA


def test_no_target_without_binderhub_options() -> None:
    assert launch_target({}) is None
    assert launch_target(None) is None


# -- GitHub's raw host (stand-in) ------------------------------------------------------------


async def test_reads_the_file_at_the_launched_commit(raw_github: RawGitHubStandIn) -> None:
    raw_github.add("o", "r", SHA, ".resources", "# ask for more\nmeml=4\ngpu=1\n")
    raw_github.add("o", "r", "main", ".resources", "meml=9\n")  # the branch moved on since
    source = GitHubRawSource(raw_github.url)
    result = await source.fetch(launch_target(binderhub_options()))  # type: ignore[arg-type]
    assert result.status == FOUND
    assert result.text == "# ask for more\nmeml=4\ngpu=1\n"
    assert raw_github.requests == [f"/o/r/{SHA}/.resources"]
    assert result.origin == f"{raw_github.url}/o/r/{SHA}/.resources"


async def test_normal_file_is_applied(raw_github: RawGitHubStandIn) -> None:
    raw_github.add("o", "r", SHA, ".resources", "cpur=2\ncpul=4\nmemr=2\nmeml=4\n")
    plan = await hook_for(raw_github).plan_for(binderhub_options())
    assert plan.from_file
    assert (plan.cpu_guarantee, plan.cpu_limit, plan.mem_guarantee_gb, plan.mem_limit_gb) == (
        2.0,
        4.0,
        2,
        4,
    )
    assert plan.notice == ""


async def test_missing_file_gives_defaults_and_says_so(raw_github: RawGitHubStandIn) -> None:
    plan = await hook_for(raw_github).plan_for(binderhub_options())
    assert not plan.from_file
    assert (plan.cpu_limit, plan.mem_limit_gb, plan.gpu) == (8.0, 16, 0)
    assert plan.notice.startswith(f"o/r@{SHA[:12]} has no .resources file.")
    assert "The site defaults apply (1 CPU guaranteed / 8 limit, 1 GB / 16 GB memory" in plan.notice
    assert raw_github.requests == [f"/o/r/{SHA}/.resources"]


async def test_slow_host_times_out_to_defaults(raw_github: RawGitHubStandIn) -> None:
    raw_github.add("o", "r", SHA, ".resources", "meml=4\n", delay=60)
    source = GitHubRawSource(raw_github.url, timeout=0.5)
    result = await source.fetch(launch_target(binderhub_options()))  # type: ignore[arg-type]
    assert result.status == UNAVAILABLE
    assert "did not send .resources" in result.message and "within 0.5 s" in result.message

    plan = await hook_for(raw_github, fetch_timeout=0.5).plan_for(binderhub_options())
    assert not plan.from_file and plan.mem_limit_gb == 16
    assert "GitHub did not send .resources of o/r@0123456789ab within 0.5 s." in plan.notice


async def test_unreachable_host_gives_defaults() -> None:
    # A port nothing listens on: bind one, note it, close it.
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    hook = BinderResourcesHook(github_raw_base_url=f"http://127.0.0.1:{port}")
    plan = await hook.plan_for(binderhub_options())
    assert not plan.from_file
    assert plan.notice.startswith("GitHub could not be reached for o/r@0123456789ab (")


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
async def test_oversized_file_is_refused_not_cut(
    raw_github: RawGitHubStandIn, chunked: bool
) -> None:
    # Valid lines first: cutting the body would yield a "valid" file; refusing must not.
    body = "meml=4\n" + "#" * 100_000 + "\n"
    raw_github.add("o", "r", SHA, ".resources", body, chunked=chunked)
    source = GitHubRawSource(raw_github.url, max_bytes=1024)
    result = await source.fetch(launch_target(binderhub_options()))  # type: ignore[arg-type]
    assert result.status == TOO_LARGE
    assert result.text is None

    plan = await hook_for(raw_github, max_bytes=1024).plan_for(binderhub_options())
    assert not plan.from_file and plan.mem_limit_gb == 16
    assert ".resources of o/r@0123456789ab is larger than 1024 bytes" in plan.notice


async def test_file_exactly_at_the_cap_is_read(raw_github: RawGitHubStandIn) -> None:
    body = "meml=4\n" + "#" * (1024 - 8) + "\n"
    assert len(body) == 1024
    raw_github.add("o", "r", SHA, ".resources", body, chunked=True)
    result = await GitHubRawSource(raw_github.url, max_bytes=1024).fetch(
        launch_target(binderhub_options())  # type: ignore[arg-type]
    )
    assert result.status == FOUND and result.text == body


async def test_non_github_repository_is_never_fetched(raw_github: RawGitHubStandIn) -> None:
    raw_github.add("group", "project", SHA, ".resources", "meml=4\n")
    options = {
        "repo_url": "https://gitlab.com/group/project",
        "binder_persistent_request": f"v2/gl/group%2Fproject/{SHA}",
        "binder_ref_url": f"https://gitlab.com/group/project/-/tree/{SHA}",
    }
    plan = await hook_for(raw_github).plan_for(options)
    assert raw_github.requests == []
    assert not plan.from_file and plan.mem_limit_gb == 16
    assert plan.notice.startswith(
        "This hub applies .resources only for repositories on github.com, and "
        "https://gitlab.com/group/project is not one."
    )


async def test_not_utf8_is_unavailable(raw_github: RawGitHubStandIn) -> None:
    raw_github.add("o", "r", SHA, ".resources", b"meml=4\xff\n")
    result = await GitHubRawSource(raw_github.url).fetch(
        launch_target(binderhub_options())  # type: ignore[arg-type]
    )
    assert result.status == UNAVAILABLE and "not UTF-8" in result.message


# -- a repository on the hub's disk ----------------------------------------------------------


def git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(repo), *args], check=True, capture_output=True, text=True
    ).stdout.strip()


@pytest.fixture
def local_repo(tmp_path: Path) -> Path:
    repo = tmp_path / "project"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    git(repo, "config", "user.email", "test@example.org")
    git(repo, "config", "user.name", "Test")
    (repo / "README.md").write_text("no resources yet\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "start")
    return repo


def target_at(sha: str, repo_url: str = "https://github.com/demo/project") -> LaunchTarget:
    return LaunchTarget(repo_url, "gh", "demo", "project", sha, True)


async def test_local_git_reads_each_commit(local_repo: Path) -> None:
    first = git(local_repo, "rev-parse", "HEAD")
    (local_repo / ".resources").write_text("meml=4\n")
    git(local_repo, "add", "-A")
    git(local_repo, "commit", "-q", "-m", "ask for 4")
    second = git(local_repo, "rev-parse", "HEAD")
    (local_repo / ".resources").write_text("meml=2\n")
    git(local_repo, "commit", "-q", "-am", "ask for 2")
    third = git(local_repo, "rev-parse", "HEAD")

    source = LocalGitSource(local_repo)
    assert (await source.fetch(target_at(first))).status == MISSING
    assert (await source.fetch(target_at(second))).text == "meml=4\n"
    assert (await source.fetch(target_at(third))).text == "meml=2\n"


async def test_local_git_by_repository_mapping_and_file_url(local_repo: Path) -> None:
    (local_repo / ".resources").write_text("gpu=1\n")
    git(local_repo, "add", "-A")
    git(local_repo, "commit", "-q", "-m", "gpu")
    sha = git(local_repo, "rev-parse", "HEAD")

    by_name = LocalGitSource({"demo/project": local_repo})
    assert (await by_name.fetch(target_at(sha))).text == "gpu=1\n"
    unknown = await by_name.fetch(LaunchTarget("https://github.com/x/y", "gh", "x", "y", sha, True))
    assert unknown.status == UNAVAILABLE and "no local copy of x/y" in unknown.message

    by_url = LocalGitSource()
    found = await by_url.fetch(target_at(sha, repo_url=f"file://{local_repo}"))
    assert found.text == "gpu=1\n"


async def test_local_git_unknown_commit_and_oversized(local_repo: Path) -> None:
    missing = await LocalGitSource(local_repo).fetch(target_at("f" * 40))
    assert missing.status == UNAVAILABLE
    assert "has no commit " + "f" * 40 + " of demo/project" in missing.message

    (local_repo / ".resources").write_text("meml=4\n" + "#" * 5000 + "\n")
    git(local_repo, "add", "-A")
    git(local_repo, "commit", "-q", "-m", "big")
    big = await LocalGitSource(local_repo, max_bytes=1024).fetch(
        target_at(git(local_repo, "rev-parse", "HEAD"))
    )
    assert big.status == TOO_LARGE


# -- BinderHub's own shapes (jupyterhub/binderhub at b9fad99) --------------------------------


async def test_gh_launch_of_repo_dot_git_reads_the_repository_without_dot_git(
    raw_github: RawGitHubStandIn,
) -> None:
    # repoproviders.py:958 strips ".git": `v2/gh/Owner/Repo.git/main` is repository Repo,
    # whose persistent request (repoproviders.py:1109) has no ".git" either.
    raw_github.add("Owner", "Repo", SHA, ".resources", "meml=4\n")
    options = {
        "repo_url": "https://github.com/Owner/Repo",
        "binder_ref_url": f"https://github.com/Owner/Repo/tree/{SHA}",
        "binder_launch_host": "https://binder.example.org/",
        "binder_request": "v2/gh/Owner/Repo.git/main",
        "binder_persistent_request": f"v2/gh/Owner/Repo/{SHA}",
    }
    plan = await hook_for(raw_github).plan_for(options)
    assert raw_github.requests == [f"/Owner/Repo/{SHA}/.resources"]
    assert plan.from_file and plan.mem_limit_gb == 4


async def test_gh_request_alone_with_repo_dot_git_reads_the_repository_without_dot_git(
    raw_github: RawGitHubStandIn,
) -> None:
    # A launch typed with a commit: the request alone names it (tokenize_spec, :39, :958).
    raw_github.add("Owner", "Repo", SHA, ".resources", "meml=4\n")
    plan = await hook_for(raw_github).plan_for({"binder_request": f"v2/gh/Owner/Repo.git/{SHA}"})
    assert raw_github.requests == [f"/Owner/Repo/{SHA}/.resources"]
    assert plan.from_file


async def test_github_enterprise_host_is_not_github_com(raw_github: RawGitHubStandIn) -> None:
    # repoproviders.py:880 GitHubRepoProvider.hostname: get_repo_url (:961) names the host.
    raw_github.add("o", "r", SHA, ".resources", "meml=4\n")
    options = {
        "repo_url": "https://github.example.com/o/r",
        "binder_ref_url": f"https://github.example.com/o/r/tree/{SHA}",
        "binder_request": "v2/gh/o/r/main",
        "binder_persistent_request": f"v2/gh/o/r/{SHA}",
    }
    target = launch_target(options)
    assert target is not None and not target.is_github
    plan = await hook_for(raw_github).plan_for(options)
    assert raw_github.requests == []
    assert "https://github.example.com/o/r is not one" in plan.notice
    # and the raw source itself refuses, whoever calls it
    result = await GitHubRawSource(raw_github.url).fetch(target)
    assert result.status == NOT_GITHUB and raw_github.requests == []


async def test_gist_is_not_read_from_githubs_raw_host(raw_github: RawGitHubStandIn) -> None:
    # repoproviders.py:1163: a gist's repo URL is gist.github.com/{user}/{id}.git
    options = {
        "repo_url": "https://gist.github.com/alice/8f7c2f03.git",
        "binder_ref_url": f"https://gist.github.com/alice/8f7c2f03/{SHA}",
        "binder_persistent_request": f"v2/gist/alice/8f7c2f03/{SHA}",
    }
    target = launch_target(options)
    assert target is not None and (target.repo, target.ref, target.is_github) == (
        "8f7c2f03",
        SHA,
        False,
    )
    assert (await GitHubRawSource(raw_github.url).fetch(target)).status == NOT_GITHUB
    assert raw_github.requests == []


async def test_pre_2019_user_options_are_read(raw_github: RawGitHubStandIn) -> None:
    # builder.py:514-518 before binderhub 1ea35dec (Nov 2019): ref_url, binder_url,
    # persistent_binder_url, whole URLs.
    raw_github.add("o", "r", SHA, ".resources", "meml=4\n")
    options = {
        "repo_url": "https://github.com/o/r",
        "ref_url": f"https://github.com/o/r/tree/{SHA}",
        "binder_url": "https://binder.example.org/v2/gh/o/r/main",
        "persistent_binder_url": f"https://binder.example.org/v2/gh/o/r/{SHA}",
    }
    plan = await hook_for(raw_github).plan_for(options)
    assert raw_github.requests == [f"/o/r/{SHA}/.resources"]
    assert plan.from_file and plan.mem_limit_gb == 4
