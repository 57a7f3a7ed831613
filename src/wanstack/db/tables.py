"""SQLAlchemy Core tables. Times are integer epoch milliseconds (see :mod:`wanstack.clock`).

Change a table only together with a new Alembic revision in ``migrations/versions``; a test
compares the migrated schema with these definitions.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

account = Table(
    "account",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("name", String(200), nullable=False, unique=True),
    Column("created_at", BigInteger, nullable=False),
)

api_key = Table(
    "api_key",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("account_id", String(64), ForeignKey("account.id"), nullable=False),
    Column("workspace", String(200), nullable=True),
    Column("key_hash", String(64), nullable=False, unique=True),  # sha256 hex of the secret
    Column("prefix", String(16), nullable=False),  # first characters, to tell keys apart
    Column("created_at", BigInteger, nullable=False),
    Column("revoked_at", BigInteger, nullable=True),
)

task = Table(
    "task",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("account_id", String(64), nullable=False),
    Column("api_key_id", String(64), nullable=False),
    Column("workspace", String(200), nullable=True),
    Column("model", String(100), nullable=False),
    Column("request_id", String(64), nullable=False),
    Column("status", String(16), nullable=False),
    Column("input", Text, nullable=False),  # JSON
    Column("parameters", Text, nullable=False),  # JSON
    Column("attempts", Integer, nullable=False, default=0),
    Column("submitted_at", BigInteger, nullable=False),
    Column("scheduled_at", BigInteger, nullable=True),
    Column("finished_at", BigInteger, nullable=True),
    Column("expires_at", BigInteger, nullable=False),
    Column("lease_owner", String(100), nullable=True),
    Column("lease_expires_at", BigInteger, nullable=True),
    Column("output", Text, nullable=True),  # JSON; storage keys, not URLs
    Column("usage", Text, nullable=True),  # JSON
    Column("code", String(100), nullable=True),
    Column("message", Text, nullable=True),
    Column("engine", Text, nullable=True),  # JSON: what produced the output
    Column("partial", Text, nullable=True),  # JSON: a running attempt's output so far
    Column("progress", Integer, nullable=True),  # 0–100 while RUNNING
    Index("ix_task_status_submitted_at", "status", "submitted_at"),
    Index("ix_task_account_id_submitted_at", "account_id", "submitted_at"),
    Index("ix_task_expires_at", "expires_at"),
)

upload = Table(
    "upload",
    metadata,
    Column("key", String(500), primary_key=True),  # the oss:// key, without the scheme
    Column("account_id", String(64), nullable=False),
    Column("model", String(100), nullable=False),
    Column("size", BigInteger, nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Column("expires_at", BigInteger, nullable=False),
    # the policy's upload folder, to count its files (NULL for rows made before revision 0002)
    Column("policy", String(200), nullable=True),
    Index("ix_upload_expires_at", "expires_at"),
    Index("ix_upload_account_id", "account_id"),
    Index("ix_upload_policy", "policy"),
)

rate_window = Table(
    "rate_window",
    metadata,
    Column("bucket", String(200), primary_key=True),  # "<account>:<kind>:<window start s>"
    Column("count", Integer, nullable=False),
    Column("expires_at", BigInteger, nullable=False),
)
