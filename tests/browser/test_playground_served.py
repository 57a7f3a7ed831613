"""The playground as it is served: a strict Content-Security-Policy and no inline code, assets
with their content types and a year of caching under versioned URLs (304 on revalidation, old
versions still answered, unknown files a DashScope-shaped 404), and, for every served model, the
JSON editor's prefilled body (computed by the page's own module in the browser) accepted by
the server.
"""

from __future__ import annotations

import base64
import json
import re
import time
from typing import Any

import httpx
import pytest

from tests.browser.playground_page import SERVICES, cancel_raw, png, seaside, sign_in
from tests.support.processes import Server

pytestmark = pytest.mark.slow


def test_the_page_is_served_with_a_strict_policy_and_cacheable_assets(playground: Server) -> None:
    for path in ("/", "/playground", "/playground/"):
        r = httpx.get(playground.base_url + path)
        assert r.status_code == 200, path
        assert r.headers["content-type"] == "text/html; charset=utf-8"
        csp = r.headers["content-security-policy"]
        assert "script-src 'self'" in csp and "default-src 'none'" in csp
        assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
        assert "frame-ancestors 'none'" in csp
        assert r.headers["cache-control"] == "no-cache"
    html = r.text
    # no inline script or style: every <script> has a src, no style attribute or element
    assert re.findall(r"<script(?![^>]*\bsrc=)", html) == []
    assert "<style" not in html and " style=" not in html
    assets = re.findall(r'(?:src|href)="(/playground/assets/[^"]+)"', html)
    assert any(a.endswith("/js/main.js") for a in assets) and any(
        a.endswith(".css") for a in assets
    )
    types = {".js": "text/javascript", ".css": "text/css", ".svg": "image/svg+xml"}
    for asset in assets:
        a = httpx.get(playground.base_url + asset)
        assert a.status_code == 200, asset
        assert a.headers["content-type"].startswith(types[asset[asset.rfind(".") :]])
        assert a.headers["cache-control"] == "public, max-age=31536000, immutable"
        again = httpx.get(playground.base_url + asset, headers={"If-None-Match": a.headers["etag"]})
        assert again.status_code == 304
    # an old version's URL still answers, but is not cached for long; a missing file is a 404
    main = next(a for a in assets if a.endswith("/js/main.js"))
    old = httpx.get(playground.base_url + re.sub(r"assets/[^/]+/", "assets/0ld/", main))
    assert old.status_code == 200 and old.headers["cache-control"] == "no-cache"
    missing = httpx.get(playground.base_url + main.replace("main.js", "nope.js"))
    assert missing.status_code == 404 and missing.json()["code"] == "NotFound"


def test_every_model_s_prefilled_body_is_accepted(page: Any, playground: Server) -> None:
    """The JSON editor's starting body for every served model (computed by the page's own
    module), with its @image placeholders attached, is accepted by the server."""
    sign_in(page, playground)
    main = page.locator("script[type=module]").get_attribute("src")
    samples = page.evaluate(
        """async ([main, key]) => {
            const json = await import(main.replace("main.js", "forms/json.js"));
            const samples = await json.loadSamples();
            const auth = {headers: {Authorization: "Bearer " + key}};
            const {models} = await (await fetch("/api/v1/models", auth)).json();
            return models.map((info) => ({info, ...json.sampleFor(info, samples)}));
        }""",
        [main, playground.api_key],
    )
    assert len(samples) >= 30
    picture = "data:image/png;base64," + base64.b64encode(png(seaside())).decode()
    refused = {}
    started = time.monotonic()
    for sample in samples:
        text = json.dumps(sample["body"]).replace('"@image1"', json.dumps(picture))
        text = text.replace('"@image2"', json.dumps(picture))
        assert "@image" not in text, sample
        endpoints = sample["info"]["endpoints"]
        mode = next(e["mode"] for e in endpoints if e["path"].endswith(sample["endpoint"]))
        headers = {"Authorization": f"Bearer {playground.api_key}"}
        if mode != "sync":
            headers["X-DashScope-Async"] = "enable"
        r = httpx.post(
            playground.base_url + SERVICES + sample["endpoint"],
            content=text,
            headers={**headers, "Content-Type": "application/json"},
            timeout=60,
        )
        if r.status_code != 200:
            refused[sample["info"]["model"]] = r.text
        elif mode != "sync":
            # cancelled at once: the direct (sync) samples must not wait behind them
            cancel_raw(playground, r.json()["output"]["task_id"])
    assert not refused, refused
    assert time.monotonic() - started < 30


def test_queue_position_and_progress_are_drawn_from_the_task_output(
    page: Any, playground: Server
) -> None:
    """The result panel's reading of ``output.queue_position`` and ``output.progress`` (the
    wanstack extensions), fed the task outputs as the API shapes them."""
    sign_in(page, playground)
    main = page.locator("script[type=module]").get_attribute("src")
    seen = page.evaluate(
        """async (main) => {
            const {TaskView} = await import(main.replace("main.js", "task-view.js"));
            const root = document.createElement("div");
            document.body.append(root);
            const view = new TaskView(null, root);
            view.build("wanx-x-painting");
            const read = () => ({
                status: root.querySelector(".status-badge").textContent,
                detail: root.querySelector(".task-detail").textContent,
                value: root.querySelector(".progress").getAttribute("aria-valuenow"),
                width: root.querySelector(".progress-fill").style.width,
                cancel: !root.querySelector("button.danger").hidden,
            });
            const out = [];
            view.show({task_status: "PENDING", queue_position: 3});
            out.push(read());
            view.show({task_status: "RUNNING", progress: 40});
            out.push(read());
            view.show({task_status: "RUNNING"});
            out.push(read());
            return out;
        }""",
        main,
    )
    assert seen[0] == {
        "status": "Queued",
        "detail": "3rd in the queue for this model",
        "value": None,
        "width": "",
        "cancel": True,
    }
    assert seen[1] == {
        "status": "Running",
        "detail": "40 % done",
        "value": "40",
        "width": "40%",
        "cancel": True,
    }
    assert seen[2]["value"] is None and seen[2]["detail"] == ""  # no progress reported yet
