"""One call for concurrent callers asking the same thing (GetEntitlements, GetAzureSubscription)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable
from typing import TypeVar

K = TypeVar("K", bound=Hashable)
T = TypeVar("T")


async def shared(running: dict[K, asyncio.Future[T]], key: K, call: Callable[[], Awaitable[T]]) -> T:
    """Run ``call`` once for concurrent callers with the same key; every caller hears its result."""
    future = running.get(key)
    if future is not None:
        return await asyncio.shield(future)
    future = asyncio.get_running_loop().create_future()
    running[key] = future
    try:
        result = await call()
        future.set_result(result)
        return result
    except BaseException as exc:
        future.set_exception(exc)
        future.exception()  # mark retrieved: waiters that come later re-raise it themselves
        raise
    finally:
        del running[key]
