"""Wan 2.6 through the ASGI app: wan2.6-t2v / wan2.6-i2v tasks (E4), wan2.6-image sync JSON and
SSE (E6) and as a task (E7), with the fake engines and an embedded worker pool."""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import re
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from PIL import Image

from tests.api.conftest import BoundedClient
from tests.api.support import Api, async_headers, auth, check_envelope, check_error
from tests.api.wan26_support import (
    FAKE_ENGINES,
    IMAGE_TASK,
    SYNC,
    VIDEO,
    data_uri,
    image_bytes,
    mp4_facts,
    wav_bytes,
)
from wanstack.api import protocol
from wanstack.api.app import create_app
from wanstack.container import Container
from wanstack.domain import TaskStatus
from wanstack.testing import FrozenClock

SSE_FRAME = re.compile(r"id:(\d+)\nevent:(result|error)\n:HTTP_STATUS/(\d+)\ndata:(\{.*\})\n\n")


@pytest.fixture
async def wan(database_url: str, make_settings: Any) -> AsyncIterator[Api]:
    """An app with the fake Wan engines and one embedded worker slot."""
    settings = make_settings(database_url=database_url, engines=FAKE_ENGINES)
    clock = FrozenClock()
    container = Container.build(settings, clock=clock, migrate=False)
    app = create_app(container, workers=1)
    async with contextlib.AsyncExitStack() as stack:
        await stack.enter_async_context(app.router.lifespan_context(app))
        client = BoundedClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")
        await stack.enter_async_context(client)
        yield Api(container=container, app=app, client=client, clock=clock)


@pytest.fixture
async def wkey(wan: Api) -> str:
    return await wan.key("acct")


def t2v(**parameters: Any) -> dict[str, Any]:
    return {"model": "wan2.6-t2v", "input": {"prompt": "a cat runs"}, "parameters": parameters}


def i2v(img_url: str, **parameters: Any) -> dict[str, Any]:
    return {"model": "wan2.6-i2v", "input": {"img_url": img_url}, "parameters": parameters}


def image_body(*content: dict[str, Any], **parameters: Any) -> dict[str, Any]:
    return {
        "model": "wan2.6-image",
        "input": {"messages": [{"role": "user", "content": list(content)}]},
        "parameters": parameters,
    }


async def submit(api: Api, key: str, path: str, body: Any) -> httpx.Response:
    return await api.client.post(path, json=body, headers=async_headers(key))


async def wait_final(api: Api, key: str, task_id: str) -> dict[str, Any]:
    for _ in range(600):
        body = await api.query(key, task_id)
        if body["output"]["task_status"] not in ("PENDING", "RUNNING"):
            return body
        await asyncio.sleep(0.025)
    raise AssertionError(f"task {task_id} did not finish: {body}")


async def run_task(api: Api, key: str, path: str, body: Any) -> dict[str, Any]:
    resp = await submit(api, key, path, body)
    assert resp.status_code == 200, resp.text
    return await wait_final(api, key, check_envelope(resp)["output"]["task_id"])


async def download(api: Api, url: str) -> httpx.Response:
    resp = await api.client.get(url)
    assert resp.status_code == 200, resp.text
    return resp


# --- submit-time rules: every client mistake is a 400 naming the field and the rule -----------

T2V_BAD: list[tuple[dict[str, Any], dict[str, Any], str]] = [
    ({}, {"prompt": None}, "input.prompt is required"),
    ({}, {"prompt": "  "}, "input.prompt must not be empty"),
    ({}, {"prompt": "x" * 1501}, "input.prompt must be at most 1500 characters"),
    ({}, {"negative_prompt": "x" * 501}, "input.negative_prompt must be at most 500"),
    ({}, {"audio_url": "ftp://x/a.wav"}, "input.audio_url must be an http(s) URL"),
    ({"audio_url": 5}, {}, "parameters.audio_url must be a string"),
    ({"size": "832*480"}, {}, "480P sizes are not supported by wan2.6-t2v"),
    ({"size": "1280x720"}, {}, "parameters.size must be one of '1280*720'"),
    ({"size": 1280}, {}, "parameters.size must be a string"),
    ({"duration": 1}, {}, "parameters.duration must be an integer from 2 to 15, got 1"),
    ({"duration": 16}, {}, "parameters.duration must be an integer from 2 to 15, got 16"),
    ({"duration": 2.5}, {}, "parameters.duration must be an integer from 2 to 15"),
    ({"duration": "5"}, {}, "parameters.duration must be an integer from 2 to 15"),
    ({"shot_type": "triple"}, {}, "parameters.shot_type must be one of 'single', 'multi'"),
    ({"prompt_extend": "yes"}, {}, "parameters.prompt_extend must be true or false"),
    ({"watermark": 1}, {}, "parameters.watermark must be true or false"),
    ({"seed": -1}, {}, "parameters.seed must be an integer from 0 to 2147483647"),
]


