"""The HTTP/1.1 connection layer under ``wanstack serve``: uvicorn's httptools protocol with the
limits a public-facing server needs, which uvicorn itself does not enforce.

* **Header block size** (``max_header_bytes``, default 16 KiB): counted as bytes arrive, before
  the parser buffers them; over it the request gets a DashScope-shaped ``400
  BadRequest.TooLarge`` and the connection closes (uvicorn alone accepted a 64 MB header).
* **Header timeout**: a request whose header block is not complete ``header_timeout`` seconds
  after its first byte (or after the connection opened) gets ``408 RequestTimeOut`` and is
  closed; a connection that sent nothing at all is closed silently.
* **Body idle timeout**: a request body that stops arriving for ``body_timeout`` seconds while
  the server is reading it gets ``408`` and is closed (time the server itself paused reading,
  e.g. while storing an upload, does not count).
* **Connection cap** (``max_connections``, derived from the file-descriptor limit): when a new
  connection would exceed it, the oldest connections that are idle or still sending their
  headers are shed first, so slow or half-open clients cannot starve real ones of sockets;
  only when none can be shed is the new connection refused.
* **Drain cap**: when the app answered before reading the whole body (a refused upload), the
  rest of the body is read and thrown away, so an ordinary client still gets its answer, but
  never more than ``drain_bytes`` of it.
* Parser errors are answered with the DashScope error envelope instead of uvicorn's plain text.
"""

from __future__ import annotations

import resource
import time
from dataclasses import dataclass
from typing import Any, ClassVar

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from wanstack.api.handlers import error_bytes
from wanstack.errors import PayloadTooLarge, RequestTimeout, ServiceError
from wanstack.ident import new_uuid

#: File descriptors kept for everything that is not a client connection (database pools,
#: SQLite and its WAL, storage writes, logs, the listening socket).
FD_RESERVE_MIN = 64


@dataclass(frozen=True, slots=True)
class HttpLimits:
    max_header_bytes: int = 16 * 1024
    header_timeout: float = 10.0
    body_timeout: float = 15.0
    max_connections: int = 1000
    drain_bytes: int = 128 * 1024 * 1024


