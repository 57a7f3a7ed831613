"""The pure parts of ``bench/queue_bench.py``: claim times from PostgreSQL's csvlog, percentiles,
CPU ticks from ``/proc/<pid>/stat``. (The benchmark itself is not part of the suite.)"""

from __future__ import annotations

import csv
import importlib.util
import io
import math
import sys
from pathlib import Path
from types import ModuleType

import pytest
from sqlalchemy.dialects import postgresql

from wanstack.task.claims import claim_statement

BENCH = Path(__file__).resolve().parents[2] / "bench" / "queue_bench.py"


@pytest.fixture(scope="module")
def qb() -> ModuleType:
    spec = importlib.util.spec_from_file_location("queue_bench", BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["queue_bench"] = module  # its dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def _claim_sql() -> str:
    stmt = claim_statement(owner="w", now=1, lease_ms=1, max_attempts=3, models=["m"])
    return str(stmt.compile(dialect=postgresql.dialect()))  # type: ignore[no-untyped-call]


def _row(pid: str, message: str) -> list[str]:
    return ["2026-12-07 10:00:00", "bench_worker", "bench", pid, *["x"] * 9, message, *[""] * 12]


def test_the_real_claim_statement_is_recognised_and_nothing_else(qb: ModuleType) -> None:
    assert qb.is_claim(_claim_sql())
    assert not qb.is_claim("UPDATE task SET status=$1 WHERE task.id = $2")  # a finish
    assert not qb.is_claim("SELECT id FROM task FOR UPDATE SKIP LOCKED")


def test_claim_durations_sum_each_backends_phases_and_skip_other_statements(
    qb: ModuleType,
) -> None:
    claim = _claim_sql()
    rows = [
        _row("11", f"duration: 0.100 ms  parse <unnamed>: {claim}"),
        _row("22", f"duration: 0.050 ms  bind _pg3_1: {claim}"),
        _row("11", f"duration: 0.200 ms  bind <unnamed>: {claim}"),
        _row("11", "duration: 9.000 ms  execute <unnamed>: COMMIT"),
        _row("22", f"duration: 1.000 ms  execute _pg3_1: {claim}"),
        _row("11", f"duration: 0.300 ms  execute <unnamed>: {claim}"),
        _row("11", "connection authorized: user=bench_worker"),
        ["short row"],
    ]
    text = io.StringIO()
    csv.writer(text).writerows(rows)  # the statement's newlines survive csv quoting
    text.seek(0)
    assert qb.claim_durations(csv.reader(text)) == pytest.approx([1.05, 0.6])


def test_percentile_interpolates_and_is_nan_without_values(qb: ModuleType) -> None:
    values = [float(v) for v in range(1, 101)]
    assert qb.percentile(values, 50) == pytest.approx(50.5)
    assert qb.percentile(values, 99) == pytest.approx(99.01)
    assert qb.percentile([3.0], 99) == 3.0
    assert math.isnan(qb.percentile([], 50))


def test_cpu_ticks_reads_a_stat_line_whose_name_holds_spaces(qb: ModuleType) -> None:
    # pid (comm) state ppid ... utime=14 stime=15 cutime=16 cstime=17 (1-based fields)
    stat = "42 (postgres: bench worker) S 7 " + " ".join(["0"] * 9) + " 10 20 300 400 0"
    assert qb.cpu_ticks(stat, children=False) == 30
    assert qb.cpu_ticks(stat, children=True) == 730
    assert qb.cpu_ticks(Path("/proc/self/stat").read_text(), children=True) >= 0
