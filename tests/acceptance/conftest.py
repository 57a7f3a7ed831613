"""Acceptance tier: a REAL ``wanstack serve`` process, and a real HTTP server for input media.

Reusable pieces (other acceptance modules use them too):

* :func:`start_wanstack` starts ``wanstack serve --host 127.0.0.1 --port <free>`` as a
  subprocess with a given environment and returns a :class:`WanstackProcess` (base URL, process
  handle, data dir, default API key, log file). :meth:`WanstackProcess.stop` sends SIGTERM and
  returns the exit status.
* Fixtures ``wanstack_launcher`` (function scope) and ``wanstack_module_launcher`` (module scope)
  hand out a launcher whose servers are stopped at teardown, where each one must exit 0 within
  20 s of SIGTERM.
* ``media_server`` (session scope): a ``ThreadingHTTPServer`` on 127.0.0.1 serving a folder;
  ``media_server.put(name, data)`` publishes a file and returns its URL.
* :func:`photo_png` / :func:`mask_png` build small test images with numpy.
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import io
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

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


def clean_environ() -> dict[str, str]:
    """The test process's environment without any WANSTACK_* / DASHSCOPE_* setting."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("WANSTACK_", "DASHSCOPE_"))}
    env["NO_PROXY"] = env["no_proxy"] = "127.0.0.1,localhost"
    return env


@dataclass
class WanstackProcess:
    """One running ``wanstack serve``."""

    base_url: str  #: ``http://127.0.0.1:<port>``
    port: int
    process: subprocess.Popen[bytes]
    data_dir: Path
    env: dict[str, str]  #: full environment the server runs with (reuse it for the CLI)
    log_path: Path
    api_key: str  #: the ``default`` account's key from ``<data dir>/default-api-key``
    exit_code: int | None = field(default=None)

    @property
    def api_base(self) -> str:
        """What ``dashscope.base_http_api_url`` should be set to."""
        return f"{self.base_url}/api/v1"

    def log_text(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""

    def cli(self, *args: str, timeout: float = 60.0) -> subprocess.CompletedProcess[str]:
        """Run ``wanstack <args>`` with this server's environment (same data dir/database)."""
        return subprocess.run(
            wanstack_command(*args),
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    def create_key_output(self, account: str, workspace: str | None = None) -> str:
        """Raw stdout of ``wanstack keys create``."""
        args = ["keys", "create", "--account", account]
        if workspace is not None:
            args += ["--workspace", workspace]
        done = self.cli(*args)
        assert done.returncode == 0, f"keys create failed ({done.returncode}): {done.stderr}"
        return done.stdout

    def create_key(self, account: str, workspace: str | None = None) -> str:
        return self.create_key_output(account, workspace).strip()

    def stop(self, timeout: float = STOP_TIMEOUT_S) -> int | None:
        """SIGTERM, then wait; returns the exit status (None: still running, then killed)."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.exit_code = self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
                self.exit_code = None
        else:
            self.exit_code = self.process.returncode
        return self.exit_code


def start_wanstack(
    data_dir: Path,
    env: Mapping[str, str] | None = None,
    *,
    database_url: str | None = None,
    allow_private_urls: bool = True,
    startup_timeout: float = STARTUP_TIMEOUT_S,
) -> WanstackProcess:
    """Start ``wanstack serve`` on a free port and wait until ``/healthz`` answers.

    ``env`` adds to (and overrides) the defaults: ``WANSTACK_DATA_DIR=<data_dir>``,
    ``WANSTACK_ALLOW_PRIVATE_URLS=1`` (inputs come from 127.0.0.1) and, when given,
    ``WANSTACK_DATABASE_URL``. No other WANSTACK_/DASHSCOPE_ variable leaks in.
    """
    data_dir.mkdir(parents=True, exist_ok=True)
    full_env = clean_environ()
    full_env["WANSTACK_DATA_DIR"] = str(data_dir)
    if allow_private_urls:
        full_env["WANSTACK_ALLOW_PRIVATE_URLS"] = "1"
    if database_url:
        full_env["WANSTACK_DATABASE_URL"] = database_url
    full_env.update(env or {})
    log_path = data_dir.parent / f"{data_dir.name}-serve.log"
    last_error = ""
    for _ in range(3):  # a free port can be taken between choosing it and binding it
        port = free_port()
        with log_path.open("ab") as log:
            process = subprocess.Popen(
                wanstack_command("serve", "--host", "127.0.0.1", "--port", str(port)),
                env=full_env,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
        base_url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + startup_timeout
        while time.monotonic() < deadline and process.poll() is None:
            with (
                contextlib.suppress(OSError, urllib.error.URLError),
                urllib.request.urlopen(f"{base_url}/healthz", timeout=2) as resp,
            ):
                if resp.status == 200:
                    break
            time.sleep(0.1)
        if process.poll() is None and time.monotonic() < deadline:
            key = (data_dir / "default-api-key").read_text().strip()
            return WanstackProcess(
                base_url=base_url,
                port=port,
                process=process,
                data_dir=data_dir,
                env=full_env,
                log_path=log_path,
                api_key=key,
            )
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)
        last_error = log_path.read_text(errors="replace")[-4000:]
        if "address already in use" not in last_error.lower():
            break
    raise RuntimeError(f"wanstack serve did not become healthy; log tail:\n{last_error}")


class WanstackLauncher:
    """Starts servers under one temporary folder and stops them all at teardown."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.servers: list[WanstackProcess] = []

    def start(
        self,
        name: str,
        env: Mapping[str, str] | None = None,
        *,
        database_url: str | None = None,
    ) -> WanstackProcess:
        server = start_wanstack(self.root / name, env, database_url=database_url)
        self.servers.append(server)
        return server

    def stop_all(self) -> list[str]:
        """Stop every server; the problems found (non-zero exit, no exit within 20 s)."""
        problems = []
        for server in self.servers:
            if server.process.poll() is not None:
                code: int | None = server.process.returncode  # stopped by a test, or died
            else:
                code = server.stop()
            if code is None:
                problems.append(
                    f"{server.data_dir.name}: no exit within {STOP_TIMEOUT_S:.0f} s of SIGTERM"
                )
                continue
            if code != 0:
                problems.append(
                    f"{server.data_dir.name}: exit status {code}; log tail:\n"
                    + server.log_text()[-3000:]
                )
        return problems


@contextlib.contextmanager
def _launcher(root: Path) -> Iterator[WanstackLauncher]:
    launcher = WanstackLauncher(root)
    try:
        yield launcher
    finally:
        problems = launcher.stop_all()
    if problems:
        pytest.fail("wanstack serve did not shut down cleanly:\n" + "\n".join(problems))


@pytest.fixture
def wanstack_launcher(tmp_path: Path) -> Iterator[WanstackLauncher]:
    """Servers that live for one test."""
    with _launcher(tmp_path / "wanstack") as launcher:
        yield launcher


@pytest.fixture(scope="module")
def wanstack_module_launcher(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[WanstackLauncher]:
    """Servers shared by the tests of one module."""
    with _launcher(tmp_path_factory.mktemp("wanstack")) as launcher:
        yield launcher


# --------------------------------------------------------------------------- input media


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@dataclass
class MediaServer:
    root: Path
    base_url: str

    def url(self, name: str) -> str:
        return f"{self.base_url}/{name}"

    def put(self, name: str, data: bytes) -> str:
        (self.root / name).write_bytes(data)
        return self.url(name)


@pytest.fixture(scope="session")
def media_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MediaServer]:
    root = tmp_path_factory.mktemp("media")
    handler = functools.partial(_QuietHandler, directory=str(root))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, name="media-server", daemon=True)
    thread.start()
    try:
        yield MediaServer(root=root, base_url=f"http://127.0.0.1:{httpd.server_address[1]}")
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)


