"""The storage seam: results and uploads by key; S3-compatible storage plugs in here later.

A backend both signs its URLs (:meth:`Storage.url`) and checks them (:meth:`Storage.signed_file`):
the local one serves them itself at ``/files/…``; an S3 one would hand out presigned URLs."""

from __future__ import annotations

from pathlib import Path
from typing import BinaryIO, Protocol


class Storage(Protocol):
    """A flat key → bytes store. Keys use ``/`` separators and never start with ``/``."""

    async def put(self, key: str, data: bytes, content_type: str) -> None:
        """Store ``data`` under ``key``, replacing any previous value, atomically."""

    async def put_file(self, key: str, file: BinaryIO, content_type: str) -> None:
        """Store the rest of ``file`` (read in pieces, never whole in memory) under ``key``."""

    async def get(self, key: str) -> bytes:
        """The bytes under ``key``; raises ``FileNotFoundError`` when absent."""

    async def delete_prefix(self, prefix: str) -> None:
        """Delete every key that starts with ``prefix`` (missing keys are fine)."""

    def url(self, key: str, *, expires_ms: int, base_url: str) -> str:
        """An absolute URL that serves ``key`` until ``expires_ms`` (epoch ms)."""

    def signed_file(self, key: str, expires: str, signature: str, now_ms: int) -> Path:
        """The file behind a URL this storage signed (``/files/<key>?Expires=…&Signature=…``),
        checked here, beside the signing. Raises :class:`~wanstack.errors.AccessDenied` for a
        wrong or expired signature and :class:`~wanstack.errors.NotFound` for a missing file
        (and always, for backends whose URLs point elsewhere)."""

    def free_bytes(self) -> int | None:
        """Space left for new files, or None when the backend does not say (remote stores)."""
