"""Throughput of the queue at fleet scale: many ``wanstack worker`` processes on one PostgreSQL.

One command (PostgreSQL's Debian binaries must be installed; nothing else is needed)::

    .venv/bin/python bench/queue_bench.py            # 8 workers, 5,000 tasks, 100,000 finished rows
    .venv/bin/python bench/queue_bench.py --quick    # 4 workers, 1,000 tasks, 20,000 finished rows

What it does, in order:

1. Starts a private PostgreSQL in a temporary folder (:class:`tests.support.postgres.
   PostgresServer`, the test suite's helper) with ``csvlog`` on, creates a database, migrates it
   and creates a ``bench_worker`` role whose sessions log every statement's duration
   (``log_min_duration_statement = 0`` for that role only).
2. Starts the worker processes, each ``wanstack worker --concurrency C --models
   wanx2.1-t2i-turbo`` with the fake engine and ``WANSTACK_ENGINE_OPTIONS='{"fake": {"delay":
   0.05}}'`` (50 ms tasks, a 512*512 flat PNG each), and waits until all of them are in the worker
   registry (engines loaded).
3. **Run A (empty table).** Inserts the tasks with one ``COPY`` (validated by the model's own spec;
   the API would be the bottleneck here, and its throughput is ``bench/api_bench.py``'s subject),
   sends the NOTIFY a submit sends, and waits until none is PENDING or RUNNING. Reports tasks per
   second (tasks / (last ``finished_at`` - first ``scheduled_at``)), the claim statement's server
   time p50/p99 (parse + bind + execute of the claim's one ``UPDATE … FOR UPDATE SKIP LOCKED``, as
   PostgreSQL logs it for the workers' sessions), PostgreSQL's CPU (utime + stime of the
   postmaster, its live children and its reaped children, as % of one core over the drain) and the
   workers' CPU the same way, and the 1-minute load average sampled every second.
4. **Run B (grown table).** Inserts the finished rows (SUCCEEDED, ``expires_at`` a day ahead, the
   output of a real finished task), runs ``ANALYZE`` as autovacuum would shortly after, and repeats
   run A with new tasks.
5. **Purge.** Stops the workers, moves every finished row's ``expires_at`` into the past and times
   one ``Maintenance.purge()`` of the real container (ids in batches, storage prefixes, rows).

Every process it starts is stopped at the end, even on error. The machine's other load shares the
CPUs: the load average is printed so that the figures can be read with it.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import datetime as dt
import io
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

MODEL = "wanx2.1-t2i-turbo"
ENDPOINT = "text2image/image-synthesis"
WORKER_ROLE = "bench_worker"
WANSTACK_BIN = Path(sys.executable).with_name("wanstack")
_DURATION = re.compile(r"^duration: ([0-9.]+) ms  (parse|bind|execute) [^:]*: (.*)$", re.DOTALL)


# --------------------------------------------------------------------------------------------
# Pure helpers (unit-tested in tests/unit/test_queue_bench.py)


def is_claim(sql: str) -> bool:
    """Whether ``sql`` is the claim of :func:`wanstack.task.claims.claim_statement`."""
    return sql.lstrip().startswith("UPDATE task SET status") and "SKIP LOCKED" in sql


def claim_durations(rows: Iterable[list[str]]) -> list[float]:
    """Server time in ms of each claim in PostgreSQL ``csvlog`` rows (PG 13+ column order).

    With ``log_min_duration_statement = 0`` PostgreSQL logs a statement sent through the extended
    protocol as up to three lines of one backend (parse, bind, execute; planning happens in the
    bind of an unnamed statement): a claim's time is the sum of its lines, ended by its execute.
    """
    pending: dict[str, float] = {}
    out: list[float] = []
    for row in rows:
        if len(row) < 14:
            continue
        match = _DURATION.match(row[13])
        if match is None or not is_claim(match.group(3)):
            continue
        pid, ms, phase = row[3], float(match.group(1)), match.group(2)
        if phase == "execute":
            out.append(pending.pop(pid, 0.0) + ms)
        else:
            pending[pid] = pending.get(pid, 0.0) + ms
    return out


def percentile(values: list[float], q: float) -> float:
    """The ``q``-th percentile (0–100) by linear interpolation; NaN for no values."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q / 100.0
    lo = int(pos)
    hi = min(lo + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)


def cpu_ticks(stat: str, *, children: bool) -> int:
    """utime + stime (and cutime + cstime with ``children``) of a ``/proc/<pid>/stat`` line."""
    fields = stat[stat.rindex(")") + 2 :].split()  # the command name may hold spaces
    ticks = int(fields[11]) + int(fields[12])
    if children:
        ticks += int(fields[13]) + int(fields[14])
    return ticks


