"""The wider catalogue through the unmodified ``dashscope`` SDK against a real ``wanstack serve``
on the classic engines: the Wan text-to-image family on ``text2image/image-synthesis`` (every
model and alias, sizes and counts decoded from the PNGs, the SDK's ``sync_call``, the rules the
model decides), and ``GET /api/v1/models``."""

from __future__ import annotations

import io
from collections.abc import Iterator
from http import HTTPStatus
from typing import Any

import dashscope
import httpx
import pytest
from dashscope import ImageSynthesis, MultiModalConversation
from dashscope.aigc.image_generation import ImageGeneration
from PIL import Image

from tests.support.processes import Launcher, Server

T2I = "/services/aigc/text2image/image-synthesis"
#: (model, size sent or None, size expected)
FAMILY = [
    ("wan2.5-t2i-preview", None, (1280, 1280)),
    ("wan2.2-t2i-flash", "768*512", (768, 512)),
    ("wan2.2-t2i-plus", None, (1024, 1024)),
    ("wanx2.1-t2i-turbo", "512*640", (512, 640)),
    ("wanx2.1-t2i-plus", "1440*512", (1440, 512)),
    ("wanx2.0-t2i-turbo", "640*640", (640, 640)),
    ("wan2.1-t2i-turbo", "512*512", (512, 512)),  # the international name
]


@pytest.fixture(scope="module")
def server(wanstack_module_launcher: Launcher) -> Iterator[Server]:
    started = wanstack_module_launcher.start("catalog", {"WANSTACK_WORKERS": "2"})
    assert started.ready(), started.log_text()[-3000:]
    saved = dashscope.base_http_api_url
    dashscope.base_http_api_url = started.api_base
    yield started
    dashscope.base_http_api_url = saved


def sizes(rsp: Any) -> list[tuple[int, int]]:
    out = []
    for result in rsp.output.results:
        answer = httpx.get(result.url, timeout=30)
        assert answer.status_code == 200
        out.append(Image.open(io.BytesIO(answer.content)).size)
    return out


@pytest.mark.parametrize(("model", "size", "expected"), FAMILY)
def test_every_text_to_image_model(
    server: Server, model: str, size: str | None, expected: tuple[int, int]
) -> None:
    args: dict[str, Any] = {"model": model, "prompt": "雪地，白色小教堂，极光", "n": 1}
    if size:
        args["size"] = size
    rsp = ImageSynthesis.call(api_key=server.api_key, negative_prompt="人物", **args)
    assert rsp.status_code == HTTPStatus.OK, rsp
    assert rsp.output.task_status == "SUCCEEDED", rsp
    assert sizes(rsp) == [expected]
    result = rsp.output.results[0]
    assert result.orig_prompt == "雪地，白色小教堂，极光" == result.actual_prompt
    assert dict(rsp.usage) == {"image_count": 1}


def test_n_defaults_to_four_and_prompts_are_cut(server: Server) -> None:
    rsp = ImageSynthesis.call(
        model="wan2.2-t2i-flash",
        prompt="猫" * 600,
        size="512*512",
        prompt_extend=False,
        api_key=server.api_key,
    )
    assert rsp.output.task_status == "SUCCEEDED", rsp
    assert sizes(rsp) == [(512, 512)] * 4  # n defaults to 4
    assert dict(rsp.output.task_metrics) == {"TOTAL": 4, "SUCCEEDED": 4, "FAILED": 0}
    assert all(len(r.orig_prompt) == 500 for r in rsp.output.results)  # cut at wan2.2's 500
    assert all("actual_prompt" not in r for r in rsp.output.results)  # prompt_extend off


def test_sync_call_of_wan22(server: Server) -> None:
    rsp = ImageSynthesis.sync_call(
        model="wan2.2-t2i-plus", prompt="a red bicycle", n=1, size="512*512", api_key=server.api_key
    )
    assert rsp.status_code == HTTPStatus.OK, rsp
    assert rsp.output.task_status == "SUCCEEDED"
    assert sizes(rsp) == [(512, 512)]


def test_the_model_decides_the_rules(server: Server) -> None:
    auth = {"Authorization": f"Bearer {server.api_key}"}
    url = server.api_base + T2I
    body = {"model": "wanx2.1-t2i-turbo", "input": {"prompt": "a cat"}}
    answer = httpx.post(url, json=body, headers=auth)  # no async header: async-only model
    assert answer.status_code == 403 and answer.json()["code"] == "AccessDenied"
    unknown = {"model": "wan9-t2i", "input": {"prompt": "a cat"}}
    answer = httpx.post(url, json=unknown, headers=auth)  # unknown: never AccessDenied
    assert answer.status_code == 400
    assert answer.json()["message"] == "Model not exist."
    for model, size, rule in (
        ("wan2.2-t2i-flash", "1500*1024", "each side from 512 to 1440"),
        ("wan2.5-t2i-preview", "1024*1024", "total pixels from 1625088 to 2073600"),
    ):
        rsp = ImageSynthesis.async_call(
            model=model, prompt="a cat", size=size, api_key=server.api_key
        )
        assert rsp.status_code == 400 and rsp.code == "InvalidParameter", rsp
        assert "parameters.size" in rsp.message and rule in rsp.message