def raise_fd_limit() -> int:
    """Raise this process's soft file-descriptor limit to its hard limit; returns the soft limit
    now in force (the default limit of 1024 is the first thing a busy server runs into)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY:
        hard = 1 << 20
    if soft == resource.RLIM_INFINITY:
        return hard
    if soft < hard:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
            soft = hard
        except (ValueError, OSError):
            pass
    return soft


def connection_budget(fd_limit: int) -> int:
    """How many client connections fit in ``fd_limit`` descriptors with room for the rest."""
    reserve = max(FD_RESERVE_MIN, fd_limit // 8)
    return max(16, fd_limit - reserve)


def error_response(status: int, error: ServiceError) -> bytes:
    """A complete ``Connection: close`` HTTP response carrying a DashScope error envelope
    (written below the app, so the request gets a fresh id)."""
    body = error_bytes(error, new_uuid())
    head = (
        f"HTTP/1.1 {status} {_REASONS.get(status, 'Error')}\r\n"
        "content-type: application/json\r\n"
        f"content-length: {len(body)}\r\n"
        "connection: close\r\n\r\n"
    )
    return head.encode("ascii") + body


_REASONS = {400: "Bad Request", 408: "Request Timeout"}


class GuardedHttpProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with :class:`HttpLimits` enforced (see the module doc).

    Use :meth:`with_limits` to get a subclass bound to one set of limits; uvicorn instantiates
    the protocol class itself, once per connection.
    """

    limits: ClassVar[HttpLimits] = HttpLimits()

    @classmethod
    def with_limits(cls, limits: HttpLimits) -> type[GuardedHttpProtocol]:
        return type("GuardedHttpProtocol", (cls,), {"limits": limits})

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._opened_at = time.monotonic()
        # True from the end of one request (or the connection's start) until the next
        # request's header block is complete: bytes received meanwhile are header bytes.
        self._in_headers = True
        self._header_bytes = 0
        self._header_timer: Any = None
        self._in_body = False
        self._body_seen_at = 0.0
        self._body_timer: Any = None
        self._discarded = 0

    # -- connection lifetime -------------------------------------------------------------

    def connection_made(self, transport: Any) -> None:
        super().connection_made(transport)
        if len(self.connections) > self.limits.max_connections and not self._shed():
            self.transport.close()
            return
        self._arm_header_timer()

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_timers()
        super().connection_lost(exc)

    def _shed(self) -> bool:
        """Close the oldest connection that is idle or still sending headers (not this one);
        False when every other connection is busy with a request."""
        victims = [
            c
            for c in self.connections
            if isinstance(c, GuardedHttpProtocol)
            and c is not self
            and c._in_headers
            and (c.cycle is None or c.cycle.response_complete)
            and not c.transport.is_closing()
        ]
        if not victims:
            return False
        oldest = min(victims, key=lambda c: c._opened_at)
        oldest.transport.close()
        return True

    # -- header block ----------------------------------------------------------------------

    def data_received(self, data: bytes) -> None:
        if self._in_headers:
            self._header_bytes += len(data)
        super().data_received(data)
        if self.transport.is_closing():
            return
        # Timers are armed only for what is still incomplete once the parser took this chunk:
        # a whole request in one read (nearly all of them) costs no timer at all.
        if self._in_headers:
            # Still inside a header block: every byte of this chunk was a header byte (the
            # parser leaves this state in on_headers_complete).
            if self._header_bytes > self.limits.max_header_bytes:
                limit_kib = self.limits.max_header_bytes // 1024
                self._refuse(
                    400,
                    PayloadTooLarge(f"The request header block is larger than {limit_kib} KiB."),
                )
            elif self._header_bytes and self._header_timer is None:
                self._arm_header_timer()
        elif self._in_body and self._body_timer is None:
            self._body_seen_at = time.monotonic()
            self._body_timer = self.loop.call_later(self.limits.body_timeout, self._body_timeout)

    def on_headers_complete(self) -> None:
        self._in_headers = False
        self._cancel_header_timer()
        super().on_headers_complete()
        self._in_body = True
        self._discarded = 0

    def on_message_complete(self) -> None:
        super().on_message_complete()
        self._in_body = False
        if self._body_timer is not None:
            self._body_timer.cancel()
            self._body_timer = None
        self._in_headers = True
        self._header_bytes = 0

    def _arm_header_timer(self) -> None:
        self._cancel_header_timer()
        self._header_timer = self.loop.call_later(self.limits.header_timeout, self._header_timeout)

    def _cancel_header_timer(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _header_timeout(self) -> None:
        self._header_timer = None
        if not self._in_headers or self.transport.is_closing():
            return
        if self.cycle is not None and not self.cycle.response_complete:
            # The previous request is still being answered (a pipelined client); the clock of
            # this one starts when that answer is done.
            self._arm_header_timer()
            return
        if self._header_bytes == 0:
            self.transport.close()  # an idle connection: nothing to answer
            return
        self._refuse(408, RequestTimeout())

    # -- body ----------------------------------------------------------------------------

    def on_body(self, body: bytes) -> None:
        super().on_body(body)
        self._body_seen_at = time.monotonic()
        if self.cycle is not None and self.cycle.response_complete:
            # Answered already (a refused upload): read the rest and throw it away, up to a cap.
            self._discarded += len(body)
            if self._discarded > self.limits.drain_bytes:
                self.transport.close()

    def _body_timeout(self) -> None:
        self._body_timer = None
        if not self._in_body or self.transport.is_closing():
            return
        now = time.monotonic()
        idle = now - self._body_seen_at
        if self.flow is not None and self.flow.read_paused:
            idle = 0.0  # the server paused reading (the app is busy): not the client's delay
            self._body_seen_at = now
        if idle < self.limits.body_timeout:
            self._body_timer = self.loop.call_later(
                self.limits.body_timeout - idle, self._body_timeout
            )
            return
        if self.cycle is not None and self.cycle.response_started:
            self.transport.close()
            return
        self._refuse(408, RequestTimeout())

    # -- answers -------------------------------------------------------------------------

    def send_400_response(self, msg: str) -> None:
        self._refuse(400, ServiceError(msg, code="BadRequest"))

    def _refuse(self, status: int, error: ServiceError) -> None:
        """Answer with a DashScope error and close (nothing else of this connection is read)."""
        self._cancel_timers()
        if self.cycle is not None and not self.cycle.response_complete:
            self.cycle.disconnected = True  # the app must not write after this answer
            self.cycle.message_event.set()
        if not self.transport.is_closing():
            self.transport.write(error_response(status, error))
            self.transport.close()

    def _cancel_timers(self) -> None:
        self._cancel_header_timer()
        if self._body_timer is not None:
            self._body_timer.cancel()
            self._body_timer = None
