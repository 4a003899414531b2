"""The repository's ``.resources`` file: parse, check, render back and write it safely.

The file is the seed site's way to ask for other resources than its defaults: ``key=value``
lines for ``gpu``, ``cpur``, ``cpul``, ``memr`` and ``meml``; ``#`` lines are comments; a
missing key takes the site default. The site honours it only for repositories on github.com.

Units, as this module accepts them (and documents them to users):

* ``cpur`` / ``cpul``: CPU cores. Whole numbers (as in the seed page's example) and decimal
  fractions such as ``0.5`` are accepted: KubeSpawner takes CPU as a float and Kubernetes
  counts CPU in thousandths of a core, so at most three decimals (``0.125``) are allowed.
* ``memr`` / ``meml``: RAM in whole GB (1 GB = 1024**3 bytes, as JupyterHub's ``G``),
  written without units or decimals.
* ``gpu``: a whole number of GPUs.

Requests may be 0; limits (``cpul``, ``meml``) must be above 0. A request may not exceed its
limit, each counted as the file sets it or, when the file is silent, as the site default.

The hub's hook imports this module too, so it imports only the standard library, the site's
defaults (:mod:`..config`) and the answer types (:mod:`.answers`); the file on disk is read
and written by :mod:`.file`.
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Literal, Union

from jupyter_binder_ext.config import ResourceDefaults
from jupyter_binder_ext.resources.answers import ResourcesProblem

Number = Union[int, float]
# The key of a server's user_options where the hub's hook records what a spawn got
# (hub/apply.py writes it, projects/apart.py reads it back from the hub's API).
RESOURCES_OPTION = "binder_resources"
Severity = Literal["error", "warning"]

KEYS = ("gpu", "cpur", "cpul", "memr", "meml")
CPU_KEYS = ("cpur", "cpul")
MEM_KEYS = ("memr", "meml")
LIMIT_KEYS = ("cpul", "meml")
# (request, limit) pairs checked against each other.
PAIRS = (("cpur", "cpul"), ("memr", "meml"))

LABELS = {
    "gpu": "GPUs",
    "cpur": "CPU request (cores)",
    "cpul": "CPU limit (cores)",
    "memr": "RAM request (GB)",
    "meml": "RAM limit (GB)",
}
EXAMPLES = {"gpu": "1", "cpur": "2", "cpul": "4", "memr": "1", "meml": "4"}

# The etag of a repository without the file (never a sha256 hex digest).
ABSENT_ETAG = "absent"
# Longer numbers are typos, and very long digit strings are costly to convert.
MAX_NUMBER_CHARS = 24
CPU_DECIMALS = 3
# Unknown keys named one by one in the problems; the rest are counted in one more problem.
MAX_UNKNOWN_KEYS_NAMED = 20

NOT_GITHUB_WARNING = (
    "This repository is not on github.com: the site honours .resources only for "
    "repositories on github.com."
)

_NUMBER_RE = re.compile(r"^[0-9]+(?:\.[0-9]+)?$")
_UNIT_RE = re.compile(r"^([0-9]+(?:[.,][0-9]+)?)\s*([A-Za-z]+)$")
_MEM_UNITS = {
    "k": 1 / 1024**2,
    "kb": 1 / 1024**2,
    "ki": 1 / 1024**2,
    "kib": 1 / 1024**2,
    "m": 1 / 1024,
    "mb": 1 / 1024,
    "mi": 1 / 1024,
    "mib": 1 / 1024,
    "g": 1,
    "gb": 1,
    "gi": 1,
    "gib": 1,
    "t": 1024,
    "tb": 1024,
    "ti": 1024,
    "tib": 1024,
}
_CPU_UNITS = {"m": 1 / 1000, "cpu": 1, "cpus": 1, "core": 1, "cores": 1}
_GPU_UNITS = {"gpu": 1, "gpus": 1}


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the file (or with a value), for the user to fix."""

    line: int | None
    key: str | None
    message: str
    severity: Severity = "error"

    def to_json(self) -> ResourcesProblem:
        return {
            "line": self.line,
            "key": self.key,
            "message": self.message,
            "severity": self.severity,
        }


