"""Reading a request body, within a size limit and a time limit, whatever the client does.

Reading a body costs at most `limit` bytes of memory and `timeout` seconds of waiting
(tests/test_hostile_input.py). A body that has not fully arrived by then (a stalled or trickling client)
gets an AWS-shaped 408 and the connection is closed: the rest of that body could only be read by waiting
longer. A body past the limit gets a 413. Clients such as http.client and urllib3 send the whole body
before they read the answer, and a socket closed on unread data is reset, which can lose the 413; so an
oversized body of at most drain factor x limit bytes is read to its end and thrown away (nothing kept)
and the connection stays open, like nginx's lingering close. Past that, or when the client waits for
`100 Continue`, reading stops and the connection is closed at once. Nothing else about bytes is decided
here.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping

from cosell.gateway import RawResponse
from cosell.protocol import awsjson
from cosell.protocol.errors import RequestTimeoutError, RequestTooLargeError, ServiceError
from cosell.protocol.request_id import new_request_id

log = logging.getLogger("cosell.server")


class BodyRefused(Exception):
    """The body was not read: the error to answer, and whether the connection must close."""

    def __init__(self, error: ServiceError, close: bool):
        super().__init__(error.message)
        self.error = error
        self.close = close


class ClientGone(Exception):
    """The client closed the connection before sending the whole body it announced."""


def request_headers(scope) -> dict[str, str]:
    """The request's headers by (lower-case, as ASGI gives them) name; of a repeated one, the last."""
    return {name.decode("latin-1"): value.decode("latin-1") for name, value in scope["headers"]}


def _declared_length(headers: Mapping[str, str]) -> int | None:
    if "transfer-encoding" in headers:  # chunked: a Content-Length beside it is ignored
        return None
    value = headers.get("content-length", "")
    return int(value) if value.isascii() and value.isdigit() else None


def _body_part(message) -> tuple[bytes, bool]:
    """A piece of the body from an ASGI message, and whether more follows."""
    if message["type"] != "http.request":  # http.disconnect
        raise ClientGone
    return message.get("body", b""), message.get("more_body", False)


class BodyDeadlines:
    """The time limits of the bodies being read on one event loop, kept by a single timer.

    asyncio.timeout arms and cancels a loop timer per request, which costs more than reading a small
    body does. Reads start here in the order of their deadlines (start + timeout), so one
    timer, set for the oldest unfinished read, is enough: when it fires it cancels the reads that are
    past their deadline and sets itself for the next one. As with asyncio.timeout, the reader turns
    that cancellation back into its time-out (`timed_out`)."""

    def __init__(self, loop: asyncio.AbstractEventLoop, timeout: float):
        self.timeout = timeout
        self.loop = loop
        self._reading: dict[asyncio.Task, float] = {}  # unfinished reads, oldest (first to expire) first
        self._expired: set[asyncio.Task] = set()  # cancelled by the timer, not yet seen by their reader
        self._timer: asyncio.TimerHandle | None = None

    def start(self) -> asyncio.Task:
        """Starts the clock for the current task's read; the task is to be passed to `finish`."""
        task = asyncio.current_task(self.loop)
        assert task is not None, "bodies are read in a task"
        deadline = self.loop.time() + self.timeout
        self._reading[task] = deadline
        if self._timer is None:
            self._timer = self.loop.call_at(deadline, self._expire)
        return task

    def finish(self, task: asyncio.Task) -> None:
        self._reading.pop(task, None)

    def timed_out(self, task: asyncio.Task) -> bool:
        """Whether the CancelledError `task` got was its deadline passing (and nobody else cancelling it)."""
        if task not in self._expired:
            return False
        self._expired.discard(task)
        return task.uncancel() == 0

    def _expire(self) -> None:
        self._timer = None
        now, late = self.loop.time(), []
        for task, deadline in self._reading.items():
            if deadline > now:
                self._timer = self.loop.call_at(deadline, self._expire)
                break
            late.append(task)
        for task in late:
            del self._reading[task]
            self._expired.add(task)
            task.cancel()


class BodyReader:
    """Reads request bodies within `limit` bytes and `timeout` seconds, as described above."""

    def __init__(self, limit: int, timeout: float, drain_factor: int):
        self.limit = limit
        self.timeout = timeout
        self.drain_factor = drain_factor
        self._deadlines: BodyDeadlines | None = None

    async def read(self, receive, headers: Mapping[str, str]) -> bytes:
        """The whole body. Raises BodyRefused past the limit or the timeout, and ClientGone
        when the client goes away before it has sent the body it announced."""
        deadlines, loop = self._deadlines, asyncio.get_running_loop()
        if deadlines is None or deadlines.loop is not loop:
            deadlines = self._deadlines = BodyDeadlines(loop, self.timeout)
        task = deadlines.start()
        limit, declared = self.limit, _declared_length(headers)
        chunks, size, more, draining = [], 0, True, False
        try:
            if declared is None or declared <= limit:
                while more:
                    chunk, more = _body_part(await receive())
                    size += len(chunk)
                    if size > limit:
                        break
                    chunks.append(chunk)
                else:
                    return b"".join(chunks)
                chunks.clear()  # nothing of a refused body is kept while the rest of it is drained
            error = RequestTooLargeError(f"The request body is larger than {limit} bytes.")
            budget = limit * self.drain_factor - size
            if (declared or size) > limit * self.drain_factor or headers.get("expect", "").lower() == "100-continue":
                raise BodyRefused(error, close=True)
            draining = True  # the rest is read and thrown away, within the budget and the same deadline
            while more:
                chunk, more = _body_part(await receive())
                budget -= len(chunk)
                if budget < 0:
                    raise BodyRefused(error, close=True)
            raise BodyRefused(error, close=False)
        except asyncio.CancelledError:
            if not deadlines.timed_out(task):
                raise
            if draining:
                raise BodyRefused(error, close=True) from None
            raise BodyRefused(RequestTimeoutError(
                f"The request body did not arrive within {self.timeout:g} seconds."), close=True) from None
        finally:
            deadlines.finish(task)


def unread_body_answer(reason: BodyRefused | ClientGone, scope) -> RawResponse:
    """The answer to a request whose body was not read: the refusal, or a 400 nobody will read
    (the client has gone; nothing was done)."""
    if isinstance(reason, ClientGone):
        log.debug("client went away before sending the body of %s %s", scope["method"], scope["path"])
        return RawResponse(400, {"Content-Length": "0"}, b"")
    response = error_response(reason.error)
    if reason.close:
        response.headers["Connection"] = "close"
    return response


def error_response(error: ServiceError) -> RawResponse:
    return RawResponse(*awsjson.serialize_error(error, new_request_id()))
