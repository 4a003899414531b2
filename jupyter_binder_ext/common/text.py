"""Checking text that arrives from a request before anything is done with it."""

from __future__ import annotations

from jupyter_binder_ext.errors import InvalidInput

# The longest commit message a request may carry (a save to GitHub, a relaunch's commit).
MAX_MESSAGE_LENGTH = 10_000


def check_text(
    field: str, value: str, *, nul_allowed: bool = False, max_length: int | None = None
) -> str:
    """`value` if it is text git, the file system and UTF-8 accept; else a 400 naming `field`.

    JSON lets a string carry a lone surrogate (``"\\ud800"``), which no UTF-8 file or
    command line can hold, and a NUL character, which ends a C string (git, paths).
    """
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as err:
        raise InvalidInput(
            f"{field} holds invalid Unicode (a lone surrogate at character {err.start}): "
            "send it as valid UTF-8 text.",
            field=field,
        ) from None
    if not nul_allowed and "\0" in value:
        raise InvalidInput(f"{field} holds a NUL character, which it cannot contain.", field=field)
    if max_length is not None and len(value) > max_length:
        raise InvalidInput(
            f"{field} is {len(value)} characters long; at most {max_length} are accepted.",
            field=field,
        )
    return value
