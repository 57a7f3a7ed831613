"""What a person does on the playground, as steps the browser tests share, and the pictures they
use: a seaside photo with a red crate to paint out, and an RGBA bottle cut-out.

The steps: :func:`sign_in`, :func:`choose_model`, :func:`stroke` (a mouse stroke over the mask
canvas), :func:`submitted_body` (the JSON the page posts when something is clicked),
:func:`wait_status`, :func:`shoot` (a screenshot when ``WANSTACK_SCREENSHOTS`` asks for one);
:func:`submit_raw` / :func:`cancel_raw` act on the same server over plain HTTP.
"""

from __future__ import annotations

import base64
import io
import json
from pathlib import Path
from typing import Any

import httpx
import numpy as np
from PIL import Image

from tests.support.processes import Server

RESULT_TIMEOUT_MS = 60_000
SERVICES = "/api/v1/services/aigc/"


def png(array: np.ndarray) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(array).save(buf, "PNG")
    return buf.getvalue()


def seaside() -> np.ndarray:
    """640 × 480: sky, sun, sea, and a red crate floating on it (the thing to paint out)."""
    y, x = np.mgrid[0:480, 0:640].astype(np.float32)
    sky = np.stack([120 + 90 * y / 260, 170 + 60 * y / 260, 235 - 10 * y / 260], -1)
    sea = np.stack(
        [20 + 30 * (y - 260) / 220, 90 + 40 * (y - 260) / 220, 140 + 30 * (y - 260) / 220], -1
    )
    sea += 8 * np.sin(x / 9 + y / 3)[..., None]
    img = np.where((y < 260)[..., None], sky, sea)
    sun = (x - 470) ** 2 + (y - 120) ** 2 < 45**2
    img[sun] = (255, 236, 170)
    img[290:370, 180:300] = (190, 40, 35)  # the crate
    img[300:360, 190:290] = (160, 30, 28)
    return np.clip(img, 0, 255).astype(np.uint8)


def bottle() -> np.ndarray:
    """480 × 640 RGBA product cut-out: a shaded green bottle on transparency."""
    y, x = np.mgrid[0:640, 0:480].astype(np.float32)
    shoulders = (((x - 240) / 100) ** 2 + ((y - 330) / 90) ** 2 < 1) & (y < 330)
    base = (((x - 240) / 100) ** 2 + ((y - 570) / 30) ** 2 < 1) & (y > 570)
    body = shoulders | base | ((abs(x - 240) < 100) & (y >= 330) & (y <= 570))
    neck = (abs(x - 240) < 30) & (y > 120) & (y < 260)
    cap = (abs(x - 240) < 36) & (y > 92) & (y < 136)
    shade = 0.55 + 0.45 * np.clip(1 - abs(x - 205) / 140, 0, 1)
    out = np.zeros((640, 480, 4), np.uint8)
    green = np.stack([40 * shade, 150 * shade, 90 * shade], -1)
    out[..., :3] = np.where((body | neck)[..., None], green, 0).astype(np.uint8)
    out[cap, :3] = (200, 170, 90)
    out[..., 3] = ((body | neck | cap) * 255).astype(np.uint8)
    return out


def file_payload(name: str, data: bytes, mime: str = "image/png") -> dict[str, Any]:
    return {"name": name, "mimeType": mime, "buffer": data}


def decode_data_uri(uri: str) -> Image.Image:
    header, _, data = uri.partition(",")
    assert header.endswith(";base64"), header
    return Image.open(io.BytesIO(base64.b64decode(data)))


def sign_in(page: Any, server: Server) -> None:
    page.goto(server.base_url + "/")
    page.get_by_role("textbox", name="API key").fill(server.api_key)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_selector("#view-create:not([hidden])")


def choose_model(page: Any, model: str) -> None:
    page.locator("#request-form").get_by_label("Model", exact=True).select_option(model)


def stroke(page: Any, points: list[tuple[float, float]]) -> None:
    """A mouse stroke through points given as fractions of the mask canvas."""
    canvas = page.locator(".mask-canvas")
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    xs = [(box["x"] + fx * box["width"], box["y"] + fy * box["height"]) for fx, fy in points]
    page.mouse.move(*xs[0])
    page.mouse.down()
    for x, y in xs[1:]:
        page.mouse.move(x, y, steps=8)
    page.mouse.up()


def submitted_body(page: Any, endpoint: str, click: Any) -> dict[str, Any]:
    """Do `click` and return the JSON body the page posted to `endpoint`."""
    with page.expect_request(lambda r: r.method == "POST" and endpoint in r.url) as request:
        click()
    body: dict[str, Any] = json.loads(request.value.post_data)
    return body


def wait_status(page: Any, status: str, timeout: float = RESULT_TIMEOUT_MS) -> None:
    page.wait_for_selector(f'#task-body .status-badge[data-status="{status}"]', timeout=timeout)


def shoot(page: Any, folder: Path | None, name: str, *, top: bool = True) -> None:
    if folder is None:
        return
    page.evaluate("document.activeElement && document.activeElement.blur()")
    if top:
        page.evaluate("window.scrollTo(0, 0)")
    page.mouse.move(0, 0)
    page.wait_for_timeout(300)
    page.screenshot(path=str(folder / name))


def submit_raw(server: Server, model: str, body: dict[str, Any], endpoint: str) -> str:
    r = httpx.post(
        server.base_url + SERVICES + endpoint,
        json={"model": model, **body},
        headers={"Authorization": f"Bearer {server.api_key}", "X-DashScope-Async": "enable"},
    )
    assert r.status_code == 200, r.text
    return str(r.json()["output"]["task_id"])


def cancel_raw(server: Server, task_id: str) -> None:
    httpx.post(
        f"{server.base_url}/api/v1/tasks/{task_id}/cancel",
        headers={"Authorization": f"Bearer {server.api_key}"},
    )
