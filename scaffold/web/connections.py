"""Connections that cannot hold the server hostage: a deadline per request, a cap per client.

uvicorn waits for a request's headers and body as long as the client likes, so
a hundred clients that send half a request and stop would tie the server up for
as long as they stay. Here a request must arrive whole within the request
timeout (from its first byte, or from the connection's start), or the client
gets ``408`` and the connection is closed; and one address may hold only so
many connections at once, so a single client cannot crowd out the others.
"""

from __future__ import annotations

import asyncio
from collections import Counter

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

from scaffold.web.app import SECURITY_HEADERS
from scaffold.web.limits import Limits

#: How long a refused connection stays open for the client to read the answer.
LINGER_SECONDS = 2.0
#: Our side before the answer's first byte: waiting for the headers, or for a body being read.
_NOT_ANSWERED = (h11.IDLE, h11.SEND_RESPONSE)


def _plain_response(status: str, text: str, *extra: str) -> bytes:
    """A whole HTTP/1.1 answer that closes the connection, written before h11 knows a request."""
    body = f"{text}\n".encode()
    head = [
        f"HTTP/1.1 {status}",
        "content-type: text/plain; charset=utf-8",
        f"content-length: {len(body)}",
        "connection: close",
        *(f"{name}: {value}" for name, value in SECURITY_HEADERS.items()),
        *extra,
    ]
    return ("\r\n".join(head) + "\r\n\r\n").encode() + body


def bounded_protocol(limits: Limits) -> type[asyncio.Protocol]:
    """Uvicorn's h11 protocol with the request deadline and the per-client cap of ``limits``."""
    open_by_client: Counter[str] = Counter()
    too_slow = _plain_response(
        "408 Request Timeout",
        f"the request did not arrive whole within {limits.request_timeout:g} s",
    )
    too_many = _plain_response(
        "503 Service Unavailable",
        f"this address has {limits.per_client} connections open already; "
        "close some, then try again",
        "retry-after: 1",
    )

    class BoundedH11Protocol(H11Protocol):
        """One connection; closed when its request is late or its client has too many open."""

        _deadline: asyncio.TimerHandle | None = None
        #: The client address this connection is counted under, until it closes.
        _counted: str | None = None
        #: Answered and closing: whatever else the client sends is dropped.
        _finished = False

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            address = self.client[0] if self.client else ""
            if open_by_client[address] >= limits.per_client:
                self._finish(too_many)
                return
            open_by_client[address] += 1
            self._counted = address
            self._start_deadline()

        def connection_lost(self, exc: Exception | None) -> None:
            self._stop_deadline()
            if self._counted is not None:
                open_by_client[self._counted] -= 1
                if open_by_client[self._counted] <= 0:
                    del open_by_client[self._counted]
                self._counted = None
            super().connection_lost(exc)

        def data_received(self, data: bytes) -> None:
            if self._finished:
                return
            self._start_deadline()  # a request starts with its first byte
            super().data_received(data)
            if self.conn.their_state not in (h11.IDLE, h11.SEND_BODY):
                self._stop_deadline()  # whole (or broken, which h11 answers itself)

        def on_response_complete(self) -> None:
            # Between requests uvicorn's keep-alive time-out applies; the next
            # request's deadline starts with its first byte.
            self._stop_deadline()
            super().on_response_complete()

        def _start_deadline(self) -> None:
            if self._deadline is None and not self.transport.is_closing():
                self._deadline = self.loop.call_later(limits.request_timeout, self._late)

        def _stop_deadline(self) -> None:
            if self._deadline is not None:
                self._deadline.cancel()
                self._deadline = None

        def _late(self) -> None:
            self._deadline = None
            waiting = self.conn.their_state in (h11.IDLE, h11.SEND_BODY)
            if waiting and not self.transport.is_closing():
                # Nothing answered yet on this request: say why; else just end it.
                self._finish(too_slow if self.conn.our_state in _NOT_ANSWERED else b"")

        def _finish(self, answer: bytes) -> None:
            """Send ``answer`` and close, letting the client read it first.

            Closing a socket that still holds unread bytes from the client makes
            the kernel reset the connection, which can discard the answer; so
            the sending side is shut, what the client sends is dropped, and the
            connection is closed a moment later.
            """
            self._finished = True
            self._stop_deadline()
            self.transport.write(answer)
            if self.transport.can_write_eof():
                self.transport.write_eof()
            self.loop.call_later(LINGER_SECONDS, self.transport.close)

    return BoundedH11Protocol
