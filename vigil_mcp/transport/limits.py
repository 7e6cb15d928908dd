"""Request limits that hold before anything is buffered: body size while streaming, header and body timeouts.

- `read_body` reads one request body through the ASGI `receive` channel, refusing a declared
  `Content-Length` over the limit before reading a byte, and a streamed (chunked) body as soon as
  the bytes read pass the limit; it stops reading at that point, so memory holds at most the limit.
  The whole body must arrive within `timeout` seconds of its headers.
- `timed_h11` is uvicorn's h11 protocol with a deadline on request headers: a client that opens a
  connection (or finishes a request) and then trickles header bytes is cut after `header_timeout`
  seconds. uvicorn has no such timeout of its own; its keep-alive timer is reset by every byte.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from typing import Any, cast

import anyio
from starlette.types import Message, Receive
from uvicorn.protocols.http.h11_impl import H11Protocol


@dataclass(frozen=True, slots=True)
class Refusal:
    """An HTTP refusal: status and a sentence saying what to fix."""

    status: int
    message: str


@dataclass(frozen=True, slots=True)
class Body:
    """A request body read in full (`disconnected`: the client went away before it ended)."""

    data: bytes
    disconnected: bool = False


def declared_length(headers: list[tuple[bytes, bytes]]) -> int | Refusal | None:
    """The Content-Length a request declares, None for none (chunked), or a Refusal for a malformed one."""
    values = [value for name, value in headers if name.lower() == b"content-length"]
    if not values:
        return None
    if len(set(values)) > 1 or not values[0].strip().isdigit():
        return Refusal(400, "Content-Length must be one whole number of bytes")
    return int(values[0])


async def read_body(receive: Receive, headers: list[tuple[bytes, bytes]], limit: int, timeout: float) -> Body | Refusal:
    """The whole body, read within `timeout` seconds, or a Refusal once it is over `limit` bytes."""
    declared = declared_length(headers)
    if isinstance(declared, Refusal):
        return declared
    too_large = Refusal(413, f"the request body is over this route's limit of {limit:,} bytes; send less")
    if declared is not None and declared > limit:
        return too_large  # refused before one byte of the body is read
    chunks: list[bytes] = []
    size = 0
    with anyio.move_on_after(timeout):
        while True:
            message: Message = await receive()
            if message["type"] == "http.disconnect":
                return Body(b"".join(chunks), disconnected=True)
            if message["type"] != "http.request":
                continue
            chunk = cast(bytes, message.get("body", b""))
            size += len(chunk)
            if size > limit:
                return too_large  # stop reading: the rest of the body is never taken off the socket
            chunks.append(chunk)
            if not message.get("more_body", False):
                return Body(b"".join(chunks))
    return Refusal(408, f"the request body did not arrive within {timeout:g} s; send it faster or in full")


def refusal_bytes(status: int, message: str) -> bytes:
    """A complete HTTP/1.1 response that refuses and closes (written raw, before any request is parsed)."""
    body = json.dumps({"error": message}).encode()
    reason = {408: "Request Timeout"}.get(status, "Error")
    head = (
        f"HTTP/1.1 {status} {reason}\r\ncontent-type: application/json\r\n"
        f"content-length: {len(body)}\r\nconnection: close\r\n\r\n"
    )
    return head.encode("ascii") + body


def timed_h11(header_timeout: float) -> type[H11Protocol]:
    """uvicorn's h11 protocol, with request headers due within `header_timeout` seconds."""

    class TimedH11Protocol(H11Protocol):
        """Starts a header deadline on connect and after each response; headers arriving in time cancel it."""

        _header_timer: asyncio.TimerHandle | None = None
        _partial_headers = False

        def connection_made(self, transport: asyncio.Transport) -> None:  # pyright: ignore[reportIncompatibleMethodOverride]
            super().connection_made(transport)
            self._arm_header_timer()

        def connection_lost(self, exc: Exception | None) -> None:
            self._cancel_header_timer()
            super().connection_lost(exc)

        def data_received(self, data: bytes) -> None:
            if self._waiting_for_headers():
                self._partial_headers = True
            super().data_received(data)

        def handle_events(self) -> None:
            before = self.cycle
            super().handle_events()
            if self.cycle is not before:  # a new request's headers are complete
                self._cancel_header_timer()
                self._partial_headers = False

        def on_response_complete(self) -> None:
            self._arm_header_timer()  # the next request's headers are due; cancelled if they are pipelined
            super().on_response_complete()

        def _waiting_for_headers(self) -> bool:
            cycle: Any = self.cycle
            return cycle is None or bool(cycle.response_complete)

        def _arm_header_timer(self) -> None:
            self._cancel_header_timer()
            self._partial_headers = False
            self._header_timer = self.loop.call_later(header_timeout, self._header_deadline)

        def _cancel_header_timer(self) -> None:
            if self._header_timer is not None:
                self._header_timer.cancel()
                self._header_timer = None

        def _header_deadline(self) -> None:
            self._header_timer = None
            if self.transport.is_closing() or not self._waiting_for_headers():
                return
            if self._partial_headers:  # a request was started and not finished: say why it is cut
                self.logger.warning("cut a client whose request headers took over %g s", header_timeout)
                message = f"the request headers did not arrive within {header_timeout:g} s"
                self.transport.write(refusal_bytes(408, message))
            self.transport.close()  # an idle connection is closed silently, as after keep-alive

    return TimedH11Protocol