@dataclass
class ParsedResources:
    """What a ``.resources`` text asks for.

    ``values`` holds each key whose (last) line is a well-formed amount of its kind; a line
    that is not (not a number, a unit, negative, fractional GB...) is left out and reported
    in ``problems``. Policy problems (a request above its limit, above the site maximum)
    leave the values in place and are reported too. ``effective`` is the site defaults
    overlaid with ``values``, for all five keys.
    """

    values: dict[str, Number] = field(default_factory=dict)
    effective: dict[str, Number] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    lines: dict[str, int] = field(default_factory=dict)

    @property
    def has_errors(self) -> bool:
        return any(p.severity == "error" for p in self.problems)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]


# -- numbers ---------------------------------------------------------------------------------


def tidy_number(value: float) -> Number:
    """2.0 → 2; fractions stay floats (JSON and the form show 2, not 2.0)."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def format_number(value: Number) -> str:
    """The text written for a value: ``4``, ``0.5``, never ``1e-05`` or ``4.0``."""
    if isinstance(value, bool):
        raise TypeError("a bool is not an amount")
    if isinstance(value, int):
        return str(value)
    if value.is_integer():
        return str(int(value))
    text = format(Decimal(repr(value)), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def defaults_dict(defaults: ResourceDefaults) -> dict[str, Number]:
    return {
        "gpu": defaults.gpu,
        "cpur": tidy_number(float(defaults.cpu_guarantee)),
        "cpul": tidy_number(float(defaults.cpu_limit)),
        "memr": defaults.mem_guarantee_gb,
        "meml": defaults.mem_limit_gb,
    }


def maximums_dict(defaults: ResourceDefaults) -> dict[str, Number | None]:
    """The operator's ceilings; None where none is configured."""
    return {
        "gpu": defaults.max_gpu or None,
        "cpul": tidy_number(float(defaults.max_cpu_limit)) or None,
        "meml": defaults.max_mem_limit_gb or None,
    }


def _kind(key: str) -> str:
    return "cpu" if key in CPU_KEYS else "mem" if key in MEM_KEYS else "gpu"


def _whole_up(value: float) -> int:
    return max(1, math.ceil(value - 1e-9))


def _unit_problem(key: str, number_text: str, unit: str) -> str:
    number = float(number_text.replace(",", "."))
    kind = _kind(key)
    unit_l = unit.lower()
    if kind == "mem":
        factor = _MEM_UNITS.get(unit_l)
        suggested = _whole_up(number * factor) if factor else _whole_up(number)
        return f"RAM is in whole GB, without units: {key}={suggested}"
    if kind == "cpu":
        cpu_factor = _CPU_UNITS.get(unit_l)
        value = number * cpu_factor if cpu_factor else number
        cores = format_number(tidy_number(round(value, 3)))
        return f"CPU is in cores, without units: {key}={cores}"
    gpu_factor = _GPU_UNITS.get(unit_l, 1)
    return f"gpu is a number of GPUs, without units: gpu={_whole_up(number * gpu_factor)}"


def check_value(key: str, raw: str, defaults: ResourceDefaults) -> tuple[Number | None, str | None]:
    """Read one value as the file writes it: (the number, None) or (None, what is wrong)."""
    value = raw.strip()
    problem = _form_problem(key, value, defaults)
    if problem is not None:
        return None, problem
    negative = value.startswith("-")
    unsigned = value[1:].strip() if negative else value
    unit_match = _UNIT_RE.match(unsigned)
    if unit_match:
        return None, _unit_problem(key, unit_match.group(1), unit_match.group(2))
    odd_form = _odd_number_form(unsigned)
    if odd_form is None and not _NUMBER_RE.match(unsigned):
        return None, (
            f"{key}={value} is not a number: write {key}={EXAMPLES[key]} ({_meaning(key)})."
        )
    if negative:
        return None, f"{key}={value}: {_meaning(key)} cannot be negative."
    return _read_number(key, value, odd_form or unsigned, odd_form is not None)


