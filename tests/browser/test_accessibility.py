"""Every view of the playground passes axe-core's WCAG 2.2 A/AA and best-practice rules (labels,
names, contrast, landmarks, ARIA use), in the real browser: sign-in with its error, each seed
model's form with its options unfolded and an image picked, the JSON editor, a finished task
(images, text layers), a video, and the task list.

axe-core comes inside the ``axe-playwright-python`` wheel (nothing downloaded) and is injected
through the DevTools protocol, so the page's CSP still forbids every inline script.
"""

from __future__ import annotations

import base64
from typing import Any

import numpy as np
import pytest

from tests.browser.playground_page import (
    choose_model,
    file_payload,
    png,
    seaside,
    sign_in,
    submit_raw,
    wait_status,
)
from tests.support.processes import Server

pytestmark = pytest.mark.slow

RULES = {
    "runOnly": {
        "type": "tag",
        "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"],
    }
}


def violations(page: Any) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    found = Axe().run(page, options=RULES).response["violations"]
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
        for v in found
    ]


def unfold(page: Any) -> None:
    page.evaluate("document.querySelectorAll('details').forEach((d) => { d.open = true; })")


def test_every_view_passes_axe(page: Any, playground: Server) -> None:
    seen: dict[str, list[str]] = {}
    page.goto(playground.base_url + "/")
    page.get_by_role("textbox", name="API key").fill("sk-wrong")
    page.get_by_role("button", name="Sign in").click()
    page.locator("#signin-error").wait_for()
    seen["sign-in with an error"] = violations(page)

    sign_in(page, playground)
    page.get_by_label("Base image").set_input_files(file_payload("seaside.png", png(seaside())))
    page.wait_for_selector(".mask-editor.ready")
    page.get_by_role("button", name="Generate").click()  # no prompt, no mask: errors shown
    unfold(page)
    seen["x-painting with its errors"] = violations(page)
    for model in ("wanx-background-generation-v2", "wan2.6-t2v", "wan2.6-i2v", "wan2.6-image"):
        choose_model(page, model)
        unfold(page)
        seen[model] = violations(page)
    choose_model(page, "qwen-image-edit-plus")
    seen["the JSON editor"] = violations(page)

    titled = submit_raw(
        playground,
        "wanx-background-generation-v2",
        {
            "input": {
                "base_image_url": "data:image/png;base64,"
                + base64.b64encode(png(_cutout())).decode(),
                "ref_prompt": "marble",
                "title": "新品",
            },
            "parameters": {"n": 1},
        },
        "background-generation/generation",
    )
    page.goto(f"{playground.base_url}/#task={titled}")
    wait_status(page, "SUCCEEDED")
    page.wait_for_selector(".text-layers table")
    unfold(page)
    seen["a titled background"] = violations(page)
    page.get_by_role("button", name="Image 1: open full size").click()
    seen["an image full size"] = violations(page)
    page.keyboard.press("Escape")

    page.get_by_role("button", name="Tasks").click()
    page.wait_for_selector("table.tasks tbody .status-badge")
    seen["the task list"] = violations(page)
    assert not {view: found for view, found in seen.items() if found}


def _cutout() -> np.ndarray:
    out = np.zeros((300, 300, 4), np.uint8)
    out[80:260, 100:200] = (200, 60, 40, 255)
    return out
