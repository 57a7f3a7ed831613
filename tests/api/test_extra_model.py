"""A model's knowledge lives in its catalog module: a model defined here, in the test suite alone
(its spec, its request type and a fake engine), registered in the two registries, is served end
to end through the HTTP API by the unchanged worker and wire code, with its own output fields."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import Any

import httpx
import numpy as np
import pytest

from tests.api.conftest import BoundedClient
from tests.api.support import Api, async_headers, check_envelope, check_error
from wanstack.api import protocol
from wanstack.api.app import create_app
from wanstack.catalog import registry as catalog_registry
from wanstack.catalog.base import MediaLoader, StoredItem, Submission, file_ref
from wanstack.catalog.fields import Fields
from wanstack.container import Container
from wanstack.domain import Outcome, Task, TaskStatus
from wanstack.engines import registry as engine_registry
from wanstack.engines.base import CancelToken, ImageItem
from wanstack.testing import FrozenClock

MODEL = "test-checkerboard-v1"
ENDPOINT = "/api/v1/services/aigc/text2image/image-synthesis"


@dataclass(frozen=True)
class CheckerRequest:
    """The extra model's engine request."""

    squares: int
    size: int


class CheckerSpec:
    """An extra model: ``input.squares`` (2–16), ``parameters.size`` (64–512); its output has
    a field of its own, ``board_url``, beside ``results``, and a usage of its own."""

    model = MODEL
    endpoints = frozenset({"text2image/image-synthesis"})

    def validate(self, input: Any, parameters: Any) -> Submission:
        inp, par = Fields(input, "input"), Fields(parameters, "parameters")
        squares = inp.integer("squares", lo=2, hi=16, required=True)
        size = par.integer("size", lo=64, hi=512, default=128)
        return Submission(input={"squares": squares}, parameters={"size": size})

    async def prepare(self, task: Task, load: MediaLoader) -> CheckerRequest:
        return CheckerRequest(task.input["squares"], task.parameters["size"])

    def outcome(self, request: CheckerRequest, items: Sequence[StoredItem]) -> Outcome:
        (item,) = items
        assert item.key is not None
        return Outcome(
            status=TaskStatus.SUCCEEDED,
            output={"results": [{"key": item.key}], "board_url": file_ref(item.key)},
            usage={"boards": 1, "squares": request.squares**2},
        )

    def running_output(self, parameters: dict[str, Any]) -> dict[str, Any]:
        return {"board_size": parameters["size"]}


class CheckerEngine:
    """The extra model's (fake-family) engine: a black and white checkerboard."""

    name = "fake"

    def __init__(self, **_: Any) -> None:
        pass

    def load(self) -> None:
        pass

    def describe(self) -> dict[str, Any]:
        return {"engine": "fake", "algorithm": "checkerboard"}

    def run(self, request: CheckerRequest, cancel: CancelToken) -> list[ImageItem]:
        cell = request.size // request.squares
        y, x = np.mgrid[0 : request.size, 0 : request.size]
        board = (((y // cell) + (x // cell)) % 2 * 255).astype(np.uint8)
        return [ImageItem(image=np.repeat(board[..., None], 3, axis=2))]


@pytest.fixture
async def api(
    database_url: str, make_settings: Any, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[Api]:
    monkeypatch.setitem(catalog_registry.MODELS, MODEL, CheckerSpec())
    monkeypatch.setitem(
        engine_registry.ENGINES, (MODEL, "fake"), f"{__name__}:{CheckerEngine.__name__}"
    )
    settings = make_settings(database_url=database_url, engines={MODEL: "fake"})
    container = Container.build(settings, clock=FrozenClock(), migrate=False)
    app = create_app(container, workers=1)
    async with contextlib.AsyncExitStack() as stack:
        await stack.enter_async_context(app.router.lifespan_context(app))
        client = BoundedClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")
        await stack.enter_async_context(client)
        yield Api(container=container, app=app, client=client, clock=FrozenClock())


async def test_a_model_registered_from_the_tests_runs_end_to_end(api: Api) -> None:
    key = await api.key("acct")
    body = {"model": MODEL, "input": {"squares": 4}, "parameters": {"size": 128}}
    resp = await api.client.post(ENDPOINT, json=body, headers=async_headers(key))
    assert resp.status_code == 200, resp.text
    task_id = check_envelope(resp)["output"]["task_id"]
    for _ in range(500):
        answer = await api.query(key, task_id)
        if answer["output"]["task_status"] in ("SUCCEEDED", "FAILED"):
            break
        await asyncio.sleep(0.02)
    out = answer["output"]
    assert out["task_status"] == "SUCCEEDED", answer
    assert out["engine"] == {"engine": "fake", "algorithm": "checkerboard"}
    assert answer["usage"] == {"boards": 1, "squares": 16}
    assert out["board_url"] == out["results"][0]["url"]
    image = (await api.client.get(out["board_url"].replace("http://testserver", ""))).content
    assert image.startswith(b"\x89PNG")
    # Its own validation rules, with messages naming the field, through the same submit route.
    resp = await api.client.post(
        ENDPOINT, json={"model": MODEL, "input": {"squares": 99}}, headers=async_headers(key)
    )
    error = check_error(resp, 400, "InvalidParameter")
    assert error["message"] == "input.squares must be an integer from 2 to 16, got 99"


async def test_a_running_task_of_the_extra_model_shows_its_own_fields(api: Api) -> None:
    key = await api.key("acct")
    body = {"model": MODEL, "input": {"squares": 2}, "parameters": {"size": 256}}
    resp = await api.client.post(ENDPOINT, json=body, headers=async_headers(key))
    stored = await api.container.tasks.get(check_envelope(resp)["output"]["task_id"])
    assert stored is not None
    running = protocol.task_body(
        dataclasses.replace(stored, status=TaskStatus.RUNNING, output=None), "r", lambda k, e: k
    )
    assert running["output"]["board_size"] == 256  # the spec's running view, not task_metrics
    assert "task_metrics" not in running["output"]