@pytest.mark.parametrize(("parameters", "inputs", "message"), T2V_BAD)
async def test_t2v_rules(
    wan: Api, wkey: str, parameters: dict[str, Any], inputs: dict[str, Any], message: str
) -> None:
    body = t2v(**parameters)
    body["input"].update(inputs)
    body["input"] = {k: v for k, v in body["input"].items() if v is not None}
    body_out = check_error(await submit(wan, wkey, VIDEO, body), 400, "InvalidParameter")
    assert message in body_out["message"], body_out


I2V_BAD: list[tuple[dict[str, Any], dict[str, Any], str]] = [
    ({}, {"img_url": None}, "input.img_url is required"),
    ({}, {"img_url": "file:///tmp/a.png"}, "input.img_url must be an http(s) URL"),
    ({}, {"prompt": "x" * 1501}, "input.prompt must be at most 1500 characters"),
    ({"resolution": "480P"}, {}, "parameters.resolution must be one of '720P', '1080P'"),
    ({"resolution": "1080p"}, {}, "parameters.resolution must be one of"),
    ({"duration": 0}, {}, "parameters.duration must be an integer from 2 to 15"),
]


@pytest.mark.parametrize(("parameters", "inputs", "message"), I2V_BAD)
async def test_i2v_rules(
    wan: Api, wkey: str, parameters: dict[str, Any], inputs: dict[str, Any], message: str
) -> None:
    body = i2v("https://example.com/a.png", **parameters)
    body["input"].update(inputs)
    body["input"] = {k: v for k, v in body["input"].items() if v is not None}
    body_out = check_error(await submit(wan, wkey, VIDEO, body), 400, "InvalidParameter")
    assert message in body_out["message"], body_out


async def test_video_defaults_and_sdk_extras(wan: Api, wkey: str) -> None:
    """Defaults are filled in; the 1.x SDK's input.extend_prompt / input.function are ignored and
    an old SDK's parameters.audio_url is taken as the soundtrack."""
    body = t2v(audio_url="https://example.com/a.wav")
    body["input"].update(extend_prompt=True, function="video-synthesis")
    resp = await submit(wan, wkey, VIDEO, body)
    assert resp.status_code == 200, resp.text
    task = await wan.container.tasks.get(check_envelope(resp)["output"]["task_id"])
    assert task is not None
    assert task.input == {"prompt": "a cat runs", "audio_url": "https://example.com/a.wav"}
    assert task.parameters["size"] == "1920*1080"
    assert task.parameters["duration"] == 5
    assert task.parameters["shot_type"] == "single"
    assert task.parameters["prompt_extend"] is True
    resp = await submit(wan, wkey, VIDEO, i2v("https://example.com/a.png", duration=15))
    task = await wan.container.tasks.get(check_envelope(resp)["output"]["task_id"])
    assert task is not None and task.parameters["resolution"] == "1080P"
    assert task.parameters["duration"] == 15


async def test_models_are_served_on_their_own_endpoints(wan: Api, wkey: str) -> None:
    text = {"text": "a cat"}
    check_error(
        await submit(wan, wkey, VIDEO, image_body(text)),
        400,
        "InvalidParameter",
        "Model not exist.",
    )
    resp = await wan.client.post(SYNC, json=t2v(), headers=auth(wkey))
    check_error(resp, 400, "InvalidParameter", "Model not exist.")
    resp = await submit(wan, wkey, "/api/v1/services/aigc/image2video/video-synthesis", t2v())
    check_error(resp, 400, "InvalidParameter", "Model not exist.")


async def test_async_header_rules(wan: Api, wkey: str) -> None:
    resp = await wan.client.post(SYNC, json=image_body({"text": "a"}), headers=async_headers(wkey))
    check_error(resp, 403, "AccessDenied", "Current user api does not support asynchronous calls.")
    for path, body in ((IMAGE_TASK, image_body({"text": "a"})), (VIDEO, t2v())):
        resp = await wan.client.post(path, json=body, headers=auth(wkey))
        check_error(
            resp, 403, "AccessDenied", "current user api does not support synchronous calls."
        )


