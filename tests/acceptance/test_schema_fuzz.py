"""Schema fuzzing: ``docs/openapi.yaml`` drives schemathesis against a REAL ``wanstack serve``.

One server per database (SQLite, PostgreSQL) with every model on the ``fake`` engine, and a key
made with ``wanstack keys create``. Every operation of the document gets, with that key:

1. **Fuzzing**: the document's examples, then schema-valid (positive) and schema-violating
   (negative) requests from schemathesis, derandomized and bounded. A ``flatmap_case`` hook
   steers them towards the deep paths: media fields mostly get small valid media (PNG and WAV
   ``data:`` URIs, the same files over HTTP from a local server, ``oss://`` keys of real
   uploads), else the generated value (an ``http(s)`` host redirected to the local server, so
   nothing leaves the machine); ``/oss-upload`` gets genuine policies; task ids and ``/files``
   URLs are often real ones.
2. **Sweep**: one accepted request of each operation (the richest) is sent again once per query
   parameter, path parameter and body string (at most :data:`SWEEP_SLOTS`), with that value
   replaced by each of a few special values (NUL, a lone surrogate, more digits than ``int()``
   takes, a non-ASCII digit, long text...).

The contract checked is the one every client relies on:

* no response is a 5xx (nor an SSE ``event:error`` frame carrying ``:HTTP_STATUS/5xx``), and
  every request gets an answer;
* every 4xx body is the DashScope error envelope: JSON with ``request_id``, ``code`` and
  ``message``.

Accepted video tasks, and the sweep's tasks, are cancelled at once (even fake videos take
seconds of CPU to encode), which also exercises cancel with real ids. Every failure is
collected, grouped, and reported in one assertion with a request that reproduces it.
"""

from __future__ import annotations

import base64
import copy
import io
import json
import re
import time
import urllib.parse
import wave
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, Verbosity, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis import APIOperation, BaseSchema, Case, GenerationMode, HookContext
from schemathesis.core.result import Err

from tests.support.media import MediaServer, encode, png_data_uri
from tests.support.processes import Server, launched
from wanstack.catalog.registry import MODELS

SCHEMA_PATH = Path(__file__).resolve().parents[2] / "docs" / "openapi.yaml"
#: schemathesis's own seed; Hypothesis runs derandomized (its seed comes from the test).
SEED = 20240601
#: Generated requests per operation and mode (bounded: both databases in about a minute).
EXAMPLES = {GenerationMode.POSITIVE: 16, GenerationMode.NEGATIVE: 8}
#: Most parameters and body strings the sweep replaces in one operation's request.
SWEEP_SLOTS = 12
REQUEST_TIMEOUT_S = 30.0
ENV = {
    "WANSTACK_ENGINES": json.dumps(dict.fromkeys(MODELS, "fake")),
    "WANSTACK_DRAIN_SECONDS": "2",
    "WANSTACK_LOG_LEVEL": "WARNING",
}
SERVICES = "/api/v1/services/aigc/"
VIDEO_SUBMIT = SERVICES + "video-generation/video-synthesis"
SYNC_SUBMIT = SERVICES + "multimodal-generation/generation"
UPLOAD = "/oss-upload"
#: Operations run in this order (submits first, then these, then the rest), so that later
#: ones find real tasks, uploads and files.
ORDER = (
    "/api/v1/uploads",
    UPLOAD,
    "/api/v1/tasks",
    "/api/v1/tasks/{task_id}",
    "/files/{key}",
    "/api/v1/tasks/{task_id}/cancel",
)
#: Request-body keys holding media references, and the lists of them.
MEDIA_KEYS = frozenset(
    {"base_image_url", "mask_image_url", "ref_image_url", "img_url", "audio_url", "image"}
)
MEDIA_LIST_KEYS = frozenset({"foreground_edge", "background_edge"})
#: A lone surrogate cannot pass schemathesis's own validation of an edited case, so the sweep
#: puts this marker in the body and :func:`_wire_body` sends the ``\ud800`` escape in its place.
LONE_SURROGATE = "<lone surrogate>"
#: The sweep's special values: empty, NUL, a digit that ``str.isdigit`` takes and ``int``
#: refuses, more digits than ``int`` parses, a number past 64 bits, a negative number, and
#: non-ASCII text longer in bytes than a file name may be.
URL_SPECIALS = (
    "",
    "\x00",
    "\u00b2",
    "9" * 5000,
    "99999999999999999999",
    "-1",
    "\U0001f600" * 100,
)
#: In bodies: the same, a lone surrogate, and long text.
BODY_SPECIALS = (*URL_SPECIALS, LONE_SURROGATE, "a" * 100_000)
#: Headers left out of reproductions (the transport's own).
BORING_HEADERS = frozenset(
    {
        "user-agent",
        "accept",
        "accept-encoding",
        "connection",
        "content-length",
        "x-schemathesis-testcaseid",
    }
)
_HTTP = re.compile(r"^https?://[^/?#]*", re.IGNORECASE)