def test_models_lists_what_is_served(server: Server) -> None:
    answer = httpx.get(
        server.api_base + "/models", headers={"Authorization": f"Bearer {server.api_key}"}
    )
    assert answer.status_code == 200
    served = {m["model"]: m for m in answer.json()["models"]}
    assert {"wanx-x-painting", "wan2.6-image", "wan2.2-t2i-flash", "wanx2.1-t2i-turbo"} <= set(
        served
    )
    assert served["wanx2.1-t2i-turbo"]["aliases"] == ["wan2.1-t2i-turbo"]
    assert served["wan2.2-t2i-flash"]["endpoints"] == [
        {"path": "/api/v1/services/aigc/text2image/image-synthesis", "mode": "async or sync"}
    ]
    assert all(m["engine"] == "classic" for m in served.values())
    assert httpx.get(server.api_base + "/models").status_code == 401


# --------------------------------------------------------------- text to image through messages


def image_size(url: str) -> tuple[int, int]:
    answer = httpx.get(url, timeout=30)
    assert answer.status_code == 200
    return Image.open(io.BytesIO(answer.content)).size


def ask(server: Server, model: str, text: str = "一只猫在窗台上", **params: Any) -> Any:
    rsp = MultiModalConversation.call(  # type: ignore[call-overload]
        model=model,
        messages=[{"role": "user", "content": [{"text": text}]}],
        api_key=server.api_key,
        **params,
    )
    assert rsp.status_code == HTTPStatus.OK, rsp
    return rsp


def test_wan26_t2i_sync_and_async(server: Server) -> None:
    rsp = ImageGeneration.call(
        model="wan2.6-t2i",
        messages=[{"role": "user", "content": [{"text": "a lighthouse at dusk"}]}],
        n=1,
        size="1104*1472",
        api_key=server.api_key,
    )
    assert rsp.status_code == HTTPStatus.OK, rsp
    content = rsp.output.choices[0].message.content
    assert [c["type"] for c in content] == ["image"]
    assert image_size(content[0]["image"]) == (1104, 1472)
    assert rsp.usage["size"] == "1104*1472" and rsp.output.finished
    task = ImageGeneration.async_call(
        model="wan2.6-t2i",
        messages=[{"role": "user", "content": [{"text": "a lighthouse"}]}],
        n=2,
        api_key=server.api_key,
    )
    done = ImageGeneration.wait(task, api_key=server.api_key)
    assert done.output.task_status == "SUCCEEDED", done
    images = done.output.choices[0]["message"]["content"]
    assert [image_size(c["image"]) for c in images] == [(1280, 1280)] * 2


def test_qwen_image_family(server: Server) -> None:
    rsp = ask(server, "qwen-image-max", negative_prompt="blurry", result_format="message")
    content = rsp.output.choices[0].message.content
    assert list(content[0]) == ["image"] and image_size(content[0]["image"]) == (1664, 928)
    usage = dict(rsp.usage)  # (the SDK adds zero token counts of its own)
    assert {k: usage[k] for k in ("height", "image_count", "width")} == {
        "height": 928,
        "image_count": 1,
        "width": 1664,
    }
    assert rsp.output.task_metric == {"FAILED": 0, "SUCCEEDED": 1, "TOTAL": 1}
    two = ask(server, "qwen-image-2.0", n=2, size="1024*768")
    images = two.output.choices[0].message.content
    assert [image_size(c["image"]) for c in images] == [(1024, 768)] * 2
    assert "task_metric" not in two.output
    dated = ask(server, "qwen-image-plus-2026-01-09", size="928*1664")
    assert image_size(dated.output.choices[0].message.content[0]["image"]) == (928, 1664)
    flat = ImageSynthesis.call(
        model="qwen-image-plus", prompt="一副对联", negative_prompt=" ", n=1,
        size="1328*1328", api_key=server.api_key,
    )  # fmt: skip
    assert flat.output.task_status == "SUCCEEDED", flat
    assert flat.output.results[0].orig_prompt == "一副对联"
    assert sizes(flat) == [(1328, 1328)]
    bad = MultiModalConversation.call(  # type: ignore[call-overload]
        model="qwen-image-max",
        messages=[{"role": "user", "content": [{"text": "a"}]}],
        n=2,
        api_key=server.api_key,
    )
    assert bad.status_code == 400 and "parameters.n" in bad.message
    bad = ask_raw(server, "qwen-image", size="1024*1024")
    assert bad.status_code == 400 and "1664*928" in bad.message


def ask_raw(server: Server, model: str, **params: Any) -> Any:
    return MultiModalConversation.call(  # type: ignore[call-overload]
        model=model,
        messages=[{"role": "user", "content": [{"text": "a"}]}],
        api_key=server.api_key,
        **params,
    )


def test_z_image_turbo(server: Server) -> None:
    rsp = ask(server, "z-image-turbo", text="film grain, a lake", prompt_extend=False)
    message = rsp.output.choices[0].message
    assert image_size(message.content[0]["image"]) == (1024, 1536)  # its default size
    assert message.content[1] == {"text": "film grain, a lake"}
    assert message.reasoning_content == ""
    assert rsp.usage["width"] == 1024 and rsp.usage["height"] == 1536
