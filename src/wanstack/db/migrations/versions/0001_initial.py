"""Initial schema: accounts, API keys, tasks, uploads, rate windows.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "account",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("created_at", sa.BigInteger, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_account"),
        sa.UniqueConstraint("name", name="uq_account_name"),
    )
    op.create_table(
        "api_key",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("account_id", sa.String(64), nullable=False),
        sa.Column("workspace", sa.String(200), nullable=True),
        sa.Column("key_hash", sa.String(64), nullable=False),
        sa.Column("prefix", sa.String(16), nullable=False),
        sa.Column("created_at", sa.BigInteger, nullable=False),
        sa.Column("revoked_at", sa.BigInteger, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_api_key"),
        sa.ForeignKeyConstraint(
            ["account_id"], ["account.id"], name="fk_api_key_account_id_account"
        ),
        sa.UniqueConstraint("key_hash", name="uq_api_key_key_hash"),
    )
    op.create_table(
        "task",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("account_id", sa.String(64), nullable=False),
        sa.Column("api_key_id", sa.String(64), nullable=False),
        sa.Column("workspace", sa.String(200), nullable=True),
        sa.Column("model", sa.String(100), nullable=False),
        sa.Column("request_id", sa.String(64), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("input", sa.Text, nullable=False),
        sa.Column("parameters", sa.Text, nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("submitted_at", sa.BigInteger, nullable=False),
        sa.Column("scheduled_at", sa.BigInteger, nullable=True),
        sa.Column("finished_at", sa.BigInteger, nullable=True),
        sa.Column("expires_at", sa.BigInteger, nullable=False),
        sa.Column("lease_owner", sa.String(100), nullable=True),
        sa.Column("lease_expires_at", sa.BigInteger, nullable=True),
        sa.Column("output", sa.Text, nullable=True),
        sa.Column("usage", sa.Text, nullable=True),
        sa.Column("code", sa.String(100), nullable=True),
        sa.Column("message", sa.Text, nullable=True),
        sa.Column("engine", sa.Text, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_task"),
    )
    op.create_index("ix_task_status_submitted_at", "task", ["status", "submitted_at"])
    op.create_index("ix_task_account_id_submitted_at", "task", ["account_id", "submitted_at"])
    op.create_index("ix_task_expires_at", "task", ["expires_at"])
    op.create_table(
        "upload",
        sa.Column("key", sa.String(500), nullable=False),
        sa.Column("account_id", sa.String(64), nullable=False),
        sa.Column("model", sa.String(100), nullable=False),
        sa.Column("size", sa.BigInteger, nullable=False),
        sa.Column("created_at", sa.BigInteger, nullable=False),
        sa.Column("expires_at", sa.BigInteger, nullable=False),
        sa.PrimaryKeyConstraint("key", name="pk_upload"),
    )
    op.create_index("ix_upload_expires_at", "upload", ["expires_at"])
    op.create_table(
        "rate_window",
        sa.Column("bucket", sa.String(200), nullable=False),
        sa.Column("count", sa.Integer, nullable=False),
        sa.Column("expires_at", sa.BigInteger, nullable=False),
        sa.PrimaryKeyConstraint("bucket", name="pk_rate_window"),
    )


def downgrade() -> None:
    op.drop_table("rate_window")
    op.drop_index("ix_upload_expires_at", table_name="upload")
    op.drop_table("upload")
    op.drop_index("ix_task_expires_at", table_name="task")
    op.drop_index("ix_task_account_id_submitted_at", table_name="task")
    op.drop_index("ix_task_status_submitted_at", table_name="task")
    op.drop_table("task")
    op.drop_table("api_key")
    op.drop_table("account")
