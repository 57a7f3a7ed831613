"""The cluster, for real: one database, one S3 bucket (SeaweedFS), two ``wanstack serve
--workers 0`` API processes and one ``wanstack worker --models …`` per model group, each process
with its own data folder, started from the table in :mod:`tests.support.cluster` (the one the
deployment files are checked against).

Tasks of every model of both groups go in through both APIs, alternating. Mid-run an image worker
and an API process are SIGKILLed and restarted, then the video worker. Every task must end
SUCCEEDED, every result URL of either API's answer must fetch the same bytes, each task's results
must come from one attempt only, no data folder may hold anything but the harness's logs, and
nothing accepted may be lost or duplicated. Run on PostgreSQL (the many-machines database) and on
SQLite (every process on one machine, opening one database file outside the data folders).
"""

from __future__ import annotations

import contextlib
import io
import sqlite3
import subprocess
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
from PIL import Image

from tests.support.cluster import (
    IMAGE_MODELS,
    MIGRATE,
    ROLES,
    TEST_SETTINGS,
    VIDEO_MODELS,
)
from tests.support.media import MediaServer, mask_png, photo_png
from tests.support.postgres import PostgresServer
from tests.support.processes import Deployment, Process, Server, wanstack_command
from tests.support.s3 import S3Server

TASKS_PER_MODEL = 2
FINAL = {"SUCCEEDED", "FAILED", "CANCELED", "UNKNOWN"}
SUBMIT = "/api/v1/services/aigc/"


def bodies(media: MediaServer) -> dict[str, tuple[str, dict[str, Any]]]:
    """A valid request (endpoint, body) per model of the cluster."""
    photo = media.put("cluster-photo.png", photo_png(512, 384))
    mask = media.put("cluster-mask.png", mask_png(512, 384))
    product = io.BytesIO()  # the background model wants a cut-out product (RGBA)
    Image.new("RGBA", (256, 256), (200, 40, 40, 255)).save(product, format="PNG")
    cutout = media.put("cluster-product.png", product.getvalue())
    t2i = {"input": {"prompt": "a lighthouse at dusk"}, "parameters": {"n": 1, "size": "512*512"}}
    return {
        "wanx-x-painting": (
            "image2image/image-synthesis",
            {
                "input": {"prompt": "fill it", "base_image_url": photo, "mask_image_url": mask},
                "parameters": {"n": 1, "size": "1024*1024"},
            },
        ),
        "wanx-background-generation-v2": (
            "background-generation/generation",
            {"input": {"base_image_url": cutout, "ref_prompt": "flowers"}, "parameters": {"n": 1}},
        ),
        "wan2.6-image": (
            "image-generation/generation",
            {
                "input": {"messages": [{"role": "user", "content": [{"text": "a red barn"}]}]},
                "parameters": {"n": 1, "size": "768*768"},
            },
        ),
        "wan2.2-t2i-flash": ("text2image/image-synthesis", t2i),
        "wanx2.1-t2i-turbo": ("text2image/image-synthesis", t2i),
        "wan2.6-t2v": (
            "video-generation/video-synthesis",
            {"input": {"prompt": "a cat runs"}, "parameters": {"duration": 2, "size": "960*960"}},
        ),
        "wan2.6-i2v": (
            "video-generation/video-synthesis",
            {"input": {"img_url": photo}, "parameters": {"duration": 2}},
        ),
    }


class Cluster:
    """The processes of one cluster: a :class:`Deployment` (own data folder) per process."""

    def __init__(self, root: Path, env: dict[str, str]) -> None:
        self.root, self.env = root, env
        self.deployments: dict[str, Deployment] = {}
        self.processes: dict[str, Process] = {}

    def deployment(self, name: str) -> Deployment:
        if name not in self.deployments:
            self.deployments[name] = Deployment(self.root / name, dict(self.env))
        return self.deployments[name]

    def run(self, name: str, *args: str) -> str:
        dep = self.deployment(name)
        dep.data_dir.mkdir(parents=True, exist_ok=True)
        done = subprocess.run(
            wanstack_command(*args), env=dep.env(), capture_output=True, text=True, timeout=60
        )
        assert done.returncode == 0, f"wanstack {' '.join(args)}: {done.stderr}"
        return done.stdout

    def start(self, name: str, role: str) -> Process:
        """Start (or restart) process ``name`` as ``role`` of :data:`ROLES`."""
        spec = ROLES[role]
        dep = self.deployment(name)
        dep.env_overrides.update(spec.env)
        if role == "api":
            proc: Process = dep.serve(*spec.args[1:])
        else:
            proc = dep.worker(f"{name}-{len(dep.processes)}", *spec.args[1:])
        self.processes[name] = proc
        return proc

    def api(self, name: str) -> Server:
        proc = self.processes[name]
        assert isinstance(proc, Server)
        return proc

    def logs(self) -> str:
        return "\n".join(f"== {n}\n{d.logs()}" for n, d in self.deployments.items())


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def cluster(
    request: pytest.FixtureRequest, tmp_path: Path, s3_server: S3Server
) -> Iterator[Cluster]:
    if request.param == "postgres":
        postgres_server: PostgresServer = request.getfixturevalue("postgres_server")
        database = postgres_server.create_database()  # empty: migrate makes it
    else:  # one machine: every process opens the same SQLite file (outside the data folders)
        database = f"sqlite:///{tmp_path / 'cluster.db'}"
    env = {
        **s3_server.env(),
        "WANSTACK_DATABASE_URL": database,
        "WANSTACK_STORAGE_URL": s3_server.storage_url(),
        "WANSTACK_S3_ENDPOINT_URL": s3_server.endpoint,
        "WANSTACK_SECRET_KEY": "cluster-secret",
        **TEST_SETTINGS,
    }
    c = Cluster(tmp_path / "cluster", env)
    try:
        yield c
    except BaseException:
        print(c.logs())
        raise
    finally:
        for dep in c.deployments.values():
            dep.kill_all()


