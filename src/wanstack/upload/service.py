"""The SDK's temporary-file flow, served by this server itself.

``GET /uploads?action=getPolicy`` hands out an OSS-style POST policy whose ``upload_host`` is this
server; the SDK then POSTs the file there and sends ``oss://<key>`` in the model request. Keys live
under a per-account folder, are bound to the account, never overwritten, and expire after
``upload_retention_hours`` (DashScope: 48 h).
"""

from __future__ import annotations

import base64
import hashlib
import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from wanstack.clock import Clock
from wanstack.errors import AccessDenied, FileDownloadFailed, InvalidParameter
from wanstack.storage.base import Storage
from wanstack.storage.signing import Signer
from wanstack.upload.repository import UploadRepository

POLICY_SECONDS = 300
MAX_UPLOAD_MB = 100
UPLOAD_PREFIX = "uploads/"


def _valid_name(name: str) -> bool:
    """A file name under the upload folder: 1–200 printable characters, path segments that are
    not empty, ``.`` or ``..`` (so no key aliases another, and none escapes the folder)."""
    if not 0 < len(name) <= 200 or not name.isprintable() or "\\" in name:
        return False
    return all(part not in ("", ".", "..") for part in name.split("/"))


@dataclass(frozen=True, slots=True)
class UploadForm:
    """The multipart fields the SDK posts to ``upload_host``."""

    access_key_id: str
    signature: str
    policy: str
    key: str
    size: int
    content_type: str


class UploadService:
    def __init__(
        self,
        repo: UploadRepository,
        storage: Storage,
        signer: Signer,
        clock: Clock,
        retention_ms: int,
    ) -> None:
        self._repo = repo
        self._storage = storage
        self._signer = signer
        self._clock = clock
        self._retention_ms = retention_ms

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
            "capacity_limit_mb": 999999999,
            "oss_access_key_id": "wanstack",
            "x_oss_object_acl": "private",
            "x_oss_forbid_overwrite": "true",
        }

    async def accept(self, form: UploadForm, data: bytes) -> str:
        """Store an uploaded file if its policy is genuine, current and covers the key."""
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
        if len(data) > MAX_UPLOAD_MB * 1024 * 1024:
            raise InvalidParameter(f"file: uploads are limited to {MAX_UPLOAD_MB} MB")
        created = await self._repo.insert(
            key=key,
            account_id=account_id,
            model=model,
            size=len(data),
            now=now,
            expires_at=now + self._retention_ms,
        )
        if not created:
            raise AccessDenied(
                "The object you specified already exists and can not be overwritten."
            )
        try:
            await self._storage.put(UPLOAD_PREFIX + key, data, form.content_type)
        except BaseException:
            await self._repo.delete([key])  # do not leave a reserved key without its file
            raise
        return key

    async def check_reference(self, account_id: str, field: str, reference: str) -> None:
        """At submit: an ``oss://`` key must be this account's live upload."""
        key = reference[len("oss://") :]
        owner = await self._repo.owner(key, self._clock.now_ms())
        if owner != account_id:
            raise InvalidParameter(
                f"{field}: {reference} is not a file uploaded by this account, or it has expired"
            )

    async def read(self, field: str, reference: str) -> bytes:
        """At run time: the bytes of an ``oss://`` upload."""
        try:
            return await self._storage.get(UPLOAD_PREFIX + reference[len("oss://") :])
        except (FileNotFoundError, ValueError) as exc:
            raise FileDownloadFailed(
                f"download for {field.split('.')[-1]} error: the uploaded file has expired"
            ) from exc

    async def purge_expired(self) -> int:
        keys = await self._repo.expired(self._clock.now_ms())
        for key in keys:
            await self._storage.delete_prefix(UPLOAD_PREFIX + key)
        await self._repo.delete(keys)
        return len(keys)
