"""``wanstack run`` and ``wanstack batch`` as a person uses them: the commands run as processes
against real ``wanstack serve`` processes (fake engines, with a delay so tasks take time), with
``DASHSCOPE_HTTP_BASE_URL`` and ``DASHSCOPE_API_KEY`` set as for the SDK.

* ``run``: local files go through the upload flow (the server stores ``oss://`` keys), results are
  downloaded; a refused submit exits 1 with the code; Ctrl-C cancels the task and exits 130.
* ``batch``: a 40-line manifest SIGKILLed halfway and run again ends with exactly one task per
  line on the server, each SUCCEEDED with its files; Ctrl-C stops cleanly and resumes; a refused
  line is reported and the rest go on; a changed manifest is refused; a folder plus a template.
* 429: against a server emulating DashScope's rate limits (2 submits/s), the client waits for
  ``Retry-After`` and every line still gets exactly one task.
"""

from __future__ import annotations

import asyncio
import csv
import io
import json
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import pytest
from PIL import Image

from tests.support.media import mask_png, photo_png
from tests.support.processes import Launcher, Server, wanstack_command
from wanstack.catalog.registry import MODELS
from wanstack.config import Settings
from wanstack.container import Container

README = Path(__file__).resolve().parents[2] / "README.md"
#: every model on the fake engines, 0.3 s a task; wan2.6-t2v slow enough to be interrupted
ENGINE_OPTIONS = {"fake": {"delay": 0.3}, "wan2.6-t2v": {"delay": 30}}
FAKE_ENGINES = json.dumps(dict.fromkeys(MODELS, "fake"))
ACCOUNTS = ("batch-kill", "batch-window", "batch-interrupt", "batch-folder")


@pytest.fixture(scope="module")
def server(wanstack_module_launcher: Launcher) -> Server:
    started = wanstack_module_launcher.start(
        "clients",
        {
            "WANSTACK_ENGINES": FAKE_ENGINES,
            "WANSTACK_ENGINE_OPTIONS": json.dumps(ENGINE_OPTIONS),
            "WANSTACK_WORKERS": "4",
        },
    )
    assert started.ready(), started.log_text()[-3000:]
    return started


@pytest.fixture(scope="module")
def keys(server: Server) -> dict[str, str]:
    """A key of its own account for each batch test, so the server's task list is its own."""

    async def create() -> dict[str, str]:
        container = Container.build(Settings(data_dir=server.deployment.data_dir), migrate=False)
        try:
            return {name: await container.accounts.create_key(name) for name in ACCOUNTS}
        finally:
            await container.db.dispose()

    return asyncio.run(create())


@pytest.fixture
def images(tmp_path: Path) -> Path:
    """A folder with ``base.png`` (a 512×384 photo) and ``mask.png``."""
    (tmp_path / "base.png").write_bytes(photo_png(512, 384))
    (tmp_path / "mask.png").write_bytes(mask_png(512, 384))
    return tmp_path


