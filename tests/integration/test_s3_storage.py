"""The storage protocol on a real S3 server (SeaweedFS): bytes, multipart, prefixes, both URL
modes, and what is refused at start."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import socket
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from tests.support.s3 import S3Server
from wanstack.clock import SystemClock
from wanstack.config import Settings
from wanstack.errors import AccessDenied, ConfigError, NotFound, StorageUnavailable
from wanstack.storage.base import ObjectStream
from wanstack.storage.configured import storage_for
from wanstack.storage.s3 import PART_BYTES, S3Location, S3Storage
from wanstack.storage.signing import Signer
from wanstack.testing import FrozenClock

MiB = 1024 * 1024


def make(s3_server: S3Server, tmp_path: Path, **overrides: object) -> tuple[S3Storage, str]:
    """An S3 storage under a fresh prefix, built from settings as a process builds it."""
    url = s3_server.storage_url()
    values: dict[str, object] = {
        "data_dir": tmp_path / "data",
        "storage_url": url,
        "s3_endpoint_url": s3_server.endpoint,
    }
    values.update(overrides)
    storage = storage_for(Settings(**values), Signer(b"k"), SystemClock())  # type: ignore[arg-type]
    assert isinstance(storage, S3Storage)
    return storage, storage.location.prefix


def pattern(size: int) -> bytes:
    """Bytes that differ per position (a part sent twice or out of order would show)."""
    block = bytes(range(251)) * (MiB // 251 + 1)
    return (block * (size // len(block) + 1))[:size]


async def pieces(data: bytes, size: int, fail_after: int | None = None) -> AsyncIterator[bytes]:
    for start in range(0, len(data), size):
        if fail_after is not None and start >= fail_after:
            raise RuntimeError("the client went away")
        yield data[start : start + size]


@contextlib.contextmanager
def refusing_port() -> Iterator[int]:
    """A port that refuses connections (bound, never listening) while the block runs."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        yield int(sock.getsockname()[1])


async def read_all(stream: ObjectStream) -> bytes:
    return b"".join([chunk async for chunk in stream.chunks])


@pytest.mark.usefixtures("s3_env")
async def test_put_get_delete_prefix(s3_server: S3Server, tmp_path: Path) -> None:
    storage, prefix = make(s3_server, tmp_path)
    await storage.put("results/t1/1/a.png", b"first", "image/png")
    await storage.put("results/t1/1/a.png", b"second", "image/png")  # replaced
    await storage.put("results/t1/2/b.png", b"b", "image/png")
    await storage.put("results/t12/1/c.png", b"c", "image/png")
    await storage.put("uploads/f/abc", b"u", "image/png")
    await storage.put("uploads/f/abcd", b"v", "image/png")
    assert await storage.get("results/t1/1/a.png") == b"second"
    head = s3_server.client().head_object(Bucket=s3_server.bucket, Key=prefix + "uploads/f/abc")
    assert head["ContentType"] == "image/png"
    with pytest.raises(FileNotFoundError):
        await storage.get("results/none.png")
    for bad in ("", "/abs", "a/../b", "a/./b", "nul\x00"):
        with pytest.raises(ValueError, match="invalid storage key"):
            await storage.get(bad)

    # a folder prefix takes its folder only: results/t1/ never touches results/t12/
    await storage.delete_prefix("results/t1/")
    # an exact key takes that key (and a folder of that name), never a longer name
    await storage.delete_prefix("uploads/f/abc")
    await storage.delete_prefix("inputs/never-stored/")  # nothing there: fine
    assert s3_server.keys(prefix) == [prefix + "results/t12/1/c.png", prefix + "uploads/f/abcd"]
    assert storage.free_bytes() is None


@pytest.mark.usefixtures("s3_env")
async def test_large_objects_go_up_in_parts(s3_server: S3Server, tmp_path: Path) -> None:
    storage, prefix = make(s3_server, tmp_path)
    client = s3_server.client()
    video = pattern(PART_BYTES + 3 * MiB)  # 11 MiB: over the multipart threshold
    await storage.put("results/v/1/clip.mp4", video, "video/mp4")
    head = client.head_object(Bucket=s3_server.bucket, Key=prefix + "results/v/1/clip.mp4")
    assert head["ETag"].strip('"').endswith("-2"), head["ETag"]  # a multipart object, 2 parts
    assert head["ContentType"] == "video/mp4"
    assert await storage.get("results/v/1/clip.mp4") == video

    # a stream in odd pieces: parts of exactly PART_BYTES, then the rest
    upload = pattern(2 * PART_BYTES + 12345)
    assert await storage.put_stream("uploads/x/big", pieces(upload, 100_003), "image/png") == len(
        upload
    )
    head = client.head_object(Bucket=s3_server.bucket, Key=prefix + "uploads/x/big")
    assert head["ETag"].strip('"').endswith("-3"), head["ETag"]
    assert head["ContentLength"] == len(upload)
    assert await storage.get("uploads/x/big") == upload
    # a small stream is one plain object
    assert await storage.put_stream("uploads/x/small", pieces(b"tiny", 2), "image/png") == 4
    assert await storage.get("uploads/x/small") == b"tiny"

    # a stream that fails after a part was sent leaves nothing: no object, no open upload
    with pytest.raises(RuntimeError, match="went away"):
        await storage.put_stream(
            "uploads/x/cut", pieces(upload, MiB, fail_after=PART_BYTES + MiB), "image/png"
        )
    assert prefix + "uploads/x/cut" not in s3_server.keys(prefix)
    open_uploads = client.list_multipart_uploads(Bucket=s3_server.bucket, Prefix=prefix)
    assert not open_uploads.get("Uploads"), open_uploads["Uploads"]


