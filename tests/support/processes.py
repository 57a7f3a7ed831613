"""Real ``wanstack`` processes for the acceptance tier: started, waited for, stopped, killed.

* :class:`Deployment`: what every process of one deployment shares (data folder, database,
  environment). :meth:`~Deployment.serve` starts ``wanstack serve`` on a free port and returns a
  :class:`Server` once ``/healthz`` answers; :meth:`~Deployment.worker` starts ``wanstack
  worker``; :meth:`~Deployment.create_key` runs ``wanstack keys create`` with the same settings.
* :class:`Process` (and :class:`Server`): ``stop()`` sends SIGTERM and returns the exit status,
  ``kill()`` sends SIGKILL.
* :func:`launched`: a :class:`Launcher` of one-server deployments under one folder; at the end
  every server must exit 0 within 20 s of SIGTERM, or the test fails with the log tail.
* :class:`Client`: a tiny raw-HTTP DashScope client.
"""

from __future__ import annotations

import contextlib
import os
import resource
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from tests.support.media import png_data_uri

#: The console script of the venv running the tests (``.venv/bin/wanstack``).
WANSTACK_BIN = Path(sys.executable).with_name("wanstack")
STARTUP_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 20.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wanstack_command(*args: str) -> list[str]:
    if WANSTACK_BIN.exists():
        return [str(WANSTACK_BIN), *args]
    return [sys.executable, "-m", "wanstack", *args]


