"""The storage seam: results and uploads by key, on the local disk or in an S3-compatible bucket.

A backend both signs its URLs (:meth:`Storage.url`) and, where it hands out wanstack's own
``/files/…`` URLs, checks and serves them (:meth:`Storage.signed_file`): the local backend always
does; the S3 backend does in its ``proxy`` mode and otherwise hands out presigned bucket URLs.

Failures: a remote backend raises :class:`~wanstack.errors.StorageUnavailable` (a 503 with a
DashScope body) when it cannot be reached within its bounded timeouts and retries; a key that is
absent is ``FileNotFoundError`` on every backend.
"""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol


@dataclass(frozen=True, slots=True)
class ObjectStream:
    """A stored file read piece by piece (never whole in memory), for ``/files/…`` answers.

    ``content_range`` is set (``bytes 0-99/1000``) when only the requested byte range is sent;
    ``size`` is then the length of that range. Iterating ``chunks`` to its end, or closing it
    (``aclose``), releases the connection behind it."""

    size: int
    content_type: str
    chunks: AsyncIterator[bytes]
    content_range: str | None = None


#: what :meth:`Storage.signed_file` hands the route: a local file (served by the OS, with
#: ranges) or a remote object streamed through
StoredFile = Path | ObjectStream


class Storage(Protocol):
    """A flat key → bytes store. Keys use ``/`` separators and never start with ``/``."""

    async def put(self, key: str, data: bytes, content_type: str) -> None:
        """Store ``data`` under ``key``, replacing any previous value, atomically."""

    async def put_stream(self, key: str, chunks: AsyncIterable[bytes], content_type: str) -> int:
        """Store the bytes ``chunks`` yields under ``key`` (memory bounded by one part, never
        the whole file) and return how many there were. Atomic: readers see the whole file or
        none, and when ``chunks`` raises (a refused or broken upload), nothing is stored and the
        exception propagates."""

    async def get(self, key: str) -> bytes:
        """The bytes under ``key``; raises ``FileNotFoundError`` when absent."""

    async def delete_prefix(self, prefix: str) -> None:
        """Delete ``prefix`` itself and every key under the folder ``prefix/`` (a prefix ending
        in ``/`` is a folder); missing keys are fine. ``results/a`` never touches ``results/ab``."""

    def url(self, key: str, *, expires_ms: int, base_url: str) -> str:
        """An absolute URL that serves ``key`` until ``expires_ms`` (epoch ms)."""

    async def signed_file(
        self, key: str, expires: str, signature: str, now_ms: int, byte_range: str | None = None
    ) -> StoredFile:
        """The file behind a URL this storage signed (``/files/<key>?Expires=…&Signature=…``),
        checked here, beside the signing. Raises :class:`~wanstack.errors.AccessDenied` for a
        wrong or expired signature and :class:`~wanstack.errors.NotFound` for a missing file
        (and always, for backends whose URLs point elsewhere). ``byte_range`` is the request's
        ``Range`` header, which a streamed object honours when it is one ``bytes=`` range."""

    def free_bytes(self) -> int | None:
        """Space left for new files, or None when the backend does not say (remote stores)."""

    async def aclose(self) -> None:
        """Release connections and threads; the process is stopping (no call comes after)."""
