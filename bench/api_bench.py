"""API throughput and idle pickup latency of ``wanstack serve``, against a bare-FastAPI baseline.

One command, one load generator (``wrk``, Debian package ``wrk``; a Lua script sets method, body
and headers and prints wrk's summary as JSON)::

    .venv/bin/python bench/api_bench.py                      # SQLite in a fresh data folder
    .venv/bin/python bench/api_bench.py --postgres postgresql://user@127.0.0.1:5432/postgres

1. **Throughput.** Starts ``bench/baseline_app.py`` (FastAPI, served by the same ``uvicorn.run``
   call as wanstack) and ``wanstack serve --workers 0`` (API only: nothing runs, the task table
   only grows) on 127.0.0.1. Per round, in this order: baseline ``POST /submit``, wanstack
   ``POST /api/v1/services/aigc/image2image/image-synthesis`` (wanx-x-painting, Bearer key,
   ``X-DashScope-Async: enable``), baseline ``GET /query/{id}``, wanstack
   ``GET /api/v1/tasks/{id}`` of an existing task; each a warm-up run (discarded) then a measured
   ``wrk -t1 -c16 -d5s``. Medians over the rounds; ratios wanstack / baseline. Any non-2xx answer
   or socket error aborts the run (exit 1): a benchmark of error responses is worthless.
2. **Idle pickup.** Starts ``wanstack serve`` with its embedded workers (default 2 slots) and the
   fake engine, submits tasks one at a time (each waits for the previous one to finish) and
   reports ``scheduled_time - submit_time`` (both from the task query, millisecond precision).

The machine is shared by the servers and the load generator, so absolute numbers are noisy; the
ratios against a baseline measured in the same run, and medians of several rounds, are what to
compare. ``--postgres URL`` creates two throw-away databases on that server (the role needs
CREATEDB) and drops them at the end. Every process started is stopped at the end, even on error.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import datetime as dt
import io
import json
import math
import os
import platform
import random
import shlex
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
SUBMIT_PATH = "/api/v1/services/aigc/image2image/image-synthesis"
TARGET_SUBMIT = 0.40
TARGET_QUERY = 0.60
TARGET_PICKUP_P50_MS = 50.0
HOST = "127.0.0.1"
#: How the ``wanstack`` command is run (``--wanstack-cmd`` replaces it, e.g. a patched launcher).
WANSTACK_CMD = [sys.executable, "-m", "wanstack"]
# Keep the bench's own HTTP calls off any proxy configured in the environment.
_HTTP = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class BenchError(RuntimeError):
    """The benchmark cannot give a meaningful result (server error, bad answer, no wrk)."""


# --------------------------------------------------------------------------------------------
# Inputs


def _png_data_uri(mask: bool) -> str:
    """A small 300x300 PNG as a data: URI (a gradient picture, or a white square mask)."""
    from PIL import Image, ImageDraw

    if mask:
        img = Image.new("L", (300, 300), 0)
        ImageDraw.Draw(img).rectangle((100, 100, 200, 200), fill=255)
    else:
        img = Image.linear_gradient("L").resize((300, 300)).convert("RGB")
    buf = io.BytesIO()
    img.save(buf, format="PNG", optimize=True)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()


def submit_body(media: str) -> dict[str, Any]:
    if media == "data":
        base, mask = _png_data_uri(False), _png_data_uri(True)
    else:  # never fetched at submit time (and never run: the server has no workers)
        base = "https://example.com/bench/base-300x300.png"
        mask = "https://example.com/bench/mask-300x300.png"
    return {
        "model": "wanx-x-painting",
        "input": {
            "prompt": "a red paper lantern hanging from the tree",
            "base_image_url": base,
            "mask_image_url": mask,
        },
        "parameters": {"style": "<auto>", "size": "1024*1024", "n": 1},
    }


# --------------------------------------------------------------------------------------------
# Processes


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        port: int = s.getsockname()[1]
        return port


@dataclass
class Server:
    name: str
    proc: subprocess.Popen[bytes]
    port: int
    log_path: Path

    @property
    def base(self) -> str:
        return f"http://{HOST}:{self.port}"

    def log_tail(self, lines: int = 30) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])


@dataclass
class Processes:
    """Everything this run started; :meth:`stop_all` ends them (process groups), newest first."""

    servers: list[Server] = field(default_factory=list)

    def start(self, name: str, argv: list[str], env: dict[str, str], workdir: Path) -> Server:
        port = free_port()
        log_path = workdir / f"{name}.log"
        with open(log_path, "wb") as log:
            proc = subprocess.Popen(
                [*argv, "--host", HOST, "--port", str(port)],
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # own process group: killpg reaches any children
            )
        server = Server(name, proc, port, log_path)
        self.servers.append(server)
        return server

    def stop(self, server: Server, timeout: float = 15.0) -> None:
        proc = server.proc
        if proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(5)
        # Stragglers in the group (none expected) go too.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)
        if server in self.servers:
            self.servers.remove(server)

    def stop_all(self) -> None:
        for server in reversed(list(self.servers)):
            try:
                self.stop(server)
            except Exception as exc:  # keep stopping the others
                print(f"warning: could not stop {server.name}: {exc}", file=sys.stderr)


def http(
    method: str,
    url: str,
    *,
    body: Any = None,
    headers: dict[str, str] | None = None,
    timeout: float = 10.0,
) -> tuple[int, Any]:
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    if data is not None:
        req.add_header("Content-Type", "application/json")
    try:
        with _HTTP.open(req, timeout=timeout) as resp:
            raw = resp.read()
            status = resp.status
    except urllib.error.HTTPError as exc:
        raw = exc.read()
        status = exc.code
    try:
        return status, json.loads(raw)
    except ValueError:
        return status, raw.decode(errors="replace")


def wait_ready(server: Server, path: str, timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.proc.poll() is not None:
            raise BenchError(
                f"{server.name} exited with {server.proc.returncode}:\n{server.log_tail()}"
            )
        with contextlib.suppress(OSError):
            status, _ = http("GET", server.base + path, timeout=2)
            if status == 200:
                return
        time.sleep(0.1)
    raise BenchError(f"{server.name} not ready after {timeout:.0f} s:\n{server.log_tail()}")


def wanstack_env(data_dir: Path, database_url: str | None, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("WANSTACK_")}
    env.update(
        WANSTACK_DATA_DIR=str(data_dir),
        WANSTACK_LOG_LEVEL="WARNING",
        WANSTACK_DRAIN_SECONDS="5",
        PYTHONUNBUFFERED="1",
    )
    if database_url:
        env["WANSTACK_DATABASE_URL"] = database_url
    env.update(extra)
    return env


def start_wanstack(
    procs: Processes,
    name: str,
    workdir: Path,
    database_url: str | None,
    workers: int | None,
    **extra: str,
) -> tuple[Server, str]:
    """``wanstack serve`` on a fresh data folder; returns the server and an API key."""
    data_dir = workdir / f"{name}-data"
    data_dir.mkdir()
    env = wanstack_env(data_dir, database_url, **extra)
    argv = [*WANSTACK_CMD, "serve"]
    if workers is not None:
        argv += ["--workers", str(workers)]
    server = procs.start(name, argv, env, workdir)
    wait_ready(server, "/readyz")
    key_file = data_dir / "default-api-key"
    if key_file.exists():
        key = key_file.read_text().strip()
    else:  # keys already existed in that database: make one for the bench
        out = subprocess.run(
            [*WANSTACK_CMD, "keys", "create", "--account", "bench"],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
        key = out.stdout.strip()
    return server, key


# --------------------------------------------------------------------------------------------
# PostgreSQL: throw-away databases


def _pg_conninfo(url: str, database: str | None = None) -> str:
    from sqlalchemy.engine import make_url

    u = make_url(url).set(drivername="postgresql")
    if database is not None:
        u = u.set(database=database)
    return u.render_as_string(hide_password=False)


def _pg_url(url: str, database: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).set(database=database).render_as_string(hide_password=False)


@contextlib.contextmanager
def pg_databases(url: str, names: list[str]) -> Any:
    import psycopg

    created: list[str] = []
    try:
        with psycopg.connect(_pg_conninfo(url), autocommit=True) as conn:
            for name in names:
                conn.execute(f'CREATE DATABASE "{name}"')
                created.append(name)
        yield {name: _pg_url(url, name) for name in names}
    finally:
        if created:
            try:
                with psycopg.connect(_pg_conninfo(url), autocommit=True) as conn:
                    for name in created:
                        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            except Exception as exc:
                print(f"warning: could not drop databases {created}: {exc}", file=sys.stderr)


# --------------------------------------------------------------------------------------------
# wrk

_LUA_DONE = """
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRKJSON {"requests":%d,"duration_us":%d,"bytes":%d,"connect":%d,"read":%d,' ..
    '"write":%d,"status":%d,"timeout":%d,"p50_us":%d,"p90_us":%d,"p99_us":%d,' ..
    '"mean_us":%.1f,"max_us":%d}\\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write,
    e.status, e.timeout, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency.mean, latency.max))
