"""Webhooks: an account's endpoints, the outbox of deliveries, and every attempt.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "webhook_endpoint",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("account_id", sa.String(64), nullable=False),
        sa.Column("workspace", sa.String(200), nullable=True),
        sa.Column("url", sa.String(2048), nullable=False),
        sa.Column("secret", sa.String(100), nullable=False),
        sa.Column("created_at", sa.BigInteger, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_webhook_endpoint"),
        sa.ForeignKeyConstraint(
            ["account_id"], ["account.id"], name="fk_webhook_endpoint_account_id_account"
        ),
    )
    op.create_index("ix_webhook_endpoint_account_id", "webhook_endpoint", ["account_id"])
    op.create_table(
        "webhook_delivery",
        sa.Column("id", sa.String(160), nullable=False),
        sa.Column("endpoint_id", sa.String(64), nullable=False),
        sa.Column("account_id", sa.String(64), nullable=False),
        sa.Column("task_id", sa.String(64), nullable=False),
        sa.Column("task_status", sa.String(16), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("created_at", sa.BigInteger, nullable=False),
        sa.Column("next_attempt_at", sa.BigInteger, nullable=False),
        sa.Column("expires_at", sa.BigInteger, nullable=False),
        sa.Column("lease_owner", sa.String(100), nullable=True),
        sa.Column("lease_expires_at", sa.BigInteger, nullable=True),
        sa.Column("delivered_at", sa.BigInteger, nullable=True),
        sa.Column("last_status", sa.Integer, nullable=True),
        sa.Column("last_error", sa.Text, nullable=True),
        sa.Column("payload", sa.Text, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_webhook_delivery"),
    )
    op.create_index(
        "ix_webhook_delivery_state_next_attempt_at",
        "webhook_delivery",
        ["state", "next_attempt_at"],
    )
    op.create_index(
        "ix_webhook_delivery_account_id_created_at",
        "webhook_delivery",
        ["account_id", "created_at"],
    )
    op.create_index("ix_webhook_delivery_endpoint_id", "webhook_delivery", ["endpoint_id"])
    op.create_index("ix_webhook_delivery_expires_at", "webhook_delivery", ["expires_at"])
    op.create_table(
        "webhook_attempt",
        sa.Column("delivery_id", sa.String(160), nullable=False),
        sa.Column("attempt", sa.Integer, nullable=False),
        sa.Column("at", sa.BigInteger, nullable=False),
        sa.Column("duration_ms", sa.Integer, nullable=False),
        sa.Column("status", sa.Integer, nullable=True),
        sa.Column("error", sa.Text, nullable=True),
        sa.PrimaryKeyConstraint("delivery_id", "attempt", name="pk_webhook_attempt"),
    )


def downgrade() -> None:
    op.drop_table("webhook_attempt")
    for index in (
        "ix_webhook_delivery_expires_at",
        "ix_webhook_delivery_endpoint_id",
        "ix_webhook_delivery_account_id_created_at",
        "ix_webhook_delivery_state_next_attempt_at",
    ):
        op.drop_index(index, table_name="webhook_delivery")
    op.drop_table("webhook_delivery")
    op.drop_index("ix_webhook_endpoint_account_id", table_name="webhook_endpoint")
    op.drop_table("webhook_endpoint")