IMAGE_BAD: list[tuple[Any, dict[str, Any], str]] = [
    (None, {}, "input.messages must be a list holding exactly one user message"),
    ([], {}, "input.messages must be a list holding exactly one user message, got 0"),
    ("two", {}, "input.messages must be a list holding exactly one user message, got 2"),
    ([{"role": "assistant", "content": [{"text": "a"}]}], {}, "input.messages[0].role"),
    ([{"role": "user", "content": "a cat"}], {}, "input.messages[0].content must be"),
    ([{"role": "user", "content": [{"image": "https://x/a.png"}]}], {}, "exactly one text"),
    ([{"role": "user", "content": [{"text": "a"}, {"text": "b"}]}], {}, "exactly one text"),
    ([{"role": "user", "content": [{"text": "x" * 2001}]}], {}, "at most 2000 characters"),
    ([{"role": "user", "content": [{"text": "a"}, {"video": "v"}]}], {}, "content[1] must be"),
    ("5 images", {}, "at most 4 image items without parameters.enable_interleave, got 5"),
    ("2 images", {"enable_interleave": True}, "at most 1 image items with"),
    ("text", {"enable_interleave": True, "n": 2}, "parameters.n must be 1 when"),
    ("text", {"n": 5}, "parameters.n must be an integer from 1 to 4, got 5"),
    ("text", {"max_images": 6}, "parameters.max_images must be an integer from 1 to 5"),
    ("text", {"size": "500*500"}, "total pixels must be from 768*768 to 1280*1280"),
    ("text", {"size": "2600*650"}, "total pixels"),
    ("text", {"size": "2000*480"}, "the aspect ratio must be from 1:4 to 4:1"),
    ("text", {"size": "1024x1024"}, "parameters.size must look like '1280*1280'"),
    ("text", {"negative_prompt": "x" * 501}, "parameters.negative_prompt must be at most 500"),
    ("text", {"stream": "yes"}, "parameters.stream must be true or false"),
]


def _messages(spec: Any) -> Any:
    image = {"image": "https://example.com/a.png"}
    if spec == "two":
        return [{"role": "user", "content": [{"text": "a"}]}] * 2
    if spec == "5 images":
        return [{"role": "user", "content": [{"text": "a"}, *[image] * 5]}]
    if spec == "2 images":
        return [{"role": "user", "content": [{"text": "a"}, image, image]}]
    if spec == "text":
        return [{"role": "user", "content": [{"text": "a cat"}]}]
    return spec


@pytest.mark.parametrize(("messages", "parameters", "message"), IMAGE_BAD)
async def test_wan_image_rules_sync_and_task(
    wan: Api, wkey: str, messages: Any, parameters: dict[str, Any], message: str
) -> None:
    body: dict[str, Any] = {"model": "wan2.6-image", "input": {}, "parameters": parameters}
    if messages is not None:
        body["input"]["messages"] = _messages(messages)
    resp = await wan.client.post(SYNC, json=body, headers=auth(wkey))
    out = check_error(resp, 400, "InvalidParameter")
    assert message in out["message"], out
    out = check_error(await submit(wan, wkey, IMAGE_TASK, body), 400, "InvalidParameter")
    assert message in out["message"], out


async def test_sse_errors_are_event_error_frames(wan: Api, wkey: str) -> None:
    """Contract C21: a 200 stream with one ``event:error`` frame (no space after the colon)."""
    body = image_body({"text": "a"}, enable_interleave=True, n=3)
    resp = await wan.client.post(
        SYNC, json=body, headers=auth(wkey, **{"X-DashScope-SSE": "enable"})
    )
    assert resp.status_code == 200
    assert resp.headers["content-type"] == "text/event-stream;charset=UTF-8"
    frames = SSE_FRAME.findall(resp.text)
    assert "".join(
        f"id:{a}\nevent:{b}\n:HTTP_STATUS/{c}\ndata:{d}\n\n" for a, b, c, d in frames
    ) == (resp.text)
    assert [(i, e, s) for i, e, s, _ in frames] == [("1", "error", "400")]
    data = json.loads(frames[0][3])
    assert data["code"] == "InvalidParameter"
    assert (
        data["message"] == "parameters.n must be 1 when parameters.enable_interleave is true, got 3"
    )
    assert data["request_id"] == resp.headers["x-request-id"]


