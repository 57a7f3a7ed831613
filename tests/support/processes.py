"""Real ``wanstack`` processes for acceptance tests: started, waited for, killed, restarted."""

from __future__ import annotations

import base64
import io
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import numpy as np
from PIL import Image

WANSTACK = str(Path(sys.executable).with_name("wanstack"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def png_data_uri(width: int, height: int, *, mask: bool = False, seed: int = 0) -> str:
    """A data: URI of a small photo-like PNG, or of a mask with a white rectangle."""
    if mask:
        arr = np.zeros((height, width, 3), np.uint8)
        arr[height // 3 : height // 2, width // 3 : width // 2] = 255
    else:
        rng = np.random.default_rng(seed)
        y, x = np.mgrid[0:height, 0:width]
        arr = np.stack([x * 255 // width, y * 255 // height, (x + y) % 256], axis=2).astype(
            np.uint8
        )
        arr = np.clip(arr + rng.normal(0, 8, arr.shape), 0, 255).astype(np.uint8)
    buf = io.BytesIO()
    Image.fromarray(arr).save(buf, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()


@dataclass
class Deployment:
    """Settings shared by every process of one deployment (same database, same data folder)."""

    data_dir: Path
    env_overrides: dict[str, str] = field(default_factory=dict)
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("WANSTACK_")}
        env.update(
            {
                "WANSTACK_DATA_DIR": str(self.data_dir),
                "WANSTACK_SECRET_KEY": "acceptance-secret",
                "WANSTACK_ALLOW_PRIVATE_URLS": "1",
            }
        )
        env.update(self.env_overrides)
        return env

    def _spawn(self, *args: str, log_name: str) -> subprocess.Popen[bytes]:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        log = (self.data_dir / f"{log_name}.log").open("ab")
        proc = subprocess.Popen(
            [WANSTACK, *args], env=self.env(), stdout=log, stderr=subprocess.STDOUT
        )
        self.processes.append(proc)
        return proc

    def serve(self, port: int, *extra: str) -> subprocess.Popen[bytes]:
        proc = self._spawn(
            "serve", "--host", "127.0.0.1", "--port", str(port), *extra, log_name=f"serve-{port}"
        )
        wait_healthy(f"http://127.0.0.1:{port}", proc)
        return proc

    def worker(self, name: str = "worker") -> subprocess.Popen[bytes]:
        return self._spawn("worker", log_name=name)

    def create_key(self, account: str = "default", workspace: str | None = None) -> str:
        args = [WANSTACK, "keys", "create", "--account", account]
        if workspace:
            args += ["--workspace", workspace]
        out = subprocess.run(args, env=self.env(), capture_output=True, text=True, check=True)
        return out.stdout.strip()

    def stop_all(self) -> None:
        for proc in self.processes:
            if proc.poll() is None:
                proc.kill()
                proc.wait(timeout=10)

    def logs(self) -> str:
        return "\n".join(p.read_text(errors="replace")[-4000:] for p in self.data_dir.glob("*.log"))


def wait_healthy(base: str, proc: subprocess.Popen[bytes], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        try:
            if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise TimeoutError("server did not become healthy")


def terminate(proc: subprocess.Popen[bytes], timeout: float = 30) -> int:
    proc.send_signal(signal.SIGTERM)
    return proc.wait(timeout=timeout)


class Client:
    """A tiny raw-HTTP DashScope client (the SDK is exercised in test_sdk.py)."""

    def __init__(self, base: str, key: str) -> None:
        self.base = base
        self.http = httpx.Client(
            base_url=base, headers={"Authorization": f"Bearer {key}"}, timeout=10
        )

    def submit(self, *, n: int = 1, size: str = "1024*1024") -> str:
        body = {
            "model": "wanx-x-painting",
            "input": {
                "prompt": "fill it",
                "base_image_url": png_data_uri(300, 300),
                "mask_image_url": png_data_uri(300, 300, mask=True),
            },
            "parameters": {"n": n, "size": size},
        }
        r = self.http.post(
            "/api/v1/services/aigc/image2image/image-synthesis",
            json=body,
            headers={"X-DashScope-Async": "enable"},
        )
        assert r.status_code == 200, r.text
        return str(r.json()["output"]["task_id"])

    def status(self, task_id: str) -> dict[str, object]:
        r = self.http.get(f"/api/v1/tasks/{task_id}")
        assert r.status_code == 200, r.text
        output: dict[str, object] = r.json()["output"]
        return output

    def wait_for(self, task_id: str, statuses: set[str], timeout: float = 60) -> dict[str, object]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            out = self.status(task_id)
            if out["task_status"] in statuses:
                return out
            time.sleep(0.05)
        raise TimeoutError(f"task {task_id} never reached {statuses}: {self.status(task_id)}")
