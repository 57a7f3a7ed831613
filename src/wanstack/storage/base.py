"""The storage seam: results and uploads by key; S3-compatible storage plugs in here later."""

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

    def local_path(self, key: str) -> Path | None:
        """A filesystem path the HTTP layer may stream, or None for remote backends."""

    def url(self, key: str, *, expires_ms: int, base_url: str) -> str:
        """An absolute URL that serves ``key`` until ``expires_ms`` (epoch ms)."""

    def free_bytes(self) -> int | None:
        """Space left for new files, or None when the backend does not say (remote stores)."""
