"""The diffusers family through the unmodified ``dashscope`` SDK against a REAL ``wanstack serve``
configured with tiny random pipelines (built offline, run on the CPU): x-painting on SDXL
inpainting, background generation on SDXL + ControlNet inpainting, wan2.6-image on FLUX.2
[klein] (text to image and editing in one pipeline).

What DashScope's contract needs is checked on what comes back over HTTP: exact sizes, the pixels
that must not change, seeds, ``n`` distinct results, titles' layers, the sync, SSE and async
paths; then what the runtime promises: ``output.progress`` rising while a long generation runs,
cancel stopping it within 2 s with the worker free at once, a server that exits naming the
folder when weights cannot load, and memory that does not grow while models alternate.
"""

from __future__ import annotations

import contextlib
import io
import json
import subprocess
import time
from collections.abc import Callable, Iterator
from http import HTTPStatus
from pathlib import Path
from typing import Any

import cv2
import dashscope
import httpx
import numpy as np
import pytest
from dashscope import ImageSynthesis, MultiModalConversation
from dashscope.aigc.image_generation import ImageGeneration
from dashscope.client.base_api import BaseAsyncApi
from PIL import Image

from tests.support.media import MediaServer, mask_png, photo_array, photo_png
from tests.support.processes import Deployment, Launcher, Server, wanstack_command
from wanstack.catalog.x_painting import mask_region
from wanstack.engines.diffusers.inpaint import OUTER_PX
from wanstack.engines.framing import cover_mask
from wanstack.engines.titles import render_layers

TINY = {"steps": 2, "max_pixels": 64 * 64, "max_sequence_length": 32}
ENGINES = {
    "wanx-x-painting": "diffusers",
    "wanx-background-generation-v2": "diffusers",
    "wan2.6-image": "diffusers",
}


def tiny_env(weights: Callable[[str], Path], **per_model: dict[str, Any]) -> dict[str, str]:
    options: dict[str, Any] = {
        "diffusers": TINY,
        "wanx-x-painting": {"weights": str(weights("sdxl_inpaint"))},
        "wanx-background-generation-v2": {"weights": str(weights("sdxl_inpaint_controlnet"))},
        "wan2.6-image": {"weights": str(weights("flux2_klein"))},
    }
    for model, extra in per_model.items():
        options[model] = {**options[model], **extra}
    return {
        "WANSTACK_ENGINES": json.dumps(ENGINES),
        "WANSTACK_ENGINE_OPTIONS": json.dumps(options),
    }


@pytest.fixture(scope="module")
def server(wanstack_module_launcher: Launcher, tiny_weights: Callable[[str], Path]) -> Server:
    started = wanstack_module_launcher.start("tiny-diffusers", tiny_env(tiny_weights))
    assert started.ready(), started.log_text()[-3000:]
    return started


@contextlib.contextmanager
def pointing(server: Server) -> Iterator[None]:
    """The SDK talks to ``server`` (its global base URL) inside the block."""
    saved = dashscope.base_http_api_url
    dashscope.base_http_api_url = server.api_base
    try:
        yield
    finally:
        dashscope.base_http_api_url = saved


@pytest.fixture
def sdk(server: Server) -> Iterator[None]:
    with pointing(server):
        yield


def fetch(url: str) -> np.ndarray:
    response = httpx.get(url, timeout=30)
    assert response.status_code == 200, url
    return np.asarray(Image.open(io.BytesIO(response.content)).convert("RGB"))


def paint(server: Server, base: str, mask: str, **args: Any) -> Any:
    """One wanx-x-painting call through the SDK (1024*1024, prompt "a cat" unless given)."""
    return ImageSynthesis.call(
        **{
            "model": "wanx-x-painting",
            "prompt": "a cat",
            "size": "1024*1024",
            "task": "image2image",
            "extra_input": {"base_image_url": base, "mask_image_url": mask},
            "api_key": server.api_key,
            **args,
        }
    )


