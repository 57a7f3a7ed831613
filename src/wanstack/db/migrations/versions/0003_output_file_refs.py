"""Stored outputs name every file the same way: ``{"$file": key}`` for a URL field.

Revision 0003 rewrites the two shapes written before it: wan2.6 video tasks stored
``"video": {"key": k}`` (now ``"video_url": {"$file": k}``) and wan2.6-image tasks stored
``{"type": "image", "image_key": k}`` in ``choices`` (now ``"image": {"$file": k}``). Items
shaped ``{"key": k}`` (``results``, ``text_results``) are unchanged.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def _upgrade_output(output: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, value in output.items():
        if name == "video" and isinstance(value, dict) and "key" in value:
            out["video_url"] = {"$file": value["key"]}
        elif name == "choices" and isinstance(value, list):
            out[name] = [_upgrade_choice(choice) for choice in value]
        else:
            out[name] = value
    return out


def _upgrade_choice(choice: Any) -> Any:
    message = choice.get("message") if isinstance(choice, dict) else None
    if not isinstance(message, dict) or not isinstance(message.get("content"), list):
        return choice
    content = [
        {"type": "image", "image": {"$file": item["image_key"]}}
        if isinstance(item, dict) and "image_key" in item
        else item
        for item in message["content"]
    ]
    return {**choice, "message": {**message, "content": content}}


def upgrade() -> None:
    conn = op.get_bind()
    rows = conn.execute(
        sa.text("SELECT id, output FROM task WHERE output LIKE :video OR output LIKE :image"),
        {"video": '%"video":%', "image": "%image_key%"},
    ).all()
    for task_id, raw in rows:
        new = _upgrade_output(json.loads(raw))
        conn.execute(
            sa.text("UPDATE task SET output = :output WHERE id = :id"),
            {"output": json.dumps(new, ensure_ascii=False, separators=(",", ":")), "id": task_id},
        )


def downgrade() -> None:
    pass  # the old shapes are not written back; older code would not render 0003's outputs
