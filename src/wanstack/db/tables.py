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
    # claims of workers that serve some models only, and queue positions (revision 0008)
    Index("ix_task_status_model_submitted_at", "status", "model", "submitted_at"),
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

#: ``Idempotency-Key`` headers of submits (wanstack extension): the task id a key stands for
idempotency_key = Table(
    "idempotency_key",
    metadata,
    Column("account_id", String(64), primary_key=True),
    Column("key", String(255), primary_key=True),
    Column("task_id", String(64), nullable=False),
    Column("body_hash", String(64), nullable=False),  # sha256 hex of the canonical request
    Column("expires_at", BigInteger, nullable=False),
    Index("ix_idempotency_key_expires_at", "expires_at"),
)

rate_window = Table(
    "rate_window",
    metadata,
    Column("bucket", String(200), primary_key=True),  # "<account>:<kind>:<window start s>"
    Column("count", Integer, nullable=False),
    Column("expires_at", BigInteger, nullable=False),
)

#: An account's webhook endpoints (revision 0006). The secret is a signing key the server must
#: read back to sign each delivery (Standard Webhooks), so it is stored as issued, not hashed;
#: no list answer or log line shows it.
webhook_endpoint = Table(
    "webhook_endpoint",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("account_id", String(64), ForeignKey("account.id"), nullable=False),
    Column("workspace", String(200), nullable=True),  # set: events of that workspace's tasks
    Column("url", String(2048), nullable=False),
    Column("secret", String(100), nullable=False),  # whsec_<base64 key>
    Column("created_at", BigInteger, nullable=False),
    Index("ix_webhook_endpoint_account_id", "account_id"),
)

#: The outbox: one row per (final task, endpoint), inserted in the transaction that made the
#: task final, then claimed under a lease and sent until a 2xx or the retry schedule ends.
webhook_delivery = Table(
    "webhook_delivery",
    metadata,
    Column("id", String(160), primary_key=True),  # "<task id>:<endpoint id>"
    Column("endpoint_id", String(64), nullable=False),
    Column("account_id", String(64), nullable=False),
    Column("task_id", String(64), nullable=False),
    Column("task_status", String(16), nullable=False),
    Column("state", String(16), nullable=False),  # pending | delivered | failed
    Column("attempts", Integer, nullable=False),
    Column("created_at", BigInteger, nullable=False),  # when the task became final
    Column("next_attempt_at", BigInteger, nullable=False),
    Column("expires_at", BigInteger, nullable=False),  # purged after, once no longer pending
    Column("lease_owner", String(100), nullable=True),
    Column("lease_expires_at", BigInteger, nullable=True),
    Column("delivered_at", BigInteger, nullable=True),
    Column("last_status", Integer, nullable=True),  # HTTP status of the last attempt
    Column("last_error", Text, nullable=True),
    Column("payload", Text, nullable=True),  # the event body, fixed at its first attempt
    Index("ix_webhook_delivery_state_next_attempt_at", "state", "next_attempt_at"),
    Index("ix_webhook_delivery_account_id_created_at", "account_id", "created_at"),
    Index("ix_webhook_delivery_endpoint_id", "endpoint_id"),
    Index("ix_webhook_delivery_expires_at", "expires_at"),
)

#: Every attempt of a delivery: when, how long, the HTTP status or the error.
webhook_attempt = Table(
    "webhook_attempt",
    metadata,
    Column("delivery_id", String(160), primary_key=True),
    Column("attempt", Integer, primary_key=True),
    Column("at", BigInteger, nullable=False),
    Column("duration_ms", Integer, nullable=False),
    Column("status", Integer, nullable=True),
    Column("error", Text, nullable=True),
)

#: The worker registry (revision 0008): one row per live worker process, renewed by its
#: heartbeat, removed when it stops cleanly; rows whose heartbeat stopped are dead, then purged.
worker = Table(
    "worker",
    metadata,
    Column("id", String(100), primary_key=True),  # the lease owner of the tasks it runs
    Column("host", String(255), nullable=False),
    Column("pid", Integer, nullable=False),
    Column("models", Text, nullable=True),  # JSON list of model ids; NULL: every model
    Column("engines", Text, nullable=False),  # JSON: engine family per served model
    Column("caps", Text, nullable=False),  # JSON: most running tasks per model
    Column("concurrency", Integer, nullable=False),
    Column("version", String(32), nullable=False),
    Column("started_at", BigInteger, nullable=False),
    Column("heartbeat_at", BigInteger, nullable=False),
    Column("expires_at", BigInteger, nullable=False),  # live until; set by each heartbeat
    Index("ix_worker_expires_at", "expires_at"),
)
