"""Model-aware workers as real processes: ``wanstack serve --workers 0`` for the API, one
``wanstack worker --models …`` per model group, and ``wanstack workers`` (on SQLite, then on a
real PostgreSQL).

A task of a model no live worker serves stays PENDING (``wanstack workers`` and ``/metrics``
say so), is never claimed by a worker of another model, and runs as soon as a worker that
serves its model starts. Unknown model names are refused at start, naming where they came from.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from tests.support.processes import Client, Deployment, wanstack_command
from wanstack.config import Settings
from wanstack.container import Container
from wanstack.errors import ConfigError
from wanstack.worker.registry import WorkerState
from wanstack.worker.report import as_dict

PAINT, T2V = "wanx-x-painting", "wan2.6-t2v"
ENGINES = {PAINT: "fake", T2V: "fake", "wanx2.1-t2v-turbo": "fake"}


@pytest.fixture
def deployment(tmp_path: Path, database_url: str) -> Iterator[Deployment]:
    dep = Deployment(
        data_dir=tmp_path / "data",
        env_overrides={
            "WANSTACK_SECRET_KEY": "acceptance-secret",
            "WANSTACK_DATABASE_URL": database_url,
            "WANSTACK_ENGINES": json.dumps(ENGINES),
            "WANSTACK_ENGINE_OPTIONS": json.dumps({"fake": {"delay": 0.2}}),
            "WANSTACK_POLL_SECONDS": "0.2",
            "WANSTACK_WORKER_HEARTBEAT_SECONDS": "1",
        },
    )
    try:
        yield dep
    except BaseException:
        print(dep.logs())
        raise
    finally:
        dep.kill_all()


def wanstack(dep: Deployment, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        wanstack_command(*args), env=dep.env(), capture_output=True, text=True, timeout=60
    )


def submit_video(client: Client) -> str:
    body = {
        "model": T2V,
        "input": {"prompt": "a cat runs"},
        "parameters": {"duration": 2, "size": "960*960"},
    }
    r = client.http.post(
        "/api/v1/services/aigc/video-generation/video-synthesis",
        json=body,
        headers={"X-DashScope-Async": "enable"},
    )
    assert r.status_code == 200, r.text
    return str(r.json()["output"]["task_id"])


def registry(dep: Deployment) -> list[WorkerState]:
    """The worker registry read straight from the database."""

    async def read() -> list[WorkerState]:
        settings = Settings(
            data_dir=dep.data_dir, database_url=dep.env_overrides["WANSTACK_DATABASE_URL"]
        )
        container = Container.build(settings, migrate=False)
        try:
            return await container.workers.workers(now=container.clock.now_ms())
        finally:
            await container.db.dispose()

    return asyncio.run(read())


def unserved_gauge(server_url: str) -> dict[str, float]:
    text = httpx.get(server_url + "/metrics", timeout=10).text
    found = {}
    for line in text.splitlines():
        if line.startswith("wanstack_tasks_unserved{"):
            labels, value = line.rsplit(" ", 1)
            found[labels.split('"')[1]] = float(value)
    return found


def test_a_task_no_worker_serves_waits_then_runs_when_its_worker_starts(
    deployment: Deployment,
) -> None:
    painter = deployment.worker("painter", "--models", PAINT)  # starts while serve does
    server = deployment.serve("--workers", "0")
    client = Client(server.base_url, server.api_key)
    video = submit_video(client)
    image = client.submit()
    assert client.wait_for(image, {"SUCCEEDED", "FAILED"})["task_status"] == "SUCCEEDED"
    time.sleep(0.6)  # three polls of the painting worker
    assert client.status(video)["task_status"] == "PENDING"

    # `wanstack workers` and /metrics say why it waits
    table = wanstack(deployment, "workers")
    assert table.returncode == 0, table.stderr
    lines = table.stdout.splitlines()
    assert lines[0].split() == [
        "ID", "HOST", "PID", "STATE", "HEARTBEAT", "RUNNING", "MODELS", "ENGINES"
    ]  # fmt: skip
    row = lines[1].split()
    assert row[2:5] == [str(painter.process.pid), "live", "0"] and row[-2:] == [PAINT, "fake"]
    assert lines[2:] == [f"unserved (no live worker serves these models): {T2V} (1 pending)"]
    assert unserved_gauge(server.base_url) == {T2V: 1.0}

    # a worker of the video models (one named by an alias), at most one video at a time
    deployment.env_overrides["WANSTACK_MODEL_CONCURRENCY"] = json.dumps({T2V: 1})
    video_worker = deployment.worker("video", "--models", f"{T2V},wan2.1-t2v-turbo")
    done = client.wait_for(video, {"SUCCEEDED", "FAILED"}, timeout=60)
    assert done["task_status"] == "SUCCEEDED", done
    assert video not in painter.log_text()  # never claimed by the painting worker
    assert video in video_worker.log_text()
    assert unserved_gauge(server.base_url) == {}

    states = {s.info.pid: s for s in registry(deployment)}
    assert set(states) == {painter.process.pid, video_worker.process.pid}
    shown = as_dict(states[video_worker.process.pid], time.time_ns() // 1_000_000)
    assert shown["state"] == "live" and shown["models"] == [T2V, "wanx2.1-t2v-turbo"]
    assert shown["caps"] == {T2V: 1}
    assert shown["engines"] == {T2V: "fake", "wanx2.1-t2v-turbo": "fake"}

    # a clean stop leaves the registry at once
    assert video_worker.stop() == 0
    assert [s.info.models for s in registry(deployment)] == [(PAINT,)]


def test_unknown_models_are_refused_at_start_by_setting_name(
    tmp_path: Path, make_settings: Callable[..., Settings]
) -> None:
    dep = Deployment(data_dir=tmp_path / "data")
    worker = wanstack(dep, "worker", "--models", f"{PAINT},wan9-t2v")
    assert worker.returncode == 2
    assert "--models names an unknown model 'wan9-t2v'" in worker.stderr
    # `serve` builds the same container, which checks the setting before anything starts
    with pytest.raises(ConfigError, match="WANSTACK_WORKER_MODELS names an unknown model"):
        Container.build(make_settings(worker_models="wanx-x-paint"), migrate=False)
