"""The SDK's temporary-file flow, served by this server itself.

``GET /uploads?action=getPolicy`` hands out an OSS-style POST policy whose ``upload_host`` is this
server; the SDK then POSTs the file there and sends ``oss://<key>`` in the model request. Keys live
under a per-account folder, are bound to the account, never overwritten, and expire after
``upload_retention_hours`` (DashScope: 48 h).

The upload host takes no API key, so nothing is read or stored for a form until its policy is
checked (:meth:`UploadService.authorize`, called with the form fields that precede the file):
signature, expiry, the key's folder, at most :data:`MAX_FILES_PER_POLICY` files per policy, and
the account's space (``upload_quota_mb``). The file is then streamed to storage under a name
derived from the key, so no client-chosen text ever becomes a path on disk.
"""

from __future__ import annotations

import base64
import hashlib
import json
import uuid
from collections.abc import AsyncIterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from wanstack.clock import Clock
from wanstack.errors import AccessDenied, FileDownloadFailed, InvalidParameter, QuotaExceeded
from wanstack.storage.base import Storage
from wanstack.storage.signing import Signer
from wanstack.upload.repository import UploadRepository

POLICY_SECONDS = 300
MAX_UPLOAD_MB = 100
#: files one policy admits (the SDK reuses a policy for every file of one request; the
#: largest request, background generation, has 12 media fields)
MAX_FILES_PER_POLICY = 16
UPLOAD_PREFIX = "uploads/"


def _valid_name(name: str) -> bool:
    """A file name under the upload folder: 1–200 printable characters, path segments that are
    not empty, ``.`` or ``..`` (so no key aliases another, and none escapes the folder)."""
    if not 0 < len(name) <= 200 or not name.isprintable() or "\\" in name:
        return False
    return all(part not in ("", ".", "..") for part in name.split("/"))


def storage_key(key: str) -> str:
    """Where an upload's bytes live: its policy folder (made by this server, and checked) and
    a digest of the client's file name."""
    folder, _, name = key.rpartition("/")
    return f"{UPLOAD_PREFIX}{folder}/{hashlib.sha256(name.encode()).hexdigest()[:32]}"


@dataclass(frozen=True, slots=True)
class UploadForm:
    """The multipart fields the SDK posts to ``upload_host`` before the file."""

    access_key_id: str
    signature: str
    policy: str
    key: str
    content_type: str


@dataclass(frozen=True, slots=True)
class UploadGrant:
    """A checked form whose key is reserved: its file may now be stored (up to ``max_bytes``)."""

    key: str
    account_id: str
    max_bytes: int
    content_type: str


