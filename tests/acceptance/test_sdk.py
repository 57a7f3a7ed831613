"""The unmodified ``dashscope`` SDK (2.0.2) against a REAL ``wanstack serve`` process.

Contract cases C04–C12, C17, C23, C30–C34, C36/C39 (``/work/shared/spec/dashscope-contract.md``
§10). Servers are started once per module:

* ``classic_sqlite`` / ``classic_postgres``: the default (classic, CPU) engine, so real images
  come back; the main flows run on SQLite, a representative subset (``any_server``) on both.
* ``slow_sqlite`` / ``slow_postgres``: the fake engine with a delay and one worker slot, so a
  task stays RUNNING and the next one PENDING (cancel cases).

Input images are served by a real HTTP server on 127.0.0.1 (``media_server``). The SDK is pointed
at a server through ``dashscope.base_http_api_url`` and gets ``api_key=`` on every call; the
``sdk`` fixture restores the SDK's globals and environment after each test.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import io
import json
import re
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import dashscope
import httpx
import numpy as np
import pytest
from dashscope import ImageSynthesis
from dashscope.aigc.image_synthesis import AioImageSynthesis
from dashscope.api_entities.aio_session import close_shared_aio_session
from dashscope.api_entities.base_request import BaseRequest
from dashscope.common.error import InvalidTask
from dashscope.v2.errors import AuthenticationError, BadRequestError
from PIL import Image

from tests.support.media import MediaServer, mask_png, photo_gif, photo_png
from tests.support.postgres import PostgresServer
from tests.support.processes import Launcher, Server
from wanstack.catalog.x_painting import STYLES

MODEL = "wanx-x-painting"
PROMPT = "A dog wearing red glasses"
SIZE_MESSAGE = "The size is not match the allowed size ['1024*1024', '720*1280', '1280*720']"
CANCEL_MESSAGE = "Failed to cancel the task, please confirm if the task is in PENDING status."
TIME_RE = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{3}$")
#: Seconds the fake engine works on each task of the "slow" servers.
FAKE_DELAY = 3.0
SLOW_ENV = {
    "WANSTACK_ENGINES": json.dumps({MODEL: "fake"}),
    "WANSTACK_ENGINE_OPTIONS": json.dumps({"fake": {"delay": FAKE_DELAY}}),
    "WANSTACK_WORKERS": "1",
}
DIALECTS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


# --------------------------------------------------------------------------- inputs


@dataclass(frozen=True)
class Inputs:
    base: str  #: 512×384 photo-like PNG
    mask: str  #: 512×384 PNG, white rectangle on black
    base_path: Path
    mask_path: Path
    base_bytes: bytes
    missing: str  #: 404 on the media server
    gif: str
    text: str
    small: str  #: 200×200 PNG
    mask_640: str  #: 640×480 mask (does not match the base)


@pytest.fixture(scope="module")
def inputs(media_server: MediaServer) -> Inputs:
    base = photo_png(512, 384)
    mask = mask_png(512, 384)
    return Inputs(
        base=media_server.put("base.png", base),
        mask=media_server.put("mask.png", mask),
        base_path=media_server.root / "base.png",
        mask_path=media_server.root / "mask.png",
        base_bytes=base,
        missing=media_server.url("no-such-file.png"),
        gif=media_server.put("base.gif", photo_gif(512, 384)),
        text=media_server.put("base.txt", b"this is not an image\n" * 20),
        small=media_server.put("small.png", photo_png(200, 200)),
        mask_640=media_server.put("mask-640.png", mask_png(640, 480)),
    )


# --------------------------------------------------------------------------- servers


@pytest.fixture(scope="module")
def classic_sqlite(wanstack_module_launcher: Launcher) -> Server:
    return wanstack_module_launcher.start("classic-sqlite")


@pytest.fixture(scope="module")
def classic_postgres(
    wanstack_module_launcher: Launcher,
    postgres_server: PostgresServer,
    postgres_template: str,
) -> Server:
    url = postgres_server.create_database(template=postgres_template)
    return wanstack_module_launcher.start("classic-postgres", database_url=url)


@pytest.fixture(scope="module")
def slow_sqlite(wanstack_module_launcher: Launcher) -> Server:
    return wanstack_module_launcher.start("slow-sqlite", SLOW_ENV)


@pytest.fixture(scope="module")
def slow_postgres(
    wanstack_module_launcher: Launcher,
    postgres_server: PostgresServer,
    postgres_template: str,
) -> Server:
    url = postgres_server.create_database(template=postgres_template)
    return wanstack_module_launcher.start("slow-postgres", SLOW_ENV, database_url=url)


@pytest.fixture(scope="module", params=DIALECTS)
def any_server(request: pytest.FixtureRequest) -> Server:
    """The classic-engine server of each dialect (the SQLite one is shared with other tests)."""
    server: Server = request.getfixturevalue(f"classic_{request.param}")
    return server


@pytest.fixture(scope="module", params=DIALECTS)
def any_slow_server(request: pytest.FixtureRequest) -> Server:
    server: Server = request.getfixturevalue(f"slow_{request.param}")
    return server


# --------------------------------------------------------------------------- SDK globals

_SDK_ENV = (
    "DASHSCOPE_API_KEY",
    "DASHSCOPE_API_KEY_FILE_PATH",
    "DASHSCOPE_WORKSPACE_ID",
    "DASHSCOPE_DISABLE_DATA_INSPECTION",
)


@contextlib.contextmanager
def sdk_pointing(server: Server, *, trailing_slash: bool = False) -> Iterator[None]:
    """Point the 1.x SDK at ``server``; restores ``base_http_api_url`` and ``api_key``."""
    saved = (dashscope.base_http_api_url, dashscope.api_key)
    dashscope.base_http_api_url = server.api_base + ("/" if trailing_slash else "")
    dashscope.api_key = None  # every call passes api_key=
    try:
        yield
    finally:
        dashscope.base_http_api_url, dashscope.api_key = saved


@pytest.fixture
def sdk(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., None]]:
    """``sdk(server)`` points the SDK at ``server`` for this test, with a clean environment."""
    for name in _SDK_ENV:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    with contextlib.ExitStack() as stack:

        def point(server: Server, *, trailing_slash: bool = False) -> None:
            stack.enter_context(sdk_pointing(server, trailing_slash=trailing_slash))

        yield point


# --------------------------------------------------------------------------- helpers


def xp_args(inputs: Inputs, **overrides: Any) -> dict[str, Any]:
    """The [SEED-003] SDK example: wanx-x-painting through ``extra_input``."""
    args: dict[str, Any] = {
        "model": MODEL,
        "prompt": PROMPT,
        "n": 1,
        "size": "1024*1024",
        "task": "image2image",
        "extra_input": {"base_image_url": inputs.base, "mask_image_url": inputs.mask},
    }
    args.update(overrides)
    return args


def media(base: str, mask: str) -> dict[str, str]:
    return {"base_image_url": base, "mask_image_url": mask}


def download(url: str) -> tuple[bytes, Image.Image]:
    response = httpx.get(url, timeout=30)
    assert response.status_code == 200, (url, response.status_code, response.text[:300])
    image = Image.open(io.BytesIO(response.content))
    image.load()
    return response.content, image


def status_of(server: Server, task_id: str, **kw: Any) -> str:
    r = ImageSynthesis.fetch(task_id, api_key=kw.pop("api_key", server.api_key), **kw)
    assert r.status_code == 200, r
    return str(r.output.task_status)


def wait_for_status(server: Server, task_id: str, wanted: set[str], timeout: float = 15.0) -> str:
    deadline = time.monotonic() + timeout
    seen = ""
    while time.monotonic() < deadline:
        seen = status_of(server, task_id)
        if seen in wanted:
            return seen
        time.sleep(0.05)
    raise AssertionError(f"task {task_id} never reached {wanted}; last status {seen}")


def assert_succeeded(r: Any, n: int) -> None:
    assert r.status_code == 200, r
    assert not r.code, r  # None (sync client) or "" (aio client)
    out = r.output
    assert out.task_status == "SUCCEEDED", r
    assert len(out.results) == n, r
    for item in out.results:
        assert item.url.startswith("http"), r
    assert r.usage.image_count == n, r
    for key in ("submit_time", "scheduled_time", "end_time"):
        assert TIME_RE.match(out[key]), (key, out[key])
    assert out.submit_time <= out.scheduled_time <= out.end_time
    assert out.task_metrics["TOTAL"] == n, r
    assert out.task_metrics["SUCCEEDED"] == n, r
    assert out.task_metrics["FAILED"] == 0, r


def assert_failed(r: Any, code: str, message: str | None = None) -> None:
    assert r.status_code == 200, r
    assert r.output.task_status == "FAILED", r
    assert r.output.code == code, r
    if message is not None:
        assert r.output.message == message, r
    else:
        assert r.output.message, r
    assert r.output.results == [], r
    assert TIME_RE.match(r.output.end_time), r


@contextlib.contextmanager
def busy_worker(server: Server, inputs: Inputs) -> Iterator[str]:
    """Occupy the slow server's only worker slot: yields the id of a RUNNING task, which is
    cancelled on the way out (so the next test finds the slot free)."""
    r = ImageSynthesis.async_call(api_key=server.api_key, **xp_args(inputs))
    assert r.status_code == 200, r
    task_id = r.output.task_id
    try:
        wait_for_status(server, task_id, {"RUNNING"})
        yield task_id
    finally:
        ImageSynthesis.cancel(task_id, api_key=server.api_key)
        wait_for_status(server, task_id, {"CANCELED", "SUCCEEDED", "FAILED"})


@pytest.fixture(scope="module")
def done_task(any_server: Server, inputs: Inputs) -> Any:
    """One SUCCEEDED task of the default account on ``any_server``."""
    with sdk_pointing(any_server):
        r = ImageSynthesis.call(api_key=any_server.api_key, **xp_args(inputs))
    assert_succeeded(r, 1)
    return r


# --------------------------------------------------------------------------- success flows


def test_call_image2image_succeeds(any_server: Server, inputs: Inputs, sdk: Any) -> None:
    """C04: the vendor's example, with a real engine; the result is a real 1024×1024 PNG."""
    sdk(any_server)
    r = ImageSynthesis.call(api_key=any_server.api_key, **xp_args(inputs))
    assert_succeeded(r, 1)
    assert r.request_id
    assert r.output.task_id
    _, image = download(r.output.results[0].url)
    assert image.format == "PNG"
    assert image.size == (1024, 1024)


