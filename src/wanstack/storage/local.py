"""Files under ``<data_dir>/files``, served by the API at signed, expiring URLs."""

from __future__ import annotations

import asyncio
import os
import shutil
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO
from urllib.parse import quote

from wanstack.errors import AccessDenied, NotFound
from wanstack.storage.signing import Signer


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

    async def put_file(self, key: str, file: BinaryIO, content_type: str) -> None:
        path = self._path(key)
        await asyncio.to_thread(
            _write_atomically, path, lambda f: shutil.copyfileobj(file, f, 1024 * 1024)
        )

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

    def signed_file(self, key: str, expires: str, signature: str, now_ms: int) -> Path:
        # At most 12 ASCII digits (epoch seconds): int() of thousands of digits raises.
        well_formed = expires.isascii() and expires.isdigit() and len(expires) <= 12
        if not well_formed or not self._signer.verify_file(key, int(expires), signature, now_ms):
            raise AccessDenied("Request has expired or its signature does not match.")
        path = self.local_path(key)
        if path is None or not path.is_file():
            raise NotFound("The file has expired or does not exist.")
        return path

    def url(self, key: str, *, expires_ms: int, base_url: str) -> str:
        expires_s = expires_ms // 1000
        signature = self._signer.sign_file(key, expires_s)
        return (
            f"{base_url.rstrip('/')}/files/{quote(key)}?Expires={expires_s}&Signature={signature}"
        )


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