def _encode(array: np.ndarray, fmt: str) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(array).save(buf, format=fmt)
    return buf.getvalue()


def photo_array(width: int = 512, height: int = 384, seed: int = 7) -> np.ndarray:
    """A photo-like RGB picture: sky/ground gradients, a sun, a few blocks and fine noise."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    horizon = height * 0.55
    sky = np.stack([90 + 60 * y / horizon, 140 + 50 * y / horizon, 230 - 30 * y / horizon], axis=-1)
    ground = np.stack(
        [70 + 40 * x / width, 120 - 40 * (y - horizon) / height, 50 + 20 * x / width], axis=-1
    )
    img = np.where((y < horizon)[..., None], sky, ground)
    sun = (x - width * 0.8) ** 2 + (y - height * 0.2) ** 2 < (min(width, height) * 0.08) ** 2
    img[sun] = (250, 230, 120)
    for i in range(4):
        x0 = int(width * (0.08 + 0.2 * i))
        y0 = int(horizon - height * (0.1 + 0.05 * i))
        img[y0 : int(horizon), x0 : x0 + width // 12] = (120 + 30 * i, 80 + 20 * i, 60)
    img += rng.normal(0, 6, img.shape)
    return np.clip(img, 0, 255).astype(np.uint8)


def photo_png(width: int = 512, height: int = 384, seed: int = 7) -> bytes:
    return _encode(photo_array(width, height, seed), "PNG")


def photo_gif(width: int = 512, height: int = 384) -> bytes:
    return _encode(photo_array(width, height), "GIF")


def mask_png(
    width: int = 512,
    height: int = 384,
    rect: tuple[float, float, float, float] = (0.3, 0.25, 0.65, 0.7),
) -> bytes:
    """Black image with a white rectangle (fractions x0, y0, x1, y1 of the size)."""
    mask = np.zeros((height, width), dtype=np.uint8)
    x0, y0, x1, y1 = rect
    mask[int(height * y0) : int(height * y1), int(width * x0) : int(width * x1)] = 255
    return _encode(mask, "PNG")