def test_call_n4_gives_four_distinct_1280x720_images(
    classic_sqlite: Server, inputs: Inputs, sdk: Any
) -> None:
    sdk(classic_sqlite)
    r = ImageSynthesis.call(api_key=classic_sqlite.api_key, **xp_args(inputs, n=4, size="1280*720"))
    assert_succeeded(r, 4)
    urls = [item.url for item in r.output.results]
    assert len(set(urls)) == 4
    blobs = []
    for url in urls:
        data, image = download(url)
        assert image.format == "PNG"
        assert image.size == (1280, 720)
        blobs.append(data)
    assert len(set(blobs)) == 4, "the four results must differ"


def test_every_style_with_n4_gives_four_distinct_styled_images(
    classic_sqlite: Server, inputs: Inputs, sdk: Any
) -> None:
    """Seed 003's request with each of the eight styles and n = 4: four distinct images at the
    requested size, and each style renders the whole image its own way."""
    sdk(classic_sqlite)
    submitted = {
        style: ImageSynthesis.async_call(
            api_key=classic_sqlite.api_key, **xp_args(inputs, n=4, size="1280*720", style=style)
        )
        for style in STYLES
    }
    firsts: dict[str, np.ndarray] = {}
    for style, task in submitted.items():
        r = ImageSynthesis.wait(task, api_key=classic_sqlite.api_key)
        assert_succeeded(r, 4)
        images = [download(item.url)[1] for item in r.output.results]
        assert {image.size for image in images} == {(1280, 720)}, style
        assert len({image.tobytes() for image in images}) == 4, style
        firsts[style] = np.asarray(images[0].convert("RGB"), dtype=np.int16)
    plain = firsts.pop("<auto>")
    for style, image in firsts.items():
        assert np.abs(image - plain).mean() > 8, style  # styled, not the photo
    names = sorted(firsts)
    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            assert np.abs(firsts[a] - firsts[b]).mean() > 4, (a, b)