def draw(server: Server, content: list[dict[str, str]], size: str, **args: Any) -> Any:
    """One synchronous wan2.6-image call through the SDK."""
    return MultiModalConversation.call(  # type: ignore[call-overload]
        model="wan2.6-image",
        messages=[{"role": "user", "content": content}],
        size=size,
        api_key=server.api_key,
        **args,
    )


# ------------------------------------------------------------------------------ wanx-x-painting


def test_x_painting_sizes_pixels_seed_and_n(
    server: Server, sdk: None, media_server: MediaServer
) -> None:
    base_png, mask_bytes = photo_png(640, 480, seed=3), mask_png(640, 480)
    base = media_server.put("dx-base.png", base_png)
    mask = media_server.put("dx-mask.png", mask_bytes)
    args: dict[str, Any] = {"prompt": "a bowl of fruit", "size": "1280*720", "seed": 42}
    first = paint(server, base, mask, n=2, **args)
    assert first.status_code == HTTPStatus.OK, first
    assert first.output.task_status == "SUCCEEDED", first
    results = [fetch(r.url) for r in first.output.results]
    again = paint(server, base, mask, n=1, **args)
    assert again.output.task_status == "SUCCEEDED", again

    assert [r.shape for r in results] == [(720, 1280, 3)] * 2
    assert not np.array_equal(results[0], results[1])  # n results, distinct
    assert np.array_equal(fetch(again.output.results[0].url), results[0])  # the seed reproduces
    image = np.asarray(Image.open(io.BytesIO(base_png)).convert("RGB"))
    region = mask_region(Image.open(io.BytesIO(mask_bytes)), [])
    fitted, fitted_mask = cover_mask(image, region, (1280, 720))
    far = cv2.distanceTransform((~fitted_mask).astype(np.uint8), cv2.DIST_L2, 5) > OUTER_PX
    for result in results:
        assert np.array_equal(result[far], fitted[far])  # <auto>: untouched, bit for bit
    status = httpx.get(
        f"{server.api_base}/tasks/{first.output.task_id}",
        headers={"Authorization": f"Bearer {server.api_key}"},
    ).json()
    engine = status["output"]["engine"]
    assert engine["engine"] == "diffusers"
    assert engine["pipeline"] == "StableDiffusionXLInpaintPipeline"
    assert engine["weights"].endswith("sdxl_inpaint")


# --------------------------------------------------------------- wanx-background-generation-v2


def subject_png(width: int = 360, height: int = 480) -> bytes:
    yy, xx = np.mgrid[0:height, 0:width]
    d = np.sqrt(
        ((xx - width / 2) / (width * 0.25)) ** 2 + ((yy - height * 0.6) / (height * 0.3)) ** 2
    )
    alpha = np.clip((1.0 - d) * 10.0, 0.0, 1.0)
    rgba = np.dstack([photo_array(width, height, 5), np.round(alpha * 255)]).astype(np.uint8)
    buf = io.BytesIO()
    Image.fromarray(rgba, "RGBA").save(buf, format="PNG")
    return buf.getvalue()


def test_background_keeps_the_product_and_titles_render_from_layers(
    server: Server, sdk: None, media_server: MediaServer
) -> None:
    product = subject_png()
    ref = media_server.put("dbg-ref.png", photo_png(300, 300, seed=9))
    submitted = BaseAsyncApi.async_call(
        model="wanx-background-generation-v2",
        input={
            "base_image_url": media_server.put("dbg-subject.png", product),
            "ref_image_url": ref,
            "ref_prompt": "on a wooden table by a window",
            "title": "夏日特惠",
            "sub_title": "全场五折",
        },
        task_group="aigc",
        task="background-generation",
        function="generation",
        api_key=server.api_key,
        n=2,
        model_version="v3",
    )
    assert submitted.status_code == HTTPStatus.OK, submitted
    done = BaseAsyncApi.wait(submitted, api_key=server.api_key)
    assert done.output["task_status"] == "SUCCEEDED", done
    original = np.asarray(Image.open(io.BytesIO(product)))
    opaque = original[..., 3] == 255
    text = done.output["text_results"]
    plains = []
    for result, plain_url, params in zip(
        done.output["results"], text["urls"], text["params"], strict=True
    ):
        titled, plain = fetch(result["url"]), fetch(plain_url["url"])
        assert titled.shape == plain.shape == (480, 360, 3)
        assert np.array_equal(plain[opaque], original[..., :3][opaque])  # the product, exactly
        assert np.array_equal(render_layers(plain, params["layers"]), titled)
        plains.append(plain)
    assert not np.array_equal(plains[0], plains[1])