class UploadService:
    def __init__(
        self,
        repo: UploadRepository,
        storage: Storage,
        signer: Signer,
        clock: Clock,
        retention_ms: int,
        quota_bytes: int = 0,
    ) -> None:
        self._repo = repo
        self._storage = storage
        self._signer = signer
        self._clock = clock
        self._retention_ms = retention_ms
        self._quota_bytes = quota_bytes

    def policy(self, account_id: str, model: str, upload_host: str) -> dict[str, Any]:
        """A fresh upload certificate, in the shape the SDK reads (``data`` of getPolicy)."""
        now = self._clock.now_ms()
        folder = hashlib.sha256(account_id.encode()).hexdigest()[:32]
        day = datetime.fromtimestamp(now / 1000, tz=UTC).strftime("%Y-%m-%d")
        upload_dir = f"wanstack-instant/{folder}/{day}/{uuid.uuid4()}"
        expires = datetime.fromtimestamp(now / 1000 + POLICY_SECONDS, tz=UTC)
        document = {
            "expiration": expires.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
            "conditions": [
                ["content-length-range", 0, MAX_UPLOAD_MB * 1024 * 1024],
                ["starts-with", "$key", upload_dir],
                {"bucket": "wanstack"},
                {"x-oss-object-acl": "private"},
                {"x-oss-forbid-overwrite": "true"},
            ],
            # wanstack's own claims, covered by the signature:
            "account": account_id,
            "model": model,
            "expires_ms": now + POLICY_SECONDS * 1000,
        }
        policy = base64.b64encode(json.dumps(document, separators=(",", ":")).encode()).decode()
        return {
            "policy": policy,
            "signature": self._signer.sign("policy\n" + policy),
            "upload_dir": upload_dir,
            "upload_host": upload_host,
            "expire_in_seconds": POLICY_SECONDS,
            "max_file_size_mb": MAX_UPLOAD_MB,
            "capacity_limit_mb": self._quota_bytes // (1024 * 1024) or 999999999,
            "oss_access_key_id": "wanstack",
            "x_oss_object_acl": "private",
            "x_oss_forbid_overwrite": "true",
        }

    async def authorize(self, form: UploadForm) -> UploadGrant:
        """Check a form's policy and reserve its key (before any of the file is read).

        Raises ``AccessDenied`` (forged, expired or used policy, key outside its folder, key
        taken) or ``QuotaExceeded``; the reservation is undone by :meth:`abandon`.
        """
        if not self._signer.verify("policy\n" + form.policy, form.signature):
            raise AccessDenied(
                "The request signature we calculated does not match the signature you provided."
            )
        try:
            document = json.loads(base64.b64decode(form.policy))
            account_id = str(document["account"])
            prefix = str(document["conditions"][1][2])
            expires_ms = int(document["expires_ms"])
            model = str(document.get("model", ""))
        except (ValueError, KeyError, IndexError, TypeError) as exc:
            raise AccessDenied("Invalid according to Policy: Policy malformed.") from exc
        now = self._clock.now_ms()
        if expires_ms < now:
            raise AccessDenied("Invalid according to Policy: Policy expired.")
        key = form.key
        if not key.startswith(prefix + "/") or not _valid_name(key[len(prefix) + 1 :]):
            raise AccessDenied(
                'Invalid according to Policy: Policy Condition failed: ["starts-with", "$key"]'
            )
        max_bytes = MAX_UPLOAD_MB * 1024 * 1024
        if self._quota_bytes:
            left = self._quota_bytes - await self._repo.bytes_used(account_id, now)
            if left <= 0:
                raise QuotaExceeded(
                    f"Allocated quota exceeded: the account's uploads use its "
                    f"{self._quota_bytes // (1024 * 1024)} MB; they expire "
                    f"{self._retention_ms // 3_600_000} h after upload."
                )
            max_bytes = min(max_bytes, left)
        created = await self._repo.insert(
            key=key,
            account_id=account_id,
            model=model,
            size=0,
            now=now,
            expires_at=now + self._retention_ms,
            policy=prefix,
            policy_limit=MAX_FILES_PER_POLICY,
        )
        if not created:
            if await self._repo.policy_uses(prefix) >= MAX_FILES_PER_POLICY:
                raise AccessDenied(
                    f"Invalid according to Policy: a policy admits {MAX_FILES_PER_POLICY} "
                    "files; ask for a new one."
                )
            raise AccessDenied(
                "The object you specified already exists and can not be overwritten."
            )
        return UploadGrant(
            key=key, account_id=account_id, max_bytes=max_bytes, content_type=form.content_type
        )

    async def store(self, grant: UploadGrant, chunks: AsyncIterable[bytes]) -> str:
        """Stream the file of a granted upload into storage (``chunks`` checks its size against
        the grant as it comes, and raises to refuse it); on any failure the grant is undone."""
        try:
            size = await self._storage.put_stream(
                storage_key(grant.key), chunks, grant.content_type
            )
        except BaseException:
            # Storage kept nothing of a failed stream: only the reservation is undone (no
            # delete, which would only wait on a store that may just have failed).
            await self._repo.delete([grant.key])
            raise
        try:
            await self._repo.set_size(grant.key, size)
        except BaseException:
            await self.abandon(grant)  # do not leave a reserved key without its file
            raise
        return grant.key

    async def abandon(self, grant: UploadGrant) -> None:
        """Undo a grant whose file never arrived (or was refused)."""
        await self._repo.delete([grant.key])
        await self._storage.delete_prefix(storage_key(grant.key))

    async def check_reference(self, account_id: str, field: str, reference: str) -> None:
        """At submit: an ``oss://`` key must be this account's live upload."""
        key = reference[len("oss://") :]
        # Text that cannot be a key (NUL: PostgreSQL refuses it) is simply not an upload.
        plausible = 0 < len(key) <= 500 and key.isprintable()
        owner = await self._repo.owner(key, self._clock.now_ms()) if plausible else None
        if owner != account_id:
            raise InvalidParameter(
                f"{field}: {reference} is not a file uploaded by this account, or it has expired"
            )

    async def read(self, field: str, reference: str) -> bytes:
        """At run time: the bytes of an ``oss://`` upload."""
        key = reference[len("oss://") :]
        for where in (storage_key(key), UPLOAD_PREFIX + key):  # 2nd: stored before 0.2
            try:
                return await self._storage.get(where)
            except (FileNotFoundError, IsADirectoryError, NotADirectoryError, ValueError):
                continue
        raise FileDownloadFailed(
            f"download for {field.split('.')[-1]} error: the uploaded file has expired"
        )

    async def purge_expired(self) -> int:
        keys = await self._repo.expired(self._clock.now_ms())
        for key in keys:
            await self._storage.delete_prefix(storage_key(key))
            try:
                await self._storage.delete_prefix(UPLOAD_PREFIX + key)  # stored before 0.2
            except ValueError:
                pass
        await self._repo.delete(keys)
        return len(keys)
