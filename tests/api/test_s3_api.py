"""The API on S3 storage (a real SeaweedFS server), over SQLite and PostgreSQL: the SDK's upload
flow into the bucket, large inputs offloaded there, a real worker pool storing results there,
result URLs fetched in both URL modes, and the retention purge deleting the objects."""

from __future__ import annotations

import asyncio
import base64
import io
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import numpy as np
import pytest
from PIL import Image

from tests.api.support import Api, MakeApi, auth, check_envelope, post_upload, xpaint_body
from tests.support.s3 import S3Server
from wanstack.storage.s3 import S3Storage

pytestmark = pytest.mark.usefixtures("s3_env")
RESOLVE = {"X-DashScope-OssResourceResolve": "enable"}


def png(pixels: np.ndarray[Any, Any]) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(pixels).save(buf, format="PNG")
    return buf.getvalue()


def noise(size: int = 300) -> bytes:
    """A PNG that does not compress: as a data: URI it is far over the inline limit (8 KiB)."""
    rng = np.random.default_rng(7)
    return png(rng.integers(0, 256, (size, size, 3), dtype=np.uint8))


def flat(value: int, size: int = 300) -> bytes:
    return png(np.full((size, size, 3), value, dtype=np.uint8))


@pytest.fixture
async def make_s3_api(make_api: MakeApi, s3_server: S3Server) -> AsyncIterator[MakeApi]:
    """Apps on a fresh prefix of the bucket, each with one embedded worker."""
    pools = []

    async def factory(**options: Any) -> Api:
        api = await make_api(
            storage_url=s3_server.storage_url(), s3_endpoint_url=s3_server.endpoint, **options
        )
        pool = api.container.worker_pool(1)
        pools.append((pool, asyncio.create_task(pool.run(5))))
        return api

    yield factory
    for pool, job in pools:
        pool.stop()
        await asyncio.wait_for(job, 10)


async def wait_final(api: Api, key: str, task_id: str) -> dict[str, Any]:
    for _ in range(400):
        body = await api.query(key, task_id)
        if body["output"]["task_status"] not in ("PENDING", "RUNNING"):
            return body
        await asyncio.sleep(0.025)
    raise AssertionError(f"task {task_id} did not finish: {body}")


def bucket_prefix(api: Api) -> str:
    storage = api.container.storage
    assert isinstance(storage, S3Storage)
    return storage.location.prefix


async def test_uploads_inputs_and_results_live_in_the_bucket_and_are_purged(
    make_s3_api: MakeApi, s3_server: S3Server
) -> None:
    api = await make_s3_api(s3_urls="proxy")
    key = await api.key("acct")
    prefix = bucket_prefix(api)
    # 1. The SDK's upload flow: getPolicy, then the OSS-style form POST, into the bucket.
    resp = await api.client.get(
        "/api/v1/uploads?action=getPolicy&model=wanx-x-painting", headers=auth(key)
    )
    cert = check_envelope(resp)["data"]
    base = flat(180)
    resp = await post_upload(api, cert, "base.png", base)
    assert resp.status_code == 200, resp.text
    uploaded = s3_server.keys(prefix + "uploads/")
    assert len(uploaded) == 1
    stored = s3_server.client().get_object(Bucket=s3_server.bucket, Key=uploaded[0])
    assert stored["Body"].read() == base

    # 2. A submit with the upload and a large data: URI (offloaded to the bucket at submit).
    mask = "data:image/png;base64," + base64.b64encode(noise()).decode()
    body = xpaint_body(
        input_base_image_url=f"oss://{cert['upload_dir']}/base.png",
        input_mask_image_url=mask,
        param_n=2,
        param_size="720*1280",
    )
    task_id = await api.submit_ok(key, body, **RESOLVE)
    assert s3_server.keys(prefix + f"inputs/{task_id}/") == [prefix + f"inputs/{task_id}/0"]

    # 3. The worker reads both from the bucket and stores its results there.
    final = await wait_final(api, key, task_id)
    assert final["output"]["task_status"] == "SUCCEEDED", final
    results = s3_server.keys(prefix + f"results/{task_id}/")
    assert len(results) == 2 and all(k.endswith(".png") for k in results)

    # 4. Proxy mode: wanstack's own signed URLs, streamed from the bucket by the API.
    for result in final["output"]["results"]:
        url = result["url"]
        assert url.startswith("http://testserver/files/results/"), url
        resp = await api.client.get(url)
        assert resp.status_code == 200, resp.text
        assert resp.headers["content-type"] == "image/png"
        assert int(resp.headers["content-length"]) == len(resp.content)
        image = Image.open(io.BytesIO(resp.content))
        assert image.size == (720, 1280)
        part = await api.client.get(url, headers={"Range": "bytes=0-7"})
        assert part.status_code == 206
        assert part.content == b"\x89PNG\r\n\x1a\n"
        assert part.headers["content-range"] == f"bytes 0-7/{len(resp.content)}"
        forged = url.replace("Signature=", "Signature=x")
        assert (await api.client.get(forged)).status_code == 403

    # 5. Nothing of the task was written under the data folder.
    assert not (api.container.settings.data_dir / "files").exists()

    # 6. Past retention (tasks 24 h, uploads 48 h) the purge deletes the objects too.
    api.clock.advance(49 * 3600)
    await api.container.maintenance().run_once()
    assert await api.container.tasks.get(task_id) is None
    assert s3_server.keys(prefix) == []


async def test_presigned_result_urls_point_at_the_public_endpoint(
    make_s3_api: MakeApi, s3_server: S3Server
) -> None:
    api = await make_s3_api(s3_public_endpoint_url=s3_server.public_endpoint)  # presigned: default
    key = await api.key("acct")
    body = xpaint_body(
        input_base_image_url="data:image/png;base64," + base64.b64encode(flat(90)).decode(),
        input_mask_image_url="data:image/png;base64," + base64.b64encode(flat(255)).decode(),
    )
    task_id = await api.submit_ok(key, body)
    final = await wait_final(api, key, task_id)
    assert final["output"]["task_status"] == "SUCCEEDED", final
    (result,) = final["output"]["results"]
    url = result["url"]
    assert url.startswith(f"{s3_server.public_endpoint}/{s3_server.bucket}/"), url
    query = parse_qs(urlsplit(url).query)
    assert query["X-Amz-Expires"] == ["86400"]  # valid as long as the task (24 h)
    async with httpx.AsyncClient() as http:
        resp = await http.get(url)
    assert resp.status_code == 200
    assert resp.headers["content-type"] == "image/png"
    assert Image.open(io.BytesIO(resp.content)).size == (1024, 1024)
    # the API serves no /files/ URL for it: the bucket does
    assert "/files/" not in url