def _form_problem(key: str, value: str, defaults: ResourceDefaults) -> str | None:
    """What is wrong with the value's form before it is read as a number (empty, too long,
    a trailing comment, quotes); None when nothing is."""
    if not value:
        default = defaults_dict(defaults)[key]
        return (
            f"{key} has no value: write a number like {key}={EXAMPLES[key]}, or delete the "
            f"line to use the site default ({format_number(default)})."
        )
    if len(value) > MAX_NUMBER_CHARS:
        return f"{key}={value[:12]}… is too long to be a number of {_unit_word(key)}."
    if "#" in value:
        before = value.split("#", 1)[0].strip()
        return (
            f"Comments must be on their own line starting with #: write {key}={before or '…'} "
            "and put the comment on a line of its own."
        )
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        return f"Write the number without quotes: {key}={value[1:-1].strip()}"
    return None


def _read_number(
    key: str, value: str, number_text: str, odd_form: bool
) -> tuple[Number | None, str | None]:
    """A non-negative decimal `number_text` as `key` counts it (thousandths of a core, whole
    GB, whole GPUs)."""
    integer, _, decimals = number_text.partition(".")
    decimals = decimals.rstrip("0")
    if _kind(key) == "cpu":
        if len(decimals) > CPU_DECIMALS:
            smallest = max(0.001, round(float(number_text), CPU_DECIMALS))
            rounded = format_number(tidy_number(smallest))
            return None, f"CPU is counted in thousandths of a core at most: {key}={rounded}"
        if odd_form:
            return None, f"Write the number in full, with a dot: {key}={number_text}"
        return tidy_number(float(number_text)), None
    if decimals or "." in number_text:
        whole = _whole_up(float(number_text))
        if _kind(key) == "mem":
            return None, f"RAM is in whole GB, without decimals: {key}={whole}"
        return None, f"gpu must be a whole number of GPUs: gpu={whole}"
    if odd_form:
        return None, f"{key}={value} is not a number: write {key}={integer}"
    return int(integer), None


def _odd_number_form(text: str) -> str | None:
    """``1,5`` / ``.5`` / ``4.`` as the plain number they mean (``1.5``, ``0.5``, ``4``)."""
    if re.fullmatch(r"[0-9]+,[0-9]+", text):
        return text.replace(",", ".")
    if re.fullmatch(r"\.[0-9]+", text):
        return "0" + text
    if re.fullmatch(r"[0-9]+\.", text):
        return text[:-1] + ".0"
    return None


def _unit_word(key: str) -> str:
    return {"cpu": "cores", "mem": "GB", "gpu": "GPUs"}[_kind(key)]


def _meaning(key: str) -> str:
    return {
        "gpu": "the number of GPUs",
        "cpur": "the CPU cores guaranteed",
        "cpul": "the most CPU cores",
        "memr": "the GB of RAM guaranteed",
        "meml": "the most GB of RAM",
    }[key]


def _short(text: str, limit: int = 24) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _unknown_key_message(key: str) -> str:
    known = ", ".join(KEYS)
    if key.lower() in KEYS:
        return f"Unknown key '{key}': keys are lower case, write '{key.lower()}'."
    close = difflib.get_close_matches(key.lower(), KEYS, n=1, cutoff=0.5) if len(key) < 24 else []
    hint = f" Did you mean '{close[0]}'?" if close else ""
    return f"Unknown key '{_short(key)}'.{hint} The keys are {known}."


# -- parse -----------------------------------------------------------------------------------


def _split_lines(text: str) -> list[tuple[str, str]]:
    """(content, line ending) pairs; the ending is ``\\r\\n``, ``\\n`` or ``''`` (last line)."""
    pieces: list[tuple[str, str]] = []
    start = 0
    while start < len(text):
        end = text.find("\n", start)
        if end < 0:
            pieces.append((text[start:], ""))
            break
        if end > start and text[end - 1] == "\r":
            pieces.append((text[start : end - 1], "\r\n"))
        else:
            pieces.append((text[start:end], "\n"))
        start = end + 1
    return pieces


def _strip_bom(text: str) -> tuple[str, str]:
    return ("\ufeff", text[1:]) if text.startswith("\ufeff") else ("", text)


def _owned_key(content: str) -> str | None:
    """The known key a line sets, or None for comments, blanks and lines it does not own."""
    stripped = content.strip()
    if not stripped or stripped.startswith("#") or "=" not in stripped:
        return None
    key = stripped.split("=", 1)[0].strip()
    return key if key in KEYS else None


