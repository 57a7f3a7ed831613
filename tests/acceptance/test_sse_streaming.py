"""SSE that streams (multimodal-generation, wan2.6-image), against a real ``wanstack serve``:
a frame is sent as soon as its image exists (while the task is still RUNNING, its last image
not yet made), keep-alive comments flow while nothing is ready, there is no content-length, and
a client that goes away mid-stream cancels the generation."""

from __future__ import annotations

import json
import time
from typing import Any

import httpx
import pytest

from tests.support.processes import Launcher, Server

SYNC = "/api/v1/services/aigc/multimodal-generation/generation"
ITEM_DELAY_S = 1.5  # the fake engine's pause before each image


@pytest.fixture(scope="module")
def server(wanstack_module_launcher: Launcher) -> Server:
    return wanstack_module_launcher.start(
        "sse",
        {
            "WANSTACK_ENGINES": json.dumps({"wan2.6-image": "fake"}),
            "WANSTACK_ENGINE_OPTIONS": json.dumps({"wan2.6-image": {"item_delay": ITEM_DELAY_S}}),
            "WANSTACK_SSE_KEEPALIVE_SECONDS": "0.4",
        },
    )


def body(**parameters: Any) -> dict[str, Any]:
    return {
        "model": "wan2.6-image",
        "input": {"messages": [{"role": "user", "content": [{"text": "a recipe"}]}]},
        "parameters": {"size": "960*960", **parameters},
    }


def newest_task(server: Server, client: httpx.Client) -> dict[str, Any]:
    listing = client.get(f"{server.api_base}/tasks", params={"page_size": 1}).json()
    item: dict[str, Any] = listing["data"][0]
    return item


def test_each_frame_is_sent_as_soon_as_its_image_exists(server: Server) -> None:
    headers = {"Authorization": f"Bearer {server.api_key}", "X-DashScope-SSE": "enable"}
    client = httpx.Client(headers={"Authorization": f"Bearer {server.api_key}"}, timeout=30)
    frames: list[dict[str, Any]] = []
    comments = 0
    state_at_first_frame = None
    started = time.monotonic()
    with httpx.stream(
        "POST",
        server.base_url + SYNC,
        json=body(enable_interleave=True, max_images=3),
        headers=headers,
        timeout=60,
    ) as resp:
        assert resp.status_code == 200
        assert resp.headers["content-type"] == "text/event-stream;charset=UTF-8"
        assert "content-length" not in resp.headers
        for line in resp.iter_lines():
            if line.startswith(":") and not frames:
                comments += 1
            if line.startswith("data:"):
                frames.append(json.loads(line[len("data:") :]))
                if len(frames) == 1:
                    first_at = time.monotonic() - started
                    state_at_first_frame = newest_task(server, client)["status"]
    total = time.monotonic() - started
    print(f"\n  first frame after {first_at:.2f} s of {total:.2f} s; {comments} keep-alives first")
    # The first image's frame came while the task was still making the last image.
    assert state_at_first_frame == "RUNNING"
    assert comments >= 1  # keep-alive comments while the first images were being made
    assert [f["output"]["finished"] for f in frames] == [False, False, True]
    assert [f["output"]["choices"][0]["finish_reason"] for f in frames] == ["null", "null", "stop"]
    assert [f["usage"]["image_count"] for f in frames] == [1, 2, 3]
    for i, frame in enumerate(frames):
        content = frame["output"]["choices"][0]["message"]["content"]
        assert [c["type"] for c in content] == ["text", "image"]
        assert content[0]["text"].startswith(f"Step {i + 1}:")


def test_a_client_that_leaves_mid_stream_cancels_the_generation(server: Server) -> None:
    headers = {"Authorization": f"Bearer {server.api_key}", "X-DashScope-SSE": "enable"}
    client = httpx.Client(headers={"Authorization": f"Bearer {server.api_key}"}, timeout=30)
    with httpx.stream(
        "POST", server.base_url + SYNC, json=body(n=4), headers=headers, timeout=60
    ) as resp:
        for line in resp.iter_lines():
            if line.startswith(":"):
                break  # the task is running; leave
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if newest_task(server, client)["status"] == "CANCELED":
            break
        time.sleep(0.2)
    assert newest_task(server, client)["status"] == "CANCELED"
