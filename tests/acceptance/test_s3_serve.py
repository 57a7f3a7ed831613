"""A REAL ``wanstack serve`` on S3 storage (a real SeaweedFS server), driven by the unmodified
``dashscope`` SDK: a local file goes through the SDK's upload flow into the bucket, the result is
stored there and fetched from its presigned URL, and no file of a task is written to the server's
data folder. Then an S3 outage: the API answers a DashScope 503 within seconds, the running task
waits for storage instead of failing, and both recover by themselves when S3 comes back.

The server runs the ``fake`` engine: these tests are about where files go, not the pictures."""

from __future__ import annotations

import base64
import io
import json
import time
import uuid
from pathlib import Path

import dashscope
import httpx
import pytest
from dashscope import ImageSynthesis
from PIL import Image

from tests.support.media import mask_png, photo_png, png_data_uri
from tests.support.processes import Launcher, Server
from tests.support.s3 import S3Server

MODEL = "wanx-x-painting"
#: What a data folder may hold on S3 storage: the database, the keys, the logs; no task file.
ALLOWED = (
    "wanstack.db",
    "wanstack.db-wal",
    "wanstack.db-shm",
    "wanstack.migrate.lock",
    "secret.key",
    "default-api-key",
)
#: The API's answer to an upload while S3 is down must come within this (timeouts, retries).
OUTAGE_ANSWER_S = 6.0


@pytest.fixture(scope="module")
def s3_serve(wanstack_module_launcher: Launcher, s3_server: S3Server) -> Server:
    env = {
        **s3_server.env(),
        "WANSTACK_STORAGE_URL": s3_server.storage_url(),
        "WANSTACK_S3_ENDPOINT_URL": s3_server.endpoint,
        "WANSTACK_S3_PUBLIC_ENDPOINT_URL": s3_server.public_endpoint,
        "WANSTACK_ENGINES": json.dumps({MODEL: "fake"}),
        "WANSTACK_WORKERS": "1",
    }
    server = wanstack_module_launcher.start("s3", env)
    assert server.ready(), server.log_text()[-3000:]
    return server