def test_async_call_fetch_wait(any_server: Server, inputs: Inputs, sdk: Any) -> None:
    """C01–C03 for wanx-x-painting: submit answers PENDING, fetch sees progress, wait ends."""
    sdk(any_server)
    key = any_server.api_key
    r = ImageSynthesis.async_call(api_key=key, **xp_args(inputs))
    assert r.status_code == 200, r
    assert r.request_id
    assert r.output.task_id
    assert r.output.task_status == "PENDING"
    assert r.output.results == []
    assert r.usage is None
    f = ImageSynthesis.fetch(r, api_key=key)
    assert f.status_code == 200, f
    assert f.output.task_id == r.output.task_id
    assert f.output.task_status in ("PENDING", "RUNNING", "SUCCEEDED")
    assert TIME_RE.match(f.output.submit_time)
    w = ImageSynthesis.wait(r, api_key=key)
    assert w.output.task_id == r.output.task_id
    assert_succeeded(w, 1)


def test_local_files_are_uploaded_to_the_server(
    any_server: Server, inputs: Inputs, sdk: Any, tmp_path: Path
) -> None:
    """C05: ``file://`` and plain paths as named arguments: getPolicy, upload to the server's
    own upload host, submit ``oss://`` with the resolve header."""
    sdk(any_server)
    tag = uuid.uuid4().hex[:8]
    base = tmp_path / f"base-{tag}.png"
    mask = tmp_path / f"mask-{tag}.png"
    base.write_bytes(inputs.base_path.read_bytes())
    mask.write_bytes(inputs.mask_path.read_bytes())
    r = ImageSynthesis.call(
        model=MODEL,
        prompt=PROMPT,
        n=1,
        size="720*1280",
        task="image2image",
        base_image_url=f"file://{base}",
        mask_image_url=str(mask),
        api_key=any_server.api_key,
    )
    assert_succeeded(r, 1)
    _, image = download(r.output.results[0].url)
    assert image.size == (720, 1280)
    # The bytes landed in this server's upload storage (not fetched from anywhere else); files
    # are stored under a digest of their name, so look for them by content.
    uploads = any_server.deployment.data_dir / "files" / "uploads"
    stored = [p.read_bytes() for p in uploads.rglob("*") if p.is_file()]
    for local in (base, mask):
        assert local.read_bytes() in stored, f"{local.name} was not uploaded to the server"


