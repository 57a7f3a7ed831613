"""Accounts and API keys: create, revoke, and resolve a request's key and workspace to a caller."""

from __future__ import annotations

import hashlib
import os
import secrets
import time
import uuid
from pathlib import Path

from sqlalchemy.exc import IntegrityError

from wanstack.account.repository import AccountRepository, ApiKeyRecord
from wanstack.clock import Clock
from wanstack.domain import Caller
from wanstack.errors import InvalidApiKey, InvalidParameter, WorkspaceDenied

KEY_PREFIX = "sk-"
MAX_WORKSPACE_CHARS = 64
#: How long a key lookup is reused. A revocation reaches every process at once: on PostgreSQL
#: through NOTIFY wanstack_keys, on SQLite through the revocation marker file in the data folder
#: (see :class:`AccountService`). This bound only applies when that signal cannot arrive (a
#: process's LISTEN connection is down, or processes that share a SQLite file but not a data
#: folder).
CACHE_SECONDS = 2.0
#: how often the SQLite revocation marker is looked at
MARKER_CHECK_SECONDS = 0.1


def hash_key(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


class AccountService:
    """Use cases about accounts and keys, for the API and the CLI.

    Key lookups are cached for :data:`CACHE_SECONDS` (every request authenticates; under load a
    lookup is a tenth of a task query). With ``revocation_marker`` (a file every process of a
    SQLite deployment shares), :meth:`revoke` rewrites the file, and lookups compare its
    modification time (one ``stat`` call, at most every :data:`MARKER_CHECK_SECONDS`), so a key
    revoked by any process stops working within that tenth of a second in all of them.
    """

    def __init__(
        self, repo: AccountRepository, clock: Clock, *, revocation_marker: Path | None = None
    ) -> None:
        self._repo = repo
        self._clock = clock
        self._cache: dict[str, tuple[float, ApiKeyRecord | None]] = {}
        self._marker = revocation_marker
        self._marker_path = str(revocation_marker) if revocation_marker else ""
        self._marker_seen: int | None = None
        self._marker_checked_at = -MARKER_CHECK_SECONDS

    async def ensure_account(self, name: str) -> str:
        """The id of the account called ``name``, created if needed."""
        existing = await self._repo.account_id(name)
        if existing is not None:
            return existing
        try:
            await self._repo.insert_account(uuid.uuid4().hex, name, self._clock.now_ms())
        except IntegrityError:
            pass  # another process created it at the same moment
        found = await self._repo.account_id(name)
        assert found is not None
        return found

    async def create_key(self, account_name: str = "default", workspace: str | None = None) -> str:
        """Create a key and return its secret: the only time it is ever available."""
        if workspace is not None and not _valid_workspace(workspace):
            raise InvalidParameter("workspace must be 1 to 64 printable ASCII characters")
        account_id = await self.ensure_account(account_name)
        secret = KEY_PREFIX + secrets.token_hex(24)
        await self._repo.insert_key(
            key_id="key-" + uuid.uuid4().hex[:16],
            account_id=account_id,
            workspace=workspace,
            key_hash=hash_key(secret),
            prefix=secret[:10],
            now=self._clock.now_ms(),
        )
        return secret

    async def keys(self, account_name: str | None = None) -> list[ApiKeyRecord]:
        return await self._repo.keys(account_name)

    async def revoke(self, key_id_or_prefix: str) -> int:
        self._cache.clear()
        revoked = await self._repo.revoke(key_id_or_prefix, self._clock.now_ms())
        if revoked and self._marker is not None:
            self._marker.parent.mkdir(parents=True, exist_ok=True)
            self._marker.write_text(f"{time.time_ns()}\n")  # a new mtime for every process
        return revoked

    def forget_keys(self) -> None:
        """Drop cached lookups (a key was revoked, possibly by another process)."""
        self._cache.clear()

    async def authenticate(self, authorization: str | None, workspace: str | None) -> Caller:
        """Resolve ``Authorization`` and ``X-DashScope-WorkSpace`` into a caller.

        A key created for a workspace must name it; an account-wide key may name any workspace
        (its tasks are then scoped to it) or none (it sees the whole account).
        """
        secret = _bearer(authorization)
        if not secret:
            raise InvalidApiKey("No API-key provided.")
        record = await self._lookup(secret)
        if record is None:
            raise InvalidApiKey("Invalid API-key provided.")
        workspace = workspace.strip() if workspace else None
        if workspace is not None and not _valid_workspace(workspace):
            raise InvalidParameter(
                "X-DashScope-WorkSpace must be 1 to 64 printable ASCII characters"
            )
        if record.workspace is not None and workspace != record.workspace:
            raise WorkspaceDenied()
        return Caller(account_id=record.account_id, api_key_id=record.id, workspace=workspace)

    def _check_marker(self) -> None:
        if not self._marker_path:
            return
        now = time.monotonic()
        if now < self._marker_checked_at + MARKER_CHECK_SECONDS:
            return
        self._marker_checked_at = now
        try:
            stamp = os.stat(self._marker_path).st_mtime_ns
        except OSError:
            stamp = 0  # no key revoked yet
        if stamp != self._marker_seen:
            self._cache.clear()
            self._marker_seen = stamp

    async def _lookup(self, secret: str) -> ApiKeyRecord | None:
        digest = hash_key(secret)
        self._check_marker()
        now = time.monotonic()
        hit = self._cache.get(digest)
        if hit is not None and hit[0] > now:
            return hit[1]
        record = await self._repo.by_hash(digest)
        if len(self._cache) > 10_000:
            self._cache.clear()
        self._cache[digest] = (now + CACHE_SECONDS, record)
        return record


def _valid_workspace(name: str) -> bool:
    return 0 < len(name) <= MAX_WORKSPACE_CHARS and name.isascii() and name.isprintable()


def _bearer(authorization: str | None) -> str | None:
    if not authorization:
        return None
    scheme, _, value = authorization.strip().partition(" ")
    if scheme.lower() != "bearer":
        return None
    return value.strip() or None