def task_rows(url: str) -> list[tuple[str, str, int]]:
    """(id, status, attempts) of every task row, read directly from the database."""
    query = "SELECT id, status, attempts FROM task"
    if url.startswith("sqlite"):
        with contextlib.closing(sqlite3.connect(url.split("///", 1)[1])) as conn:
            return list(conn.execute(query).fetchall())
    with psycopg.connect(url.replace("postgresql+psycopg", "postgresql")) as pg:
        return [tuple(r) for r in pg.execute(query).fetchall()]  # type: ignore[misc]


def result_urls(value: object, prefix: str) -> list[str]:
    """Every string in an answer's ``output`` that is a URL of the bucket."""
    if isinstance(value, str):
        return [value] if value.startswith(prefix) else []
    if isinstance(value, dict):
        return [u for v in value.values() for u in result_urls(v, prefix)]
    if isinstance(value, list):
        return [u for v in value for u in result_urls(v, prefix)]
    return []


def wait_running(http: httpx.Client, ids: list[str], timeout: float = 20) -> str:
    """The first of ``ids`` seen RUNNING."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for task_id in ids:
            if http.get(f"/api/v1/tasks/{task_id}").json()["output"]["task_status"] == "RUNNING":
                return task_id
        time.sleep(0.05)
    raise TimeoutError(f"none of {ids} ran within {timeout} s")


def test_cluster_survives_killed_workers_and_apis(
    cluster: Cluster, s3_server: S3Server, media_server: MediaServer
) -> None:
    started = time.monotonic()
    requests = bodies(media_server)
    assert set(requests) == set(IMAGE_MODELS + VIDEO_MODELS)
    cluster.run("admin", *MIGRATE)
    key = cluster.run("admin", "keys", "create", "--account", "default").strip()
    # the workers first (they do not wait for anything), then both APIs at once
    cluster.start("worker-images", "worker-images")
    cluster.start("worker-video", "worker-video")
    with ThreadPoolExecutor(2) as pool:
        list(pool.map(lambda name: cluster.start(name, "api"), ["api-a", "api-b"]))

    def client(api: str) -> httpx.Client:
        return httpx.Client(
            base_url=cluster.api(api).base_url,
            headers={"Authorization": f"Bearer {key}"},
            timeout=10,
        )

    apis = {"api-a": client("api-a"), "api-b": client("api-b")}
    submitted: dict[str, str] = {}  # task id → model
    faults = 0

    def submit_wave(through: list[str], per_model: int = TASKS_PER_MODEL) -> list[str]:
        ids = []
        for i, (model, (endpoint, body)) in enumerate(
            (m, requests[m]) for _ in range(per_model) for m in requests
        ):
            http = apis[through[i % len(through)]]
            r = http.post(
                SUBMIT + endpoint,
                json={"model": model, **body},
                headers={"X-DashScope-Async": "enable"},
            )
            assert r.status_code == 200, (model, r.text)
            task_id = str(r.json()["output"]["task_id"])
            assert task_id not in submitted
            submitted[task_id] = model
            ids.append(task_id)
        return ids

    phases = {"start": time.monotonic() - started}
    first = submit_wave(["api-a", "api-b"])

    # 1. SIGKILL the image worker while one of its tasks runs, and API a with it.
    images = [t for t in first if submitted[t] in IMAGE_MODELS]
    wait_running(apis["api-b"], images)
    cluster.processes["worker-images"].kill()
    cluster.processes["api-a"].kill()
    faults += 2
    with pytest.raises(httpx.TransportError):
        apis["api-a"].get("/api/v1/tasks/" + first[0])
    # the other API keeps answering and accepting while they are down
    submit_wave(["api-b"], per_model=1)
    cluster.start("worker-images", "worker-images")
    cluster.start("api-a", "api")
    apis["api-a"] = client("api-a")  # a restarted API listens on a new port

    # 2. SIGKILL the video worker mid-video, restart it, and submit through both APIs again.
    videos = [t for t in submitted if submitted[t] in VIDEO_MODELS]
    wait_running(apis["api-a"], videos)
    cluster.processes["worker-video"].kill()
    faults += 1
    cluster.start("worker-video", "worker-video")
    submit_wave(["api-b", "api-a"])

    phases["faults"] = time.monotonic() - started
    # 3. Every task ends SUCCEEDED, queried through both APIs, alternating.
    deadline = time.monotonic() + 60
    pending = set(submitted)
    finals: dict[str, str] = {}
    turn = 0
    while pending and time.monotonic() < deadline:
        for task_id in sorted(pending):
            http = apis[("api-a", "api-b")[turn % 2]]
            turn += 1
            answer = http.get(f"/api/v1/tasks/{task_id}").json()
            status = answer["output"]["task_status"]
            if status in FINAL:
                finals[task_id] = f"{status} {submitted[task_id]}: {answer['output']}"
                pending.discard(task_id)
        time.sleep(0.2)
    assert not pending, f"{len(pending)} tasks never finished: {sorted(pending)[:5]}"
    succeeded = [t for t, s in finals.items() if s.startswith("SUCCEEDED")]
    assert len(succeeded) == len(submitted), [s for s in finals.values() if s[0] != "S"]

    phases["drained"] = time.monotonic() - started
    # 4. Every result URL of either API's answer fetches, the same bytes from both.
    bucket = f"{s3_server.endpoint}/{s3_server.bucket}/"
    fetched = 0
    for task_id in submitted:
        answers = [apis[a].get(f"/api/v1/tasks/{task_id}").json()["output"] for a in apis]
        urls = [result_urls(out, bucket) for out in answers]
        assert urls[0] and len(urls[0]) == len(urls[1]), (task_id, answers)
        for url_a, url_b in zip(*urls, strict=True):
            got_a, got_b = httpx.get(url_a, timeout=10), httpx.get(url_b, timeout=10)
            assert got_a.status_code == got_b.status_code == 200, (url_a, got_a.text[:200])
            assert got_a.content == got_b.content and len(got_a.content) > 100
            fetched += 1

    # 5. Nothing lost, nothing duplicated: one row per accepted submit, each task's results
    #    from exactly one attempt (a discarded attempt's objects are deleted at once).
    rows = task_rows(cluster.env["WANSTACK_DATABASE_URL"])
    assert sorted(r[0] for r in rows) == sorted(submitted)
    assert {r[1] for r in rows} == {"SUCCEEDED"}
    reruns = sum(1 for r in rows if r[2] > 1)
    prefix = cluster.env["WANSTACK_STORAGE_URL"].split("/", 3)[3] + "/results/"
    attempts_stored: dict[str, set[str]] = {}
    for key_ in s3_server.keys(prefix):
        task_id, attempt = key_[len(prefix) :].split("/")[:2]
        attempts_stored.setdefault(task_id, set()).add(attempt)
    assert set(attempts_stored) == set(submitted)
    duplicated = sum(1 for a in attempts_stored.values() if len(a) != 1)
    assert duplicated == 0, {t: a for t, a in attempts_stored.items() if len(a) != 1}

    # 6. Nothing on local disk: each data folder holds only the logs this harness redirects.
    for name, dep in cluster.deployments.items():
        files = sorted(str(p.relative_to(dep.data_dir)) for p in dep.data_dir.rglob("*"))
        logs = sorted(p.log_path.name for p in dep.processes)
        assert files == logs, (name, files)

    # 7. The survivors and the restarted processes stop cleanly.
    for name, proc in cluster.processes.items():
        assert proc.stop() == 0, (name, proc.log_text()[-3000:])

    took = time.monotonic() - started
    print(
        f"\ncluster: {len(submitted)} tasks submitted, {len(succeeded)} succeeded, "
        f"{len(submitted) - len(succeeded)} lost, {duplicated} duplicated, "
        f"{faults} faults injected (SIGKILL), {reruns} tasks run again after a kill, "
        f"{fetched} result URLs fetched through both APIs, {took:.1f} s "
        f"({', '.join(f'{k} at {v:.1f} s' for k, v in phases.items())})"
    )
