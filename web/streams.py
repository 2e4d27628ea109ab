"""Server-sent events from GraphQL subscriptions, for the brand sites and the console.

Every live part of a page (balances, inbox badge, bonus progress, odds and scores, support
chat) is a `text/event-stream` fed by one or more subscriptions of the public schema.
`subscribed` merges them and says when a stream has been quiet, so a page can send a
keep-alive comment (proxies close idle connections) or re-read what it shows once the
subscription has surely started; a stream that ends or is interrupted ends the response
and the browser's EventSource reconnects, reading the state afresh.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncGenerator, AsyncIterator
from typing import Any, Final

from starlette.responses import StreamingResponse

from domain.kernel.pubsub import SubscriptionInterrupted

KEEPALIVE: Final = ": keep-alive\n\n"
KEEPALIVE_INTERVAL_S: Final = 15.0
# A stream that shows state read at its start reads it once more after this quiet wait:
# the subscription starts listening while the first read runs, so a change committed in
# between would reach neither.
RESYNC_AFTER_S: Final = 2.0


def event_stream(events: AsyncIterator[str]) -> StreamingResponse:
    """`events` (text made by `sse` or `KEEPALIVE`) as a response no cache or proxy keeps."""
    return StreamingResponse(
        events,
        media_type="text/event-stream",
        headers={"cache-control": "no-store", "x-accel-buffering": "no"},
    )


def sse(name: str, text: str) -> str:
    """One event called `name` carrying `text` (HTML or JSON), a data line per line."""
    data = "".join(f"data: {line}\n" for line in text.splitlines() or [""])
    return f"event: {name}\n{data}\n"


async def subscribed(
    streams: list[AsyncGenerator[dict[str, Any], None]],
    *,
    quiet_s: float = KEEPALIVE_INTERVAL_S,
    first_quiet_s: float | None = None,
) -> AsyncGenerator[dict[str, Any] | None, None]:
    """The results of several subscriptions as they come, and None after each `quiet_s`
    without any (the first after `first_quiet_s`, when given); ends when any of them ends or
    is interrupted. Use it with `contextlib.aclosing`, so every subscription ends when the
    browser leaves."""
    queue: asyncio.Queue[dict[str, Any] | None] = asyncio.Queue()

    async def pump(stream: AsyncIterator[dict[str, Any]]) -> None:
        with contextlib.suppress(SubscriptionInterrupted):
            async for data in stream:
                queue.put_nowait(data)
        queue.put_nowait(None)

    pumps = [asyncio.ensure_future(pump(stream)) for stream in streams]
    wait_s = first_quiet_s if first_quiet_s is not None else quiet_s
    try:
        while True:
            try:
                data = await asyncio.wait_for(queue.get(), timeout=wait_s)
            except TimeoutError:
                wait_s = quiet_s
                yield None
                continue
            wait_s = quiet_s
            if data is None:
                return
            yield data
    finally:
        for task in pumps:
            task.cancel()
        for task in pumps:
            with contextlib.suppress(BaseException):
                await task
        for stream in streams:
            with contextlib.suppress(BaseException):
                await stream.aclose()
