"""Garbage in, DashScope errors out: the submit endpoint never answers 5xx to a client's
mistake, and every 4xx is a JSON envelope with a ``code`` (contract §5.6, C29)."""

from __future__ import annotations

import json
import random
from typing import Any

from tests.api.support import (
    SUBMIT,
    Api,
    MakeApi,
    async_headers,
    check_envelope,
    xpaint_body,
)

SEED = 20260101


def garbage(rng: random.Random, depth: int = 0) -> Any:
    kinds = ["int", "float", "str", "bool", "null", "list", "dict", "bigint", "unicode"]
    if depth > 3:
        kinds = kinds[:5]
    kind = rng.choice(kinds)
    if kind == "int":
        return rng.randint(-10, 10)
    if kind == "bigint":
        return rng.choice([2**31, -(2**63), 10**30, 2**64 + 1])
    if kind == "float":
        return rng.choice([0.5, -1.25, 1e300, 3.0, 1e-300])
    if kind == "str":
        return rng.choice(
            ["", " ", "oss://x", "http://", "data:", "<auto>", "1024*1024", "x" * 500]
        )
    if kind == "unicode":
        return rng.choice(["狗", "\u0000", "\n\t", "emoji 🐶", "é" * 80])
    if kind == "bool":
        return rng.random() < 0.5
    if kind == "null":
        return None
    if kind == "list":
        return [garbage(rng, depth + 1) for _ in range(rng.randint(0, 3))]
    keys = [
        "prompt",
        "base_image_url",
        "mask_image_url",
        "n",
        "size",
        "style",
        "seed",
        "mask_color",
        "model",
        "input",
        "parameters",
        "function",
        "",
    ]
    return {rng.choice(keys): garbage(rng, depth + 1) for _ in range(rng.randint(0, 4))}


def random_body(rng: random.Random) -> Any:
    shape = rng.randrange(6)
    if shape == 0:
        return garbage(rng)  # anything at top level
    body = xpaint_body()
    if shape == 1:
        body["input"] = garbage(rng)
    elif shape == 2:
        body["parameters"] = garbage(rng)
    elif shape == 3:
        for name in rng.sample(["prompt", "base_image_url", "mask_image_url"], 2):
            body["input"][name] = garbage(rng)
    elif shape == 4:
        for name in rng.sample(["n", "size", "style", "seed", "mask_color"], 3):
            body["parameters"][name] = garbage(rng)
    else:
        body["model"] = garbage(rng)
        body["input"] = garbage(rng)
    return body


async def test_random_bodies_never_5xx(api: Api, key: str) -> None:
    rng = random.Random(SEED)
    failures = []
    statuses = set()
    for i in range(30):
        body = random_body(rng)
        raw = json.dumps(body).encode()
        resp = await api.client.post(
            SUBMIT,
            content=raw,
            headers={**async_headers(key), "Content-Type": "application/json"},
        )
        statuses.add(resp.status_code)
        try:
            assert resp.status_code < 500, resp.text
            envelope = check_envelope(resp)
            if resp.status_code >= 400:
                assert envelope["code"], envelope
            else:
                assert resp.status_code == 200
                assert envelope["output"]["task_status"] == "PENDING"
        except AssertionError as exc:
            failures.append(f"#{i} {raw[:300]!r}: {exc}")
    assert not failures, "\n".join(failures)
    assert 400 in statuses  # the generator does produce invalid requests


async def test_unencodable_text_is_a_client_error(make_api: MakeApi) -> None:
    """JSON may spell a lone UTF-16 surrogate (``"\\ud800"``); Python decodes it into a str
    that cannot be encoded as UTF-8, so it cannot be stored. That is the client's mistake: a
    400, never a 500 (nor a request that never gets an answer)."""
    failures = []
    for field in ("input.prompt", "parameters.size"):
        api = await make_api()  # a fresh app per case: one case must not break the next
        key = await api.key("acct")
        where, name = field.split(".")
        body = xpaint_body()
        body[where][name] = "SURROGATE"
        raw = json.dumps(body).replace("SURROGATE", "a\\ud800b").encode()
        try:
            resp = await api.client.post(
                SUBMIT,
                content=raw,
                headers={**async_headers(key), "Content-Type": "application/json"},
            )
            assert 400 <= resp.status_code < 500, (resp.status_code, resp.text)
            check_envelope(resp)
        except AssertionError as exc:
            failures.append(f"{field}: {exc}")
        else:
            # and the app still stores tasks afterwards
            await api.submit_ok(key)
    assert not failures, "\n".join(failures)


async def test_deeply_nested_json_is_a_client_error(api: Api, key: str) -> None:
    """``json.loads`` raises RecursionError (not ValueError) past ~1000 levels."""
    deep = '{"model":"wanx-x-painting","input":' + "[" * 100_000 + "]" * 100_000 + "}"
    resp = await api.client.post(
        SUBMIT,
        content=deep.encode(),
        headers={**async_headers(key), "Content-Type": "application/json"},
    )
    assert 400 <= resp.status_code < 500, (resp.status_code, resp.text)
    body = check_envelope(resp)
    assert body["code"] == "BadRequest.IllegalInput"


async def test_nul_characters_round_trip(api: Api, key: str) -> None:
    task_id = await api.submit_ok(key, xpaint_body(input_prompt="a\u0000b"))
    task = await api.container.tasks.get(task_id)
    assert task is not None and task.input["prompt"] == "a\u0000b"