# --- end to end through the embedded worker -----------------------------------------------


async def test_t2v_with_audio_makes_an_mp4(wan: Api, wkey: str) -> None:
    body = t2v(size="1280*720", duration=2, shot_type="multi", seed=7)
    body["input"]["audio_url"] = data_uri(wav_bytes(4.0), "audio/wav")
    final = await run_task(wan, wkey, VIDEO, body)
    out = final["output"]
    assert out["task_status"] == "SUCCEEDED", final
    assert out["orig_prompt"] == "a cat runs"
    assert out["engine"] == {"engine": "fake"}
    assert "task_metrics" not in out and "results" not in out
    assert final["usage"] == {
        "duration": 2,
        "size": "1280*720",
        "input_video_duration": 0,
        "output_video_duration": 2,
        "video_count": 1,
        "SR": 720,
    }
    resp = await download(wan, out["video_url"])
    assert resp.headers["content-type"] == "video/mp4"
    facts = mp4_facts(resp.content)
    assert (facts.codec, facts.pix_fmt) == ("h264", "yuv420p")
    assert (facts.width, facts.height, facts.frames, facts.fps) == (1280, 720, 60, 30.0)
    assert facts.audio_seconds is not None and abs(facts.audio_seconds - 2.0) < 0.05


async def test_i2v_follows_the_image_aspect_ratio(wan: Api, wkey: str) -> None:
    img = data_uri(image_bytes(640, 480, "JPEG"), "image/jpeg")
    final = await run_task(wan, wkey, VIDEO, i2v(img, resolution="720P", duration=2))
    out = final["output"]
    assert out["task_status"] == "SUCCEEDED", final
    assert out["orig_prompt"] == ""
    assert final["usage"] == {
        "duration": 2,
        "input_video_duration": 0,
        "output_video_duration": 2,
        "video_count": 1,
        "SR": 720,
    }
    facts = mp4_facts((await download(wan, out["video_url"])).content)
    # 4:3 at about 1280*720 pixels, sides multiples of 16
    assert (facts.width, facts.height, facts.frames) == (1104, 832, 60)
    assert facts.audio_seconds is None


@pytest.mark.parametrize(
    ("field", "data", "code", "message"),
    [
        ("img_url", image_bytes(200, 300), "InvalidParameter", "from 240 to 8000 pixels"),
        ("img_url", b"GIF89a" + b"\0" * 100, "BadRequest.UnsupportedFileFormat", "img_url"),
        ("audio_url", wav_bytes(1.0), "InvalidParameter", "from 3 to 30 seconds long"),
        ("audio_url", b"not audio" * 50, "BadRequest.UnsupportedFileFormat", "wav or mp3"),
    ],
)
async def test_bad_video_media_fail_the_task(
    wan: Api, wkey: str, field: str, data: bytes, code: str, message: str
) -> None:
    body = i2v(data_uri(image_bytes(320, 320), "image/png"), duration=2, resolution="720P")
    body["input"][field] = data_uri(data, "application/octet-stream")
    final = await run_task(wan, wkey, VIDEO, body)
    out = final["output"]
    assert out["task_status"] == "FAILED", final
    assert out["code"] == code
    assert message in out["message"]


async def test_sync_text_to_image(wan: Api, wkey: str) -> None:
    body = image_body({"text": "a red fox"}, size="1024*1024", n=2)
    resp = await wan.client.post(SYNC, json=body, headers=auth(wkey))
    assert resp.status_code == 200, resp.text
    answer = check_envelope(resp)
    assert answer["usage"] == {
        "image_count": 2,
        "input_tokens": 0,
        "output_tokens": 0,
        "size": "1024*1024",
        "total_tokens": 0,
    }
    assert answer["output"]["finished"] is True
    (choice,) = answer["output"]["choices"]
    assert choice["finish_reason"] == "stop"
    assert choice["message"]["role"] == "assistant"
    content = choice["message"]["content"]
    assert [c["type"] for c in content] == ["image", "image"]
    for item in content:
        image = Image.open(io.BytesIO((await download(wan, item["image"])).content))
        assert image.format == "PNG" and image.size == (1024, 1024)


