"""Files under ``<data_dir>/files``, served by the API at signed, expiring URLs."""

from __future__ import annotations

import asyncio
import os
import shutil
import uuid
from collections.abc import AsyncIterable, Callable
from pathlib import Path
from typing import BinaryIO

from wanstack.errors import NotFound
from wanstack.storage.signing import Signer

#: a streamed file is written in pieces of at least this size (one thread hop per piece)
WRITE_BYTES = 1024 * 1024


class LocalStorage:
    """A folder on the local disk. Writes go through a temporary file and ``os.replace``."""

    def __init__(self, root: Path, signer: Signer) -> None:
        self._root = root.resolve()
        self._signer = signer

    def _path(self, key: str) -> Path:
        path = (self._root / key).resolve()
        # Keys come from our own code, but never let one escape the root (e.g. "../x").
        if not path.is_relative_to(self._root) or path == self._root:
            raise ValueError(f"invalid storage key: {key!r}")
        return path

    async def put(self, key: str, data: bytes, content_type: str) -> None:
        path = self._path(key)
        await asyncio.to_thread(_write_atomically, path, lambda f: f.write(data))

    async def put_stream(self, key: str, chunks: AsyncIterable[bytes], content_type: str) -> int:
        path = self._path(key)
        await asyncio.to_thread(path.parent.mkdir, parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
        f = await asyncio.to_thread(tmp.open, "wb")
        size = 0
        try:
            pending = bytearray()
            async for chunk in chunks:
                size += len(chunk)
                pending += chunk
                if len(pending) >= WRITE_BYTES:
                    await asyncio.to_thread(f.write, bytes(pending))
                    pending.clear()
            await asyncio.to_thread(f.write, bytes(pending))
            await asyncio.to_thread(f.close)
            os.replace(tmp, path)
        except BaseException:
            f.close()
            tmp.unlink(missing_ok=True)
            raise
        return size

    async def get(self, key: str) -> bytes:
        return await asyncio.to_thread(self._path(key).read_bytes)

    async def delete_prefix(self, prefix: str) -> None:
        path = self._path(prefix.rstrip("/"))

        def remove() -> None:
            if path.is_dir():
                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink(missing_ok=True)

        await asyncio.to_thread(remove)

    def local_path(self, key: str) -> Path | None:
        try:
            return self._path(key)
        except ValueError:
            return None

    def free_bytes(self) -> int | None:
        folder = self._root
        while not folder.exists() and folder != folder.parent:
            folder = folder.parent  # not made yet: the disk it will be made on
        try:
            return shutil.disk_usage(folder).free
        except OSError:
            return None

    async def signed_file(
        self, key: str, expires: str, signature: str, now_ms: int, byte_range: str | None = None
    ) -> Path:
        # Ranges of a local file are the file response's business (it serves them itself).
        self._signer.check_file(key, expires, signature, now_ms)
        path = self.local_path(key)
        if path is None or not path.is_file():
            raise NotFound("The file has expired or does not exist.")
        return path

    def url(self, key: str, *, expires_ms: int, base_url: str) -> str:
        return self._signer.file_url(key, expires_ms, base_url)

    async def aclose(self) -> None:
        pass  # nothing is held open between calls


def _write_atomically(path: Path, write: Callable[[BinaryIO], object]) -> None:
    """Write through a temporary file and ``os.replace``: readers never see half a file, and a
    failed write (a full disk) leaves nothing behind."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    try:
        with tmp.open("wb") as f:
            write(f)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