def parse_resources(text: str, defaults: ResourceDefaults | None = None) -> ParsedResources:
    """Parse a ``.resources`` text. Never raises: every oddity becomes a :class:`Problem`."""
    defaults = defaults or ResourceDefaults()
    result = ParsedResources()
    _, body = _strip_bom(text if isinstance(text, str) else "")
    first_line: dict[str, int] = {}
    for number, (content, _ending) in enumerate(_split_lines(body), start=1):
        stripped = content.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if "=" not in stripped:
            result.problems.append(Problem(number, None, _not_assignment_message(stripped)))
            continue
        key, _, raw = stripped.partition("=")
        key = key.strip()
        if not key:
            result.problems.append(
                Problem(number, None, "The key is missing before '=': write it like meml=4.")
            )
            continue
        if key not in KEYS:
            result.problems.append(Problem(number, _short(key), _unknown_key_message(key)))
            continue
        if key in first_line:
            result.problems.append(
                Problem(
                    number,
                    key,
                    f"{key} is set again (first on line {first_line[key]}): keep only one line.",
                )
            )
        else:
            first_line[key] = number
        value, message = check_value(key, raw, defaults)
        result.lines[key] = number
        if message is not None:
            result.problems.append(Problem(number, key, message))
            result.values.pop(key, None)
        elif value is not None:
            result.values[key] = value
    result.effective = {**defaults_dict(defaults), **result.values}
    result.problems.extend(
        _policy_problems(result.values, result.effective, result.lines, defaults)
    )
    return result


def _not_assignment_message(stripped: str) -> str:
    match = re.match(r"^([A-Za-z]+)\s*[:\s]\s*(\S+)$", stripped)
    if match and match.group(1).lower() in KEYS:
        return f"Write it as key=value: {match.group(1).lower()}={match.group(2)}"
    return "Not a key=value line: write it like meml=4, or start it with # to make it a comment."


def _policy_problems(
    values: Mapping[str, Number],
    effective: Mapping[str, Number],
    lines: Mapping[str, int],
    defaults: ResourceDefaults,
) -> list[Problem]:
    """Limits above 0, requests within limits, ceilings: only for values the file sets."""
    return [
        *_zero_limits(values, lines),
        *_requests_above_limits(values, effective, lines),
        *_above_ceilings(values, lines, defaults),
    ]


def _zero_limits(values: Mapping[str, Number], lines: Mapping[str, int]) -> list[Problem]:
    problems: list[Problem] = []
    for key in LIMIT_KEYS:
        if key in values and values[key] <= 0:
            what = "CPU" if key == "cpul" else "RAM"
            message = f"{key}=0 would leave no {what}: the limit must be above 0."
            problems.append(Problem(lines.get(key), key, message))
    return problems


def _requests_above_limits(
    values: Mapping[str, Number], effective: Mapping[str, Number], lines: Mapping[str, int]
) -> list[Problem]:
    problems: list[Problem] = []
    for request, limit in PAIRS:
        if request not in values and limit not in values:
            continue  # the site's own defaults are the operator's business
        if effective[limit] <= 0 or effective[request] <= effective[limit]:
            continue  # a zero limit is reported by _zero_limits
        what = "CPU" if request == "cpur" else "RAM"
        limit_text = f"{limit}={format_number(effective[limit])}"
        if limit not in values:
            limit_text += " (the site default)"
        request_text = f"{request}={format_number(effective[request])}"
        if request not in values:
            request_text += " (the site default)"
        key = request if request in values else limit
        message = (
            f"The {what} request {request_text} is above the {what} limit "
            f"{limit_text}: raise {limit} or lower {request}."
        )
        problems.append(Problem(lines.get(key), key, message))
    return problems


def _above_ceilings(
    values: Mapping[str, Number], lines: Mapping[str, int], defaults: ResourceDefaults
) -> list[Problem]:
    problems: list[Problem] = []
    for key, ceiling in maximums_dict(defaults).items():
        if ceiling is None or key not in values or values[key] <= ceiling:
            continue
        unit = {"gpu": "GPUs", "cpul": "CPU cores", "meml": "GB of RAM"}[key]
        message = (
            f"{key}={format_number(values[key])} is above this site's maximum of "
            f"{format_number(ceiling)} {unit}: use {key}={format_number(ceiling)} or less."
        )
        problems.append(Problem(lines.get(key), key, message))
    return problems


# -- values from the form, the CLI or code ---------------------------------------------------


