"""The `.resources` model: parsing, problems, rendering back, and its properties."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jupyter_binder_ext.common.units import GB
from jupyter_binder_ext.config import ResourceDefaults, SiteConfig
from jupyter_binder_ext.errors import Conflict, InvalidInput
from jupyter_binder_ext.launch.info import read_launch
from jupyter_binder_ext.resources.file import (
    describe_resources,
    read_resources,
    running_resources,
    write_resources,
)
from jupyter_binder_ext.resources.model import (
    ABSENT_ETAG,
    KEYS,
    NOT_GITHUB_WARNING,
    format_number,
    normalize_values,
    parse_resources,
    render_resources,
    validate_values,
)

DEFAULTS = ResourceDefaults()

# The example file of the seed site's user documentation, verbatim (no final newline, as the
# page ends the block there).
SEED_EXAMPLE = (
    "# This file is for resource requests in CERIT-SC\n"
    "# Do not change\n"
    "gpu=1\n"
    "cpur=2\n"
    "cpul=4\n"
    "memr=1\n"
    "meml=4"
)


def messages(text: str, defaults: ResourceDefaults = DEFAULTS) -> list[tuple[int | None, str]]:
    return [(p.line, p.message) for p in parse_resources(text, defaults).problems]


# -- parsing -----------------------------------------------------------------------------------


def test_seed_example_parses_to_the_documented_values() -> None:
    parsed = parse_resources(SEED_EXAMPLE, DEFAULTS)
    assert parsed.values == {"gpu": 1, "cpur": 2, "cpul": 4, "memr": 1, "meml": 4}
    assert parsed.effective == parsed.values
    assert parsed.problems == []
    assert not parsed.has_errors


def test_missing_keys_take_the_site_defaults() -> None:
    parsed = parse_resources("meml=4\n", DEFAULTS)
    assert parsed.values == {"meml": 4}
    assert parsed.effective == {"gpu": 0, "cpur": 1, "cpul": 8, "memr": 1, "meml": 4}


def test_defaults_come_from_the_site() -> None:
    site = ResourceDefaults(cpu_guarantee=0.5, cpu_limit=2, mem_guarantee_gb=2, mem_limit_gb=8)
    assert parse_resources("", site).effective == {
        "gpu": 0,
        "cpur": 0.5,
        "cpul": 2,
        "memr": 2,
        "meml": 8,
    }


def test_crlf_spaces_blank_lines_and_no_final_newline() -> None:
    text = "\ufeff# comment\r\n\r\n  gpu = 1 \r\n\tcpul=  2.5\r\n   # indented comment\r\nmeml=4"
    parsed = parse_resources(text, DEFAULTS)
    assert parsed.values == {"gpu": 1, "cpul": 2.5, "meml": 4}
    assert parsed.problems == []


def test_cpu_accepts_fractions_up_to_millicores() -> None:
    assert parse_resources("cpur=0.25\ncpul=0.5\n", DEFAULTS).values == {"cpur": 0.25, "cpul": 0.5}
    assert messages("cpul=0.0005") == [
        (1, "CPU is counted in thousandths of a core at most: cpul=0.001")
    ]
    # Trailing zeros are not extra precision.
    assert parse_resources("cpul=2.5000", DEFAULTS).values == {"cpul": 2.5}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("meml=4GB", "RAM is in whole GB, without units: meml=4"),
        ("meml=4 GB", "RAM is in whole GB, without units: meml=4"),
        ("memr=2G", "RAM is in whole GB, without units: memr=2"),
        ("meml=4096Mi", "RAM is in whole GB, without units: meml=4"),
        ("meml=1T", "RAM is in whole GB, without units: meml=1024"),
        ("cpul=500m", "CPU is in cores, without units: cpul=0.5"),
        ("cpur=2cores", "CPU is in cores, without units: cpur=2"),
        ("gpu=1gpu", "gpu is a number of GPUs, without units: gpu=1"),
    ],
)
def test_a_unit_is_named_with_the_number_to_write(text: str, expected: str) -> None:
    assert messages(text) == [(1, expected)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("meml=4.5", "RAM is in whole GB, without decimals: meml=5"),
        ("memr=1,5", "RAM is in whole GB, without decimals: memr=2"),
        ("meml=4.", "RAM is in whole GB, without decimals: meml=4"),
        ("gpu=0.5", "gpu must be a whole number of GPUs: gpu=1"),
        ("cpul=1,5", "Write the number in full, with a dot: cpul=1.5"),
        ("cpul=.5", "Write the number in full, with a dot: cpul=0.5"),
        ("meml=-4", "meml=-4: the most GB of RAM cannot be negative."),
        ("gpu=-1", "gpu=-1: the number of GPUs cannot be negative."),
        ("meml=four", "meml=four is not a number: write meml=4 (the most GB of RAM)."),
        ("cpul=1e3", "cpul=1e3 is not a number: write cpul=4 (the most CPU cores)."),
        ('meml="4"', "Write the number without quotes: meml=4"),
        (
            "meml=4  # more for pandas",
            "Comments must be on their own line starting with #: write meml=4 and put the "
            "comment on a line of its own.",
        ),
        (
            "meml=",
            "meml has no value: write a number like meml=4, or delete the line to use the "
            "site default (16).",
        ),
        ("meml=" + "9" * 40, "meml=999999999999… is too long to be a number of GB."),
    ],
)
def test_a_bad_value_gets_a_specific_message(text: str, expected: str) -> None:
    parsed = parse_resources(text, DEFAULTS)
    assert [(p.line, p.message, p.severity) for p in parsed.problems] == [(1, expected, "error")]
    assert parsed.values == {}  # a bad line never becomes a value
    assert parsed.has_errors


def test_unknown_keys_suggest_the_closest_known_key() -> None:
    assert messages("# ok\ngpus=1\nmem=4\nMEML=4\nram=4\n") == [
        (2, "Unknown key 'gpus'. Did you mean 'gpu'? The keys are gpu, cpur, cpul, memr, meml."),
        (3, "Unknown key 'mem'. Did you mean 'memr'? The keys are gpu, cpur, cpul, memr, meml."),
        (4, "Unknown key 'MEML': keys are lower case, write 'meml'."),
        (5, "Unknown key 'ram'. The keys are gpu, cpur, cpul, memr, meml."),
    ]


def test_lines_that_are_not_assignments() -> None:
    assert messages("meml 4\nmeml: 8\nhello world\n=4\n") == [
        (1, "Write it as key=value: meml=4"),
        (2, "Write it as key=value: meml=8"),
        (3, "Not a key=value line: write it like meml=4, or start it with # to make it a comment."),
        (4, "The key is missing before '=': write it like meml=4."),
    ]


def test_a_duplicate_key_is_an_error_naming_both_lines() -> None:
    parsed = parse_resources("meml=4\n# again\nmeml=8\n", DEFAULTS)
    assert [(p.line, p.key, p.message) for p in parsed.problems] == [
        (3, "meml", "meml is set again (first on line 1): keep only one line.")
    ]


def test_request_above_limit_uses_effective_values() -> None:
    # Both in the file: reported on the request's line.
    assert messages("memr=8\nmeml=4\n") == [
        (
            1,
            "The RAM request memr=8 is above the RAM limit meml=4: raise meml or lower memr.",
        )
    ]
    # The limit is the site default (8 CPUs).
    assert messages("cpur=16\n") == [
        (
            1,
            "The CPU request cpur=16 is above the CPU limit cpul=8 (the site default): "
            "raise cpul or lower cpur.",
        )
    ]
    # The request is the site default (1 CPU) and the file lowers the limit below it.
    assert messages("\ncpul=0.5\n") == [
        (
            2,
            "The CPU request cpur=1 (the site default) is above the CPU limit cpul=0.5: "
            "raise cpul or lower cpur.",
        )
    ]
    assert messages("cpur=4\ncpul=4\nmemr=4\nmeml=4\n") == []


def test_a_limit_of_zero_is_an_error() -> None:
    assert messages("meml=0") == [(1, "meml=0 would leave no RAM: the limit must be above 0.")]
    assert messages("cpul=0\ncpur=0") == [
        (1, "cpul=0 would leave no CPU: the limit must be above 0.")
    ]
    assert messages("gpu=0\nmemr=0\ncpur=0\n") == []


def test_site_maximums_on_by_default_and_off_when_zero() -> None:
    text = "gpu=4\ncpul=64\nmeml=512\n"
    no_ceiling = ResourceDefaults(max_gpu=0, max_cpu_limit=0, max_mem_limit_gb=0)
    assert messages(text, no_ceiling) == []
    assert messages(text) == [
        (1, "gpu=4 is above this site's maximum of 1 GPUs: use gpu=1 or less."),
        (2, "cpul=64 is above this site's maximum of 8 CPU cores: use cpul=8 or less."),
        (3, "meml=512 is above this site's maximum of 16 GB of RAM: use meml=16 or less."),
    ]
    capped = ResourceDefaults(max_gpu=2, max_cpu_limit=32, max_mem_limit_gb=128)
    assert messages(text, capped) == [
        (1, "gpu=4 is above this site's maximum of 2 GPUs: use gpu=2 or less."),
        (2, "cpul=64 is above this site's maximum of 32 CPU cores: use cpul=32 or less."),
        (3, "meml=512 is above this site's maximum of 128 GB of RAM: use meml=128 or less."),
    ]


def test_problems_serialise_to_the_documented_json() -> None:
    problem = parse_resources("gpu=x", DEFAULTS).problems[0]
    assert problem.to_json() == {
        "line": 1,
        "key": "gpu",
        "message": "gpu=x is not a number: write gpu=1 (the number of GPUs).",
        "severity": "error",
    }


# -- values from the form / the CLI ------------------------------------------------------------


def test_normalize_values_reads_strings_like_the_file_and_none_removes() -> None:
    clean, problems = normalize_values({"meml": "8", "cpul": 2.5, "gpu": None, "cpur": ""})
    assert problems == []
    assert clean == {"meml": 8, "cpul": 2.5, "gpu": None, "cpur": None}


def test_validate_values_reports_each_bad_value() -> None:
    problems = validate_values(
        {"meml": "8GB", "gpu": True, "cpul": float("nan"), "mem": 4, "memr": 2.5}, DEFAULTS
    )
    assert [(p.key, p.message) for p in problems] == [
        ("meml", "RAM is in whole GB, without units: meml=8"),
        ("gpu", "gpu must be a number, like gpu=1."),
        ("cpul", "cpul must be a finite number."),
        (
            "mem",
            "Unknown key 'mem'. Did you mean 'memr'? The keys are gpu, cpur, cpul, memr, meml.",
        ),
        ("memr", "RAM is in whole GB, without decimals: memr=3"),
    ]
    assert [p.message for p in validate_values({"memr": 32}, DEFAULTS)] == [
        "The RAM request memr=32 is above the RAM limit meml=16 (the site default): "
        "raise meml or lower memr."
    ]
    assert validate_values({"memr": 4, "meml": 8}, DEFAULTS) == []


# -- rendering ---------------------------------------------------------------------------------


def test_render_keeps_comments_and_order_and_updates_in_place() -> None:
    original = "# Ask for a GPU\ngpu=1\n\n# RAM\nmeml=4\nmemr=1\n# end\n"
    rendered = render_resources(original, {"meml": 8, "cpul": 4, "gpu": None})
    assert rendered == "# Ask for a GPU\n\n# RAM\nmeml=8\nmemr=1\n# end\ncpul=4\n"


def test_render_appends_in_key_order_and_adds_a_missing_final_newline() -> None:
    assert render_resources("# c", {"meml": 4, "gpu": 1}) == "# c\ngpu=1\nmeml=4\n"
    assert render_resources("", {"cpur": 0.5}) == "cpur=0.5\n"
    assert render_resources("gpu=1", {"gpu": 2}) == "gpu=2"  # in place: ending kept as it was


def test_render_keeps_crlf() -> None:
    rendered = render_resources("# c\r\ngpu=1\r\n", {"gpu": 0, "meml": 4})
    assert rendered == "# c\r\ngpu=0\r\nmeml=4\r\n"


def test_render_collapses_duplicates_and_keeps_unchanged_spelling() -> None:
    original = "meml = 4\nmeml=8\n cpul = 2 \n"
    assert render_resources(original, {"meml": 6}) == "meml=6\n cpul = 2 \n"
    # The same amount keeps the user's spelling and the line untouched.
    assert render_resources(original, {"cpul": 2.0}) == original


def test_render_leaves_unknown_and_broken_lines_it_does_not_own() -> None:
    original = "MEML=4\nfoo\nmeml=4GB\n"
    assert render_resources(original, {"meml": 4}) == "MEML=4\nfoo\nmeml=4\n"


def test_render_rejects_an_unknown_key() -> None:
    with pytest.raises(ValueError, match="unknown"):
        render_resources("", {"ram": 4})


def test_format_number_never_uses_exponents() -> None:
    assert [format_number(v) for v in (4, 4.0, 0.5, 0.001, 1e-3, 1234.567)] == [
        "4",
        "4",
        "0.5",
        "0.001",
        "0.001",
        "1234.567",
    ]


# -- hypothesis properties ---------------------------------------------------------------------

value_text = st.one_of(
    st.integers(-5, 10**6).map(str),
    st.decimals(-10, 10**4, places=4, allow_nan=False, allow_infinity=False).map(str),
    st.sampled_from(["", "4GB", "4 G", "500m", "1,5", ".5", "4.", "x", '"4"', "4 # c", "-0"]),
    st.text(max_size=12),
)
key_text = st.one_of(st.sampled_from(KEYS), st.sampled_from(["MEML", "mem", "", " gpu "]))
line = st.one_of(
    st.builds(
        lambda k, v, sp: f"{sp}{k}{sp}={sp}{v}",
        key_text,
        value_text,
        st.sampled_from(["", " ", "\t"]),
    ),
    st.sampled_from(["", "# comment", "  # indented", "no equals here", "=", "==="]),
    st.text(max_size=30),
)
ending = st.sampled_from(["\n", "\r\n", "\r", ""])
resources_text = st.builds(
    lambda pairs, bom: ("\ufeff" if bom else "") + "".join(a + b for a, b in pairs),
    st.lists(st.tuples(line, ending), max_size=12),
    st.booleans(),
)


@settings(max_examples=400)
@given(st.one_of(resources_text, st.text()))
def test_no_input_makes_the_parser_raise(text: str) -> None:
    parsed = parse_resources(text, DEFAULTS)
    assert set(parsed.values) <= set(KEYS)
    assert set(parsed.effective) == set(KEYS)
    for problem in parsed.problems:
        assert problem.message
        assert problem.severity in ("error", "warning")


@settings(max_examples=200)
@given(
    st.dictionaries(
        st.one_of(st.sampled_from(KEYS), st.text(max_size=6)),
        st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=8)),
    )
)
def test_no_values_make_validation_raise(values: dict[str, Any]) -> None:
    validate_values(values, DEFAULTS)


valid_value = {
    "gpu": st.integers(0, 64),
    "memr": st.integers(0, 4096),
    "meml": st.integers(1, 4096),
    "cpur": st.integers(0, 256_000).map(lambda n: n / 1000),
    "cpul": st.integers(1, 256_000).map(lambda n: n / 1000),
}
new_values = st.fixed_dictionaries(
    {}, optional={k: st.one_of(st.none(), strategy) for k, strategy in valid_value.items()}
)


@settings(max_examples=400)
@given(resources_text, new_values)
def test_render_then_parse_returns_the_same_values(original: str, values: dict[str, Any]) -> None:
    before = parse_resources(original, DEFAULTS).values
    after = parse_resources(render_resources(original, values), DEFAULTS).values
    expected = {k: v for k, v in before.items() if k not in values}
    expected.update({k: v for k, v in values.items() if v is not None})
    assert after == expected


@settings(max_examples=200)
@given(resources_text, new_values)
def test_render_keeps_every_line_it_does_not_own(original: str, values: dict[str, Any]) -> None:
    rendered = render_resources(original, values)
    kept = [
        ln.strip()
        for ln in original.lstrip("\ufeff").split("\n")
        if ln.strip().partition("=")[0].strip() not in values or "=" not in ln
    ]
    lines = [ln.strip() for ln in rendered.lstrip("\ufeff").split("\n")]
    position = 0
    for wanted in kept:  # in the same order
        position = lines.index(wanted, position) + 1


# -- running values ----------------------------------------------------------------------------


def test_running_values_from_the_spawner_environment() -> None:
    env = {
        "MEM_LIMIT": str(4 * GB),
        "MEM_GUARANTEE": str(GB),
        "CPU_LIMIT": "4.0",
        "CPU_GUARANTEE": "0.5",
        "NVIDIA_VISIBLE_DEVICES": "0,1",
    }
    assert running_resources(env) == {"gpu": 2, "cpur": 0.5, "cpul": 4, "memr": 1, "meml": 4}
    assert running_resources({}) == dict.fromkeys(KEYS)
    assert running_resources({"NVIDIA_VISIBLE_DEVICES": "void", "MEM_LIMIT": "lots"}) == {
        **dict.fromkeys(KEYS),
        "gpu": 0,
    }


# -- the file, without HTTP --------------------------------------------------------------------


def _site(tmp_path: Path) -> SiteConfig:
    return SiteConfig(repo_dir=str(tmp_path))


GITHUB_ENV = {
    "JUPYTERHUB_API_URL": "http://127.0.0.1:1/hub/api",
    "BINDER_REPO_URL": "https://github.com/o/r",
    "BINDER_REQUEST": "v2/gh/o/r/main",
}


def test_read_absent_then_write_values_then_text(tmp_path: Path) -> None:
    site, launch = _site(tmp_path), read_launch(GITHUB_ENV)
    absent = read_resources(site, launch, env={})
    assert absent["exists"] is False
    assert absent["etag"] == ABSENT_ETAG
    assert absent["text"] == ""
    assert absent["warnings"] == []
    written = write_resources(site, launch, values={"meml": 8}, if_match=ABSENT_ETAG, env={})
    assert (tmp_path / ".resources").read_text() == "meml=8\n"
    assert written["values"] == {"meml": 8}
    assert written["etag"] != ABSENT_ETAG
    replaced = write_resources(site, launch, text="# mine\ngpu=1\n", if_match=written["etag"])
    assert (tmp_path / ".resources").read_text() == "# mine\ngpu=1\n"
    assert replaced["values"] == {"gpu": 1}


def test_stale_etag_conflicts_and_writes_nothing(tmp_path: Path) -> None:
    site, launch = _site(tmp_path), read_launch(GITHUB_ENV)
    path = tmp_path / ".resources"
    path.write_text("meml=4\n")
    etag = read_resources(site, launch)["etag"]
    path.write_text("meml=6\n")  # someone else edits meanwhile
    with pytest.raises(Conflict) as caught:
        write_resources(site, launch, values={"meml": 8}, if_match=etag)
    assert path.read_text() == "meml=6\n"
    assert caught.value.details["etag"] == read_resources(site, launch)["etag"]


def test_invalid_edit_leaves_the_file_byte_for_byte(tmp_path: Path) -> None:
    site, launch = _site(tmp_path), read_launch(GITHUB_ENV)
    path = tmp_path / ".resources"
    original = b"# keep me\r\nmeml=4\r\n"
    path.write_bytes(original)
    with pytest.raises(InvalidInput) as caught:
        write_resources(site, launch, values={"memr": 8})
    assert path.read_bytes() == original
    assert caught.value.details["problems"][0]["key"] == "memr"
    with pytest.raises(InvalidInput):
        write_resources(site, launch, text="meml=4GB\n")
    assert path.read_bytes() == original
    assert list(tmp_path.iterdir()) == [path]  # no temporary file left behind


def test_write_keeps_the_file_mode(tmp_path: Path) -> None:
    site, launch = _site(tmp_path), read_launch(GITHUB_ENV)
    path = tmp_path / ".resources"
    path.write_text("meml=4\n")
    path.chmod(0o640)
    write_resources(site, launch, values={"meml": 8})
    assert path.stat().st_mode & 0o777 == 0o640


def test_not_github_is_a_warning(tmp_path: Path) -> None:
    env = {
        "JUPYTERHUB_API_URL": "http://127.0.0.1:1/hub/api",
        "BINDER_REPO_URL": "https://gitlab.com/o/r",
        "BINDER_REQUEST": "v2/gl/o%2Fr/main",
    }
    data = read_resources(_site(tmp_path), read_launch(env))
    assert data["is_github"] is False
    assert data["warnings"] == [
        {"kind": "not_github", "level": "warning", "message": NOT_GITHUB_WARNING}
    ]


def test_describe_resources_shows_file_effective_and_running(tmp_path: Path) -> None:
    site, launch = _site(tmp_path), read_launch(GITHUB_ENV)
    (tmp_path / ".resources").write_text("meml=4\nmemr=8\n")
    text = describe_resources(read_resources(site, launch, env={"MEM_LIMIT": str(2 * GB)}))
    assert "RAM limit (GB) [meml]" in text
    row = next(ln for ln in text.splitlines() if "[meml]" in ln)
    assert row.split()[-3:] == ["4", "4", "2"]
    assert "line 2 (error): The RAM request memr=8 is above the RAM limit meml=4" in text
