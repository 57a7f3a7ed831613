"""Uploads record the policy they used (a policy admits a bounded number of files), and
uploads are summed per account (the upload quota).

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("upload", sa.Column("policy", sa.String(200), nullable=True))
    op.create_index("ix_upload_policy", "upload", ["policy"])
    op.create_index("ix_upload_account_id", "upload", ["account_id"])


def downgrade() -> None:
    op.drop_index("ix_upload_account_id", table_name="upload")
    op.drop_index("ix_upload_policy", table_name="upload")
    with op.batch_alter_table("upload") as batch:
        batch.drop_column("policy")
