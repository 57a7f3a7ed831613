"""What hostile clients cost a real ``wanstack serve``: the figures behind issue 9.

Starts ``wanstack serve`` processes on 127.0.0.1 (fresh data folders, SQLite, ``fake`` engines
unless said otherwise) and measures, on the server process itself:

* **memory**: the growth of its peak resident memory (``VmHWM``, reset through
  ``/proc/<pid>/clear_refs`` before each attack) for a chunked 100 MiB submit, a declared 30 MiB
  body of ``[{},{},…]``, a 16 MB header, and 120 MiB uploads with a forged policy;
* **slow clients**: 300 half-open requests on a server limited to 256 file descriptors: how long
  until the last is closed, and the worst ``/healthz`` time meanwhile;
* **event loop**: the worst ``/healthz`` time while an x-painting task (classic engine) prepares a
  3000*3000 input with 32 ``mask_color`` entries;
* **storage**: 100 tasks with ~10 MB ``data:`` inputs each: database + WAL size against the
  inputs' size, and the peak-memory growth of the retention purge that deletes them.

Run ``.venv/bin/python bench/hostile_bench.py`` (about 8 minutes; ``--parts memory,slow,loop``
drops the longest part). ``--src DIR`` runs another checkout's ``src`` (e.g. the code before
the fix) with the same interpreter; parts that code cannot survive are reported as such.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import datetime as dt
import io
import json
import os
import platform
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import zlib
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import httpx
import numpy as np
from PIL import Image

MIB = 1024 * 1024
SUBMIT = "/api/v1/services/aigc/image2image/image-synthesis"
#: retention in the storage part: long enough to measure the files before the purge runs
RETENTION_S = 240
FAKE = json.dumps(
    {m: "fake" for m in ("wanx-x-painting", "wanx-background-generation-v2", "wan2.6-image")}
)


# -- servers ---------------------------------------------------------------------------------


class Server:
    def __init__(self, root: Path, src: str | None, env: dict[str, str], nofile: int | None):
        self.port = _free_port()
        self.data = root / f"data-{self.port}"
        self.data.mkdir(parents=True)
        environ = {k: v for k, v in os.environ.items() if not k.startswith("WANSTACK_")}
        environ.update(WANSTACK_DATA_DIR=str(self.data), WANSTACK_ALLOW_PRIVATE_URLS="1", **env)
        if src:
            environ["PYTHONPATH"] = src
        self.log = (self.data / "serve.log").open("wb")

        def limit() -> None:
            if nofile:
                resource.setrlimit(resource.RLIMIT_NOFILE, (nofile, nofile))

        self.proc = subprocess.Popen(
            [sys.executable, "-m", "wanstack", "serve", "--port", str(self.port)],
            env=environ,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            preexec_fn=limit,
        )
        self.base = f"http://127.0.0.1:{self.port}"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(self.base + "/healthz", timeout=2).status_code == 200:
                    break
            time.sleep(0.1)
        else:
            raise RuntimeError((self.data / "serve.log").read_text()[-2000:])
        self.key = (self.data / "default-api-key").read_text().strip()

    @property
    def alive(self) -> bool:
        return self.proc.poll() is None

    def stop(self) -> None:
        if self.alive:
            self.proc.terminate()
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        self.log.close()

    def status_kb(self, field: str) -> int:
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
        raise KeyError(field)

    def reset_peak(self) -> int:
        Path(f"/proc/{self.proc.pid}/clear_refs").write_text("5")
        return self.status_kb("VmRSS")

    def peak_growth_mib(self, base_kb: int) -> float:
        return (self.status_kb("VmHWM") - base_kb) / 1024


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def raw(port: int, head: bytes, body: Iterable[bytes] = (), timeout: float = 120) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        try:
            sock.sendall(head)
            for piece in body:
                sock.sendall(piece)
        except OSError:
            pass
        answer = b""
        with contextlib.suppress(OSError):
            while chunk := sock.recv(65536):
                answer += chunk
                head_, _, rest = answer.partition(b"\r\n\r\n")
                length = [
                    ln for ln in head_.split(b"\r\n") if ln.lower().startswith(b"content-length")
                ]
                if length and len(rest) >= int(length[0].split(b":")[1]):
                    break
    return answer


def describe(answer: bytes) -> str:
    if not answer:
        return "no answer"
    head, _, body = answer.partition(b"\r\n\r\n")
    status = head.split(b" ")[1].decode()
    try:
        return f"{status} {json.loads(body)['code']}"
    except (ValueError, KeyError):
        return f"{status} (not JSON: {body[:40]!r})"


def chunked(pieces: Iterable[bytes]) -> Iterator[bytes]:
    for piece in pieces:
        yield b"%x\r\n" % len(piece) + piece + b"\r\n"
    yield b"0\r\n\r\n"


# -- attacks ---------------------------------------------------------------------------------


def memory_attacks(server: Server) -> list[tuple[str, str, float]]:
    key = server.key
    head = (
        f"POST {SUBMIT} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {key}\r\n"
        "X-DashScope-Async: enable\r\n"
    )
    tiny = b"[" + b"{}," * (10 * MIB) + b"{}]"
    policy = httpx.get(
        f"{server.base}/api/v1/uploads",
        params={"action": "getPolicy", "model": "wanx-x-painting"},
        headers={"Authorization": f"Bearer {key}"},
    ).json()["data"]
    boundary = "bench-boundary"
    fields = {
        "OSSAccessKeyId": "wanstack",
        "Signature": "forged",
        "policy": policy["policy"],
        "key": f"{policy['upload_dir']}/big.png",
    }
    form_head = (
        b"".join(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
            for k, v in fields.items()
        )
        + (
            f"--{boundary}\r\nContent-Disposition: form-data; "
            'name="file"; filename="big.png"\r\n\r\n'
        ).encode()
    )

    def upload_pieces() -> Iterator[bytes]:
        yield form_head
        for _ in range(120):
            yield b"x" * MIB
        yield f"\r\n--{boundary}--\r\n".encode()

    attacks: list[tuple[str, bytes, Iterable[bytes]]] = [
        (
            "chunked 100 MiB submit",
            (head + "Transfer-Encoding: chunked\r\n\r\n").encode(),
            chunked(b"a" * MIB for _ in range(100)),
        ),
        (
            "declared 30 MiB of [{},...]",
            (head + f"Content-Length: {len(tiny)}\r\n\r\n").encode(),
            [tiny],
        ),
        (
            "16 MB header",
            b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Pad: " + b"a" * (16 * MIB) + b"\r\n\r\n",
            [],
        ),
        (
            "120 MiB upload, forged policy, chunked",
            (
                "POST /oss-upload HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
                f"Content-Type: multipart/form-data; boundary={boundary}\r\n\r\n"
            ).encode(),
            chunked(upload_pieces()),
        ),
        (
            "120 MiB upload, forged policy, declared",
            (
                f"POST /oss-upload HTTP/1.1\r\nHost: x\r\nContent-Length: {120 * MIB + 1000}\r\n"
                f"Content-Type: multipart/form-data; boundary={boundary}\r\n\r\n"
            ).encode(),
            upload_pieces(),
        ),
    ]
    rows = []
    for name, request_head, body in attacks:
        if not server.alive:
            rows.append((name, "server dead", float("nan")))
            continue
        base = server.reset_peak()
        answer = raw(server.port, request_head, body)
        rows.append((name, describe(answer), server.peak_growth_mib(base)))
        print(f"  {name}: {rows[-1][1]}, peak +{rows[-1][2]:.1f} MiB", flush=True)
    return rows


def slow_clients(server: Server, count: int = 300, window: float = 25.0) -> dict[str, Any]:
    started = time.monotonic()
    socks = []
    for i in range(count):
        sock = socket.create_connection(("127.0.0.1", server.port), timeout=5)
        sock.sendall(f"POST /api/v1/tasks HTTP/1.1\r\nHost: x\r\nX-Slow: {i}\r\n".encode())
        sock.setblocking(False)
        socks.append(sock)
    open_ = set(range(count))
    last_closed = None
    worst = 0.0
    failures = 0
    while time.monotonic() - started < window and (open_ or time.monotonic() - started < 12):
        t0 = time.monotonic()
        try:
            ok = httpx.get(server.base + "/healthz", timeout=3).status_code == 200
        except httpx.HTTPError:
            ok = False
        worst = max(worst, time.monotonic() - t0)
        failures += not ok
        for i in list(open_):
            try:
                while chunk := socks[i].recv(65536):
                    del chunk
                closed = True
            except BlockingIOError:
                closed = False
            except OSError:
                closed = True
            if closed:
                open_.discard(i)
                last_closed = time.monotonic() - started
        time.sleep(0.2)
    for sock in socks:
        sock.close()
    return {
        "still_open": len(open_),
        "all_closed_after_s": last_closed if not open_ else None,
        "healthz_worst_s": worst,
        "healthz_failures": failures,
    }


def png_uri(image: np.ndarray[Any, Any]) -> str:
    buf = io.BytesIO()
    Image.fromarray(image).save(buf, "PNG")
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()


def busy_loop(server: Server) -> dict[str, Any]:
    y, x = np.mgrid[0:3000, 0:3000]
    base = np.stack([x % 256, y % 256, (x // 12 + y // 12) % 256], 2).astype(np.uint8)
    mask = np.zeros((3000, 3000, 3), np.uint8)
    mask[1200:1800, 1200:1800] = (250, 20, 20)
    colors = [[250, 20, 20]] + [[i * 7 % 256, 255 - i * 5, i * 3] for i in range(31)]
    body = {
        "model": "wanx-x-painting",
        "input": {
            "prompt": "fill",
            "base_image_url": png_uri(base),
            "mask_image_url": png_uri(mask),
        },
        "parameters": {"n": 1, "size": "1024*1024", "mask_color": colors},
    }
    client = httpx.Client(
        base_url=server.base, timeout=60, headers={"Authorization": f"Bearer {server.key}"}
    )
    task_id = client.post(SUBMIT, json=body, headers={"X-DashScope-Async": "enable"}).json()[
        "output"
    ]["task_id"]
    worst, status, t_start = 0.0, "PENDING", time.monotonic()
    while status in ("PENDING", "RUNNING") and time.monotonic() - t_start < 300:
        t0 = time.monotonic()
        try:
            httpx.get(server.base + "/healthz", timeout=60)
        except httpx.HTTPError:
            pass
        worst = max(worst, time.monotonic() - t0)
        status = client.get(f"/api/v1/tasks/{task_id}").json()["output"]["task_status"]
        time.sleep(0.05)
    return {"task": status, "task_s": time.monotonic() - t_start, "healthz_worst_s": worst}


def storage(server: Server, tasks: int) -> dict[str, Any]:
    rng = np.random.default_rng(1)
    side = 1500  # noise does not compress: ~6.8 MB PNG, ~9 MB as a data: URI
    hole = np.zeros((side, side, 3), np.uint8)
    hole[700:900, 700:900] = 255
    mask = png_uri(hole)
    client = httpx.Client(
        base_url=server.base, timeout=120, headers={"Authorization": f"Bearer {server.key}"}
    )
    ids, sent = [], 0
    buf = io.BytesIO()
    Image.fromarray(rng.integers(0, 256, (side, side, 3), dtype=np.uint8)).save(buf, "PNG")
    png = buf.getvalue()
    for i in range(tasks):
        # a different file each time (a tEXt chunk after the header), as a catalogue run sends
        text = b"tEXt" + b"n\x00" + str(i).encode()
        chunk = len(text[4:]).to_bytes(4, "big") + text + zlib.crc32(text).to_bytes(4, "big")
        uri = "data:image/png;base64," + base64.b64encode(png[:33] + chunk + png[33:]).decode()
        body = {
            "model": "wanx-x-painting",
            "input": {"prompt": "p", "base_image_url": uri, "mask_image_url": mask},
            "parameters": {"n": 1, "size": "1024*1024"},
        }
        resp = client.post(SUBMIT, json=body, headers={"X-DashScope-Async": "enable"})
        resp.raise_for_status()
        ids.append(resp.json()["output"]["task_id"])
        sent += len(uri) + len(mask)
    deadline = time.monotonic() + 900
    while time.monotonic() < deadline:
        states = [client.get(f"/api/v1/tasks/{i}").json()["output"]["task_status"] for i in ids]
        if all(s in ("SUCCEEDED", "FAILED") for s in states):
            break
        time.sleep(1)
    time.sleep(4)  # one housekeeping round (checkpoint)
    db = server.data / "wanstack.db"
    wal = db.with_name("wanstack.db-wal")
    on_disk = db.stat().st_size + (wal.stat().st_size if wal.exists() else 0)
    # the purge (after RETENTION_S): measure the peak while the tasks are deleted
    base = server.reset_peak()
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        if client.get(f"/api/v1/tasks/{ids[-1]}").json()["output"]["task_status"] == "UNKNOWN":
            break
        time.sleep(1)
    time.sleep(4)  # the purge runs after retention; give it a round
    return {
        "tasks": tasks,
        "states": sorted(set(states)),
        "inputs_mb": sent / MIB,
        "db_wal_mb": on_disk / MIB,
        "ratio": on_disk / sent,
        "purge_peak_growth_mib": server.peak_growth_mib(base),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--src", help="run wanstack from this src folder (PYTHONPATH)")
    parser.add_argument("--tasks", type=int, default=100)
    parser.add_argument(
        "--parts",
        default="memory,slow,loop,storage",
        help="comma-separated parts to run (default: all four)",
    )
    parser.add_argument("--json", help="also write the figures here")
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="wanstack-hostile-"))
    figures: dict[str, Any] = {
        "date": dt.date.today().isoformat(),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}",
    }
    servers: list[Server] = []
    try:
        parts = set(args.parts.split(","))
        if "memory" in parts:
            print("memory attacks (fake engines, SQLite)", flush=True)
            s = Server(root, args.src, {"WANSTACK_ENGINES": FAKE}, None)
            servers.append(s)
            figures["memory"] = memory_attacks(s)
        if "slow" in parts:
            print("300 half-open requests, 256 file descriptors", flush=True)
            s = Server(root, args.src, {"WANSTACK_ENGINES": FAKE}, 256)
            servers.append(s)
            figures["slow_clients"] = slow_clients(s)
            print(f"  {figures['slow_clients']}", flush=True)
        if "loop" in parts:
            print("x-painting 3000*3000 with 32 mask colours (classic engine)", flush=True)
            s = Server(root, args.src, {}, None)
            servers.append(s)
            figures["event_loop"] = busy_loop(s)
            print(f"  {figures['event_loop']}", flush=True)
        if "storage" in parts:
            print(f"{args.tasks} tasks with ~10 MB data: inputs (fake engine)", flush=True)
            s = Server(
                root,
                args.src,
                {"WANSTACK_ENGINES": FAKE, "WANSTACK_RETENTION_HOURS": str(RETENTION_S / 3600)},
                None,
            )
            servers.append(s)
            figures["storage"] = storage(s, args.tasks)
            print(f"  {figures['storage']}", flush=True)
    finally:
        for s in servers:
            s.stop()
        shutil.rmtree(root, ignore_errors=True)
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