@pytest.fixture
def sdk_at(monkeypatch: pytest.MonkeyPatch, s3_serve: Server) -> Server:
    """The SDK pointed at the S3 server (monkeypatch restores it)."""
    for name in ("DASHSCOPE_API_KEY", "DASHSCOPE_WORKSPACE_ID", "DASHSCOPE_API_KEY_FILE_PATH"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    monkeypatch.setattr(dashscope, "base_http_api_url", s3_serve.api_base)
    return s3_serve


def flat_png_uri(width: int, height: int) -> str:
    buf = io.BytesIO()
    Image.new("RGB", (width, height), (120, 160, 200)).save(buf, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()


def task_files(data_dir: Path) -> list[str]:
    """Everything under the data folder that is not the database, a key or a log."""
    return sorted(
        str(p.relative_to(data_dir))
        for p in data_dir.rglob("*")
        if not p.is_dir() and p.name not in ALLOWED and p.suffix != ".log"
    )


def bucket_prefix(server: Server) -> str:
    url = server.deployment.env()["WANSTACK_STORAGE_URL"]
    return url.split("/", 3)[3] + "/"


def test_sdk_upload_and_result_go_through_the_bucket(
    sdk_at: Server, s3_server: S3Server, tmp_path: Path
) -> None:
    server = sdk_at
    base, mask = tmp_path / "base.png", tmp_path / "mask.png"
    base.write_bytes(photo_png(512, 384))
    mask.write_bytes(mask_png(512, 384))
    r = ImageSynthesis.call(
        model=MODEL,
        prompt="a dog wearing red glasses",
        n=1,
        size="720*1280",
        task="image2image",
        base_image_url=f"file://{base}",
        mask_image_url=str(mask),
        api_key=server.api_key,
    )
    assert r.status_code == 200, r
    assert r.output.task_status == "SUCCEEDED", r
    # the uploads are in the bucket, byte for byte
    client = s3_server.client()
    prefix = bucket_prefix(server)
    stored = [
        client.get_object(Bucket=s3_server.bucket, Key=k)["Body"].read()
        for k in s3_server.keys(prefix + "uploads/")
    ]
    assert base.read_bytes() in stored and mask.read_bytes() in stored
    # the result is an object of the bucket, at a presigned URL of the public endpoint
    url = r.output.results[0].url
    assert url.startswith(f"{s3_server.public_endpoint}/{s3_server.bucket}/{prefix}results/")
    assert "X-Amz-Signature=" in url
    resp = httpx.get(url, timeout=10)
    assert resp.status_code == 200, resp.text[:300]
    assert Image.open(io.BytesIO(resp.content)).size == (720, 1280)
    # and nothing of the task touched the server's own disk
    assert task_files(server.deployment.data_dir) == []


def upload_form(server: Server, name: str, data: bytes) -> httpx.Response:
    """getPolicy, then the form POST exactly as the SDK sends it."""
    auth = {"Authorization": f"Bearer {server.api_key}"}
    policy = httpx.get(
        f"{server.api_base}/uploads",
        params={"action": "getPolicy", "model": MODEL},
        headers=auth,
        timeout=10,
    ).json()["data"]
    fields = {
        "OSSAccessKeyId": policy["oss_access_key_id"],
        "Signature": policy["signature"],
        "policy": policy["policy"],
        "key": f"{policy['upload_dir']}/{name}",
        "x-oss-object-acl": policy["x_oss_object_acl"],
        "x-oss-forbid-overwrite": policy["x_oss_forbid_overwrite"],
        "success_action_status": "200",
        "x-oss-content-type": "image/png",
    }
    return httpx.post(
        policy["upload_host"], data=fields, files={"file": (name, data, "image/png")}, timeout=30
    )


def test_an_s3_outage_is_a_quick_503_and_nothing_is_lost(
    s3_serve: Server, s3_server: S3Server
) -> None:
    server = s3_serve
    http = httpx.Client(
        base_url=server.api_base, headers={"Authorization": f"Bearer {server.api_key}"}, timeout=30
    )
    s3_server.pause()
    try:
        # 1. An upload needs the bucket: a DashScope 503 naming storage, within seconds.
        started = time.monotonic()
        resp = upload_form(server, f"{uuid.uuid4().hex}.png", photo_png(64, 64))
        took = time.monotonic() - started
        assert resp.status_code == 503, resp.text
        assert resp.headers["content-type"].startswith("application/json")
        body = resp.json()
        assert body["code"] == "ServiceUnavailable", body
        assert "storage" in body["message"], body
        assert body["request_id"]
        assert took < OUTAGE_ANSWER_S, f"the 503 took {took:.1f} s"

        # 2. A submit with small inline inputs needs no storage: accepted, and its worker waits
        #    for the bucket to store the result instead of failing the task.
        submit = http.post(
            "/services/aigc/image2image/image-synthesis",
            headers={"X-DashScope-Async": "enable"},
            json={
                "model": MODEL,
                "input": {
                    "prompt": "fill it",
                    # under the 8 KiB that stay in the task row: no storage needed
                    "base_image_url": flat_png_uri(300, 300),
                    "mask_image_url": png_data_uri(300, 300, mask=True),
                },
                "parameters": {"n": 1, "size": "1024*1024"},
            },
        )
        assert submit.status_code == 200, submit.text
        task_id = submit.json()["output"]["task_id"]
        deadline = time.monotonic() + 3
        while time.monotonic() < deadline:
            status = http.get(f"/tasks/{task_id}").json()["output"]["task_status"]
            assert status in ("PENDING", "RUNNING"), status
            time.sleep(0.2)
        assert status == "RUNNING"  # trying to store its result
        assert "storage unavailable while storing" in server.log_text()
    finally:
        s3_server.resume()

    # 3. S3 is back: the task finishes by itself, its result fetches, uploads work again.
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        out = http.get(f"/tasks/{task_id}").json()["output"]
        if out["task_status"] not in ("PENDING", "RUNNING"):
            break
        time.sleep(0.1)
    assert out["task_status"] == "SUCCEEDED", out
    assert httpx.get(out["results"][0]["url"], timeout=10).status_code == 200
    resp = upload_form(server, f"{uuid.uuid4().hex}.png", photo_png(64, 64))
    assert resp.status_code == 200, resp.text
    assert task_files(server.deployment.data_dir) == []