@dataclass
class Process:
    """One running ``wanstack`` process of a :class:`Deployment`."""

    process: subprocess.Popen[bytes]
    log_path: Path
    deployment: Deployment
    exit_code: int | None = field(default=None, init=False)

    def log_text(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""

    def stop(self, timeout: float = STOP_TIMEOUT_S) -> int | None:
        """SIGTERM, then wait; returns the exit status (None: still running, then killed)."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.exit_code = self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.kill()
                self.exit_code = None
        else:
            self.exit_code = self.process.returncode
        return self.exit_code

    def kill(self) -> None:
        """SIGKILL, then wait for it."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)


@dataclass
class Server(Process):
    """One running ``wanstack serve``."""

    port: int

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:<port>``"""
        return f"http://127.0.0.1:{self.port}"

    @property
    def api_base(self) -> str:
        """What ``dashscope.base_http_api_url`` should be set to."""
        return f"{self.base_url}/api/v1"

    @property
    def api_key(self) -> str:
        """The ``default`` account's key from ``<data dir>/default-api-key``."""
        return (self.deployment.data_dir / "default-api-key").read_text().strip()

    def ready(self, timeout: float = STARTUP_TIMEOUT_S) -> bool:
        """Wait until ``/readyz`` answers 200: the engines are loaded (on a fresh install the
        classic inpainting compiles its kernels first) and the worker takes tasks."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self.process.poll() is None:
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(self.base_url + "/readyz", timeout=2).status_code == 200:
                    return True
            time.sleep(0.1)
        return False

    def healthy(self, timeout: float = STARTUP_TIMEOUT_S) -> bool:
        """Wait until ``/healthz`` answers 200 (True) or the process exits or time runs out."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self.process.poll() is None:
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(self.base_url + "/healthz", timeout=2).status_code == 200:
                    return True
            time.sleep(0.1)
        return False


@contextlib.contextmanager
def sdk_pointed_at(server: Server) -> Iterator[Server]:
    """The ``dashscope`` SDK's base URL set to ``server`` for the block, then restored."""
    import dashscope

    saved = dashscope.base_http_api_url
    dashscope.base_http_api_url = server.api_base
    try:
        yield server
    finally:
        dashscope.base_http_api_url = saved


@dataclass
class Deployment:
    """Settings shared by every process of one deployment (same database, same data folder)."""

    data_dir: Path
    env_overrides: dict[str, str] = field(default_factory=dict)
    processes: list[Process] = field(default_factory=list)
    #: the processes' file-descriptor limit (soft and hard), None: inherited
    max_open_files: int | None = None

    def env(self) -> dict[str, str]:
        """The test process's environment without any WANSTACK_* / DASHSCOPE_* setting, with
        ``WANSTACK_DATA_DIR``, ``WANSTACK_ALLOW_PRIVATE_URLS=1`` (inputs come from 127.0.0.1),
        then ``env_overrides``."""
        prefixes = ("WANSTACK_", "DASHSCOPE_")
        env = {k: v for k, v in os.environ.items() if not k.startswith(prefixes)}
        env["NO_PROXY"] = env["no_proxy"] = "127.0.0.1,localhost"
        env["WANSTACK_DATA_DIR"] = str(self.data_dir)
        env["WANSTACK_ALLOW_PRIVATE_URLS"] = "1"
        env.update(self.env_overrides)
        return env

    def _spawn(self, log_name: str, *args: str) -> tuple[subprocess.Popen[bytes], Path]:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        log_path = self.data_dir / f"{log_name}.log"
        limit = self.max_open_files

        def limit_files() -> None:
            if limit is not None:
                resource.setrlimit(resource.RLIMIT_NOFILE, (limit, limit))

        with log_path.open("ab") as log:
            proc = subprocess.Popen(
                wanstack_command(*args),
                env=self.env(),
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                preexec_fn=limit_files if limit is not None else None,
            )
        return proc, log_path

    def serve(self, *extra: str, startup_timeout: float = STARTUP_TIMEOUT_S) -> Server:
        """Start ``wanstack serve <extra>`` on a free port and wait until ``/healthz`` answers."""
        tail = ""
        for _ in range(3):  # a free port can be taken between choosing it and binding it
            port = free_port()
            argv = ("serve", "--host", "127.0.0.1", "--port", str(port), *extra)
            proc, log_path = self._spawn(f"serve-{port}", *argv)
            server = Server(proc, log_path, self, port)
            if server.healthy(startup_timeout):
                self.processes.append(server)
                return server
            server.kill()
            tail = server.log_text()[-4000:]
            if "address already in use" not in tail.lower():
                break
        raise RuntimeError(f"wanstack serve did not become healthy; log tail:\n{tail}")

    def worker(self, name: str = "worker", *extra: str) -> Process:
        """Start ``wanstack worker <extra>`` (e.g. ``--models``, ``wan2.6-t2v``); its log is
        ``<data dir>/<name>.log``."""
        proc, log_path = self._spawn(name, "worker", *extra)
        worker = Process(proc, log_path, self)
        self.processes.append(worker)
        return worker

    def create_key_output(self, account: str = "default", workspace: str | None = None) -> str:
        """Raw stdout of ``wanstack keys create``."""
        args = ["keys", "create", "--account", account]
        if workspace is not None:
            args += ["--workspace", workspace]
        done = subprocess.run(
            wanstack_command(*args), env=self.env(), capture_output=True, text=True, timeout=60
        )
        assert done.returncode == 0, f"keys create failed ({done.returncode}): {done.stderr}"
        return done.stdout

    def create_key(self, account: str = "default", workspace: str | None = None) -> str:
        return self.create_key_output(account, workspace).strip()

    def kill_all(self) -> None:
        for proc in self.processes:
            proc.kill()

    def stop_all(self) -> list[str]:
        """SIGTERM every process; the problems found (non-zero exit, no exit within 20 s)."""
        problems = []
        for proc in self.processes:
            name = f"{self.data_dir.name}/{proc.log_path.stem}"
            code = proc.stop()  # a process stopped by a test, or dead, keeps its exit status
            if code is None:
                problems.append(f"{name}: no exit within {STOP_TIMEOUT_S:.0f} s of SIGTERM")
            elif code != 0:
                problems.append(f"{name}: exit status {code}; log tail:\n{proc.log_text()[-3000:]}")
        return problems

    def logs(self) -> str:
        return "\n".join(p.read_text(errors="replace")[-4000:] for p in self.data_dir.glob("*.log"))


class Launcher:
    """Starts one-server deployments under one folder (see :func:`launched`)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.deployments: list[Deployment] = []

    def start(
        self,
        name: str,
        env: Mapping[str, str] | None = None,
        *,
        database_url: str | None = None,
        max_open_files: int | None = None,
    ) -> Server:
        """``wanstack serve`` with its own data folder ``<root>/<name>``; ``env`` adds to (and
        overrides) the :meth:`Deployment.env` defaults and ``WANSTACK_DATABASE_URL``;
        ``max_open_files`` sets its file-descriptor limit."""
        overrides = {"WANSTACK_DATABASE_URL": database_url} if database_url else {}
        overrides.update(env or {})
        deployment = Deployment(self.root / name, overrides, max_open_files=max_open_files)
        self.deployments.append(deployment)
        return deployment.serve()


@contextlib.contextmanager
def launched(root: Path) -> Iterator[Launcher]:
    """A :class:`Launcher`; at the end every server gets SIGTERM and must exit 0 within 20 s."""
    launcher = Launcher(root)
    try:
        yield launcher
    finally:
        problems = [p for dep in launcher.deployments for p in dep.stop_all()]
    if problems:
        pytest.fail("wanstack serve did not shut down cleanly:\n" + "\n".join(problems))


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