def test_data_uri_base_image(classic_sqlite: Server, inputs: Inputs, sdk: Any) -> None:
    """C17-style: a ``data:image/png;base64,…`` base image inside ``extra_input``."""
    sdk(classic_sqlite)
    data_uri = "data:image/png;base64," + base64.b64encode(inputs.base_bytes).decode()
    r = ImageSynthesis.call(
        api_key=classic_sqlite.api_key,
        **xp_args(inputs, extra_input=media(data_uri, inputs.mask)),
    )
    assert_succeeded(r, 1)
    _, image = download(r.output.results[0].url)
    assert image.size == (1024, 1024)


def test_aio_call_succeeds(classic_sqlite: Server, inputs: Inputs, sdk: Any) -> None:
    """C31: the aio client polls ``/tasks/<id>/?size=…&n=…`` (trailing slash, stray query)."""
    sdk(classic_sqlite)

    async def main() -> Any:
        try:
            return await AioImageSynthesis.call(api_key=classic_sqlite.api_key, **xp_args(inputs))
        finally:
            await close_shared_aio_session()

    r = asyncio.run(main())
    assert_succeeded(r, 1)
    _, image = download(r.output.results[0].url)
    assert image.size == (1024, 1024)


def test_base_url_with_trailing_slash(classic_sqlite: Server, inputs: Inputs, sdk: Any) -> None:
    """C33."""
    sdk(classic_sqlite, trailing_slash=True)
    assert dashscope.base_http_api_url.endswith("/api/v1/")
    r = ImageSynthesis.call(api_key=classic_sqlite.api_key, **xp_args(inputs))
    assert_succeeded(r, 1)


