"""Large inline inputs live in storage, not in the task row.

A submit may carry ``data:`` URIs of 10 MB each. Kept in the row, they were rewritten with every
state change (claim, heartbeat, finish) and read back by every query, and on SQLite the database
and its WAL grew to several times the inputs' size. So at submit each ``data:`` URI longer than
:data:`INLINE_MAX_CHARS` is written once to storage under ``inputs/<task id>/`` and the row keeps
``stored:<key>`` in its place; the worker reads it back when the task runs
(:func:`is_stored`), and the retention purge deletes the folder with the task's results.
``stored:`` is not a scheme clients may send (the catalog accepts http(s), data: and oss://), so
a reference of this form always comes from here.
"""

from __future__ import annotations

from typing import Any

from wanstack.storage.base import Storage

INPUT_PREFIX = "inputs/"
STORED = "stored:"
#: data: URIs up to this length stay in the row (a write to storage would cost more)
INLINE_MAX_CHARS = 8 * 1024


def input_prefix(task_id: str) -> str:
    """Folder of a task's stored inputs."""
    return f"{INPUT_PREFIX}{task_id}/"


def is_stored(reference: str) -> bool:
    return reference.startswith(STORED)


def stored_key(reference: str) -> str:
    return reference[len(STORED) :]


async def offload(
    storage: Storage, task_id: str, input: dict[str, Any], media: list[tuple[str, str]]
) -> dict[str, Any]:
    """``input`` with every large ``data:`` media reference replaced by a stored one (the
    files are written before this returns). Only values listed in ``media`` are candidates."""
    large = [ref for _, ref in media if ref[:5].lower() == "data:" and len(ref) > INLINE_MAX_CHARS]
    if not large:
        return input
    replaced: dict[str, str] = {}
    for ref in large:
        if ref in replaced:
            continue  # the same image twice: stored once
        key = f"{input_prefix(task_id)}{len(replaced)}"
        await storage.put(key, ref.encode(), "text/plain")
        replaced[ref] = STORED + key
    swapped = _swap(input, replaced)
    assert isinstance(swapped, dict)
    return swapped


def _swap(value: Any, replaced: dict[str, str]) -> Any:
    if isinstance(value, str):
        return replaced.get(value, value)
    if isinstance(value, dict):
        return {k: _swap(v, replaced) for k, v in value.items()}
    if isinstance(value, list):
        return [_swap(v, replaced) for v in value]
    return value