def normalize_values(
    values: Mapping[str, Any], defaults: ResourceDefaults | None = None
) -> tuple[dict[str, Number | None], list[Problem]]:
    """Turn ``{"meml": "8", "gpu": 1, "cpur": None}`` into numbers (None: remove the line).

    Strings are read exactly as a line of the file would be; an empty string means None.
    """
    defaults = defaults or ResourceDefaults()
    clean: dict[str, Number | None] = {}
    problems: list[Problem] = []
    if not isinstance(values, Mapping):
        return clean, [Problem(None, None, 'values must be an object such as {"meml": 8}.')]
    unknown = 0
    for key, raw in values.items():
        if not isinstance(key, str) or key not in KEYS:
            unknown += 1
            if unknown <= MAX_UNKNOWN_KEYS_NAMED:
                problems.append(Problem(None, _short(str(key)), _unknown_key_message(str(key))))
            continue
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            clean[key] = None
            continue
        if isinstance(raw, bool) or not isinstance(raw, (int, float, str)):
            problems.append(
                Problem(None, key, f"{key} must be a number, like {key}={EXAMPLES[key]}.")
            )
            continue
        if isinstance(raw, float) and not math.isfinite(raw):
            problems.append(Problem(None, key, f"{key} must be a finite number."))
            continue
        text = raw if isinstance(raw, str) else format_number(raw)
        number, message = check_value(key, text, defaults)
        if message is not None:
            problems.append(Problem(None, key, message))
        else:
            clean[key] = number
    if unknown > MAX_UNKNOWN_KEYS_NAMED:
        problems.append(
            Problem(
                None,
                None,
                f"... and {unknown - MAX_UNKNOWN_KEYS_NAMED} more unknown keys. The keys are "
                f"{', '.join(KEYS)}.",
            )
        )
    return clean, problems


def validate_values(
    values: Mapping[str, Any], defaults: ResourceDefaults | None = None
) -> list[Problem]:
    """Problems with a set of values taken alone (with the site defaults for the others)."""
    defaults = defaults or ResourceDefaults()
    clean, problems = normalize_values(values, defaults)
    if problems:
        return problems
    present = {k: v for k, v in clean.items() if v is not None}
    effective = {**defaults_dict(defaults), **present}
    return _policy_problems(present, effective, {}, defaults)


# -- render ----------------------------------------------------------------------------------


def render_resources(original_text: str, values: Mapping[str, Any]) -> str:
    """``original_text`` with ``values`` applied, keeping every line it does not own.

    A key's first line is updated in place (its line ending kept) and its later duplicates
    dropped; a key missing from the text is appended at the end, in the order of
    :data:`KEYS`; a key whose value is None loses all its lines.
    """
    for key in values:
        if key not in KEYS:
            raise ValueError(f"unknown .resources key: {key!r}")
    bom, body = _strip_bom(original_text)
    lines = _split_lines(body)
    crlf = sum(1 for _, ending in lines if ending == "\r\n")
    newline = "\r\n" if crlf * 2 > sum(1 for _, ending in lines if ending) else "\n"
    out: list[tuple[str, str]] = []
    written: set[str] = set()
    for content, ending in lines:
        owned = _owned_key(content)
        if owned is None or owned not in values:
            out.append((content, ending))
            continue
        if values[owned] is None or owned in written:
            continue
        written.add(owned)
        wanted = _as_number(values[owned])
        if wanted is not None and _line_value(owned, content) == wanted:
            out.append((content, ending))  # same amount: keep the user's own spelling
        else:
            out.append((f"{owned}={_value_text(values[owned])}", ending))
    missing = [k for k in KEYS if k in values and values[k] is not None and k not in written]
    if missing:
        if out and out[-1][1] == "":
            content, _ = out[-1]
            if content == "":
                out.pop()
            else:
                out[-1] = (content, newline)
        out.extend((f"{k}={_value_text(values[k])}", newline) for k in missing)
    return bom + "".join(content + ending for content, ending in out)


def _line_value(key: str, content: str) -> Number | None:
    return check_value(key, content.split("=", 1)[1], ResourceDefaults())[0]


def _as_number(value: Any) -> Number | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return value
    return None


def _value_text(value: Any) -> str:
    if isinstance(value, str):
        return value.strip()
    return format_number(value)