def test_data_inspection_header_is_accepted(
    classic_sqlite: Server, inputs: Inputs, sdk: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """C34: ``DASHSCOPE_DISABLE_DATA_INSPECTION=false`` adds ``X-DashScope-DataInspection``
    (read per request by ``BaseRequest``) to every call; the server accepts it."""
    sdk(classic_sqlite)
    monkeypatch.setenv("DASHSCOPE_DISABLE_DATA_INSPECTION", "false")

    class Probe(BaseRequest):
        def call(self) -> None:
            return None

    assert Probe().headers.get("X-DashScope-DataInspection") == "enable"
    r = ImageSynthesis.call(api_key=classic_sqlite.api_key, **xp_args(inputs))
    assert_succeeded(r, 1)


# --------------------------------------------------------------------------- task failures


def test_disallowed_size_fails_the_task(any_server: Server, inputs: Inputs, sdk: Any) -> None:
    """C06: the size is checked when the task runs, with DashScope's exact message."""
    sdk(any_server)
    r = ImageSynthesis.call(api_key=any_server.api_key, **xp_args(inputs, size="999*999"))
    assert_failed(r, "InvalidParameter", SIZE_MESSAGE)


@pytest.mark.parametrize(
    ("base", "mask", "code", "hint"),
    [
        pytest.param(
            "missing", "mask", "InvalidParameter.FileDownload", "base_image_url", id="404"
        ),
        pytest.param("gif", "mask", "BadRequest.UnsupportedFileFormat", "base_image_url", id="gif"),
        pytest.param(
            "text", "mask", "BadRequest.UnsupportedFileFormat", "base_image_url", id="text"
        ),
        pytest.param("small", "mask", "InvalidParameter", "base_image_url", id="200x200"),
        pytest.param("base", "mask_640", "InvalidParameter", "mask_image_url", id="mask-size"),
    ],
)
def test_bad_media_fails_the_task(
    classic_sqlite: Server,
    inputs: Inputs,
    sdk: Any,
    base: str,
    mask: str,
    code: str,
    hint: str,
) -> None:
    sdk(classic_sqlite)
    extra = media(getattr(inputs, base), getattr(inputs, mask))
    r = ImageSynthesis.call(api_key=classic_sqlite.api_key, **xp_args(inputs, extra_input=extra))
    assert_failed(r, code)
    assert hint in r.output.message, r


def test_wait_on_unknown_task_returns_after_one_get(
    any_server: Server, sdk: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """C08: an unknown id reads UNKNOWN (HTTP 200), which ends ``wait`` after a single GET."""
    sdk(any_server)
    polls: list[str] = []
    real_get = ImageSynthesis._get  # what ``wait`` calls for each poll

    def counting_get(cls: Any, task_id: str, *args: Any, **kwargs: Any) -> Any:
        polls.append(task_id)
        return real_get(task_id, *args, **kwargs)

    monkeypatch.setattr(ImageSynthesis, "_get", classmethod(counting_get))
    w = ImageSynthesis.wait("no-such-id", api_key=any_server.api_key)
    assert w.status_code == 200, w
    assert w.output.task_status == "UNKNOWN"
    assert w.output.task_id == "no-such-id"
    assert polls == ["no-such-id"]


# --------------------------------------------------------------------------- cancel


def test_cancel_pending_task(any_slow_server: Server, inputs: Inputs, sdk: Any) -> None:
    """C09 and C10: cancel a queued task; a second cancel is refused."""
    server = any_slow_server
    sdk(server)
    key = server.api_key
    with busy_worker(server, inputs):
        r = ImageSynthesis.async_call(api_key=key, **xp_args(inputs))
        assert r.status_code == 200, r
        assert status_of(server, r.output.task_id) == "PENDING"
        c = ImageSynthesis.cancel(r, api_key=key)
        assert c.status_code == 200, c
        assert c.request_id
        assert not c.output  # {"request_id"} only
        f = ImageSynthesis.fetch(r, api_key=key)
        assert f.output.task_status == "CANCELED", f
        assert TIME_RE.match(f.output.end_time)
        w = ImageSynthesis.wait(r, api_key=key)
        assert w.output.task_status == "CANCELED", w
        again = ImageSynthesis.cancel(r, api_key=key)
        assert again.status_code == 400, again
        assert again.code == "UnsupportedOperation"
        assert again.message == CANCEL_MESSAGE


def test_cancel_running_task(any_slow_server: Server, inputs: Inputs, sdk: Any) -> None:
    """A running task can be cancelled too; it then never turns SUCCEEDED."""
    server = any_slow_server
    sdk(server)
    with busy_worker(server, inputs) as task_id:
        c = ImageSynthesis.cancel(task_id, api_key=server.api_key)
        assert c.status_code == 200, c
        # Watch past the moment the engine would have finished.
        deadline = time.monotonic() + FAKE_DELAY + 1.0
        while time.monotonic() < deadline:
            assert status_of(server, task_id) == "CANCELED"
            time.sleep(0.25)


def test_aio_cancel_pending_task(any_slow_server: Server, inputs: Inputs, sdk: Any) -> None:
    """C32: ``POST /tasks/<id>/cancel/`` (trailing slash, JSON body) works like C09/C10."""
    server = any_slow_server
    sdk(server)
    key = server.api_key
    with busy_worker(server, inputs):
        r = ImageSynthesis.async_call(api_key=key, **xp_args(inputs))
        task_id = r.output.task_id
        assert status_of(server, task_id) == "PENDING"

        async def cancel_twice() -> tuple[Any, Any]:
            try:
                first = await AioImageSynthesis.cancel(task_id, api_key=key)
                second = await AioImageSynthesis.cancel(task_id, api_key=key)
                return first, second
            finally:
                await close_shared_aio_session()

        first, second = asyncio.run(cancel_twice())
        assert first.status_code == 200, first
        assert status_of(server, task_id) == "CANCELED"
        assert second.status_code == 400, second
        assert second.code == "UnsupportedOperation"


def test_cancel_succeeded_task_is_refused(any_server: Server, done_task: Any, sdk: Any) -> None:
    """C10."""
    sdk(any_server)
    c = ImageSynthesis.cancel(done_task.output.task_id, api_key=any_server.api_key)
    assert c.status_code == 400, c
    assert c.code == "UnsupportedOperation"
    assert c.message == CANCEL_MESSAGE
    assert status_of(any_server, done_task.output.task_id) == "SUCCEEDED"


# --------------------------------------------------------------------------- list


def test_list_tasks(any_server: Server, done_task: Any, sdk: Any) -> None:
    """C11/C12: the flat list shape, filtered by status and model."""
    sdk(any_server)
    key = any_server.api_key
    r = ImageSynthesis.list(
        page_no=1, page_size=5, status="SUCCEEDED", model_name=MODEL, api_key=key
    )
    assert r.status_code == 200, r
    assert r.request_id
    out = r.output
    for field in ("total", "total_page", "page_no", "page_size", "data"):
        assert field in out, (field, out)
    assert out["page_no"] == 1
    assert out["page_size"] == 5
    assert out["total"] >= 1
    assert out["total_page"] == -(-out["total"] // 5)
    assert 1 <= len(out["data"]) <= 5
    for item in out["data"]:
        for field in ("task_id", "status", "model_name", "gmt_create"):
            assert field in item, (field, item)
        assert item["status"] == "SUCCEEDED"
        assert item["model_name"] == MODEL
        assert isinstance(item["gmt_create"], int)
    # The task made by the fixture is on one of the pages.
    found = []
    for page in range(1, out["total_page"] + 1):
        p = ImageSynthesis.list(
            page_no=page, page_size=5, status="SUCCEEDED", model_name=MODEL, api_key=key
        )
        found += [item["task_id"] for item in p.output["data"]]
    assert done_task.output.task_id in found
    assert len(found) == out["total"]


# --------------------------------------------------------------------------- keys, accounts


def test_bad_api_key(classic_sqlite: Server, inputs: Inputs, sdk: Any) -> None:
    """C23."""
    sdk(classic_sqlite)
    r = ImageSynthesis.async_call(api_key="sk-not-a-real-key", **xp_args(inputs))
    assert r.status_code == 401, r
    assert r.code == "InvalidApiKey"
    assert r.message == "Invalid API-key provided."
    assert r.output is None
    with pytest.raises(InvalidTask):
        ImageSynthesis.call(api_key="sk-not-a-real-key", **xp_args(inputs))


def test_workspace_key(any_server: Server, inputs: Inputs, sdk: Any) -> None:
    """C30: a key created for a workspace works with ``workspace=``, is refused without it,
    and its tasks are invisible to another account."""
    sdk(any_server)
    stdout = any_server.deployment.create_key_output("ws-acct", "ws-123")
    assert re.fullmatch(r"\S+\n", stdout), f"keys create must print only the key: {stdout!r}"
    ws_key = stdout.strip()
    r = ImageSynthesis.async_call(workspace="ws-123", api_key=ws_key, **xp_args(inputs))
    assert r.status_code == 200, r
    task_id = r.output.task_id
    f = ImageSynthesis.fetch(r, workspace="ws-123", api_key=ws_key)
    assert f.status_code == 200, f
    assert f.output.task_id == task_id
    assert f.output.task_status in ("PENDING", "RUNNING", "SUCCEEDED")
    no_ws = ImageSynthesis.fetch(r, api_key=ws_key)
    assert no_ws.status_code == 401, no_ws
    other = ImageSynthesis.fetch(r, api_key=any_server.api_key)  # the "default" account
    assert other.status_code == 200, other
    assert other.output.task_status == "UNKNOWN"
    w = ImageSynthesis.wait(r, workspace="ws-123", api_key=ws_key)
    assert_succeeded(w, 1)
    listed = ImageSynthesis.list(workspace="ws-123", api_key=ws_key)
    assert listed.status_code == 200, listed
    assert task_id in [item["task_id"] for item in listed.output["data"]]


def test_task_of_another_account_is_unknown(any_server: Server, done_task: Any, sdk: Any) -> None:
    sdk(any_server)
    other_key = any_server.deployment.create_key("other-acct")
    task_id = done_task.output.task_id
    f = ImageSynthesis.fetch(task_id, api_key=other_key)
    assert f.status_code == 200, f
    assert f.output.task_status == "UNKNOWN"
    assert f.output.task_id == task_id
    listed = ImageSynthesis.list(page_size=100, api_key=other_key)
    assert listed.status_code == 200, listed
    assert task_id not in [item["task_id"] for item in listed.output["data"]]


# --------------------------------------------------------------------------- v2 client


def test_v2_client(classic_sqlite: Server, inputs: Inputs, sdk: Any) -> None:
    """C36/C39 for wanx-x-painting: v2 ``images.generate`` posts to text2image (the server
    routes the model there too) with base/mask in ``extra_input``; ``jobs.list`` returns."""
    sdk(classic_sqlite)
    with dashscope.Client(
        api_key=classic_sqlite.api_key, base_url=classic_sqlite.api_base
    ) as client:
        job = client.images.generate(
            model=MODEL,
            prompt=PROMPT,
            n=1,
            size="1280x720",
            extra_input=media(inputs.base, inputs.mask),
        )
        assert job.status == "SUCCEEDED", job
        assert len(job.image_urls) == 1
        _, image = download(job.image_urls[0])
        assert image.size == (1280, 720)

        with pytest.raises(BadRequestError) as failed:
            client.images.generate(
                model=MODEL,
                prompt=PROMPT,
                size="999*999",
                extra_input=media(inputs.base, inputs.mask),
            )
        assert failed.value.status_code == 200
        assert failed.value.code == "InvalidParameter"

        jobs = client.images.jobs.list(status="SUCCEEDED", model_name=MODEL)
        legacy = ImageSynthesis.list(
            status="SUCCEEDED", model_name=MODEL, api_key=classic_sqlite.api_key
        )
        assert jobs.total == legacy.output["total"] >= 1
        # Known v2 mismatch (contract §5.3): it reads ``tasks``, the wire has ``data``.
        for listed in jobs.tasks:
            assert listed.task_id

    bad_key = "sk-not-a-real-key"
    with (
        dashscope.Client(api_key=bad_key, base_url=classic_sqlite.api_base) as bad,
        pytest.raises(AuthenticationError),
    ):
        bad.images.jobs.create(
            model=MODEL, prompt=PROMPT, extra_input=media(inputs.base, inputs.mask)
        )