@pytest.mark.usefixtures("s3_env")
async def test_presigned_urls_fetch_and_expire_with_the_task(
    s3_server: S3Server, tmp_path: Path
) -> None:
    storage, _ = make(s3_server, tmp_path)
    await storage.put("results/p/1/a.png", b"\x89PNG-bytes", "image/png")
    now_ms = int(time.time() * 1000)
    url = storage.url("results/p/1/a.png", expires_ms=now_ms + 3600_000, base_url="http://x")
    assert url.startswith(s3_server.endpoint + "/" + s3_server.bucket + "/")
    query = parse_qs(urlsplit(url).query)
    assert query["X-Amz-Algorithm"] == ["AWS4-HMAC-SHA256"]
    assert query["X-Amz-Expires"] == ["3600"]  # as long as the task lives
    async with httpx.AsyncClient() as http:
        resp = await http.get(url)
        assert resp.status_code == 200
        assert resp.content == b"\x89PNG-bytes"
        assert resp.headers["content-type"] == "image/png"
        # the signature covers the key
        other = url.replace("/a.png?", "/b.png?")
        assert (await http.get(other)).status_code == 403

    # signed for the public endpoint clients reach (here: another name of the same server)
    public, _ = make(s3_server, tmp_path, s3_public_endpoint_url=s3_server.public_endpoint)
    await public.put("results/p/1/a.png", b"public", "image/png")
    url = public.url("results/p/1/a.png", expires_ms=now_ms + 60_000, base_url="http://x")
    assert url.startswith(s3_server.public_endpoint + "/")
    async with httpx.AsyncClient() as http:
        resp = await http.get(url)
    assert resp.status_code == 200 and resp.content == b"public"


