"""Signed webhooks with real processes: a receiver that is down at first, a server killed with
SIGKILL and restarted in between, and every task's event arriving afterwards, each signature
verified with the reference Standard Webhooks library (``standardwebhooks``).

The issue's scenario ("down for the first minute") runs here with a real down period of about
ten seconds and a retry schedule scaled down to match (``WANSTACK_WEBHOOK_RETRY_SCHEDULE`` of
1–2 s waits); the 24 h schedule itself is walked on a frozen clock in the integration tier.
On SQLite and on a real PostgreSQL, where a ``wanstack worker`` sends events beside the server.
"""

from __future__ import annotations

import json
import re
import subprocess
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
import standardwebhooks

from tests.support.processes import Client, Deployment, wanstack_command
from tests.support.webhook_receiver import Received, Receiver

PUBLIC_URL = "http://wanstack.test"  # events built before and after the restart agree on it
SCHEDULE = "1,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2"
FINAL = {"SUCCEEDED", "FAILED", "CANCELED"}


@pytest.fixture
def deployment(tmp_path: Path, database_url: str) -> Iterator[Deployment]:
    dep = Deployment(
        data_dir=tmp_path / "data",
        env_overrides={
            "WANSTACK_SECRET_KEY": "acceptance-secret",
            "WANSTACK_DATABASE_URL": database_url,
            "WANSTACK_PUBLIC_URL": PUBLIC_URL,
            "WANSTACK_ENGINES": json.dumps({"wanx-x-painting": "fake"}),
            "WANSTACK_ENGINE_OPTIONS": json.dumps({"fake": {"delay": 1.0}}),
            "WANSTACK_LEASE_SECONDS": "2",
            "WANSTACK_POLL_SECONDS": "0.2",
            "WANSTACK_WEBHOOK_RETRY_SCHEDULE": SCHEDULE,
            "WANSTACK_WEBHOOK_TIMEOUT_SECONDS": "5",
        },
    )
    try:
        yield dep
    except BaseException:
        print(dep.logs())
        raise
    finally:
        dep.kill_all()


def webhooks_cli(dep: Deployment, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        wanstack_command("webhooks", *args),
        env=dep.env(),
        capture_output=True,
        text=True,
        timeout=60,
    )


def deliveries(dep: Deployment) -> list[str]:
    """The delivery lines of ``wanstack webhooks deliveries`` (attempts are indented)."""
    done = webhooks_cli(dep, "deliveries", "--limit", "200")
    assert done.returncode == 0, done.stderr
    return [line for line in done.stdout.splitlines() if not line.startswith("  ")]


def attempts_of(line: str) -> int:
    found = re.search(r"\battempts=(\d+)", line)
    assert found, line
    return int(found.group(1))


def test_a_receiver_down_at_first_gets_every_event_across_a_server_kill(
    deployment: Deployment, database_url: str
) -> None:
    receiver = Receiver()  # its port is chosen, but nothing listens: connections are refused
    added = webhooks_cli(deployment, "add", receiver.url, "--account", "default")
    assert added.returncode == 0, added.stderr
    secret = added.stdout.strip()
    assert re.fullmatch(r"whsec_[A-Za-z0-9+/]{43}=", secret), added.stdout
    listed = webhooks_cli(deployment, "list")
    assert receiver.url in listed.stdout and "whsec_" not in listed.stdout

    down_since = time.monotonic()
    server = deployment.serve("--workers", "2")
    client = Client(server.base_url, server.api_key)
    tasks = [client.submit() for _ in range(8)]
    doomed = client.http.post(  # an input nobody serves: this task FAILS
        "/api/v1/services/aigc/image2image/image-synthesis",
        json={
            "model": "wanx-x-painting",
            "input": {
                "prompt": "x",
                "base_image_url": "http://127.0.0.1:1/none.png",
                "mask_image_url": "http://127.0.0.1:1/none.png",
            },
        },
        headers={"X-DashScope-Async": "enable"},
    ).json()["output"]["task_id"]
    tasks.append(doomed)
    canceled = client.submit()
    assert client.http.post(f"/api/v1/tasks/{canceled}/cancel").status_code == 200
    tasks.append(canceled)
    # Some events have been tried (and refused) while other tasks are still running or queued.
    client.wait_for(tasks[0], FINAL, timeout=30)
    deadline = time.monotonic() + 30
    while not any(attempts_of(line) >= 2 for line in deliveries(deployment)):
        assert time.monotonic() < deadline, deliveries(deployment)
        time.sleep(0.3)
    server.kill()  # SIGKILL: pending deliveries, running and queued tasks left behind

    server = deployment.serve("--workers", "2")
    worker = deployment.worker()  # a second process sending from the same outbox
    client = Client(server.base_url, server.api_key)
    time.sleep(2.0)
    receiver.start()
    down_s = time.monotonic() - down_since
    try:
        statuses = {t: client.wait_for(t, FINAL, timeout=60)["task_status"] for t in tasks}
        got = receiver.wait_for(
            lambda r: {x.event["data"]["task_id"] for x in r} >= set(tasks), timeout=60
        )
        time.sleep(2.0)  # anything sent twice would have arrived by now
        got = receiver.snapshot()
    finally:
        receiver.stop()
    assert worker.stop() == 0

    # Every signature verifies with the reference library, and each event is its task's.
    hook = standardwebhooks.Webhook(secret)
    for item in got:
        event = hook.verify(item.body, item.headers)
        assert event["id"] == item.headers["webhook-id"] == f"msg_{event['data']['task_id']}"
    by_id: dict[str, Received] = {}
    for item in got:
        by_id.setdefault(item.headers["webhook-id"], item)
    events = {r.event["data"]["task_id"]: r.event for r in by_id.values()}
    assert set(events) == set(tasks)
    for task_id, event in events.items():
        data = event["data"]
        assert data["task_status"] == statuses[task_id]
        queried = client.http.get(f"/api/v1/tasks/{task_id}").json()
        assert data["output"] == queried["output"]  # the same JSON as the task query
        assert data.get("usage") == queried.get("usage")
    assert statuses[doomed] == "FAILED" and statuses[canceled] == "CANCELED"
    assert Counter(statuses.values())["SUCCEEDED"] == 8

    lines = deliveries(deployment)
    assert len(lines) == len(tasks) and all("\tdelivered\t" in line for line in lines), lines
    attempts = sum(attempts_of(line) for line in lines)
    refused = sum(1 for line in lines if attempts_of(line) > 1)
    duplicates = len(got) - len(by_id)
    print(
        f"webhooks ({'postgres' if database_url.startswith('postgresql') else 'sqlite'}): "
        f"{len(tasks)} tasks, receiver down {down_s:.1f} s across a SIGKILL restart; "
        f"{len(got)} requests received, {len(by_id)} distinct events (duplicates: {duplicates}), "
        f"all delivered; {attempts} attempts recorded, {refused} deliveries retried"
    )
    assert refused >= 1  # the down period was real: some attempts were refused
    assert duplicates == 0  # nothing was sent before the kill (the receiver was down)

    removed = webhooks_cli(deployment, "remove", lines[0].split("\t")[0].split(":")[1])
    assert removed.returncode == 0, removed.stderr
    assert webhooks_cli(deployment, "list").stdout == ""
