"""Files in an S3-compatible bucket (AWS S3, SeaweedFS, MinIO, Ceph, R2, OSS), through boto3.

Every process of a deployment reads and writes the same bucket, so no file of a task ever lives on
one machine's disk. Credentials and region come from boto3's standard chain (``AWS_*`` variables,
``~/.aws`` files, instance and container roles); the endpoint, URL mode and addressing style from
:class:`~wanstack.config.Settings` (see :mod:`wanstack.storage.configured`).

* Calls run on a thread pool of their own (boto3 is synchronous; the event loop never waits on a
  socket, and engine work on asyncio's default pool never starves them), each bounded by a
  connect timeout (at most :data:`CONNECT_TIMEOUT_S`), a read timeout (``timeout_s``, the
  ``WANSTACK_S3_TIMEOUT_SECONDS`` setting) and :data:`MAX_ATTEMPTS` tries. When the store stays
  unreachable the call raises :class:`~wanstack.errors.StorageUnavailable`, a 503 with a
  DashScope body, and the next call tries again: the process recovers by itself.
* Large files go up in :data:`PART_BYTES` parts (multipart upload): results with boto3's
  transfer manager (parts in parallel), SDK uploads straight from the request body, one part in
  memory at a time, so neither is ever written to local disk.
* Result URLs are presigned bucket URLs (``presigned``, optionally for the public endpoint
  clients reach) or wanstack's own signed ``/files/…`` URLs that the API streams from the bucket
  (``proxy``), for buckets clients cannot reach.
"""

from __future__ import annotations

import asyncio
import functools
import io
import logging
import re
from collections.abc import AsyncIterable, AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal, TypeVar
from urllib.parse import urlsplit

import boto3
from boto3.exceptions import Boto3Error
from boto3.s3.transfer import TransferConfig
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError

from wanstack.clock import Clock
from wanstack.errors import NotFound, StorageUnavailable
from wanstack.storage.base import ObjectStream
from wanstack.storage.signing import Signer

if TYPE_CHECKING:
    from botocore.response import StreamingBody
    from mypy_boto3_s3.client import S3Client
    from mypy_boto3_s3.type_defs import CompletedPartTypeDef, GetObjectOutputTypeDef

log = logging.getLogger(__name__)
T = TypeVar("T")

#: the longest wait for a connection to the store (a refused one fails at once)
CONNECT_TIMEOUT_S = 2.0
#: tries per call (botocore's "standard" retry mode: jittered exponential backoff, about 3 s at
#: most in all when the store refuses connections), so an outage is answered within seconds
MAX_ATTEMPTS = 3
#: multipart threshold and part size (S3's minimum part is 5 MiB)
PART_BYTES = 8 * 1024 * 1024
#: parts of one result uploaded at once
TRANSFER_CONCURRENCY = 4
#: threads (and pooled connections) for calls to the store, per process
POOL_THREADS = 16
#: a streamed object is read from the store in pieces of this size
STREAM_BYTES = 256 * 1024
#: SigV4 presigned URLs live at most 7 days
MAX_PRESIGN_S = 7 * 24 * 3600
#: object keys are at most 1024 bytes of UTF-8
MAX_KEY_BYTES = 1024
#: one ``bytes=`` range of a ``Range`` header (several ranges are served whole)
SINGLE_RANGE = re.compile(r"bytes=(\d+-\d*|-\d+)")
#: bucket names: 3–63 lowercase letters, digits, dots and hyphens (S3's rules)
BUCKET_NAME = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")
MISSING = frozenset({"NoSuchKey", "404", "NotFound"})


@dataclass(frozen=True, slots=True)
class S3Location:
    """A bucket and the key prefix wanstack's files live under (``""`` or ending in ``/``)."""

    bucket: str
    prefix: str

    @classmethod
    def parse(cls, url: str) -> S3Location:
        """``s3://BUCKET`` or ``s3://BUCKET/PREFIX``; raises ``ValueError`` saying what is wrong."""
        parts = urlsplit(url)
        if parts.scheme != "s3":
            raise ValueError(f"expected s3://BUCKET/PREFIX, got {url!r}")
        if parts.query or parts.fragment or parts.username or parts.password or parts.port:
            raise ValueError(f"{url!r} may name only a bucket and a prefix (s3://BUCKET/PREFIX)")
        bucket = parts.netloc  # (not .hostname: that lowercases a name S3 would refuse)
        if not BUCKET_NAME.fullmatch(bucket) or ".." in bucket:
            raise ValueError(
                f"{bucket!r} is not a bucket name (3-63 lowercase letters, digits, '.' and '-')"
            )
        prefix = parts.path.strip("/")
        if any(part in ("", ".", "..") for part in prefix.split("/")) and prefix:
            raise ValueError(f"the prefix {prefix!r} has an empty, '.' or '..' segment")
        return cls(bucket, f"{prefix}/" if prefix else "")


