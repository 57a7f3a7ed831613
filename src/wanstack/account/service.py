"""Accounts and API keys: create, revoke, and resolve a request's key and workspace to a caller."""

from __future__ import annotations

import hashlib
import secrets
import time
import uuid

from sqlalchemy.exc import IntegrityError

from wanstack.account.repository import AccountRepository, ApiKeyRecord
from wanstack.clock import Clock
from wanstack.domain import Caller
from wanstack.errors import InvalidApiKey, InvalidParameter, WorkspaceDenied

KEY_PREFIX = "sk-"
MAX_WORKSPACE_CHARS = 64
#: How long a key lookup is reused when lookups cost a database round trip (PostgreSQL). A
#: revocation is announced to every process at once (NOTIFY wanstack_keys); this bound only
#: applies while a process's LISTEN connection is down. On SQLite lookups are not cached.
CACHE_SECONDS = 2.0


def hash_key(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


class AccountService:
    """Use cases about accounts and keys, for the API and the CLI."""

    def __init__(self, repo: AccountRepository, clock: Clock) -> None:
        self._repo = repo
        self._clock = clock
        self._cache: dict[str, tuple[float, ApiKeyRecord | None]] = {}

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
        return await self._repo.revoke(key_id_or_prefix, self._clock.now_ms())

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

    async def _lookup(self, secret: str) -> ApiKeyRecord | None:
        digest = hash_key(secret)
        if self._repo.lookups_are_cheap:
            return await self._repo.by_hash(digest)
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
