"""Serving the app with uvicorn, on uvloop and httptools, each response written in one system call."""

from __future__ import annotations

import asyncio
from typing import Any, cast


class CoalescedTransport:
    """A connection's transport whose writes in one turn of the event loop leave in one system call.

    uvicorn writes a response's head and its body with a write each, and uvloop sends each at once:
    two system calls and two TCP segments per response. Held until the end of the loop turn, they
    leave together, in the order written. Everything else is the wrapped transport's; closing sends
    what is held first."""

    __slots__ = ("_held", "_loop", "_transport")

    def __init__(self, transport: asyncio.Transport):
        self._transport = transport
        self._held: list[bytes] = []
        self._loop = asyncio.get_running_loop()

    def write(self, data: bytes) -> None:
        if not self._held:
            self._loop.call_soon(self._send_held)
        self._held.append(data)

    def writelines(self, chunks) -> None:
        for data in chunks:
            self.write(data)

    def _send_held(self) -> None:
        if self._held:
            data = b"".join(self._held)
            self._held.clear()
            if not self._transport.is_closing():
                self._transport.write(data)

    def write_eof(self) -> None:
        self._send_held()
        self._transport.write_eof()

    def close(self) -> None:
        self._send_held()
        self._transport.close()

    def is_closing(self) -> bool:
        return self._transport.is_closing()

    def __getattr__(self, name: str):
        return getattr(self._transport, name)


def run(app: Any, host: str, port: int, log_level: str) -> None:
    """Serves `app` with uvicorn on uvloop and httptools, each response written in one system call
    (CoalescedTransport). uvicorn's proxy-headers middleware is left out: it would rewrite the client
    address and scheme from X-Forwarded-* headers, which nothing here reads, at a cost per request."""
    import uvicorn
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

    class HttpProtocol(HttpToolsProtocol):
        def connection_made(self, transport: asyncio.BaseTransport) -> None:  # uvloop's TCPTransport
            super().connection_made(cast(asyncio.Transport, CoalescedTransport(cast(asyncio.Transport, transport))))

    uvicorn.run(app, host=host, port=port, log_level=log_level, access_log=False, http=HttpProtocol,
                proxy_headers=False)
