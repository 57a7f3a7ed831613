"""The worker registry, and an index for claims filtered by model.

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "worker",
        sa.Column("id", sa.String(100), nullable=False),
        sa.Column("host", sa.String(255), nullable=False),
        sa.Column("pid", sa.Integer, nullable=False),
        sa.Column("models", sa.Text, nullable=True),
        sa.Column("engines", sa.Text, nullable=False),
        sa.Column("caps", sa.Text, nullable=False),
        sa.Column("concurrency", sa.Integer, nullable=False),
        sa.Column("version", sa.String(32), nullable=False),
        sa.Column("started_at", sa.BigInteger, nullable=False),
        sa.Column("heartbeat_at", sa.BigInteger, nullable=False),
        sa.Column("expires_at", sa.BigInteger, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_worker"),
    )
    op.create_index("ix_worker_expires_at", "worker", ["expires_at"])
    op.create_index(
        "ix_task_status_model_submitted_at", "task", ["status", "model", "submitted_at"]
    )


def downgrade() -> None:
    op.drop_index("ix_task_status_model_submitted_at", table_name="task")
    op.drop_index("ix_worker_expires_at", table_name="worker")
    op.drop_table("worker")