# --------------------------------------------------------------------------------------------
# Processes


def _read(path: str) -> str | None:
    try:
        return Path(path).read_text()
    except OSError:
        return None


def tree_ticks(root_pid: int) -> int:
    """CPU ticks of ``root_pid``, its reaped children and its live direct children."""
    total = 0
    stat = _read(f"/proc/{root_pid}/stat")
    if stat is not None:
        total += cpu_ticks(stat, children=True)
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == root_pid:
            continue
        stat = _read(f"/proc/{entry}/stat")
        if stat is not None and int(stat[stat.rindex(")") + 2 :].split()[1]) == root_pid:
            total += cpu_ticks(stat, children=False)
    return total


class LoadSampler:
    """The 1-minute load average, sampled every second on a thread while in a ``with``."""

    def __init__(self) -> None:
        self.samples: list[float] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(1.0):
            self.samples.append(float(Path("/proc/loadavg").read_text().split()[0]))

    def __enter__(self) -> LoadSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


@dataclass
class Bench:
    """The PostgreSQL server, the database and the worker processes of one benchmark."""

    workers: int
    concurrency: int
    tmp: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="queue-bench-")))
    procs: list[subprocess.Popen[bytes]] = field(default_factory=list)
    pg: Any = None
    dsn: str = ""

    def start_postgres(self) -> None:
        from tests.support.postgres import PostgresServer

        class LoggedPostgres(PostgresServer):
            def resume(self) -> None:  # the helper's options plus csvlog and pg_stat views
                subprocess.run(
                    self._cmd(
                        str(self.bindir / "pg_ctl"),
                        "-D",
                        str(self.datadir),
                        "-l",
                        str(self.root / "pg.log"),
                        "-w",
                        "-o",
                        f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 "
                        "-c fsync=off -c synchronous_commit=off -c full_page_writes=off "
                        "-c max_connections=200 -c logging_collector=on "
                        "-c log_destination=csvlog -c log_filename=bench.log "
                        "-c log_rotation_size=0",
                        "start",
                    ),
                    check=True,
                    capture_output=True,
                )

        self.pg = LoggedPostgres.start()
        self.dsn = f"host=127.0.0.1 port={self.pg.port} user=postgres dbname=bench"
        self.sql("CREATE DATABASE bench", dbname="postgres")
        self.sql(f"CREATE ROLE {WORKER_ROLE} LOGIN SUPERUSER")
        self.sql(f"ALTER ROLE {WORKER_ROLE} SET log_min_duration_statement = 0")
        self.wanstack("migrate", user="postgres")

    def url(self, user: str) -> str:
        return f"postgresql+psycopg://{user}@127.0.0.1:{self.pg.port}/bench"

    def sql(self, statement: str, *params: Any, dbname: str = "bench") -> list[tuple[Any, ...]]:
        import psycopg

        dsn = self.dsn.replace("dbname=bench", f"dbname={dbname}")
        with psycopg.connect(dsn, autocommit=True) as conn:
            cur = conn.execute(statement, params or None)
            return cur.fetchall() if cur.description else []

    def env(self, user: str) -> dict[str, str]:
        return {
            **os.environ,
            "WANSTACK_DATABASE_URL": self.url(user),
            "WANSTACK_DATA_DIR": str(self.tmp / "data"),
            "WANSTACK_SECRET_KEY": "queue-bench-secret",
            "WANSTACK_ENGINES": json.dumps({MODEL: "fake"}),
            "WANSTACK_ENGINE_OPTIONS": json.dumps({"fake": {"delay": 0.05}}),
        }

    def wanstack(self, *args: str, user: str) -> None:
        subprocess.run([str(WANSTACK_BIN), *args], env=self.env(user), check=True)

    def start_workers(self) -> None:
        for i in range(self.workers):
            log = (self.tmp / f"worker-{i}.log").open("wb")
            cmd = [str(WANSTACK_BIN), "worker", "--concurrency", str(self.concurrency)]
            proc = subprocess.Popen(
                [*cmd, "--models", MODEL], env=self.env(WORKER_ROLE), stdout=log, stderr=log
            )
            self.procs.append(proc)
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            now = time.time_ns() // 1_000_000
            (live,) = self.sql("SELECT count(*) FROM worker WHERE expires_at > %s", now)[0]
            if live >= self.workers:
                return
            if any(p.poll() is not None for p in self.procs):
                raise RuntimeError(f"a worker exited; see {self.tmp}/worker-*.log")
            time.sleep(0.5)
        raise RuntimeError("workers did not register within 180 s")

    def stop_workers(self) -> None:
        for proc in self.procs:
            proc.terminate()
        for proc in self.procs:
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
        self.procs.clear()

    def close(self) -> None:
        self.stop_workers()
        if self.pg is not None:
            self.pg.stop()
        shutil.rmtree(self.tmp, ignore_errors=True)

    @property
    def postmaster(self) -> int:
        return int((self.pg.datadir / "postmaster.pid").read_text().split()[0])

    @property
    def csvlog(self) -> Path:
        return Path(self.pg.datadir / "log" / "bench.csv")

    def copy_rows(self, rows: Iterator[tuple[Any, ...]], columns: tuple[str, ...]) -> None:
        import psycopg

        from wanstack.db.dialect import TASK_CHANNEL

        with psycopg.connect(self.dsn) as conn:
            with conn.cursor().copy(f"COPY task ({', '.join(columns)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            conn.execute(f"NOTIFY {TASK_CHANNEL}")  # what a submit's insert sends


# --------------------------------------------------------------------------------------------
# Runs

PENDING_COLUMNS: tuple[str, ...] = ("id", "account_id", "api_key_id", "model", "request_id")
PENDING_COLUMNS += ("status", "input", "parameters", "attempts", "submitted_at", "expires_at")
DONE_COLUMNS = (*PENDING_COLUMNS, "scheduled_at", "finished_at", "output", "usage", "engine")


def run_drain(bench: Bench, n: int, tag: str) -> dict[str, Any]:
    """Insert ``n`` tasks, wait until the workers finished them all; the run's figures."""
    from wanstack.catalog.registry import spec_for

    sub = spec_for(ENDPOINT, MODEL).validate(
        {"prompt": "a lighthouse"}, {"size": "512*512", "n": 1}
    )
    body, params = json.dumps(sub.input), json.dumps(sub.parameters)
    log_offset = bench.csvlog.stat().st_size
    tick = os.sysconf("SC_CLK_TCK")
    pg0, w0 = tree_ticks(bench.postmaster), sum(tree_ticks(p.pid) for p in bench.procs)
    with LoadSampler() as load:
        mono_start, start = time.monotonic(), time.time_ns() // 1_000_000
        rows = (
            (
                *(str(uuid.uuid4()), "bench", "bench", MODEL, tag, "PENDING", body, params),
                *(0, start + i, start + 86_400_000),
            )
            for i in range(n)
        )
        bench.copy_rows(rows, PENDING_COLUMNS)
        committed = time.time_ns() // 1_000_000
        while bench.sql("SELECT count(*) FROM task WHERE status IN ('PENDING', 'RUNNING')")[0][0]:
            time.sleep(0.25)
        ended = time.monotonic()
    pg1, w1 = tree_ticks(bench.postmaster), sum(tree_ticks(p.pid) for p in bench.procs)
    first, last, ok = bench.sql(
        "SELECT min(scheduled_at), max(finished_at), count(*) FILTER (WHERE status = 'SUCCEEDED')"
        " FROM task WHERE request_id = %s",
        tag,
    )[0]
    drain_s = (last - first) / 1000.0  # the fleet's first claim to its last finish
    wall_s = ended - mono_start  # the window of the CPU figures: insert, drain, last poll
    time.sleep(1.5)  # let the log collector write the last lines
    with bench.csvlog.open(newline="") as f:
        f.seek(log_offset)
        claims = claim_durations(csv.reader(io.StringIO(f.read())))
    return {
        "tasks": n,
        "succeeded": ok,
        "insert_s": round((committed - start) / 1000.0, 2),
        "first_pickup_ms": max(0, first - committed),
        "drain_s": round(drain_s, 2),
        "tasks_per_s": round(n / drain_s, 1),
        "claims": len(claims),
        "claim_p50_ms": round(percentile(claims, 50), 3),
        "claim_p99_ms": round(percentile(claims, 99), 3),
        "claim_max_ms": round(max(claims, default=float("nan")), 3),
        "pg_cpu_pct": round(100.0 * (pg1 - pg0) / tick / wall_s, 1),
        "workers_cpu_pct": round(100.0 * (w1 - w0) / tick / wall_s, 1),
        "load1_mean": round(statistics.fmean(load.samples), 2) if load.samples else None,
        "load1_max": max(load.samples, default=None),
    }


def grow(bench: Bench, n: int) -> float:
    """Insert ``n`` SUCCEEDED rows (expiring a day ahead) like a finished task; seconds taken."""
    output, usage, engine = bench.sql(
        "SELECT output, usage, engine FROM task WHERE status = 'SUCCEEDED' LIMIT 1"
    )[0]
    body, params = bench.sql("SELECT input, parameters FROM task LIMIT 1")[0]
    started = time.monotonic()
    now = time.time_ns() // 1_000_000
    rows = (
        (
            *(str(uuid.uuid4()), "bench", "bench", MODEL, "filler", "SUCCEEDED", body, params),
            *(1, now - 86_400_000 + i, now + 86_400_000),  # attempts, submitted, expires
            *(now - 86_400_000 + i, now - 86_000_000 + i, output, usage, engine),
        )
        for i in range(n)
    )
    bench.copy_rows(rows, DONE_COLUMNS)
    bench.sql("ANALYZE task")  # what autovacuum's analyze does within a minute of the load
    return time.monotonic() - started


def purge(bench: Bench) -> dict[str, Any]:
    """Expire every finished row and time one purge of the real container."""
    from wanstack.config import Settings
    from wanstack.container import Container

    now = time.time_ns() // 1_000_000
    bench.sql("UPDATE task SET expires_at = %s WHERE status = 'SUCCEEDED'", now - 1)
    (expired,) = bench.sql("SELECT count(*) FROM task WHERE expires_at < %s", now)[0]

    async def once() -> tuple[int, float]:
        settings = Settings(database_url=bench.url("postgres"), data_dir=bench.tmp / "data")
        container = Container.build(settings)
        try:
            started = time.monotonic()
            purged = await container.maintenance().purge()
            return purged, time.monotonic() - started
        finally:
            await container.shutdown()

    purged, seconds = asyncio.run(once())
    (left,) = bench.sql("SELECT count(*) FROM task")[0]
    return {"expired": expired, "purged": purged, "purge_s": round(seconds, 1), "rows_left": left}


def markdown(a: dict[str, Any], b: dict[str, Any], grown: int) -> str:
    rows = [
        ("finished rows in the table at the start", "0", f"{grown:,} + {a['tasks']:,}"),
        ("tasks drained", f"{a['succeeded']:,}", f"{b['succeeded']:,}"),
        ("drain time (s)", a["drain_s"], b["drain_s"]),
        ("tasks per second", a["tasks_per_s"], b["tasks_per_s"]),
        ("claims executed (server log)", f"{a['claims']:,}", f"{b['claims']:,}"),
        ("claim p50 (ms, server)", a["claim_p50_ms"], b["claim_p50_ms"]),
        ("claim p99 (ms, server)", a["claim_p99_ms"], b["claim_p99_ms"]),
        ("claim max (ms, server)", a["claim_max_ms"], b["claim_max_ms"]),
        ("PostgreSQL CPU (% of one core)", a["pg_cpu_pct"], b["pg_cpu_pct"]),
        ("workers' CPU (% of one core)", a["workers_cpu_pct"], b["workers_cpu_pct"]),
        ("load average (1 min), mean / max", _load(a), _load(b)),
        ("insert of the tasks (COPY, s)", a["insert_s"], b["insert_s"]),
    ]
    lines = ["| | run A: empty table | run B: grown table |", "|---|---|---|"]
    lines += [f"| {name} | {x} | {y} |" for name, x, y in rows]
    return "\n".join(lines)


def _load(r: dict[str, Any]) -> str:
    return f"{r['load1_mean']} / {r['load1_max']}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="4 workers, 1,000 tasks, 20,000 rows")
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument("--concurrency", type=int, default=4, help="slots per worker (4)")
    parser.add_argument("--tasks", type=int, default=None)
    parser.add_argument("--finished", type=int, default=None, help="rows added before run B")
    parser.add_argument("--skip-purge", action="store_true")
    args = parser.parse_args(argv)
    workers = args.workers or (4 if args.quick else 8)
    tasks = args.tasks or (1_000 if args.quick else 5_000)
    finished = args.finished if args.finished is not None else (20_000 if args.quick else 100_000)

    bench = Bench(workers=workers, concurrency=args.concurrency)
    try:
        bench.start_postgres()
        version = bench.sql("SHOW server_version")[0][0]
        bench.start_workers()
        a = run_drain(bench, tasks, "run-a")
        grow_s = grow(bench, finished)
        b = run_drain(bench, tasks, "run-b")
        bench.stop_workers()
        p = None if args.skip_purge else purge(bench)
    finally:
        bench.close()
    print(f"# queue_bench {dt.date.today()} PostgreSQL {version}, {os.cpu_count()} CPUs")
    print(f"{workers} workers x {args.concurrency} slots, {tasks} tasks of 50 ms per run")
    print(markdown(a, b, finished))
    print(f"\ninsert of {finished:,} finished rows + ANALYZE: {grow_s:.1f} s")
    if p is not None:
        print(f"purge: {p['purged']:,} of {p['expired']:,} expired rows in {p['purge_s']} s")
    print(json.dumps({"postgres": version, "a": a, "b": b, "grow_s": grow_s, "purge": p}))
    return 0 if a["succeeded"] == b["succeeded"] == tasks else 1


if __name__ == "__main__":
    sys.exit(main())