class S3Storage:
    """A :class:`~wanstack.storage.base.Storage` in an S3-compatible bucket."""

    def __init__(
        self,
        location: S3Location,
        *,
        signer: Signer,
        clock: Clock,
        endpoint_url: str | None = None,
        public_endpoint_url: str | None = None,
        urls: Literal["presigned", "proxy"] = "presigned",
        addressing_style: Literal["auto", "path", "virtual"] = "auto",
        timeout_s: float = 5.0,
        session: boto3.session.Session | None = None,
    ) -> None:
        self.location = location
        self.urls = urls
        self._signer = signer
        self._clock = clock
        session = session or boto3.session.Session()
        if addressing_style == "auto":
            # Other stores are usually reached by an address that is not a DNS suffix of the
            # bucket (http://host:8333): path style. AWS itself prefers virtual-hosted.
            addressing_style = "path" if endpoint_url else "virtual"
        config = Config(
            signature_version="s3v4",
            s3={"addressing_style": addressing_style},
            connect_timeout=min(CONNECT_TIMEOUT_S, timeout_s),
            read_timeout=timeout_s,
            retries={"mode": "standard", "total_max_attempts": MAX_ATTEMPTS},
            max_pool_connections=POOL_THREADS,
            # Checksums only where S3 requires them: several S3-compatible stores refuse the
            # CRC trailers botocore sends by default since 1.36.
            request_checksum_calculation="when_required",
            response_checksum_validation="when_required",
        )
        self._client: S3Client = session.client("s3", endpoint_url=endpoint_url, config=config)
        # Presigning is local arithmetic: a client for the address clients reach, no traffic.
        self._presigner: S3Client = (
            session.client("s3", endpoint_url=public_endpoint_url, config=config)
            if public_endpoint_url
            else self._client
        )
        self._transfer = TransferConfig(
            multipart_threshold=PART_BYTES,
            multipart_chunksize=PART_BYTES,
            max_concurrency=TRANSFER_CONCURRENCY,
        )
        self._pool = ThreadPoolExecutor(POOL_THREADS, thread_name_prefix="s3")

    # -- plumbing ----------------------------------------------------------------------------

    def _key(self, key: str) -> str:
        """The object key of a storage key (refusing keys no caller should make)."""
        full = self.location.prefix + key
        if (
            not key
            or key.startswith("/")
            or "\x00" in key
            or any(part in (".", "..") for part in key.split("/"))
            or len(full.encode()) > MAX_KEY_BYTES
        ):
            raise ValueError(f"invalid storage key: {key!r}")
        return full

    async def _call(self, what: str, fn: Callable[[], T]) -> T:
        """``fn()`` on the storage pool; the store's failures become StorageUnavailable (a
        missing object stays ``FileNotFoundError``)."""
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(self._pool, fn)
        except ClientError as exc:
            if _code(exc) in MISSING:
                raise FileNotFoundError(what) from exc
            log.warning("storage: %s failed: %s", what, exc)
            raise StorageUnavailable() from exc
        except (BotoCoreError, Boto3Error) as exc:
            log.warning("storage: %s failed: %s", what, exc)
            raise StorageUnavailable() from exc

    def check_bucket(self) -> None:
        """At start: the bucket exists and these credentials may use it. Raises ``LookupError``
        (no such bucket), ``PermissionError`` (no or wrong credentials) or
        :class:`StorageUnavailable` (the endpoint does not answer)."""
        bucket = self.location.bucket
        try:
            self._client.head_bucket(Bucket=bucket)
        except NoCredentialsError as exc:
            raise PermissionError("no AWS credentials were found") from exc
        except ClientError as exc:
            if _code(exc) in ("404", "NoSuchBucket", "NotFound"):
                raise LookupError(f"the bucket {bucket!r} does not exist") from exc
            raise PermissionError(f"the store refused access to {bucket!r}: {exc}") from exc
        except BotoCoreError as exc:
            raise StorageUnavailable(str(exc)) from exc

    # -- the Storage protocol ------------------------------------------------------------------

    async def put(self, key: str, data: bytes, content_type: str) -> None:
        bucket, name = self.location.bucket, self._key(key)
        if len(data) < PART_BYTES:
            await self._call(
                f"put {key}",
                lambda: self._client.put_object(
                    Bucket=bucket, Key=name, Body=data, ContentType=content_type
                ),
            )
            return
        await self._call(
            f"upload {key}",
            lambda: self._client.upload_fileobj(
                io.BytesIO(data),
                bucket,
                name,
                ExtraArgs={"ContentType": content_type},
                Config=self._transfer,
            ),
        )

    async def put_stream(self, key: str, chunks: AsyncIterable[bytes], content_type: str) -> int:
        bucket, name = self.location.bucket, self._key(key)
        client = self._client
        pending = bytearray()
        size = 0
        upload_id: str | None = None
        parts: list[CompletedPartTypeDef] = []

        async def send_part(data: bytes) -> None:
            nonlocal upload_id
            if upload_id is None:
                started = await self._call(
                    f"start upload {key}",
                    lambda: client.create_multipart_upload(
                        Bucket=bucket, Key=name, ContentType=content_type
                    ),
                )
                upload_id = started["UploadId"]
            number, uid = len(parts) + 1, upload_id
            sent = await self._call(
                f"upload part {number} of {key}",
                lambda: client.upload_part(
                    Bucket=bucket, Key=name, UploadId=uid, PartNumber=number, Body=data
                ),
            )
            parts.append({"ETag": sent["ETag"], "PartNumber": number})

        try:
            async for chunk in chunks:
                size += len(chunk)
                pending += chunk
                while len(pending) >= PART_BYTES:
                    await send_part(bytes(pending[:PART_BYTES]))
                    del pending[:PART_BYTES]
            if upload_id is None:  # a small file: one request
                body = bytes(pending)
                await self._call(
                    f"put {key}",
                    lambda: client.put_object(
                        Bucket=bucket, Key=name, Body=body, ContentType=content_type
                    ),
                )
                return size
            if pending:
                await send_part(bytes(pending))
            uid = upload_id
            await self._call(
                f"complete upload {key}",
                lambda: client.complete_multipart_upload(
                    Bucket=bucket, Key=name, UploadId=uid, MultipartUpload={"Parts": parts}
                ),
            )
        except BaseException:
            if upload_id is not None:  # best effort; a lifecycle rule sweeps what remains
                uid = upload_id
                try:
                    await self._call(
                        f"abort upload {key}",
                        lambda: client.abort_multipart_upload(
                            Bucket=bucket, Key=name, UploadId=uid
                        ),
                    )
                except Exception:
                    log.warning("storage: could not abort the upload of %s", key)
            raise
        return size

    async def get(self, key: str) -> bytes:
        bucket, name = self.location.bucket, self._key(key)

        def read() -> bytes:
            body = self._client.get_object(Bucket=bucket, Key=name)["Body"]
            try:
                return body.read()
            finally:
                body.close()

        return await self._call(f"get {key}", read)

    async def delete_prefix(self, prefix: str) -> None:
        bucket = self.location.bucket
        folder = prefix if prefix.endswith("/") else prefix + "/"
        exact = None if prefix.endswith("/") else self._key(prefix)
        under = self._key(folder)

        def delete() -> None:
            names = [exact] if exact else []
            pages = self._client.get_paginator("list_objects_v2").paginate(
                Bucket=bucket, Prefix=under
            )
            for page in pages:
                names += [item["Key"] for item in page.get("Contents", [])]
            for start in range(0, len(names), 1000):  # DeleteObjects takes 1000 keys at most
                batch = names[start : start + 1000]
                done = self._client.delete_objects(
                    Bucket=bucket,
                    Delete={"Objects": [{"Key": n} for n in batch], "Quiet": True},
                )
                if done.get("Errors"):
                    log.warning("storage: delete refused: %s", done["Errors"][:3])
                    raise StorageUnavailable()

        await self._call(f"delete {prefix}", delete)

    def url(self, key: str, *, expires_ms: int, base_url: str) -> str:
        if self.urls == "proxy":
            return self._signer.file_url(key, expires_ms, base_url)
        seconds = (expires_ms - self._clock.now_ms()) // 1000
        return self._presigner.generate_presigned_url(
            "get_object",
            Params={"Bucket": self.location.bucket, "Key": self._key(key)},
            ExpiresIn=max(1, min(seconds, MAX_PRESIGN_S)),
        )

    async def signed_file(
        self, key: str, expires: str, signature: str, now_ms: int, byte_range: str | None = None
    ) -> ObjectStream:
        # Served in either URL mode: a URL handed out before a switch to presigned still works.
        self._signer.check_file(key, expires, signature, now_ms)
        try:
            name = self._key(key)
        except ValueError:
            raise NotFound("The file has expired or does not exist.") from None
        wanted = byte_range if byte_range and SINGLE_RANGE.fullmatch(byte_range) else None
        bucket = self.location.bucket

        def open_object() -> GetObjectOutputTypeDef:
            if wanted is not None:
                try:
                    return self._client.get_object(Bucket=bucket, Key=name, Range=wanted)
                except ClientError as exc:
                    if _code(exc) != "InvalidRange":
                        raise
            return self._client.get_object(Bucket=bucket, Key=name)  # (past the end: whole)

        try:
            found = await self._call(f"get {key}", open_object)
        except FileNotFoundError:
            raise NotFound("The file has expired or does not exist.") from None
        content_range = found.get("ContentRange") if wanted is not None else None
        return ObjectStream(
            size=found["ContentLength"],
            content_type=found.get("ContentType") or "application/octet-stream",
            chunks=self._stream(key, found["Body"]),
            content_range=content_range or None,
        )

    async def _stream(self, key: str, body: StreamingBody) -> AsyncIterator[bytes]:
        try:
            while data := await self._call(
                f"read {key}", functools.partial(body.read, STREAM_BYTES)
            ):
                yield data
        finally:
            body.close()

    def free_bytes(self) -> int | None:
        return None  # a bucket does not run out of space the way a disk does

    async def aclose(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
        self._client.close()
        if self._presigner is not self._client:
            self._presigner.close()


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))