end
"""


def lua_script(method: str, headers: dict[str, str], body: str | None) -> str:
    lines = [f'wrk.method = "{method}"']
    for k, v in headers.items():
        lines.append(f"wrk.headers[ [==[{k}]==] ] = [==[{v}]==]")
    if body is not None:
        lines.append(f"wrk.body = [==[{body}]==]")
    return "\n".join(lines) + "\n" + _LUA_DONE


@dataclass(frozen=True)
class WrkResult:
    rps: float
    p50_ms: float
    p99_ms: float
    requests: int
    non_2xx: int
    socket_errors: int


def run_wrk(
    url: str, script: Path, *, threads: int, connections: int, duration: float
) -> WrkResult:
    argv = [
        "wrk",
        f"-t{threads}",
        f"-c{connections}",
        f"-d{max(1, round(duration))}s",
        "--timeout",
        "10s",
        "-s",
        str(script),
        url,
    ]
    out = subprocess.run(
        argv, capture_output=True, text=True, timeout=duration + 60, stdin=subprocess.DEVNULL
    )
    line = next((ln for ln in out.stdout.splitlines() if ln.startswith("WRKJSON ")), None)
    if out.returncode != 0 or line is None:
        raise BenchError(f"wrk failed ({out.returncode}):\n{out.stdout}\n{out.stderr}")
    s = json.loads(line[len("WRKJSON ") :])
    return WrkResult(
        rps=s["requests"] / (s["duration_us"] / 1e6),
        p50_ms=s["p50_us"] / 1000,
        p99_ms=s["p99_us"] / 1000,
        requests=s["requests"],
        # wrk counts status >= 400 here; 3xx never occurs on these paths (checked up front).
        non_2xx=s["status"],
        socket_errors=s["connect"] + s["read"] + s["write"] + s["timeout"],
    )


@dataclass
class Scenario:
    name: str
    label: str
    url: str
    script: Path
    runs: list[WrkResult] = field(default_factory=list)

    def median(self, attr: str) -> float:
        return float(statistics.median(float(getattr(r, attr)) for r in self.runs))


# --------------------------------------------------------------------------------------------
# Throughput


def throughput(
    args: argparse.Namespace, procs: Processes, workdir: Path, database_url: str | None
) -> list[Scenario]:
    body = submit_body(args.submit_media)
    body_json = json.dumps(body, separators=(",", ":"))

    baseline = procs.start(
        "baseline", [sys.executable, str(BENCH_DIR / "baseline_app.py")], dict(os.environ), workdir
    )
    wait_ready(baseline, "/query/ready")
    wan, key = start_wanstack(procs, "wanstack-api", workdir, database_url, workers=0)
    auth = {"Authorization": f"Bearer {key}"}
    submit_headers = {**auth, "Content-Type": "application/json", "X-DashScope-Async": "enable"}

    # Pre-flight: every URL answers 200 with the expected shape; one task exists to query.
    status, reply = http("POST", wan.base + SUBMIT_PATH, body=body, headers=submit_headers)
    if status != 200 or reply.get("output", {}).get("task_status") != "PENDING":
        raise BenchError(f"wanstack submit answered {status}: {reply}")
    task_id = reply["output"]["task_id"]
    status, reply = http("GET", f"{wan.base}/api/v1/tasks/{task_id}", headers=auth)
    if status != 200 or reply.get("output", {}).get("task_id") != task_id:
        raise BenchError(f"wanstack query answered {status}: {reply}")
    status, reply = http("POST", baseline.base + "/submit", body=body)
    if status != 200:
        raise BenchError(f"baseline submit answered {status}: {reply}")

    def script(name: str, method: str, headers: dict[str, str], payload: str | None) -> Path:
        path = workdir / f"{name}.lua"
        path.write_text(lua_script(method, headers, payload))
        return path

    json_ct = {"Content-Type": "application/json"}
    scenarios = [
        Scenario(
            "baseline-submit",
            "baseline `POST /submit`",
            baseline.base + "/submit",
            script("baseline-submit", "POST", json_ct, body_json),
        ),
        Scenario(
            "wanstack-submit",
            f"wanstack `POST {SUBMIT_PATH}`",
            wan.base + SUBMIT_PATH,
            script("wanstack-submit", "POST", submit_headers, body_json),
        ),
        Scenario(
            "baseline-query",
            "baseline `GET /query/{id}`",
            f"{baseline.base}/query/{task_id}",
            script("baseline-query", "GET", {}, None),
        ),
        Scenario(
            "wanstack-query",
            "wanstack `GET /api/v1/tasks/{id}`",
            f"{wan.base}/api/v1/tasks/{task_id}",
            script("wanstack-query", "GET", auth, None),
        ),
    ]
    for rnd in range(1, args.rounds + 1):
        for sc in scenarios:
            for server in (baseline, wan):
                if server.proc.poll() is not None:
                    raise BenchError(f"{server.name} died:\n{server.log_tail()}")
            opts = {"threads": args.threads, "connections": args.connections}
            if args.warmup > 0:
                warm = run_wrk(sc.url, sc.script, duration=args.warmup, **opts)
                check_errors(sc, warm, "warm-up")
            res = run_wrk(sc.url, sc.script, duration=args.duration, **opts)
            check_errors(sc, res, f"round {rnd}")
            sc.runs.append(res)
            print(
                f"  round {rnd} {sc.name:16s} {res.rps:8.0f} req/s  "
                f"p50 {res.p50_ms:6.1f} ms  p99 {res.p99_ms:6.1f} ms",
                file=sys.stderr,
                flush=True,
            )
    # Sanity: the submits are stored (the list total covers the last 24 hours).
    status, reply = http("GET", f"{wan.base}/api/v1/tasks?page_size=1", headers=auth, timeout=60)
    stored = reply.get("total") if status == 200 and isinstance(reply, dict) else None
    measured = sum(r.requests for r in scenarios[1].runs)
    print(f"  tasks stored: {stored} (measured submits: {measured})", file=sys.stderr)
    procs.stop(wan)
    procs.stop(baseline)
    return scenarios


def check_errors(sc: Scenario, res: WrkResult, when: str) -> None:
    if res.non_2xx or res.socket_errors:
        raise BenchError(
            f"{sc.name} ({when}): {res.non_2xx} non-2xx answers and {res.socket_errors} socket "
            f"errors out of {res.requests} requests; a benchmark of errors is worthless"
        )


# --------------------------------------------------------------------------------------------
# Idle pickup


def _ms(stamp: str) -> float:
    t = dt.datetime.strptime(stamp, "%Y-%m-%d %H:%M:%S.%f")
    return t.timestamp() * 1000


def pickup(
    args: argparse.Namespace, procs: Processes, workdir: Path, database_url: str | None
) -> dict[str, Any]:
    wan, key = start_wanstack(
        procs,
        "wanstack-workers",
        workdir,
        database_url,
        workers=None,  # the default: WANSTACK_WORKERS (2)
        WANSTACK_ENGINES='{"wanx-x-painting":"fake"}',
    )
    auth = {"Authorization": f"Bearer {key}"}
    headers = {**auth, "X-DashScope-Async": "enable"}
    body = submit_body("data")
    rng = random.Random(7)
    pickups: list[float] = []
    totals: list[float] = []
    for i in range(args.pickup_tasks + 1):  # the first one loads the engine; not counted
        time.sleep(rng.uniform(0.05, 0.3))  # idle gap, not aligned with the poll interval
        status, reply = http("POST", wan.base + SUBMIT_PATH, body=body, headers=headers)
        if status != 200:
            raise BenchError(f"pickup submit answered {status}: {reply}")
        task_id = reply["output"]["task_id"]
        deadline = time.monotonic() + 60
        while True:
            status, reply = http("GET", f"{wan.base}/api/v1/tasks/{task_id}", headers=auth)
            out = reply.get("output", {}) if isinstance(reply, dict) else {}
            if status != 200:
                raise BenchError(f"pickup query answered {status}: {reply}")
            if out.get("task_status") in ("SUCCEEDED", "FAILED", "CANCELED", "UNKNOWN"):
                break
            if time.monotonic() > deadline:
                raise BenchError(f"task {task_id} not finished after 60 s: {out}")
            time.sleep(0.02)
        if out["task_status"] != "SUCCEEDED":
            raise BenchError(f"pickup task {task_id} ended {out['task_status']}: {out}")
        if i == 0:
            continue
        submitted = _ms(out["submit_time"])
        pickups.append(_ms(out["scheduled_time"]) - submitted)
        totals.append(_ms(out["end_time"]) - submitted)
    procs.stop(wan)
    return {"pickup_ms": pickups, "end_to_end_ms": totals}


def nearest_rank(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(pct / 100 * len(ordered)) - 1)]


# --------------------------------------------------------------------------------------------
# Report


def machine() -> str:
    model = ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return f"{os.cpu_count()} CPU cores ({model or platform.machine()}), shared by servers and wrk"


def versions() -> str:
    from importlib.metadata import version

    parts = [f"Python {platform.python_version()}"]
    for dist in ("fastapi", "starlette", "uvicorn", "uvloop", "httptools", "sqlalchemy"):
        with contextlib.suppress(Exception):
            parts.append(f"{dist} {version(dist)}")
    with contextlib.suppress(Exception):
        out = subprocess.run(["wrk", "-v"], capture_output=True, text=True, timeout=10)
        parts.append((out.stdout or out.stderr).split()[1].join(["wrk ", ""]))
    return ", ".join(parts)


def report(
    args: argparse.Namespace,
    db_label: str,
    scenarios: list[Scenario] | None,
    picked: dict[str, Any] | None,
    command: str,
) -> tuple[str, bool]:
    lines: list[str] = []
    ok = True
    lines.append(f"Date: {dt.date.today().isoformat()}  ")
    lines.append(f"Machine: {machine()}  ")
    lines.append(f"Software: {versions()}  ")
    lines.append(f"Database: {db_label}  ")
    lines.append(f"Command: `{command}`")
    lines.append("")
    if scenarios:
        lines.append(
            f"wrk `-t{args.threads} -c{args.connections} -d{args.duration:g}s`, "
            f"{args.warmup:g} s warm-up before each run, {args.rounds} rounds interleaved; "
            f"submit inputs: {args.submit_media} URLs; medians over rounds."
        )
        lines.append("")
        lines.append("| Scenario | req/s (median) | p50 ms | p99 ms | req/s per round | errors |")
        lines.append("|---|---:|---:|---:|---|---:|")
        for sc in scenarios:
            per_round = ", ".join(f"{r.rps:.0f}" for r in sc.runs)
            errors = sum(r.non_2xx + r.socket_errors for r in sc.runs)
            lines.append(
                f"| {sc.label} | {sc.median('rps'):.0f} | {sc.median('p50_ms'):.1f} | "
                f"{sc.median('p99_ms'):.1f} | {per_round} | {errors} |"
            )
        by = {sc.name: sc for sc in scenarios}
        submit = by["wanstack-submit"].median("rps") / by["baseline-submit"].median("rps")
        query = by["wanstack-query"].median("rps") / by["baseline-query"].median("rps")
        lines.append("")
        for name, value, target in (
            ("submit", submit, TARGET_SUBMIT),
            ("query", query, TARGET_QUERY),
        ):
            verdict = "meets" if value >= target else "MISSES"
            ok = ok and value >= target
            lines.append(
                f"- **{name} ratio** = wanstack {name} req/s / baseline {name} req/s = "
                f"**{value:.0%}** ({verdict} the target of {target:.0%})"
            )
        lines.append("")
    if picked:
        p = picked["pickup_ms"]
        e = picked["end_to_end_ms"]
        lines.append(
            f"Idle pickup: {len(p)} tasks submitted one at a time (fake engine, 300×300 PNG "
            "data: URIs, default 2 embedded worker slots), after one discarded warm-up task."
        )
        lines.append("")
        lines.append("| Measure | p50 ms | p90 ms | max ms |")
        lines.append("|---|---:|---:|---:|")
        for label, vals in (
            ("`scheduled_time - submit_time`", p),
            ("`end_time - submit_time`", e),
        ):
            lines.append(
                f"| {label} | {nearest_rank(vals, 50):.0f} | {nearest_rank(vals, 90):.0f} | "
                f"{max(vals):.0f} |"
            )
        p50 = nearest_rank(p, 50)
        verdict = "meets" if p50 <= TARGET_PICKUP_P50_MS else "MISSES"
        ok = ok and p50 <= TARGET_PICKUP_P50_MS
        lines.append("")
        lines.append(
            f"- **pickup p50 = {p50:.0f} ms** ({verdict} the target of "
            f"≤ {TARGET_PICKUP_P50_MS:.0f} ms); all values: " + ", ".join(f"{v:.0f}" for v in p)
        )
    return "\n".join(lines), ok


# --------------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="wanstack API throughput (vs a bare FastAPI baseline) and idle pickup latency"
    )
    db = parser.add_mutually_exclusive_group()
    db.add_argument("--sqlite", action="store_true", help="SQLite in a fresh data folder (default)")
    db.add_argument(
        "--postgres",
        metavar="URL",
        help="PostgreSQL server URL; two throw-away databases are created on it and dropped",
    )
    parser.add_argument("--duration", type=float, default=5.0, help="seconds per wrk run (5)")
    parser.add_argument("--warmup", type=float, default=2.0, help="warm-up seconds (2; 0: none)")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds (3)")
    parser.add_argument("--connections", type=int, default=16, help="wrk connections (16)")
    parser.add_argument("--threads", type=int, default=1, help="wrk threads (1)")
    parser.add_argument(
        "--submit-media",
        choices=("url", "data"),
        default="url",
        help="images in the throughput submit body: https URLs (default) or 300x300 PNG data URIs",
    )
    parser.add_argument("--pickup-tasks", type=int, default=30, help="tasks for pickup (30)")
    parser.add_argument("--skip-throughput", action="store_true")
    parser.add_argument("--skip-pickup", action="store_true")
    parser.add_argument(
        "--wanstack-cmd",
        metavar="CMD",
        help="command that runs wanstack (default: this Python with -m wanstack); "
        "e.g. to compare a candidate change",
    )
    parser.add_argument("--json", metavar="PATH", help="also write the raw figures as JSON")
    parser.add_argument("--keep", action="store_true", help="keep the work folder (logs, data)")
    args = parser.parse_args(argv)
    if args.rounds < 1 or args.connections < 1 or args.threads < 1 or args.duration < 1:
        parser.error("--rounds, --connections, --threads must be >= 1 and --duration >= 1 s")
    return args


def _sigterm(signum: int, _frame: Any) -> None:
    raise SystemExit(128 + signum)


def main(argv: list[str] | None = None) -> int:
    given = sys.argv[1:] if argv is None else argv
    command = " ".join(shlex.quote(a) for a in [".venv/bin/python", "bench/api_bench.py", *given])
    args = parse_args(argv)
    if args.wanstack_cmd:
        WANSTACK_CMD[:] = shlex.split(args.wanstack_cmd)
    if shutil.which("wrk") is None:
        print("wrk not found: apt-get install -y wrk", file=sys.stderr)
        return 2
    signal.signal(signal.SIGTERM, _sigterm)
    workdir = Path(tempfile.mkdtemp(prefix="wanstack-bench-"))
    procs = Processes()
    scenarios: list[Scenario] | None = None
    picked: dict[str, Any] | None = None
    try:
        with contextlib.ExitStack() as stack:
            if args.postgres:
                tag = uuid.uuid4().hex[:8]
                names = [f"wanstack_bench_{tag}_api", f"wanstack_bench_{tag}_pickup"]
                urls = stack.enter_context(pg_databases(args.postgres, names))
                api_url, pickup_url = urls[names[0]], urls[names[1]]
                db_label = "PostgreSQL (throw-away databases on the given server)"
            else:
                api_url = pickup_url = None
                db_label = "SQLite (fresh data folder per server, WAL)"
            try:
                if not args.skip_throughput:
                    print("throughput:", file=sys.stderr, flush=True)
                    scenarios = throughput(args, procs, workdir, api_url)
                if not args.skip_pickup:
                    print("idle pickup:", file=sys.stderr, flush=True)
                    picked = pickup(args, procs, workdir, pickup_url)
            finally:
                procs.stop_all()  # before the databases are dropped
    except BenchError as exc:
        print(f"\nBENCHMARK FAILED: {exc}", file=sys.stderr)
        return 1
    finally:
        procs.stop_all()
        if args.keep:
            print(f"work folder kept: {workdir}", file=sys.stderr)
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    text, ok = report(args, db_label, scenarios, picked, command)
    print(text)
    if args.json:
        raw = {
            "args": vars(args),
            "throughput": {sc.name: [r.__dict__ for r in sc.runs] for sc in (scenarios or [])},
            "pickup": picked,
        }
        Path(args.json).write_text(json.dumps(raw, indent=2))
    if not ok:
        print("\n(one or more targets missed; see above)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
