"""Run the core's coroutines from the terminal faces, in a plain process or inside a kernel."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable
from typing import Any, TypeVar, cast

T = TypeVar("T")


def run_sync(awaitable: Awaitable[T]) -> T:
    """Run a coroutine to completion, also from inside a running loop (an IPython kernel)."""

    async def _main() -> T:
        return await awaitable

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(_main())
    box: dict[str, Any] = {}

    def _target() -> None:
        try:
            box["value"] = asyncio.run(_main())
        except BaseException as err:
            box["error"] = err

    thread = threading.Thread(target=_target, name="binder-command")
    thread.start()
    thread.join()
    if "error" in box:
        raise box["error"]
    return cast(T, box["value"])