async def test_sync_edit_defaults_follow_the_first_image(wan: Api, wkey: str) -> None:
    img = data_uri(image_bytes(800, 400), "image/png")
    body = image_body({"text": "make it blue"}, {"image": img})
    resp = await wan.client.post(SYNC, json=body, headers=auth(wkey))
    answer = check_envelope(resp)
    assert answer["usage"]["image_count"] == 4  # n defaults to 4 in edit mode
    assert answer["usage"]["size"] == "1808*896"  # 2:1 at about 1280*1280 pixels
    url = answer["output"]["choices"][0]["message"]["content"][0]["image"]
    assert Image.open(io.BytesIO((await download(wan, url)).content)).size == (1808, 896)


async def test_sync_failure_is_a_json_error(wan: Api, wkey: str) -> None:
    img = data_uri(image_bytes(300, 300), "image/png")
    body = image_body({"text": "edit"}, {"image": img}, n=1)
    resp = await wan.client.post(SYNC, json=body, headers=auth(wkey))
    out = check_error(resp, 400, "InvalidParameter")
    assert "from 384 to 5000 pixels" in out["message"]


@pytest.mark.parametrize(
    "how", ["X-DashScope-SSE", "X-DashScope-Sse-lower", "accept", "parameters.stream"]
)
async def test_sse_interleave(wan: Api, wkey: str, how: str) -> None:
    headers = auth(wkey)
    parameters: dict[str, Any] = {"enable_interleave": True, "max_images": 3, "size": "960*960"}
    if how == "X-DashScope-SSE":
        headers["X-DashScope-SSE"] = "enable"
    elif how == "X-DashScope-Sse-lower":
        headers["x-dashscope-sse"] = "Enable"
    elif how == "accept":
        headers["Accept"] = "text/event-stream"
    else:
        parameters["stream"] = True
    resp = await wan.client.post(
        SYNC, json=image_body({"text": "a recipe"}, **parameters), headers=headers
    )
    assert resp.status_code == 200
    assert resp.headers["content-type"] == "text/event-stream;charset=UTF-8"
    frames = SSE_FRAME.findall(resp.text)
    assert len(frames) == 3 and sum(len(f[3]) for f in frames) < len(resp.text)
    chunks = [json.loads(f[3]) for f in frames]
    assert [(f[0], f[1], f[2]) for f in frames] == [(str(i), "result", "200") for i in (1, 2, 3)]
    assert [c["output"]["finished"] for c in chunks] == [False, False, True]
    finish = [c["output"]["choices"][0]["finish_reason"] for c in chunks]
    assert finish == ["null", "null", "stop"]
    for i, chunk in enumerate(chunks):
        content = chunk["output"]["choices"][0]["message"]["content"]
        assert [c["type"] for c in content] == ["text", "image"]
        assert content[0]["text"].startswith(f"Step {i + 1}: a recipe")
        assert chunk["usage"]["image_count"] == i + 1
        assert chunk["request_id"] == resp.headers["x-request-id"]
        image = Image.open(io.BytesIO((await download(wan, content[1]["image"])).content))
        assert image.size == (960, 960)


async def test_image_generation_task(wan: Api, wkey: str) -> None:
    """E7 / C22: async_call's body (parameters.is_async is ignored); the result carries the sync
    answer's choices and the same images as results[]."""
    body = image_body({"text": "a cat"}, n=2, size="1280*720", is_async=True)
    final = await run_task(wan, wkey, IMAGE_TASK, body)
    out = final["output"]
    assert out["task_status"] == "SUCCEEDED", final
    assert out["task_metrics"] == {"TOTAL": 2, "SUCCEEDED": 2, "FAILED": 0}
    urls = [r["url"] for r in out["results"]]
    content = out["choices"][0]["message"]["content"]
    assert [c["image"] for c in content] == urls
    assert out["finished"] is True
    assert final["usage"]["image_count"] == 2 and final["usage"]["size"] == "1280*720"
    for url in urls:
        assert Image.open(io.BytesIO((await download(wan, url)).content)).size == (1280, 720)


async def test_running_video_task_has_no_task_metrics(wan: Api, wkey: str) -> None:
    """While running, image tasks show task_metrics (n images); a video task does not."""
    resp = await submit(wan, wkey, VIDEO, t2v(size="1280*720", duration=2))
    task_id = check_envelope(resp)["output"]["task_id"]
    task = await wan.container.tasks.get(task_id)
    assert task is not None
    task.status = TaskStatus.RUNNING
    out = protocol.task_body(task, "rid", lambda key, ms: key)["output"]
    assert "task_metrics" not in out
    await wait_final(wan, wkey, task_id)
