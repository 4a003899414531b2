"""One check for every request's fields, against the request's declared type.

Each action's request is a ``TypedDict`` in its domain's ``requests.py``: which fields it
takes, which are required, their types, and their limits (``Annotated[..., Field(...)]``).
:func:`check_request` refuses, before anything is done, what does not fit: an unknown field,
a missing one, a wrong type, too many items; the content of a text (NUL, lone surrogates,
paths) is the domain's to check. ``docs/answer_types.py`` generates the TypeScript request
types from the same declarations.
"""

from __future__ import annotations

import types
from collections.abc import Mapping
from dataclasses import dataclass
from typing import (
    Annotated,
    Any,
    Literal,
    TypeVar,
    Union,
    cast,
    get_args,
    get_origin,
    get_type_hints,
)

from jupyter_binder_ext.errors import InvalidInput

T = TypeVar("T")
_FITS = object()  # no item is wrong


@dataclass(frozen=True)
class Field:
    """What a field is, in the words an error uses, and its limits.

    ``what`` replaces the type's own words ("a string") where the field means more ("the
    commit message"); ``example`` is shown after "such as".
    """

    what: str = ""
    example: str = ""
    max_items: int | None = None
    item: str = ""  # what one item of a list is, for the error naming a wrong one


def check_request(shape: type[T], fields: Mapping[str, object]) -> T:
    """`fields` as `shape` (a ``TypedDict``), or :class:`InvalidInput` naming the first
    problem. Fields whose value is None count as not given."""
    hints = get_type_hints(shape, include_extras=True)
    given = {key: value for key, value in fields.items() if value is not None}
    unknown = sorted(set(given) - set(hints))
    if unknown:
        raise InvalidInput(
            f"Unknown field(s) {', '.join(unknown)}: the fields are {_and(list(hints))}."
        )
    required: frozenset[str] = getattr(shape, "__required_keys__", frozenset())
    for key in hints:
        if key in required and key not in given:
            raise InvalidInput(f"{key} is required: {_describe(hints[key])}.")
    for key, value in given.items():
        _check_field(key, value, hints[key])
    return cast(T, given)


def _check_field(key: str, value: object, hint: Any) -> None:
    declared, field = _unwrap(hint)
    if field.item and get_origin(declared) is list and isinstance(value, list):
        (item_type,) = get_args(declared)
        wrong = next((item for item in value if not _fits(item, item_type)), _FITS)
        if wrong is not _FITS:
            raise InvalidInput(f"{wrong!r} in {key} is not {field.item}.")
    if not _fits(value, declared):
        raise InvalidInput(f"{key} must be {_describe(hint)}.")
    limit = field.max_items
    if limit is not None and isinstance(value, (list, dict)) and len(value) > limit:
        raise InvalidInput(f"{key} holds {len(value)} items; at most {field.max_items}.")


def _unwrap(hint: Any) -> tuple[Any, Field]:
    if get_origin(hint) is Annotated:
        declared, *extras = get_args(hint)
        field = next((extra for extra in extras if isinstance(extra, Field)), Field())
        return declared, field
    return hint, Field()


def _fits(value: object, declared: Any) -> bool:
    origin = get_origin(declared)
    if origin in (Union, types.UnionType):
        return any(_fits(value, arg) for arg in get_args(declared) if arg is not type(None))
    if origin is Literal:
        return any(value == choice and type(value) is type(choice) for choice in get_args(declared))
    if origin is list:
        (item,) = get_args(declared)
        return isinstance(value, list) and all(_fits(entry, item) for entry in value)
    if origin in (dict, Mapping) or declared is dict:
        return isinstance(value, dict) and all(isinstance(k, str) for k in value)
    if declared is bool:
        return isinstance(value, bool)
    if declared in (int, float):  # JSON has one number type; true is not 1 here
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if declared is object:
        return True
    return isinstance(value, declared)


def _describe(hint: Any) -> str:
    declared, field = _unwrap(hint)
    words = field.what or _type_words(declared)
    return f"{words}, such as {field.example}" if field.example else words


def _type_words(declared: Any) -> str:
    origin = get_origin(declared)
    if origin in (Union, types.UnionType):
        args = [arg for arg in get_args(declared) if arg is not type(None)]
        return " or ".join(_type_words(arg) for arg in args)
    if origin is Literal:
        return _choices([f'"{choice}"' for choice in get_args(declared)])
    if origin is list:
        return "a list"
    if origin in (dict, Mapping) or declared is dict:
        return "an object"
    words = {bool: "true or false", int: "a number", float: "a number", str: "a string"}
    return words.get(declared, "a value")


def _choices(choices: list[str]) -> str:
    if len(choices) <= 2:
        return " or ".join(choices)
    return f"one of {', '.join(choices[:-1])} or {choices[-1]}"


def _and(names: list[str]) -> str:
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"