# --------------------------------------------------------------------------------- wan2.6-image


def test_wan_image_sync_edit_sse_and_async(
    server: Server, sdk: None, media_server: MediaServer
) -> None:
    rsp = draw(server, [{"text": "a lighthouse at dusk"}], "1280*720", n=2)
    assert rsp.status_code == HTTPStatus.OK, rsp
    urls = [c["image"] for c in rsp.output.choices[0].message.content]
    assert [fetch(u).shape for u in urls] == [(720, 1280, 3)] * 2

    picture = media_server.put("dimg.png", photo_png(512, 384, seed=4))  # sides ≥ 384
    edit = draw(server, [{"text": "make it autumn"}, {"image": picture}], "1024*1024", n=1)
    assert edit.status_code == HTTPStatus.OK, edit
    assert fetch(edit.output.choices[0].message.content[0]["image"]).shape == (1024, 1024, 3)

    chunks = list(
        draw(
            server,
            [{"text": "先和面，然后发酵，最后烤制"}],
            "960*960",
            stream=True,
            enable_interleave=True,
            max_images=3,
        )
    )
    assert [c.status_code for c in chunks] == [200, 200, 200]
    assert [c.output.finished for c in chunks] == [False, False, True]
    texts = [
        part["text"]
        for chunk in chunks
        for part in chunk.output.choices[0].message.content
        if "text" in part
    ]
    assert texts == ["第1步：先和面", "第2步：发酵", "第3步：烤制"]

    submitted: Any = ImageGeneration.async_call(
        model="wan2.6-image",
        messages=[{"role": "user", "content": [{"text": "a red bicycle"}]}],
        n=2,
        size="1024*1024",
        api_key=server.api_key,
    )
    assert submitted.status_code == HTTPStatus.OK, submitted
    done: Any = ImageGeneration.wait(submitted, api_key=server.api_key)
    assert done.output["task_status"] == "SUCCEEDED", done
    assert [fetch(r["url"]).shape for r in done.output["results"]] == [(1024, 1024, 3)] * 2
    assert done.output["engine"]["pipeline"] == "Flux2KleinPipeline"


# ------------------------------------------------------------------ progress, cancel, failures


def test_progress_rises_then_cancel_stops_within_two_seconds(
    wanstack_launcher: Launcher, tiny_weights: Callable[[str], Path], media_server: MediaServer
) -> None:
    env = tiny_env(tiny_weights, **{"wan2.6-image": {"steps": 1000}})
    server = wanstack_launcher.start("tiny-cancel", {**env, "WANSTACK_WORKERS": "1"})
    assert server.ready(), server.log_text()[-3000:]
    with pointing(server):
        cancel_then_run_next(server, media_server)


