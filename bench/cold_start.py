"""The first x-painting task after a (re)start against warm ones, on a real ``wanstack serve``.

Starts ``wanstack serve`` on a fresh data folder, waits until ``/readyz`` says ready (engines are
loaded before a worker claims anything: PatchMatch's numba kernels compile or load from their
disk cache then), submits one wanx-x-painting task (1280*720, n=2, a 960*640 photo with a blob
hole, classic engine) and times submit → SUCCEEDED from the client, then does the same for
``--warm`` more tasks. Prints the time from launch to ready, the first task's time, the median
warm time and their ratio (target ≤ 1.5). Repeats for ``--restarts`` fresh processes.

``--cold-cache`` points numba at an empty cache folder (``NUMBA_CACHE_DIR``), as on a fresh
install where the kernels compile in the first process; ``--src DIR`` runs another checkout's
code (e.g. the code before the change) with the same interpreter.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import io
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import numpy as np
from PIL import Image

SUBMIT = "/api/v1/services/aigc/image2image/image-synthesis"


def _uri(image: np.ndarray[Any, Any]) -> str:
    buf = io.BytesIO()
    Image.fromarray(image).save(buf, "PNG")
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()


def _inputs() -> tuple[str, str]:
    rng = np.random.default_rng(4)
    y, x = np.mgrid[0:640, 0:960]
    photo = np.stack([x * 255 // 960, y * 255 // 640, (x // 7 + y // 5) % 256], 2)
    photo = np.clip(photo + rng.normal(0, 12, photo.shape), 0, 255).astype(np.uint8)
    mask = np.zeros((640, 960, 3), np.uint8)
    yy, xx = np.ogrid[0:640, 0:960]
    mask[((yy - 320) ** 2 / 110**2 + (xx - 480) ** 2 / 160**2) < 1] = 255
    return _uri(photo), _uri(mask)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _task(client: httpx.Client, base: str, mask: str, seed: int) -> float:
    body = {
        "model": "wanx-x-painting",
        "input": {"prompt": "fill", "base_image_url": base, "mask_image_url": mask},
        "parameters": {"size": "1280*720", "n": 2, "seed": seed},
    }
    started = time.perf_counter()
    resp = client.post(SUBMIT, json=body, headers={"X-DashScope-Async": "enable"})
    resp.raise_for_status()
    task_id = resp.json()["output"]["task_id"]
    while True:
        out = client.get(f"/api/v1/tasks/{task_id}").json()["output"]
        if out["task_status"] in ("SUCCEEDED", "FAILED"):
            assert out["task_status"] == "SUCCEEDED", out
            return time.perf_counter() - started
        time.sleep(0.02)


def one_start(src: str | None, cold_cache: bool, warm: int) -> tuple[float, float, list[float]]:
    root = Path(tempfile.mkdtemp(prefix="wanstack-cold-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("WANSTACK_")}
    env["WANSTACK_DATA_DIR"] = str(root / "data")
    if src:
        env["PYTHONPATH"] = src
    if cold_cache:
        env["NUMBA_CACHE_DIR"] = str(root / "numba")
    port = _free_port()
    log = (root / "serve.log").open("wb")
    launched = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "wanstack", "serve", "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        while True:  # /readyz where the code has it, else /healthz
            with contextlib.suppress(httpx.HTTPError):
                r = httpx.get(base_url + "/readyz", timeout=2)
                if r.status_code == 200:
                    break
            if proc.poll() is not None:
                raise RuntimeError((root / "serve.log").read_text()[-2000:])
            time.sleep(0.05)
        ready = time.perf_counter() - launched
        key = (root / "data" / "default-api-key").read_text().strip()
        client = httpx.Client(
            base_url=base_url, headers={"Authorization": f"Bearer {key}"}, timeout=120
        )
        base, mask = _inputs()
        first = _task(client, base, mask, 1)
        warms = [_task(client, base, mask, 2 + i) for i in range(warm)]
        return ready, first, warms
    finally:
        proc.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(30)
        log.close()
        shutil.rmtree(root, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--src", help="run wanstack from this src folder (PYTHONPATH)")
    parser.add_argument("--cold-cache", action="store_true", help="empty numba cache folder")
    parser.add_argument("--restarts", type=int, default=3)
    parser.add_argument("--warm", type=int, default=3)
    args = parser.parse_args()
    ratios = []
    for i in range(args.restarts):
        ready, first, warms = one_start(args.src, args.cold_cache, args.warm)
        median = statistics.median(warms)
        ratios.append(first / median)
        print(
            f"start {i + 1}: ready after {ready:.2f} s; first task {first:.2f} s; warm "
            f"{', '.join(f'{w:.2f}' for w in warms)} s (median {median:.2f}); "
            f"first/warm {first / median:.2f}",
            flush=True,
        )
    print(f"median first/warm ratio over {args.restarts} starts: {statistics.median(ratios):.2f}")


if __name__ == "__main__":
    main()
