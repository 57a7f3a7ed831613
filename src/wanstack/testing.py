"""Fakes shipped with the package, for unit tests and for end-to-end tests of the queue.

``MemoryStorage`` and ``FrozenClock`` replace disk and time in unit tests. The fake engines are
a real engine family, ``fake`` (:mod:`wanstack.engines.fake`), re-exported here for tests that
drive them directly.
"""

from __future__ import annotations

from collections.abc import AsyncIterable
from pathlib import Path

from wanstack.clock import FrozenClock
from wanstack.engines.fake import FakeBackground, FakeInpaint, FakeVideo, FakeWanImage
from wanstack.errors import NotFound

__all__ = [
    "FakeBackground",
    "FakeInpaint",
    "FakeVideo",
    "FakeWanImage",
    "FrozenClock",
    "MemoryStorage",
]


class MemoryStorage:
    """Storage in a dict; URLs are fake but stable."""

    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}

    async def put(self, key: str, data: bytes, content_type: str) -> None:
        self.files[key] = data

    async def put_stream(self, key: str, chunks: AsyncIterable[bytes], content_type: str) -> int:
        data = b"".join([chunk async for chunk in chunks])
        self.files[key] = data
        return len(data)

    async def get(self, key: str) -> bytes:
        try:
            return self.files[key]
        except KeyError:
            raise FileNotFoundError(key) from None

    async def delete_prefix(self, prefix: str) -> None:
        folder = prefix if prefix.endswith("/") else prefix + "/"
        for key in [k for k in self.files if k == prefix or k.startswith(folder)]:
            del self.files[key]

    def url(self, key: str, *, expires_ms: int, base_url: str) -> str:
        return f"{base_url}/memory/{key}?Expires={expires_ms // 1000}"

    async def signed_file(
        self, key: str, expires: str, signature: str, now_ms: int, byte_range: str | None = None
    ) -> Path:
        raise NotFound("Memory storage serves no files.")

    def free_bytes(self) -> int | None:
        return None

    async def aclose(self) -> None:
        pass
