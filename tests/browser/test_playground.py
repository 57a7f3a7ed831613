"""The playground as a person uses it, in a real headless Chromium against a real server.

Sign in with the key (a bad key shows DashScope's own error), paint a mask with the mouse and the
keyboard and inpaint with the classic engine (the mask that leaves the browser is checked pixel
by pixel, the result's natural size too), make a video and watch it play, see an RGBA cut-out on
a checkerboard and a titled background's text layers, watch a task wait in the queue and cancel
it, find tasks again through the list's filters, and paint with a finger on a phone-sized screen.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tests.browser.conftest import SLOW_MODEL
from tests.browser.playground_page import (
    bottle,
    cancel_raw,
    choose_model,
    decode_data_uri,
    file_payload,
    png,
    seaside,
    shoot,
    sign_in,
    stroke,
    submit_raw,
    submitted_body,
    wait_status,
)
from tests.support.processes import Server

pytestmark = pytest.mark.slow


def test_a_bad_key_shows_dashscope_s_error(page: Any, playground: Server) -> None:
    page.goto(playground.base_url + "/")
    key = page.get_by_role("textbox", name="API key")
    key.fill("sk-not-a-real-key")
    page.get_by_role("button", name="Sign in").click()
    alert = page.locator("#signin-error")
    alert.wait_for()
    assert alert.inner_text() == "InvalidApiKey: Invalid API-key provided."
    assert alert.get_attribute("role") == "alert"
    assert key.get_attribute("aria-invalid") == "true"
    assert page.evaluate("Object.keys(localStorage).length") == 0  # a refused key is not kept


def test_sign_in_paint_a_mask_and_inpaint(
    page: Any, playground: Server, screenshots: Path | None
) -> None:
    sign_in(page, playground)
    # the key stays in this browser: a reload signs in by itself; "Forget key" is offered
    assert playground.api_key in page.evaluate("Object.values(localStorage)")
    page.reload()
    page.wait_for_selector("#view-create:not([hidden])")
    assert page.get_by_role("button", name="Forget key").is_visible()

    choose_model(page, "wanx-x-painting")
    page.get_by_label("Base image").set_input_files(file_payload("seaside.png", png(seaside())))
    page.wait_for_selector(".mask-editor.ready")
    # the crate spans x 180–300 of 640 and y 290–370 of 480: paint it out in two strokes, plus a
    # stray stroke in the sky that is undone
    stroke(page, [(0.30, 0.63), (0.45, 0.63)])
    stroke(page, [(0.10, 0.10), (0.20, 0.15)])
    page.get_by_role("button", name="Undo").click()
    # the crate's lower half from the keyboard alone: focus (the brush starts at the centre),
    # arrows to the crate, Space to put the brush down, arrows to paint, Space to lift it
    canvas = page.get_by_role("application", name=re.compile("Mask canvas"))
    canvas.focus()
    keys = ["]"] * 4 + ["ArrowLeft"] * 6 + ["ArrowDown"] * 8 + [" "] + ["ArrowLeft"] * 4
    for key in [*keys, *["ArrowRight"] * 8, " "]:  # "]" × 4: a 56 px brush
        page.keyboard.press(key)
    prompt = "平静的海面 calm sea"
    page.get_by_role("textbox", name="Prompt").fill(prompt)

    body = submitted_body(
        page,
        "image2image/image-synthesis",
        lambda: page.get_by_role("button", name="Generate").click(),
    )
    assert body["model"] == "wanx-x-painting"
    assert body["input"]["prompt"] == prompt  # UTF-8 end to end
    assert body["parameters"] == {"style": "<auto>", "size": "1024*1024", "n": 1}
    mask = np.asarray(decode_data_uri(body["input"]["mask_image_url"]).convert("L"))
    assert mask.shape == (480, 640)  # the base image's size, not the screen's
    assert mask[290, 230] == 255 and mask[320, 250] == 255  # the mouse stroke on the crate
    assert mask[58, 96] == 0  # the undone sky stroke
    assert mask[470, 10] == 0 and mask[10, 630] == 0
    # the keyboard stroke: 64 screen pixels below the centre, from 80 to 16 left of it
    scale = 640 / canvas.bounding_box()["width"]
    row, left, right = (round(v * scale) for v in (64, -80, -16))
    assert (mask[240 + row, 320 + left : 320 + right] == 255).all()
    assert mask[240 + row + round(40 * scale), 250] == 0  # below the brush's reach (28 px)
    assert mask[370, 181] == 255 and mask[370, 299] == 255  # the crate's lower corners
    assert set(np.unique(mask)) <= set(range(256)) and (mask > 0).mean() < 0.25

    wait_status(page, "SUCCEEDED")
    image = page.locator(".result-image img").first
    image.wait_for()
    page.wait_for_function(
        "img => img.complete && img.naturalWidth > 0", arg=image.element_handle()
    )
    size = image.evaluate("img => [img.naturalWidth, img.naturalHeight]")
    assert size == [1024, 1024]
    # a click opens it full size; it can be downloaded
    page.get_by_role("button", name=re.compile("Image 1: open full size")).click()
    dialog = page.locator("#lightbox")
    assert dialog.evaluate("d => d.open")
    assert page.locator("#lightbox-download").get_attribute("href").startswith(playground.base_url)
    page.keyboard.press("Escape")
    assert not dialog.evaluate("d => d.open")
    live = page.locator("#live")
    assert live.get_attribute("aria-live") == "polite"
    page.wait_for_function(
        "() => document.getElementById('live').textContent.includes('Succeeded')"
    )
    if screenshots is not None:  # the mask in view beside the result
        page.evaluate("window.scrollTo(0, document.querySelector('.mask-field').offsetTop - 84)")
        shoot(page, screenshots, "x-painting.png", top=False)


def test_a_video_is_made_and_plays(page: Any, playground: Server, screenshots: Path | None) -> None:
    sign_in(page, playground)
    choose_model(page, "wan2.6-t2v")
    page.get_by_role("textbox", name="Prompt").fill("海上日落，海浪轻拍 sunset over the sea")
    page.get_by_label("Size", exact=True).select_option("1280*720")
    page.get_by_role("spinbutton", name="Duration (seconds)").fill("2")
    body = submitted_body(
        page,
        "video-generation/video-synthesis",
        lambda: page.get_by_role("button", name="Generate").click(),
    )
    assert body["parameters"]["size"] == "1280*720" and body["parameters"]["duration"] == 2
    wait_status(page, "SUCCEEDED")
    video = page.locator("video.result-video")
    video.wait_for()
    page.wait_for_function("v => v.readyState >= 2", arg=video.element_handle(), timeout=20_000)
    assert video.evaluate("v => [v.videoWidth, v.videoHeight]") == [1280, 720]
    video.evaluate("v => { v.muted = true; return v.play(); }")
    page.wait_for_function("v => v.currentTime > 0.5", arg=video.element_handle(), timeout=20_000)
    assert video.evaluate("v => !v.paused || v.ended")
    assert abs(video.evaluate("v => v.duration") - 2.0) < 0.1
    if screenshots is not None:
        video.evaluate("v => { v.pause(); v.currentTime = 1.2; }")
        page.wait_for_timeout(400)
        shoot(page, screenshots, "video.png")


def test_a_cut_out_on_a_checkerboard_and_a_titled_background(
    page: Any, playground: Server, screenshots: Path | None
) -> None:
    sign_in(page, playground)
    choose_model(page, "wanx-background-generation-v2")
    # an opaque photo is flagged at once, and refused before anything is sent
    page.get_by_label("Product cut-out").set_input_files(file_payload("photo.png", png(seaside())))
    page.wait_for_selector("text=fully opaque")
    page.get_by_role("textbox", name="Scene prompt (ref_prompt)").fill("marble table")
    page.get_by_role("button", name="Generate").click()
    assert "no transparent pixels" in page.locator("#form-error").inner_text()

    page.get_by_label("Product cut-out").set_input_files(file_payload("bottle.png", png(bottle())))
    page.wait_for_selector("text=has transparency")
    preview = page.locator(".preview.checker").first
    assert "conic-gradient" in preview.evaluate("el => getComputedStyle(el).backgroundImage")
    assert preview.locator("img").evaluate("img => img.naturalWidth") == 480
    page.get_by_role("textbox", name="Scene prompt (ref_prompt)").fill(
        "大理石桌面，清晨柔和的窗光 marble table, soft window light"
    )
    page.get_by_role("textbox", name="Title", exact=True).fill("春季上新")
    page.get_by_role("textbox", name="Subtitle").fill("限时八折")
    page.get_by_role("radio", name="2", exact=True).check()  # two images
    body = submitted_body(
        page,
        "background-generation/generation",
        lambda: page.get_by_role("button", name="Generate").click(),
    )
    assert body["input"]["title"] == "春季上新" and body["parameters"]["n"] == 2
    assert decode_data_uri(body["input"]["base_image_url"]).mode == "RGBA"
    wait_status(page, "SUCCEEDED")
    page.wait_for_selector(".text-layers table")
    layers = page.locator(".text-layers").first.inner_text()
    assert "春季上新" in layers and "限时八折" in layers
    assert page.locator(".result-grid .result-image").count() == 2
    shoot(page, screenshots, "background.png")


def test_a_queued_task_shows_its_place_and_can_be_cancelled(page: Any, playground: Server) -> None:
    slow = {"input": {"prompt": "a slow one"}, "parameters": {"n": 1}}
    held = [
        submit_raw(playground, SLOW_MODEL, slow, "text2image/image-synthesis") for _ in range(3)
    ]
    try:
        sign_in(page, playground)
        choose_model(page, SLOW_MODEL)  # no form of its own: the JSON editor, prefilled
        editor = page.get_by_role("textbox", name="Request body (JSON)")
        prefilled = json.loads(editor.input_value())
        assert prefilled["model"] == SLOW_MODEL and prefilled["input"]["prompt"]
        page.get_by_role("button", name="Generate").click()
        # two tasks hold both workers, one waits ahead: this one is second in line
        wait_status(page, "PENDING")
        detail = page.locator(".task-detail")
        page.wait_for_function(
            "() => document.querySelector('.task-detail').textContent.includes('2nd in the queue')"
        )
        assert detail.get_attribute("data-queue") == "2"
        page.get_by_role("button", name="Cancel task").click()
        wait_status(page, "CANCELED", timeout=15_000)
        assert page.get_by_role("button", name="Cancel task").is_hidden()
    finally:
        for task_id in held:
            cancel_raw(playground, task_id)


def test_the_task_list_filters_and_reopens(
    page: Any, playground: Server, screenshots: Path | None
) -> None:
    slow = {"input": {"prompt": "kept waiting"}, "parameters": {"n": 1}}
    canceled = submit_raw(playground, SLOW_MODEL, slow, "text2image/image-synthesis")
    cancel_raw(playground, canceled)
    sign_in(page, playground)
    page.get_by_role("button", name="Tasks").click()
    page.wait_for_selector("table.tasks tbody tr")
    filters = page.locator("#view-tasks")
    filters.get_by_label("Status").select_option("CANCELED")
    filters.get_by_label("Model", exact=True).select_option(SLOW_MODEL)
    page.get_by_role("button", name="Apply").click()
    page.wait_for_function(
        "() => [...document.querySelectorAll('table.tasks tbody .status-badge')]"
        ".every(b => b.textContent === 'CANCELED')"
    )
    rows = page.locator("table.tasks tbody tr")
    assert rows.count() >= 1
    assert all("CANCELED" in t for t in rows.all_inner_texts())
    # a time range in the past finds nothing
    filters.get_by_label("From", exact=True).fill("2020-01-01T00:00:00")
    filters.get_by_label("To", exact=True).fill("2020-01-02T00:00:00")
    page.get_by_role("button", name="Apply").click()
    page.wait_for_selector("td.empty")
    page.get_by_role("button", name="Reset").click()
    page.wait_for_selector("table.tasks tbody .status-badge")
    shoot(page, screenshots, "tasks.png")
    filters.get_by_label("Status").select_option("CANCELED")
    page.get_by_role("button", name="Apply").click()
    page.get_by_role("button", name=f"Open task {canceled}").click()
    wait_status(page, "CANCELED")
    assert canceled in page.locator(".task-id").inner_text()
    assert page.evaluate("location.hash") == f"#task={canceled}"
    # "Forget key": back to the sign-in, nothing left in the browser
    page.get_by_role("button", name="Forget key").click()
    page.wait_for_selector("#signin:not([hidden])")
    assert playground.api_key not in page.evaluate("Object.values(localStorage)")
    assert page.evaluate("location.hash") == ""
    assert page.get_by_role("textbox", name="API key").input_value() == ""


def test_painting_with_a_finger_on_a_phone(
    browser: Any, playground: Server, screenshots: Path | None
) -> None:
    context = browser.new_context(
        viewport={"width": 390, "height": 844},
        is_mobile=True,
        has_touch=True,
        device_scale_factor=2,
    )
    page = context.new_page()
    try:
        sign_in(page, playground)
        # one column: nothing wider than the screen
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        page.get_by_label("Base image").set_input_files(file_payload("seaside.png", png(seaside())))
        page.wait_for_selector(".mask-editor.ready")
        canvas = page.locator(".mask-canvas")
        canvas.scroll_into_view_if_needed()
        box = canvas.bounding_box()
        assert box["width"] <= 390
        cdp = context.new_cdp_session(page)
        # across the crate (x 180–300, y 290–370 of 640 × 480)
        points = [
            (box["x"] + box["width"] * f, box["y"] + box["height"] * 0.69)
            for f in (0.28, 0.36, 0.44, 0.48)
        ]
        for i, (x, y) in enumerate(points):
            kind = "touchStart" if i == 0 else "touchMove"
            cdp.send("Input.dispatchTouchEvent", {"type": kind, "touchPoints": [{"x": x, "y": y}]})
        cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
        page.get_by_role("textbox", name="Prompt").fill("sea")
        page.get_by_label("Style").select_option("<sketch>")
        if screenshots is not None:  # the painted mask, on a phone
            page.evaluate(
                "window.scrollTo(0, document.querySelector('.mask-field').offsetTop - 12)"
            )
            shoot(page, screenshots, "phone.png", top=False)
        body = submitted_body(
            page,
            "image2image/image-synthesis",
            lambda: page.get_by_role("button", name="Generate").click(),
        )
        mask = np.asarray(decode_data_uri(body["input"]["mask_image_url"]).convert("L"))
        assert mask.shape == (480, 640)
        assert mask[331, 200] == 255 and mask[331, 290] == 255  # along the finger's path
        assert mask[60, 320] == 0
        assert body["parameters"]["style"] == "<sketch>"
        wait_status(page, "SUCCEEDED")
        page.locator(".result-image img").first.wait_for()
    finally:
        context.close()