AnyCase = Case[Any]
Operation = APIOperation[Any, Any, Any, Any]


# --- input media ---------------------------------------------------------------------------


def _photo_png() -> bytes:
    """400×400 RGB: within every model's side limits (x-painting, i2v, wan2.6-image)."""
    y, x = np.mgrid[0:400, 0:400]
    rgb = np.stack([x * 255 // 400, y * 255 // 400, (x + y) * 255 // 800], axis=2)
    return encode(rgb.astype(np.uint8), "PNG")


def _cutout_png() -> bytes:
    """400×400 RGBA product cutout (background generation needs transparency)."""
    y, x = np.mgrid[0:400, 0:400]
    rgba = np.zeros((400, 400, 4), np.uint8)
    rgba[..., 0], rgba[..., 1], rgba[..., 2] = 200, 80, 40
    rgba[..., 3] = np.where((x - 200) ** 2 + (y - 220) ** 2 < 120**2, 255, 0)
    return encode(rgba, "PNG")


def _wav(seconds: float = 3.5, rate: int = 8000) -> bytes:
    """A mono 8-bit wav tone (audio_url takes wav or mp3 of 3–30 s)."""
    t = np.arange(int(seconds * rate)) / rate
    samples = (128 + 60 * np.sin(2 * np.pi * 440 * t)).astype(np.uint8)
    buf = io.BytesIO()
    with wave.open(buf, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(1)
        out.setframerate(rate)
        out.writeframes(samples.tobytes())
    return buf.getvalue()


@dataclass(frozen=True)
class Medium:
    """One input file, as a data: URI, an http URL and (once uploaded) an oss:// key."""

    data: bytes
    mime: str
    data_uri: str
    url: str
    oss: str | None = None


def _media(media_server: MediaServer) -> dict[str, Medium]:
    mask = base64.b64decode(png_data_uri(400, 400, mask=True).split(",", 1)[1])
    files = {
        "photo": (_photo_png(), "image/png"),
        "mask": (mask, "image/png"),
        "cutout": (_cutout_png(), "image/png"),
        "audio": (_wav(), "audio/wav"),
    }
    return {
        name: Medium(
            data=data,
            mime=mime,
            data_uri=f"data:{mime};base64," + base64.b64encode(data).decode(),
            url=media_server.put(f"fuzz-{name}", data),
        )
        for name, (data, mime) in files.items()
    }


# --- what the run learns, and what it finds -------------------------------------------------


@dataclass
class Failure:
    operation: str
    status: int | str
    problem: str
    excerpt: str
    request: str
    trigger: str
    values: list[str] = field(default_factory=list)
    count: int = 1

    def render(self) -> str:
        trigger = self.trigger + (f" = {' | '.join(self.values)}" if self.values else "")
        return (
            f"[{self.count}x] {self.operation} -> {self.status}: {self.problem} ({trigger})\n"
            f"    body: {self.excerpt}\n    request: {self.request}"
        )


@dataclass
class FuzzState:
    base_url: str
    key: str
    media: dict[str, Medium]
    http: requests.Session = field(default_factory=requests.Session)
    task_ids: list[str] = field(default_factory=list)
    #: real signed file URLs as (key, Expires, Signature)
    files: list[tuple[str, str, str]] = field(default_factory=list)
    #: getPolicy answers (``data``), for genuine /oss-upload forms
    policies: list[dict[str, Any]] = field(default_factory=list)
    #: per operation label: the accepted request with the most sweep slots (or the first one)
    seeds: dict[str, tuple[int, AnyCase]] = field(default_factory=dict)
    failures: dict[tuple[str, ...], Failure] = field(default_factory=dict)
    requests_sent: int = 0
    operations: int = 0

    @property
    def media_root(self) -> str:
        """The local media server's base URL."""
        return self.media["photo"].url.rsplit("/", 1)[0]

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.key}"}

    def policy(self, model: str = "wan2.6-image") -> dict[str, Any]:
        r = self.http.get(
            f"{self.base_url}/api/v1/uploads",
            params={"action": "getPolicy", "model": model},
            headers=self.auth,
        )
        assert r.status_code == 200, r.text
        data: dict[str, Any] = r.json()["data"]
        return data

    def record(
        self,
        case: AnyCase,
        status: int | str,
        problem: str,
        body: str,
        request: str,
        trigger: tuple[str, str] | None,
    ) -> None:
        label = f"{case.method} {case.path}"
        where, value = trigger or ("fuzzing", "")
        group = (label, str(status), _signature(body), where)
        failure = self.failures.get(group)
        if failure is None:
            failure = self.failures[group] = Failure(label, status, problem, body, request, where)
        else:
            failure.count += 1
        if value and value not in failure.values:
            failure.values.append(value)


def _signature(body: str) -> str:
    """What makes two failures the same: the error code, or the body without ids."""
    try:
        data = json.loads(body)
    except ValueError:
        data = None
    code = data.get("code") if isinstance(data, dict) else None
    if isinstance(code, str):
        return code
    return re.sub(r"[0-9a-f]{8}-[0-9a-f-]{27}", "<id>", body)[:80]


def _show(value: str) -> str:
    """A special value, readably."""
    if value == LONE_SURROGATE:
        return "lone surrogate '\\ud800'"
    if len(value) > 20 and len(set(value)) == 1:
        return f"{value[0]!r}*{len(value)}"
    return ascii(value)


# --- schemathesis hooks: steer generated cases towards the deep paths ----------------------


def _media_slots(body: Any) -> Iterator[tuple[dict[str, Any] | list[Any], Any]]:
    """(container, key) of every media reference in a JSON request body."""
    if isinstance(body, dict):
        for key, value in body.items():
            if key in MEDIA_KEYS and isinstance(value, str):
                yield body, key
            elif key in MEDIA_LIST_KEYS and isinstance(value, list):
                yield from ((value, i) for i, item in enumerate(value) if isinstance(item, str))
            else:
                yield from _media_slots(value)
    elif isinstance(body, list):
        for item in body:
            yield from _media_slots(item)


def _medium_for(path: str, key: Any) -> str:
    if key == "audio_url":
        return "audio"
    if key == "mask_image_url":
        return "mask"
    if "background-generation" in path and (key == "base_image_url" or isinstance(key, int)):
        return "cutout"  # the product and the edge images need transparency
    return "photo"


def _one_text_item(body: dict[str, Any]) -> None:
    """wan2.6-image: make the message hold exactly one text item (then its images), which
    random content lists rarely do."""
    try:
        content = body["input"]["messages"][0]["content"]
    except (KeyError, IndexError, TypeError):
        return
    if not isinstance(content, list):
        return
    items = [item for item in content if isinstance(item, dict)]
    texts = [item for item in items if "text" in item]
    images = [item for item in items if "image" in item and "text" not in item]
    body["input"]["messages"][0]["content"] = [
        texts[0] if texts else {"text": "a red apple on a wooden table"},
        *images,
    ]


def _genuine_form(policy: dict[str, Any], form: dict[str, Any], name: str) -> dict[str, Any]:
    """``form`` with a genuine policy and the key ``<upload_dir>/<name>``: the policy fields,
    the other fields of ``form``, then the file (OSS wants it last)."""
    genuine: dict[str, Any] = {
        "OSSAccessKeyId": policy["oss_access_key_id"],
        "Signature": policy["signature"],
        "policy": policy["policy"],
        "key": f"{policy['upload_dir']}/{name}",
    }
    genuine.update((k, v) for k, v in form.items() if k not in genuine and k != "file")
    genuine["file"] = form.get("file", b"")
    return genuine


Steering = Callable[[HookContext, AnyCase], st.SearchStrategy[AnyCase]]


def steering(state: FuzzState) -> Steering:
    """The ``flatmap_case`` hook that steers each operation's cases towards the deep paths."""

    @st.composite
    def submit(draw: st.DrawFn, case: AnyCase) -> AnyCase:
        if not isinstance(case.body, dict):
            return case
        body = copy.deepcopy(case.body)
        uses_oss = False
        for container, key in list(_media_slots(body)):
            medium = state.media[_medium_for(case.path, key)]
            # The first choice is the one Hypothesis favours.
            choice = draw(st.sampled_from(("data", "http", "oss", "generated")))
            if choice == "data":
                container[key] = medium.data_uri
            elif choice == "http":
                container[key] = medium.url
            elif choice == "oss" and medium.oss is not None:
                container[key] = medium.oss
                uses_oss = True
            else:  # the generated value; an http(s) host becomes the local media server
                container[key] = _HTTP.sub(state.media_root, str(container[key]), count=1)
        if draw(st.booleans()):
            _one_text_item(body)
        case.body = body
        if uses_oss and draw(st.integers(0, 3)) > 0:
            case.headers["X-DashScope-OssResourceResolve"] = "enable"
        return case

    @st.composite
    def upload(draw: st.DrawFn, case: AnyCase) -> AnyCase:
        if not isinstance(case.body, dict) or not state.policies:
            return case
        choice = draw(st.sampled_from(("genuine", "long name", "generated")))
        if choice == "generated":
            return case
        name = str(case.body.get("key") or "f")
        if choice == "long name":
            name = draw(st.text(st.characters(codec="utf-8"), min_size=100, max_size=200))
        case.body = _genuine_form(draw(st.sampled_from(state.policies)), case.body, name)
        return case

    @st.composite
    def task(draw: st.DrawFn, case: AnyCase) -> AnyCase:
        real = draw(st.booleans())
        if real and state.task_ids:
            case.path_parameters = {"task_id": draw(st.sampled_from(state.task_ids))}
        return case

    @st.composite
    def files(draw: st.DrawFn, case: AnyCase) -> AnyCase:
        if not state.files:
            return case
        choice = draw(st.sampled_from(("real", "expires", "signature", "generated")))
        if choice == "generated":
            return case
        key, expires, signature = draw(st.sampled_from(state.files))
        query = dict(case.query or {})
        if choice != "expires":
            query["Expires"] = expires
        if choice != "signature":
            query["Signature"] = signature
        case.path_parameters = {"key": key}
        case.query = query
        return case

    def flatmap_case(context: HookContext, case: AnyCase) -> st.SearchStrategy[AnyCase]:
        path = case.path
        if path.startswith(SERVICES):
            return submit(case)
        if path == UPLOAD:
            return upload(case)
        if path.startswith("/api/v1/tasks/"):
            return task(case)
        if path == "/files/{key}":
            return files(case)
        return st.just(case)

    return flatmap_case


# --- sending, and the checks ---------------------------------------------------------------


def _excerpt(content: bytes, limit: int = 300) -> str:
    text = content.decode("utf-8", errors="replace")
    return text if len(text) <= limit else text[:limit] + f"…({len(text)} chars)"


def _short(value: Any) -> Any:
    """A JSON value with long strings shortened, for readable reproductions."""
    if isinstance(value, str) and len(value) > 80:
        return f"{value[:50]}…({len(value)} chars)"
    if isinstance(value, dict):
        return {k: _short(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_short(v) for v in value]
    return value


def describe(case: AnyCase, prepared: requests.PreparedRequest | None, key: str) -> str:
    """The request as sent: method, URL, headers (not the transport's own), and the body
    (long strings shortened; the key shows as ``$KEY``)."""
    if prepared is None:
        text = f"{case.method} {case.formatted_path} query={case.query!r}"
        sent: Any = case.headers or {}
        raw: Any = None
    else:
        text = f"{prepared.method} {prepared.url}"
        sent = prepared.headers
        raw = prepared.body
    if len(text) > 400:
        text = text[:300] + f"…({len(text)} chars)"
    headers = {
        k: str(v).replace(key, "$KEY") for k, v in sent.items() if k.lower() not in BORING_HEADERS
    }
    if headers:
        text += f" headers={json.dumps(headers, ensure_ascii=True)}"
    if raw is None:
        return text
    if (case.media_type or "").startswith("multipart/") and isinstance(case.body, dict):
        form = {
            k: f"<{len(v)} bytes>" if isinstance(v, bytes) else _short(v)
            for k, v in case.body.items()
        }
        return f"{text} form={json.dumps(form, ensure_ascii=True, default=repr)}"
    data = raw if isinstance(raw, bytes) else str(raw).encode()
    try:
        shown = json.dumps(_short(json.loads(data)), ensure_ascii=True)
    except ValueError:
        shown = repr(data[:600]) + (f"…({len(data)} bytes)" if len(data) > 600 else "")
    return f"{text} body={shown}"


def check(
    state: FuzzState,
    case: AnyCase,
    response: schemathesis.Response,
    trigger: tuple[str, str] | None,
) -> None:
    status = response.status_code

    def fail(status: int | str, problem: str) -> None:
        where = describe(case, response.request, state.key)
        state.record(case, status, problem, _excerpt(response.content), where, trigger)

    if status >= 500:
        fail(status, "server error")
    elif status >= 400:
        try:
            data = json.loads(response.content)
        except ValueError:
            data = None
        if not (
            isinstance(data, dict)
            and all(isinstance(data.get(k), str) for k in ("request_id", "code", "message"))
        ):
            fail(status, "not a DashScope error envelope")
    elif (response.headers.get("content-type") or [""])[0].startswith("text/event-stream"):
        for match in re.finditer(rb":HTTP_STATUS/(\d+)", response.content):
            if int(match[1]) >= 500:
                fail(f"200, SSE frame {int(match[1])}", "server error")
                break


def _wire_body(case: AnyCase) -> dict[str, Any]:
    """``call`` arguments sending the JSON body with :data:`LONE_SURROGATE` as ``\\ud800``."""
    if case.media_type != "application/json" or not isinstance(case.body, dict | list):
        return {}
    text = json.dumps(case.body)
    if LONE_SURROGATE not in text:
        return {}
    return {"data": text.replace(LONE_SURROGATE, "\\ud800").encode()}


def send(
    state: FuzzState, case: AnyCase, trigger: tuple[str, str] | None = None
) -> schemathesis.Response | None:
    """Send ``case`` with the key, check the answer, and learn from it."""
    state.requests_sent += 1
    try:
        response = case.call(
            base_url=state.base_url,
            session=state.http,
            headers=state.auth,
            timeout=REQUEST_TIMEOUT_S,
            **_wire_body(case),
        )
    except requests.RequestException as exc:
        where = describe(case, None, state.key)
        state.record(case, "no answer", type(exc).__name__, str(exc)[:300], where, trigger)
        return None
    check(state, case, response, trigger)
    _learn(state, case, response, sweep=trigger is not None)
    return response


def _learn(state: FuzzState, case: AnyCase, response: schemathesis.Response, sweep: bool) -> None:
    """Remember real task ids and file URLs. Tasks of the sweep and video tasks are cancelled
    at once: running them adds nothing but load."""
    if response.status_code != 200 or not case.path.startswith(SERVICES):
        return
    try:
        answer = json.loads(response.content)
    except ValueError:
        return  # SSE
    output = answer.get("output") if isinstance(answer, dict) else None
    task_id = output.get("task_id") if isinstance(output, dict) else None
    if isinstance(task_id, str):
        state.task_ids.append(task_id)
        if sweep or case.path == VIDEO_SUBMIT:
            state.http.post(f"{state.base_url}/api/v1/tasks/{task_id}/cancel", headers=state.auth)
    _collect_files(state, answer)


def _collect_files(state: FuzzState, answer: Any) -> None:
    """Every signed file URL in a task or generation answer."""
    for url in re.findall(r'https?://[^"\s]+/files/[^"\s]+', json.dumps(answer)):
        parts = urllib.parse.urlsplit(url)
        query = dict(urllib.parse.parse_qsl(parts.query))
        key = urllib.parse.unquote(parts.path.split("/files/", 1)[1])
        if "Expires" in query and "Signature" in query:
            state.files.append((key, query["Expires"], query["Signature"]))


# --- phase 1: fuzzing ----------------------------------------------------------------------


def fuzz_operation(
    state: FuzzState, schema: BaseSchema, operation: Operation, steer: Steering
) -> None:
    """The documented examples (steered like the rest), then generated positive and negative
    cases, all derandomized."""
    label = operation.label

    def run(case: AnyCase) -> None:
        response = send(state, case)
        slots = len(_slots(case))
        accepted = response is not None and response.status_code < 300
        best = state.seeds.get(label)
        if best is None or (accepted and slots > best[0]):
            state.seeds[label] = (slots if accepted else -1, case)

    context = HookContext(operation=operation)
    examples = [
        (1, strategy.flatmap(lambda case: steer(context, case)))
        for strategy in schema.get_strategies_from_examples(operation)
    ]
    generated = [
        (count, operation.as_strategy(generation_mode=mode)) for mode, count in EXAMPLES.items()
    ]
    for count, strategy in examples + generated:
        test: Callable[[], None] = settings(
            max_examples=count,
            derandomize=True,
            database=None,
            deadline=None,
            phases=[Phase.generate],
            suppress_health_check=list(HealthCheck),
            verbosity=Verbosity.quiet,
        )(given(case=strategy)(run))
        try:
            test()
        except Unsatisfiable:
            # Nothing to break: an operation without parameters or body has no negative cases.
            assert strategy is generated[-1][1], f"no cases for {label}"


# --- phase 2: the sweep of special values --------------------------------------------------


def _string_paths(value: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Paths to the strings of a JSON value (the first item of each list only)."""
    items: Any = value.items() if isinstance(value, dict) else list(enumerate(value))[:1]
    for key, item in items:
        if isinstance(item, str):
            yield (*prefix, key)
        elif isinstance(item, dict | list):
            yield from _string_paths(item, (*prefix, key))


def _slots(case: AnyCase) -> list[tuple[str, tuple[Any, ...]]]:
    """What the sweep may replace: every query parameter (sent or declared) and path
    parameter, then the body's strings, the deepest first (not ``model``, nor the file of an
    upload)."""
    query = dict.fromkeys([*(case.query or {}), *(p.name for p in case.operation.query)])
    slots = [("query", (k,)) for k in query]
    slots += [("path", (k,)) for k in case.path_parameters or {}]
    if isinstance(case.body, dict | list):
        paths = [p for p in _string_paths(case.body) if p != ("model",)]
        slots += [("body", p) for p in sorted(paths, key=len, reverse=True)]
    return slots


def _set(container: Any, path: tuple[Any, ...], value: Any) -> None:
    for step in path[:-1]:
        container = container[step]
    container[path[-1]] = value


def sweep_operation(state: FuzzState, operation: Operation) -> None:
    seed = state.seeds.get(operation.label)
    if seed is None:
        return
    base = seed[1]
    if operation.path == SYNC_SUBMIT and isinstance(base.body, dict):
        # Its answer waits for the task: one small image keeps each request short.
        cheap: Any = copy.deepcopy(base.body)
        if isinstance(cheap.get("parameters"), dict):
            cheap["parameters"].update(n=1, max_images=1, size="768*768")
        base = base.derive()
        base.body = cheap
    for n, (where, path) in enumerate(_slots(base)[:SWEEP_SLOTS]):
        for value in URL_SPECIALS if where != "body" else BODY_SPECIALS:
            case = base.derive()
            case.query = dict(base.query or {})
            case.path_parameters = dict(base.path_parameters or {})
            body: Any = copy.deepcopy(base.body)
            if operation.path == UPLOAD and isinstance(body, dict):
                # A fresh policy and key each time, so that only the replaced value can fail.
                body = _genuine_form(state.policy(), body, f"sweep-{n}")
            if where == "body" and operation.path == UPLOAD and path == ("key",):
                _set(body, path, body["key"].rsplit("/", 1)[0] + "/" + value)
            elif where == "body":
                _set(body, path, value)
            else:
                _set(case.query if where == "query" else case.path_parameters, path, value)
            case.body = body
            name = ".".join(str(p) for p in path)
            send(state, case, (f"{where} {name}", _show(value)))


# --- one server ----------------------------------------------------------------------------


def _harvest(state: FuzzState) -> None:
    """Collect the result files of the tasks submitted so far (most have finished)."""
    deadline = time.monotonic() + 10
    for task_id in state.task_ids[:40]:
        while True:
            r = state.http.get(f"{state.base_url}/api/v1/tasks/{task_id}", headers=state.auth)
            status = r.json()["output"]["task_status"] if r.status_code == 200 else "?"
            if status not in ("PENDING", "RUNNING") or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        if r.status_code == 200:
            _collect_files(state, r.json())


def _prepare(state: FuzzState) -> None:
    """Upload each input file once (for oss:// references) and keep a few upload policies (a
    policy admits a limited number of files)."""
    for name, medium in list(state.media.items()):
        policy = state.policy("wanx-x-painting")
        key = f"{policy['upload_dir']}/{name}"
        r = state.http.post(
            policy["upload_host"],
            data={
                "OSSAccessKeyId": policy["oss_access_key_id"],
                "Signature": policy["signature"],
                "policy": policy["policy"],
                "key": key,
                "x-oss-object-acl": policy["x_oss_object_acl"],
                "x-oss-forbid-overwrite": policy["x_oss_forbid_overwrite"],
                "success_action_status": "200",
                "x-oss-content-type": medium.mime,
            },
            files={"file": (name, medium.data, medium.mime)},
        )
        assert r.status_code == 200, r.text
        state.media[name] = Medium(
            medium.data, medium.mime, medium.data_uri, medium.url, oss=f"oss://{key}"
        )
    state.policies.extend(state.policy() for _ in range(4))


def _order(path: str) -> int:
    if path.startswith(SERVICES):
        return 0
    return 1 + ORDER.index(path) if path in ORDER else 1 + len(ORDER)


def fuzz(server: Server, key: str, media: dict[str, Medium]) -> FuzzState:
    schema = schemathesis.openapi.from_path(SCHEMA_PATH, config=schemathesis.Config(seed=SEED))
    state = FuzzState(base_url=server.base_url, key=key, media=dict(media))
    steer = steering(state)
    schema.hook("flatmap_case")(steer)
    _prepare(state)
    operations: list[Operation] = []
    for result in schema.get_all_operations():
        if isinstance(result, Err):
            raise result.err()  # an operation the document defines wrongly
        operations.append(result.ok())
    # In ORDER (the sort is stable: the document's order within a group).
    operations.sort(key=lambda op: _order(op.path))
    state.operations = len(operations)
    for operation in operations:
        if operation.path == "/files/{key}":
            _harvest(state)
        fuzz_operation(state, schema, operation, steer)
        sweep_operation(state, operation)
    return state


@pytest.mark.slow
def test_no_server_errors_and_only_dashscope_envelopes(
    database_url: str, tmp_path: Path, media_server: MediaServer
) -> None:
    postgres = database_url.startswith("postgresql")
    started = time.monotonic()
    with launched(tmp_path / "wanstack") as launcher:
        server = launcher.start("fuzz", ENV, database_url=database_url if postgres else None)
        state = fuzz(server, server.deployment.create_key(), _media(media_server))
    print(
        f"schema fuzz ({'postgres' if postgres else 'sqlite'}): {state.requests_sent} requests "
        f"over {state.operations} operations in {time.monotonic() - started:.1f} s; "
        f"{len(state.task_ids)} tasks, {len(state.files)} result files"
    )
    failures = sorted(state.failures.values(), key=lambda f: (f.operation, str(f.status)))
    if failures:
        pytest.fail(
            f"{len(failures)} distinct problems in {state.requests_sent} requests:\n"
            + "\n".join(f.render() for f in failures),
            pytrace=False,
        )