def cancel_then_run_next(server: Server, media_server: MediaServer) -> None:
    headers = {"Authorization": f"Bearer {server.api_key}"}
    long_task: Any = ImageGeneration.async_call(
        model="wan2.6-image",
        messages=[{"role": "user", "content": [{"text": "a slow sunrise"}]}],
        n=1,
        size="1024*1024",
        api_key=server.api_key,
    )
    task_id = long_task.output["task_id"]
    seen: list[int] = []
    deadline = time.monotonic() + 60
    while len(set(seen)) < 3 and time.monotonic() < deadline:
        output = httpx.get(f"{server.api_base}/tasks/{task_id}", headers=headers).json()["output"]
        if output["task_status"] == "RUNNING" and output.get("progress") is not None:
            seen.append(output["progress"])
        time.sleep(0.2)
    print(f"\n  progress seen: {sorted(set(seen))}")
    assert len(set(seen)) >= 3 and seen == sorted(seen) and seen[-1] < 100

    cancelled_at = time.monotonic()
    answer = httpx.post(f"{server.api_base}/tasks/{task_id}/cancel", headers=headers)
    assert answer.status_code == 200, answer.text
    status = ""
    while time.monotonic() - cancelled_at < 10:
        status = httpx.get(f"{server.api_base}/tasks/{task_id}", headers=headers).json()["output"][
            "task_status"
        ]
        if status == "CANCELED":
            break
        time.sleep(0.05)
    took = time.monotonic() - cancelled_at
    print(f"  CANCELED {took:.2f} s after the cancel")
    assert status == "CANCELED" and took < 2.0

    # the one worker slot is free at once: the next task runs and succeeds
    base = media_server.put("dc-base.png", photo_png())
    mask = media_server.put("dc-mask.png", mask_png())
    nxt = paint(server, base, mask)
    assert nxt.output.task_status == "SUCCEEDED", (nxt.output, server.log_text()[-3000:])
    log = server.log_text()
    assert "wan2.6-image: Flux2KleinPipeline loaded from" in log  # the load time is logged


def test_unloadable_weights_stop_serve_naming_the_folder(tmp_path: Path) -> None:
    missing = tmp_path / "models" / "flux2-klein-4b"
    deployment = Deployment(
        tmp_path / "data",
        {
            "WANSTACK_ENGINES": json.dumps({"wanx-x-painting": "diffusers"}),
            "WANSTACK_ENGINE_OPTIONS": json.dumps({"wanx-x-painting": {"weights": str(missing)}}),
        },
    )
    started = time.monotonic()
    done = subprocess.run(
        wanstack_command("serve", "--port", "0"),
        env=deployment.env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    took = time.monotonic() - started
    print(f"\n  exit {done.returncode} after {took:.1f} s: {done.stderr.strip().splitlines()[-1]}")
    assert done.returncode != 0
    last = done.stderr.strip().splitlines()[-1]
    assert "wanx-x-painting" in last and str(missing) in last


def test_alternating_models_does_not_grow_memory(
    wanstack_launcher: Launcher, tiny_weights: Callable[[str], Path], media_server: MediaServer
) -> None:
    env = tiny_env(tiny_weights)
    server = wanstack_launcher.start("tiny-memory", {**env, "WANSTACK_WORKERS": "1"})
    assert server.ready(), server.log_text()[-3000:]
    base = media_server.put("dm-base.png", photo_png())
    mask = media_server.put("dm-mask.png", mask_png())

    def rss_mib() -> float:
        status = Path(f"/proc/{server.process.pid}/status").read_text()
        kib = next(int(x.split()[1]) for x in status.splitlines() if x.startswith("VmRSS:"))
        return kib / 1024

    readings = []
    with pointing(server):
        readings = alternate(server, base, mask, rss_mib)
    first, last = readings[0], readings[-1]
    print(f"\n  resident memory after round 1: {first:.0f} MiB, after round 10: {last:.0f} MiB")
    assert last <= first * 1.10


def alternate(server: Server, base: str, mask: str, rss_mib: Callable[[], float]) -> list[float]:
    """10 rounds of one x-painting and one wan2.6-image task; resident memory after each."""
    readings = []
    for _ in range(10):  # 20 tasks, alternating between two models in the one worker
        painted = paint(server, base, mask)
        assert painted.output.task_status == "SUCCEEDED", painted
        drawn = draw(server, [{"text": "a red bicycle"}], "1024*1024", n=1)
        assert drawn.status_code == HTTPStatus.OK, drawn
        readings.append(rss_mib())
    return readings
