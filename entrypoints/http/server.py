"""uvicorn's HTTP protocols, hardened for `serve`: a limit on the request head's size, a
deadline for reading it, and problem+json instead of text/plain for malformed requests.

uvicorn answers a request it cannot parse (control characters in a header, a bad chunk
size, Content-Length with chunked, an over-long URL) itself, before the app sees it; these
subclasses change only what that answer looks like, and add the two limits uvicorn lacks
for its httptools parser (h11 has a size limit, no deadline). Behind Vercel the platform's
proxy parses HTTP instead, with its own limits (docs/deploy.md).
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from entrypoints.http.problem import PROBLEM_BASE, PROBLEM_JSON

_REASONS = {400: b"Bad Request", 408: b"Request Timeout", 431: b"Request Header Fields Too Large"}
_KINDS = {
    400: ("bad-request", "Bad request"),
    408: ("request-timeout", "Request timeout"),
    431: ("headers-too-large", "Request header fields too large"),
}


def raw_problem(status: int, detail: str) -> bytes:
    """A whole HTTP/1.1 problem+json response that closes the connection."""
    slug, title = _KINDS[status]
    body = json.dumps(
        {"type": PROBLEM_BASE + slug, "title": title, "status": status, "detail": detail}
    ).encode()
    return b"".join([
        b"HTTP/1.1 %d %s\r\n" % (status, _REASONS[status]),
        b"content-type: " + PROBLEM_JSON.encode() + b"\r\n",
        b"content-length: %d\r\n" % len(body),
        b"connection: close\r\n\r\n",
        body,
    ])  # fmt: skip


class _Hardened:
    """Mixed into a uvicorn protocol: counts the bytes of each request head and arms a
    deadline when its first byte arrives; a new request cycle means the head is done."""

    max_head_bytes = 32 * 1024
    head_timeout = 10.0
    # Provided by the uvicorn protocol this is mixed into.
    transport: asyncio.Transport
    loop: asyncio.AbstractEventLoop
    cycle: Any

    def connection_made(self, transport: asyncio.Transport) -> None:
        super().connection_made(transport)  # type: ignore[misc]
        self._head_bytes = 0
        self._head_timer: asyncio.TimerHandle | None = None
        self._open_head()

    def connection_lost(self, exc: Exception | None) -> None:
        self._close_head()
        super().connection_lost(exc)  # type: ignore[misc]

    def data_received(self, data: bytes) -> None:
        if self._head_timer is None and (self.cycle is None or self.cycle.response_complete):
            self._open_head()  # the next request on a kept-alive connection
        before = self.cycle
        super().data_received(data)  # type: ignore[misc]
        if self._head_timer is None or self.transport.is_closing():
            return
        if self.cycle is not before:
            self._close_head()
            return
        self._head_bytes += len(data)
        if self._head_bytes > self.max_head_bytes:
            self._refuse(431, f"the request head exceeds {self.max_head_bytes} bytes")

    # httptools' callbacks: the head is counted as it is parsed, so a head that arrives
    # whole in one read is held to the limit too. Raising here makes httptools stop with
    # a parser error, which uvicorn answers through send_400_response.
    def on_url(self, url: bytes) -> None:
        self._count(len(url))
        super().on_url(url)  # type: ignore[misc]

    def on_header(self, name: bytes, value: bytes) -> None:
        self._count(len(name) + len(value) + 4)
        super().on_header(name, value)  # type: ignore[misc]

    def on_message_begin(self) -> None:
        self._parsed_head = 0
        super().on_message_begin()  # type: ignore[misc]

    def _count(self, n: int) -> None:
        self._parsed_head = getattr(self, "_parsed_head", 0) + n
        if self._parsed_head > self.max_head_bytes:
            self._head_too_large = True
            raise ValueError("request head too large")

    def send_400_response(self, msg: str) -> None:
        """uvicorn's answer to a request it cannot parse, as problem+json."""
        if getattr(self, "_head_too_large", False):
            self._refuse(431, f"the request head exceeds {self.max_head_bytes} bytes")
            return
        self._refuse(400, f"malformed HTTP request ({msg.rstrip('.').lower()})")

    def _open_head(self) -> None:
        self._head_bytes = 0
        self._head_timer = self.loop.call_later(self.head_timeout, self._too_slow)

    def _close_head(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _too_slow(self) -> None:
        self._head_timer = None
        if not self.transport.is_closing():
            self._refuse(408, f"the request head took longer than {self.head_timeout:g} s")

    def _refuse(self, status: int, detail: str) -> None:
        self._close_head()
        if not self.transport.is_closing():
            self.transport.write(raw_problem(status, detail))
            self.transport.close()


def protocol_class(*, max_head_bytes: int, head_timeout: float) -> type[asyncio.Protocol]:
    """uvicorn's fastest available HTTP protocol (httptools, else h11), hardened."""
    base: type[asyncio.Protocol]
    try:
        from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

        base = HttpToolsProtocol
    except ImportError:
        from uvicorn.protocols.http.h11_impl import H11Protocol

        base = H11Protocol
    attrs = {"max_head_bytes": max_head_bytes, "head_timeout": head_timeout}
    return type(f"Hardened{base.__name__}", (_Hardened, base), attrs)