@pytest.mark.usefixtures("s3_env")
async def test_proxy_urls_stream_from_the_bucket(s3_server: S3Server, tmp_path: Path) -> None:
    storage, _ = make(s3_server, tmp_path, s3_urls="proxy")
    data = pattern(3 * MiB + 7)
    await storage.put("results/q/1/v.mp4", data, "video/mp4")
    now_ms = int(time.time() * 1000)
    url = storage.url("results/q/1/v.mp4", expires_ms=now_ms + 60_000, base_url="http://api:1/")
    parts = urlsplit(url)
    assert url.startswith("http://api:1/files/results/q/1/v.mp4?")
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    key = "results/q/1/v.mp4"

    stream = await storage.signed_file(key, query["Expires"], query["Signature"], now_ms)
    assert (stream.size, stream.content_type, stream.content_range) == (
        len(data),
        "video/mp4",
        None,
    )
    assert await read_all(stream) == data
    # one byte range is passed on (players seek in videos)
    part = await storage.signed_file(
        key, query["Expires"], query["Signature"], now_ms, "bytes=100-199"
    )
    assert part.content_range == f"bytes 100-199/{len(data)}"
    assert part.size == 100
    assert await read_all(part) == data[100:200]
    # a range past the end is served whole; several ranges are served whole
    for odd in (f"bytes={len(data) + 10}-", "bytes=0-1,5-6"):
        whole = await storage.signed_file(key, query["Expires"], query["Signature"], now_ms, odd)
        assert whole.content_range is None and whole.size == len(data)
        await whole.chunks.aclose()  # type: ignore[attr-defined]

    with pytest.raises(AccessDenied):
        await storage.signed_file(key, query["Expires"], "forged", now_ms)
    with pytest.raises(AccessDenied):  # expired
        await storage.signed_file(key, query["Expires"], query["Signature"], now_ms + 61_000)
    gone = "results/q/1/gone.mp4"
    expires = str((now_ms + 60_000) // 1000)
    with pytest.raises(NotFound):
        await storage.signed_file(gone, expires, Signer(b"k").sign_file(gone, int(expires)), now_ms)


def test_s3_location_parsing() -> None:
    assert S3Location.parse("s3://bucket") == S3Location("bucket", "")
    assert S3Location.parse("s3://my.bucket-1/a/b/") == S3Location("my.bucket-1", "a/b/")
    for bad in (
        "s3://",
        "s3:///prefix",
        "s3://Upper",
        "s3://ab",
        "s3://bucket/a//b",
        "s3://bucket/../x",
        "s3://bucket?x=1",
        "s3://user@bucket/p",
        "s3://bucket:99/p",
        "http://bucket/p",
    ):
        with pytest.raises(ValueError):  # noqa: PT011 (each says why in its own words)
            S3Location.parse(bad)


@pytest.mark.usefixtures("s3_env")
def test_a_wrong_storage_setting_is_refused_at_start(
    s3_server: S3Server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def build(**values: object) -> None:
        values = {"data_dir": tmp_path, "s3_endpoint_url": s3_server.endpoint, **values}
        settings = Settings(**values)  # type: ignore[arg-type]
        storage_for(settings, Signer(b"k"), FrozenClock())

    for url in ("s3://", "s3://Bad_Name/p", "ftp://x/y", "file://host/x"):
        with pytest.raises(ConfigError, match="WANSTACK_STORAGE_URL"):
            build(storage_url=url)
    with pytest.raises(ConfigError, match=r"WANSTACK_STORAGE_URL.*'no-such-bucket' does not exist"):
        build(storage_url="s3://no-such-bucket/p")
    with pytest.raises(ConfigError, match="WANSTACK_S3_ENDPOINT_URL"):
        build(storage_url=s3_server.storage_url(), s3_endpoint_url="localhost:8333")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "wrong")
    with pytest.raises(ConfigError, match=r"refused access.*AWS_ACCESS_KEY_ID"):
        build(storage_url=s3_server.storage_url())


@pytest.mark.usefixtures("s3_env")
def test_an_unreachable_store_is_refused_at_start_within_seconds(tmp_path: Path) -> None:
    with refusing_port() as port:
        started = time.monotonic()
        with pytest.raises(ConfigError, match=r"did not answer.*WANSTACK_S3_ENDPOINT_URL"):
            storage_for(
                Settings(
                    data_dir=tmp_path,
                    storage_url="s3://bucket/p",
                    s3_endpoint_url=f"http://127.0.0.1:{port}",
                ),
                Signer(b"k"),
                FrozenClock(),
            )
        assert time.monotonic() - started < 8


@contextlib.contextmanager
def silent_port() -> Iterator[int]:
    """A port that accepts connections (into the kernel's backlog) and never answers: a hung
    store."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(64)
        yield int(sock.getsockname()[1])


@pytest.mark.usefixtures("s3_env")
async def test_an_unreachable_or_silent_store_is_storage_unavailable_within_bounds() -> None:
    """Refused connections fail at once; a store that accepts and never answers costs each of
    the 3 tries its timeout (0.3 s here), plus up to 1 s waiting for ``100 Continue`` on a PUT."""
    for ports, bound in ((refusing_port, 1.5), (silent_port, 3 * (1 + 0.3) + 1.5)):
        with ports() as port:
            storage = S3Storage(
                S3Location("bucket", "p/"),
                signer=Signer(b"k"),
                clock=SystemClock(),
                endpoint_url=f"http://127.0.0.1:{port}",
                timeout_s=0.3,
            )
            calls: list[Callable[[], Awaitable[object]]] = [
                functools.partial(storage.put, "a/b", b"x", "text/plain"),
                functools.partial(storage.get, "a/b"),
            ]
            for call in calls:
                started = time.monotonic()
                with pytest.raises(StorageUnavailable):
                    await call()
                took = time.monotonic() - started
                assert took < bound, f"{ports.__name__}: {took:.2f} s"


def test_file_urls_name_local_folders(tmp_path: Path) -> None:
    from wanstack.storage.local import LocalStorage

    for url, folder in (
        (None, tmp_path / "files"),
        ("file://", tmp_path / "files"),
        (f"file://{tmp_path}/elsewhere", tmp_path / "elsewhere"),
    ):
        storage = storage_for(
            Settings(data_dir=tmp_path, storage_url=url), Signer(b"k"), FrozenClock()
        )
        assert isinstance(storage, LocalStorage)
        assert storage.local_path("a") == (folder / "a").resolve()


@pytest.mark.usefixtures("s3_env")
async def test_storage_calls_leave_the_event_loop_free(s3_server: S3Server, tmp_path: Path) -> None:
    storage, _ = make(s3_server, tmp_path)
    ticks = 0

    async def tick() -> None:
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0.005)

    ticker = asyncio.create_task(tick())
    await storage.put("results/e/1/big.mp4", pattern(PART_BYTES + MiB), "video/mp4")
    ticker.cancel()
    assert ticks >= 10  # the loop kept running while the parts went up