def client_env(server: Server, key: str | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DASHSCOPE_", "WANSTACK_"))}
    env.update(
        DASHSCOPE_HTTP_BASE_URL=server.api_base,
        DASHSCOPE_API_KEY=key or server.api_key,
        NO_PROXY="127.0.0.1",
        no_proxy="127.0.0.1",
    )
    return env


def wanstack(
    *args: str, env: dict[str, str], cwd: Path, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        wanstack_command(*args), env=env, cwd=cwd, capture_output=True, text=True, timeout=timeout
    )


class Running:
    """A command in the background; its stderr collected line by line as it comes."""

    def __init__(self, args: list[str], env: dict[str, str], cwd: Path) -> None:
        self.process = subprocess.Popen(
            wanstack_command(*args),
            env=env,
            cwd=cwd,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.lines: list[str] = []
        self.out: list[str] = []
        self._readers = [
            threading.Thread(target=self.lines.extend, args=(self.process.stderr,), daemon=True),
            threading.Thread(target=self.out.extend, args=(self.process.stdout,), daemon=True),
        ]
        for reader in self._readers:
            reader.start()

    def wait_for(self, pattern: str, timeout: float = 30) -> re.Match[str]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for line in list(self.lines):
                if found := re.search(pattern, line):
                    return found
            assert self.process.poll() is None, "".join(self.lines)
            time.sleep(0.05)
        raise AssertionError(f"no {pattern!r} in:\n{''.join(self.lines)}")

    def finish(self, timeout: float = 30) -> tuple[int, str, str]:
        """Wait for the exit; its status, stdout and stderr."""
        code = self.process.wait(timeout=timeout)
        for reader in self._readers:
            reader.join(timeout=5)
        return code, "".join(self.out), "".join(self.lines)


def server_tasks(server: Server, key: str) -> list[dict[str, Any]]:
    """Every task of the key's account, through ``GET /api/v1/tasks`` page by page."""
    items: list[dict[str, Any]] = []
    page = 1
    while True:
        answer = httpx.get(
            server.api_base + "/tasks",
            params={"page_no": page, "page_size": 100},
            headers={"Authorization": f"Bearer {key}"},
            timeout=10,
        )
        assert answer.status_code == 200, answer.text
        body = answer.json()
        items += body["data"]
        if page >= body["total_page"]:
            return items
        page += 1


def journal(out: Path) -> list[dict[str, Any]]:
    """The batch journal's records (a last line still being written is left out)."""
    records = []
    for line in (out / "state.jsonl").read_text().splitlines(keepends=True):
        if line.endswith("\n"):
            records.append(json.loads(line))
    return records


def report(out: Path) -> list[dict[str, str]]:
    with (out / "report.csv").open(newline="") as f:
        return list(csv.DictReader(f))


def x_painting_manifest(path: Path, count: int, *, bad: frozenset[int] = frozenset()) -> list[int]:
    """A JSONL manifest of ``count`` x-painting requests on ``base.png`` / ``mask.png`` (paths
    relative to the manifest), a comment and a blank line first; ``bad`` request indexes ask
    for n=9. The line numbers of the requests."""
    lines = ["# products to repaint", ""]
    for i in range(count):
        body = {
            "model": "wanx-x-painting",
            "input": {
                "prompt": f"产品 {i}: a vase on a table",
                "base_image_url": "base.png",
                "mask_image_url": "mask.png",
            },
            "parameters": {"n": 9 if i in bad else 1, "size": "1024*1024"},
        }
        lines.append(json.dumps(body, ensure_ascii=False))
    path.write_text("\n".join(lines) + "\n")
    return list(range(3, 3 + count))


def assert_png(path: Path, size: tuple[int, int] | None = None) -> None:
    with Image.open(io.BytesIO(path.read_bytes())) as img:
        assert img.format == "PNG"
        if size is not None:
            assert img.size == size


# -- wanstack run ------------------------------------------------------------------------------


def test_run_uploads_local_files_and_downloads_the_results(server: Server, images: Path) -> None:
    done = wanstack(
        "run",
        "wanx-x-painting",
        "--input",
        "base_image_url=base.png",
        "--input",
        f"mask_image_url=file://{images / 'mask.png'}",
        "--input",
        "prompt=把桌上的花瓶换成红色",
        "--param",
        "n=2",
        "--param",
        "size=1024*1024",
        "--out",
        "results",
        env=client_env(server),
        cwd=images,
    )
    assert done.returncode == 0, done.stderr
    paths = [images / line for line in done.stdout.splitlines()]
    assert len(paths) == 2 and all(p.parent == images / "results" for p in paths), done.stdout
    for path in paths:
        assert_png(path, (1024, 1024))
    task_id = re.search(r"task ([0-9a-f-]{36})", done.stderr)
    assert task_id, done.stderr
    assert "SUCCEEDED" in done.stderr
    # The server saw oss:// keys of files uploaded through the policy flow, not the paths.
    with sqlite3.connect(server.deployment.data_dir / "wanstack.db") as db:
        row = db.execute("SELECT input FROM task WHERE id = ?", (task_id.group(1),)).fetchone()
        stored = json.loads(row[0])
        uploads = {r[0] for r in db.execute("SELECT key FROM upload")}
    for field, name in (("base_image_url", "base.png"), ("mask_image_url", "mask.png")):
        assert stored[field].startswith("oss://") and stored[field].endswith("/" + name)
        assert stored[field].removeprefix("oss://") in uploads
        assert f"as {stored[field]}" in done.stderr


def test_run_reports_a_refused_submit(server: Server, images: Path) -> None:
    done = wanstack(
        "run",
        "wanx-x-painting",
        "--input",
        "base_image_url=base.png",
        "--input",
        "mask_image_url=mask.png",
        "--input",
        "prompt=x",
        "--param",
        "n=9",
        env=client_env(server),
        cwd=images,
    )
    assert done.returncode == 1
    assert "InvalidParameter" in done.stderr and "parameters.n" in done.stderr, done.stderr
    assert done.stdout == ""


def test_run_ctrl_c_cancels_the_task(server: Server, tmp_path: Path) -> None:
    run = Running(
        ["run", "wan2.6-t2v", "--input", "prompt=海上日出，慢慢推近", "--param", "duration=5"],
        client_env(server),
        tmp_path,
    )
    task_id = run.wait_for(r"task ([0-9a-f-]{36})").group(1)
    run.wait_for(r"RUNNING")
    run.process.send_signal(signal.SIGINT)
    code, out, err = run.finish()
    assert code == 130, err
    assert f"canceled task {task_id}" in err and out == ""
    answer = httpx.get(
        f"{server.api_base}/tasks/{task_id}",
        headers={"Authorization": f"Bearer {server.api_key}"},
        timeout=10,
    )
    assert answer.json()["output"]["task_status"] == "CANCELED"


def test_run_usage_mistakes_exit_2(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DASHSCOPE_", "WANSTACK_"))}
    done = wanstack("run", "wanx-x-painting", "--input", "prompt=x", env=env, cwd=tmp_path)
    assert done.returncode == 2 and "DASHSCOPE_API_KEY" in done.stderr
    env["DASHSCOPE_API_KEY"] = "sk-x"
    done = wanstack("run", "wanx-x-painting", "--input", "prompt", env=env, cwd=tmp_path)
    assert done.returncode == 2 and "key=value" in done.stderr
    done = wanstack(
        "run",
        "wanx-x-painting",
        "--input",
        "base_image_url=file:///no/such.png",
        env=env,
        cwd=tmp_path,
    )
    assert done.returncode == 2 and "no such file" in done.stderr


# -- wanstack batch ----------------------------------------------------------------------------


def test_batch_killed_halfway_resumes_with_one_task_per_line(
    server: Server, keys: dict[str, str], images: Path
) -> None:
    key = keys["batch-kill"]
    env = client_env(server, key)
    lines = x_painting_manifest(images / "manifest.jsonl", 40)
    out = images / "out"
    started = time.monotonic()
    first = Running(["batch", "manifest.jsonl", "--out", "out", "--concurrency", "4"], env, images)
    deadline = time.monotonic() + 40
    while time.monotonic() < deadline:
        if (out / "state.jsonl").exists():
            submitted = [r for r in journal(out) if r.get("event") == "submitted"]
            if len(submitted) >= 20:
                break
        time.sleep(0.02)
    first.process.kill()
    first.finish()
    before = journal(out)
    ids_before = {r["line"]: r["task_id"] for r in before if r.get("event") == "submitted"}
    settled_before = sum(1 for r in before if r.get("event") == "finished")
    unanswered = {r["line"] for r in before if r.get("event") == "submitting"} - set(ids_before)
    assert 20 <= len(ids_before) < 40, len(ids_before)

    second = wanstack("batch", "manifest.jsonl", "--out", "out", env=env, cwd=images)
    assert second.returncode == 0, second.stderr
    elapsed = time.monotonic() - started
    assert f"{len(ids_before)} of 40 requests have a task" in second.stderr

    records = journal(out)
    submitted = [r for r in records if r.get("event") == "submitted"]
    per_line = Counter(r["line"] for r in submitted)
    assert sorted(per_line) == lines and set(per_line.values()) == {1}  # never sent twice
    ids = {r["line"]: r["task_id"] for r in submitted}
    assert {line: ids[line] for line in ids_before} == ids_before  # followed, not resubmitted
    tasks = server_tasks(server, key)
    assert Counter(t["task_id"] for t in tasks) == Counter(ids.values())  # one task a line
    assert {t["status"] for t in tasks} == {"SUCCEEDED"}
    rows = report(out)
    assert [int(r["line"]) for r in rows] == lines
    assert {r["line"]: r["task_id"] for r in rows} == {str(k): v for k, v in ids.items()}
    assert {r["status"] for r in rows} == {"SUCCEEDED"}
    for row in rows:
        assert row["files"] == f"{row['line']}/1.png"
        assert_png(out / row["files"], (1024, 1024))
    print(
        f"\nbatch of 40 lines: {len(ids_before)} had a task when SIGKILLed "
        f"({settled_before} settled, {len(unanswered)} more sent without an answer yet), "
        f"{40 - len(ids_before)} submitted on resume, "
        f"{len(tasks)} tasks on the server for 40 lines, {len(set(ids.values()))} distinct; "
        f"{elapsed:.1f} s in all"
    )


def test_a_crash_between_the_answer_and_the_journal_costs_no_second_task(
    server: Server, keys: dict[str, str], images: Path
) -> None:
    """The window no journal can close: the server made the task, the client died before
    writing its id. The line is sent again with the same Idempotency-Key and the same body (its
    files' oss:// keys come from the journal), and the server answers with the first task."""
    key = keys["batch-window"]
    env = client_env(server, key)
    lines = x_painting_manifest(images / "manifest.jsonl", 2)
    out = images / "out"
    done = wanstack("batch", "manifest.jsonl", "--out", "out", env=env, cwd=images)
    assert done.returncode == 0, done.stderr
    records = journal(out)
    first_id = next(r["task_id"] for r in records if r.get("event") == "submitted")
    crashed = next(r["line"] for r in records if r.get("event") == "submitted")
    # As the journal stood at the crash: "submitting" written, nothing after it for that line.
    kept = [r for r in records if r.get("line") != crashed or r["event"] == "submitting"]
    (out / "state.jsonl").write_text("".join(json.dumps(r) + "\n" for r in kept))
    shutil.rmtree(out / str(crashed))

    again = wanstack("batch", "manifest.jsonl", "--out", "out", env=env, cwd=images)
    assert again.returncode == 0, again.stderr
    assert "1 sent before without an answer" in again.stderr
    resent = [r for r in journal(out) if r.get("event") == "submitted" and r["line"] == crashed]
    assert [r["task_id"] for r in resent] == [first_id]
    assert len(server_tasks(server, key)) == len(lines) == 2
    assert_png(out / str(crashed) / "1.png", (1024, 1024))


def test_batch_ctrl_c_stops_cleanly_then_resumes(
    server: Server, keys: dict[str, str], images: Path
) -> None:
    key = keys["batch-interrupt"]
    env = client_env(server, key)
    lines = x_painting_manifest(images / "manifest.jsonl", 16, bad=frozenset({2}))
    out = images / "out"
    first = Running(["batch", "manifest.jsonl", "--out", "out", "--concurrency", "3"], env, images)
    first.wait_for(r"line \d+: SUCCEEDED")
    first.process.send_signal(signal.SIGINT)
    code, summary, err = first.finish()
    assert code == 130, err
    assert "run the same command again" in err, err
    assert "unfinished" in summary, summary
    records = journal(out)
    sent = {r["line"] for r in records if r.get("event") == "submitting"}
    answered = {r["line"] for r in records if r.get("event") in ("submitted", "refused")}
    assert sent == answered  # the submits on their way were answered and journalled
    rows = {int(r["line"]): r for r in report(out)}
    assert "NOT_SUBMITTED" in {r["status"] for r in rows.values()}
    tasks_before = len(server_tasks(server, key))

    second = wanstack("batch", "manifest.jsonl", "--out", "out", env=env, cwd=images)
    assert second.returncode == 1, second.stderr  # one line was refused
    rows = {int(r["line"]): r for r in report(out)}
    refused = rows.pop(lines[2])
    assert refused["status"] == "REFUSED" and refused["task_id"] == ""
    assert refused["code"] == "InvalidParameter" and "parameters.n" in refused["message"]
    assert {r["status"] for r in rows.values()} == {"SUCCEEDED"}
    tasks = server_tasks(server, key)
    assert len(tasks) == 15 >= tasks_before
    assert {t["task_id"] for t in tasks} == {r["task_id"] for r in rows.values()}
    assert "15 succeeded, 1 failed, 0 unfinished" in second.stdout

    # A changed manifest under the same --out is refused: its lines would mix two batches.
    x_painting_manifest(images / "manifest.jsonl", 16)
    third = wanstack("batch", "manifest.jsonl", "--out", "out", env=env, cwd=images)
    assert third.returncode == 2 and "another manifest" in third.stderr, third.stderr
    assert len(server_tasks(server, key)) == 15


def test_batch_over_a_folder_of_images_with_a_template(
    server: Server, keys: dict[str, str], tmp_path: Path
) -> None:
    key = keys["batch-folder"]
    photos = tmp_path / "photos"
    photos.mkdir()
    for i, name in enumerate(("b.jpg", "a.png", "c.png")):
        img = Image.open(io.BytesIO(photo_png(400, 300, seed=i))).convert("RGB")
        img.save(photos / name)
    (photos / "notes.txt").write_text("not an image")
    (tmp_path / "mask.png").write_bytes(mask_png(400, 300))
    template = {
        "model": "wanx-x-painting",
        "input": {
            "prompt": "白色背景",
            "base_image_url": "{image}",
            "mask_image_url": str(tmp_path / "mask.png"),
        },
        "parameters": {"n": 1},
    }
    (tmp_path / "template.json").write_text(json.dumps(template, ensure_ascii=False))
    done = wanstack(
        "batch", "photos", "--template", "template.json", "--out", "out",
        env=client_env(server, key), cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    rows = report(tmp_path / "out")
    assert [(r["line"], r["source"], r["status"]) for r in rows] == [
        ("1", "a.png", "SUCCEEDED"),
        ("2", "b.jpg", "SUCCEEDED"),
        ("3", "c.png", "SUCCEEDED"),
    ]
    for row in rows:
        assert_png(tmp_path / "out" / row["files"])
    assert len(server_tasks(server, key)) == 3


# -- 429 -----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def throttled(wanstack_module_launcher: Launcher) -> Server:
    started = wanstack_module_launcher.start(
        "throttled",
        {
            "WANSTACK_ENGINES": FAKE_ENGINES,
            "WANSTACK_RATE_LIMITS": "dashscope",
            # DashScope runs one task per account at a time; here the submits are the point
            "WANSTACK_ACCOUNT_CONCURRENCY": "6",
        },
    )
    assert started.ready(), started.log_text()[-3000:]
    return started


def test_batch_waits_out_429_retry_after(throttled: Server, images: Path) -> None:
    x_painting_manifest(images / "manifest.jsonl", 6)
    started = time.monotonic()
    done = wanstack(
        "batch", "manifest.jsonl", "--out", "out", "--concurrency", "6",
        env=client_env(throttled), cwd=images,
    )  # fmt: skip
    elapsed = time.monotonic() - started
    assert done.returncode == 0, done.stderr
    # DashScope's 2 submits/s: the third submit of a second is answered 429 with Retry-After: 1
    assert "submit: 429 Throttling.RateQuota; waiting 1.0 s (Retry-After)" in done.stderr
    tasks = server_tasks(throttled, throttled.api_key)
    assert len(tasks) == len({t["task_id"] for t in tasks}) == 6
    assert {r["status"] for r in report(images / "out")} == {"SUCCEEDED"}
    assert elapsed < 20, elapsed  # six submits at two a second, not a long backoff
    print(f"\n6 submits at DashScope's 2/s limit: {elapsed:.1f} s")


# -- the README ----------------------------------------------------------------------------------


def test_the_readme_client_examples_run(server: Server, images: Path) -> None:
    blocks = [
        b
        for b in re.findall(r"```bash\n(.*?)```", README.read_text(), re.S)
        if "wanstack batch" in b
    ]
    assert blocks, "the README shows wanstack run and wanstack batch"
    script = "\n".join(blocks).replace(".venv/bin/wanstack", " ".join(wanstack_command()))
    done = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script],
        env=client_env(server),
        cwd=images,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert list((images / "results").glob("*.png"))
    assert {r["status"] for r in report(images / "products-out")} == {"SUCCEEDED"}
