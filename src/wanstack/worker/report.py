"""What ``wanstack workers`` prints: the worker registry as a table, or as JSON.

One line per registered worker (live ones first): id, host, pid, state, age of its last
heartbeat, running tasks out of its slots (and per model), the models it serves (with their
caps) and their engine families; then the PENDING tasks that no live worker serves. ``--json``
gives the same as one object: ``{"workers": [...], "unserved": {model: pending}}``.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, TextIO

from wanstack.worker.registry import WorkerRegistry, WorkerState

_COLUMNS = ("ID", "HOST", "PID", "STATE", "HEARTBEAT", "RUNNING", "MODELS", "ENGINES")


def _iso(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, tz=UTC).isoformat(timespec="seconds")


def _age(now: int, then: int) -> str:
    seconds = max(0, now - then) // 1000
    if seconds < 120:
        return f"{seconds} s ago"
    if seconds < 7200:
        return f"{seconds // 60} min ago"
    return f"{seconds // 3600} h ago"


def _models(state: WorkerState) -> str:
    caps = state.info.caps
    if state.info.models is None:
        names = "all"
        capped = [f"{m} max {n}" for m, n in sorted(caps.items())]
        return names + (f" ({', '.join(capped)})" if capped else "")
    return ",".join(f"{m} (max {caps[m]})" if m in caps else m for m in state.info.models)


def _engines(engines: Mapping[str, str]) -> str:
    """``classic`` when every model has one family, else ``family: models`` groups (a family
    serving many models is counted, not listed)."""
    by_family: dict[str, list[str]] = defaultdict(list)
    for model, family in sorted(engines.items()):
        by_family[family].append(model)
    if len(by_family) == 1:
        return next(iter(by_family))
    parts = []
    for family, models in sorted(by_family.items(), key=lambda item: -len(item[1])):
        listed = ",".join(models) if len(models) <= 3 else f"{len(models)} models"
        parts.append(f"{family}: {listed}")
    return "; ".join(parts)


def _running(state: WorkerState) -> str:
    total = sum(state.running.values())
    text = f"{total}/{state.info.concurrency}"
    if state.running:
        text += " (" + ", ".join(f"{m}: {n}" for m, n in sorted(state.running.items())) + ")"
    return text


def as_dict(state: WorkerState, now: int) -> dict[str, Any]:
    """One worker as the JSON output shows it."""
    info = state.info
    return {
        "id": info.id,
        "host": info.host,
        "pid": info.pid,
        "state": "live" if state.live else "dead",
        "heartbeat_at": _iso(state.heartbeat_at),
        "heartbeat_age_s": round(max(0, now - state.heartbeat_at) / 1000, 1),
        "started_at": _iso(info.started_at),
        "models": None if info.models is None else list(info.models),
        "engines": dict(info.engines),
        "caps": dict(info.caps),
        "concurrency": info.concurrency,
        "running": dict(state.running),
        "version": info.version,
    }


def render(workers: list[WorkerState], unserved: Mapping[str, int], now: int, out: TextIO) -> None:
    """The table, then the models whose PENDING tasks no live worker serves."""
    if not workers:
        print("no workers registered", file=out)
    else:
        rows = [_COLUMNS] + [
            (
                s.info.id,
                s.info.host,
                str(s.info.pid),
                "live" if s.live else "dead",
                _age(now, s.heartbeat_at),
                _running(s),
                _models(s),
                _engines(s.info.engines),
            )
            for s in workers
        ]
        widths = [max(len(row[i]) for row in rows) for i in range(len(_COLUMNS) - 1)]
        for row in rows:
            cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=False)]
            print("  ".join([*cells, row[-1]]).rstrip(), file=out)
    if unserved:
        waiting = ", ".join(f"{model} ({n} pending)" for model, n in sorted(unserved.items()))
        print(f"unserved (no live worker serves these models): {waiting}", file=out)


async def report(registry: WorkerRegistry, now: int, *, as_json: bool, out: TextIO) -> None:
    """Read the registry once and print it."""
    workers = await registry.workers(now=now)
    unserved = await registry.unserved(now=now, workers=workers)
    if as_json:
        body = {"workers": [as_dict(s, now) for s in workers], "unserved": unserved}
        print(json.dumps(body, indent=2, ensure_ascii=False), file=out)
    else:
        render(workers, unserved, now, out)
