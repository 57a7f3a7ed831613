"""An asynchronous client of DashScope's task API, for wanstack or DashScope itself.

* :class:`Connection`: base URL, API key and workspace, from the flags or from the variables
  the official SDK reads (``DASHSCOPE_HTTP_BASE_URL``, ``DASHSCOPE_API_KEY``,
  ``DASHSCOPE_WORKSPACE_ID``).
* :class:`DashScopeClient`: submit (``X-DashScope-Async: enable``, ``Idempotency-Key``), query,
  cancel, the upload policy and the OSS-style form POST, and result downloads.

Guarantees: a 429 is retried after its ``Retry-After`` (seconds or an HTTP date; an exponential
backoff when absent), and every request of the same kind (submits, queries, uploads) waits with
it, so a throttled client slows down as a whole instead of hammering; a 429 that refuses the
account (billing codes) is not retried. Transport errors and 500/502/503/504 are retried a few
times with backoff; a submit is retried only with its ``Idempotency-Key`` (wanstack answers a
repeated key with the task it already made). Task queries are paced to :data:`QUERY_RATE` per
second, half of DashScope's 20 per account, whatever the number of tasks being followed. The API
key is sent to the API base only, never to result or upload hosts (their URLs are pre-signed).
"""

from __future__ import annotations

import asyncio
import json
import mimetypes
import os
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from email.utils import formatdate, parsedate_to_datetime
from pathlib import Path
from typing import Any, BinaryIO
from urllib.parse import quote, urlsplit

import httpx

from wanstack import __version__
from wanstack.client.errors import ApiError, ClientError, UsageError

DEFAULT_BASE_URL = "https://dashscope.aliyuncs.com/api/v1"
USER_AGENT = f"wanstack/{__version__} (client)"
#: task queries per second (DashScope allows 20 per account; leave room for other clients)
QUERY_RATE = 10.0
#: attempts for transport errors and 5xx answers
MAX_ATTEMPTS = 5
#: 429 answers in a row after which a request gives up: with a Retry-After (the server paces
#: us), and without one (backoff up to 30 s: about two minutes in all)
MAX_THROTTLED = 100
MAX_THROTTLED_UNTOLD = 10
#: the longest wait a Retry-After may ask for
RETRY_AFTER_CAP_S = 120.0
#: 429 codes that refuse the account (billing): retrying cannot help
_NO_RETRY_429 = frozenset({"CommodityNotPurchased", "PrepaidBillOverdue", "PostpaidBillOverdue"})
_RETRY_STATUS = frozenset({500, 502, 503, 504})
#: result file suffixes taken from a URL's path as they are
_MEDIA_SUFFIXES = frozenset(
    {".png", ".jpg", ".jpeg", ".webp", ".gif", ".bmp", ".tif", ".tiff", ".mp4", ".mov", ".webm"}
)

Notify = Callable[[str], None]


@dataclass(frozen=True, slots=True)
class Connection:
    """Where the API is and how to call it."""

    base_url: str
    api_key: str = field(repr=False)
    workspace: str | None = None

    @classmethod
    def resolve(
        cls,
        env: Mapping[str, str],
        *,
        base_url: str | None = None,
        api_key: str | None = None,
        workspace: str | None = None,
    ) -> Connection:
        """Flags first, then the SDK's variables, then DashScope's own address; no key is a
        :class:`UsageError` naming both ways to give one."""
        url = (base_url or env.get("DASHSCOPE_HTTP_BASE_URL") or DEFAULT_BASE_URL).strip()
        if urlsplit(url).scheme not in ("http", "https") or not urlsplit(url).netloc:
            raise UsageError(
                f"the base URL must be http(s)://HOST[:PORT]/api/v1 (--base-url or "
                f"DASHSCOPE_HTTP_BASE_URL), got {url!r}"
            )
        key = (api_key or env.get("DASHSCOPE_API_KEY") or "").strip()
        if not key:
            raise UsageError("no API key: set DASHSCOPE_API_KEY or pass --api-key")
        space = workspace or env.get("DASHSCOPE_WORKSPACE_ID") or None
        return cls(url.rstrip("/"), key, space)


class Gate:
    """Paces one kind of request: at most ``rate`` per second, and none before a 429's
    Retry-After has passed (:meth:`hold`)."""

    def __init__(self, rate: float | None = None) -> None:
        self._interval = 1.0 / rate if rate else 0.0
        self._next = 0.0
        self._lock = asyncio.Lock()

    async def wait(self) -> None:
        async with self._lock:  # callers pass one by one, each at its own time
            delay = self._next - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            self._next = max(self._next, time.monotonic()) + self._interval

    def hold(self, seconds: float) -> None:
        self._next = max(self._next, time.monotonic() + seconds)


def retry_after(response: httpx.Response) -> float | None:
    """Seconds to wait from ``retry-after-ms`` or ``Retry-After`` (seconds or an HTTP date)."""
    raw_ms = response.headers.get("retry-after-ms")
    if raw_ms:
        try:
            return min(max(float(raw_ms) / 1000, 0.0), RETRY_AFTER_CAP_S)
        except ValueError:
            pass
    raw = response.headers.get("retry-after")
    if not raw:
        return None
    try:
        seconds = float(raw)
    except ValueError:
        try:
            seconds = float(parsedate_to_datetime(raw).timestamp()) - time.time()
        except (TypeError, ValueError):
            return None
    return min(max(seconds, 0.0), RETRY_AFTER_CAP_S)


def backoff(attempt: int, cap: float = 30.0) -> float:
    """0.5 s, 1 s, 2 s, … up to ``cap``, with a little jitter so parallel callers spread out."""
    base = min(cap, 0.5 * 2.0 ** max(attempt - 1, 0))
    return base * random.uniform(0.8, 1.2)


def api_error(response: httpx.Response) -> ApiError:
    """The DashScope error of an answer (``code``/``message``), or one made from its status."""
    try:
        body = response.json()
    except (ValueError, UnicodeDecodeError):
        body = None
    if isinstance(body, dict) and body.get("code"):
        return ApiError(
            response.status_code,
            str(body["code"]),
            str(body.get("message") or ""),
            str(body.get("request_id") or ""),
        )
    text = response.text.strip().replace("\n", " ")[:300]
    return ApiError(response.status_code, f"HTTP{response.status_code}", text)


class DashScopeClient:
    """The calls ``wanstack run`` and ``wanstack batch`` make; use it as an async context."""

    def __init__(self, connection: Connection, *, notify: Notify | None = None) -> None:
        self.connection = connection
        self._notify: Notify = notify or (lambda _: None)
        self._http = httpx.AsyncClient(
            timeout=httpx.Timeout(120.0, connect=30.0),
            headers={"User-Agent": USER_AGENT},
        )
        self._gates = {
            "submit": Gate(),
            "query": Gate(QUERY_RATE),
            "upload": Gate(),
            "download": Gate(),
        }

    async def __aenter__(self) -> DashScopeClient:
        return self

    async def __aexit__(self, *_: object) -> None:
        await self._http.aclose()

    def _api(self, path: str) -> str:
        return f"{self.connection.base_url}/{path.lstrip('/')}"

    def _auth(self) -> dict[str, str]:
        headers = {"Authorization": f"Bearer {self.connection.api_key}"}
        if self.connection.workspace:
            headers["X-DashScope-WorkSpace"] = self.connection.workspace
        return headers

    async def submit(
        self,
        path: str,
        body: Mapping[str, Any],
        *,
        oss: bool = False,
        idempotency_key: str | None = None,
    ) -> str:
        """POST one task; its id. Raises :class:`ApiError` when the server refuses it."""
        headers = {**self._auth(), "X-DashScope-Async": "enable"}
        if oss:  # as the SDK does when an input is an oss:// key
            headers["X-DashScope-OssResourceResolve"] = "enable"
        if idempotency_key:
            headers["Idempotency-Key"] = idempotency_key
        data = json.dumps(body, ensure_ascii=False).encode()
        headers["Content-Type"] = "application/json"
        response = await self._send(
            "submit",
            lambda: self._http.build_request(
                "POST", self._api(path), content=data, headers=headers
            ),
            may_repeat=idempotency_key is not None,
        )
        answer = _json(response)
        output = answer.get("output")
        task_id = output.get("task_id") if isinstance(output, dict) else None
        if not isinstance(task_id, str) or not task_id:
            raise ApiError(
                response.status_code,
                "InvalidResponse",
                "the submit answer carries no output.task_id (is this model synchronous only?)",
                str(answer.get("request_id") or ""),
            )
        return task_id

    async def task(self, task_id: str) -> dict[str, Any]:
        """``GET /tasks/{id}``: the whole answer (``output``, ``usage``, ``request_id``)."""
        url = self._api(f"tasks/{quote(task_id, safe='')}")
        response = await self._send(
            "query", lambda: self._http.build_request("GET", url, headers=self._auth())
        )
        answer = _json(response)
        if not isinstance(answer.get("output"), dict) or "task_status" not in answer["output"]:
            raise ApiError(response.status_code, "InvalidResponse", "no output.task_status")
        return answer

    async def cancel(self, task_id: str) -> None:
        """``POST /tasks/{id}/cancel``; DashScope cancels PENDING tasks only (400
        UnsupportedOperation otherwise), wanstack RUNNING ones too."""
        url = self._api(f"tasks/{quote(task_id, safe='')}/cancel")
        await self._send(
            "query",
            lambda: self._http.build_request("POST", url, content=b"", headers=self._auth()),
        )

    async def upload_policy(self, model: str) -> dict[str, Any]:
        """``GET /uploads?action=getPolicy&model=M``: the ``data`` of the answer."""
        url = self._api("uploads")
        params = {"action": "getPolicy", "model": model}
        response = await self._send(
            "upload",
            lambda: self._http.build_request("GET", url, params=params, headers=self._auth()),
        )
        data = _json(response).get("data")
        if not isinstance(data, dict):
            raise ApiError(response.status_code, "InvalidResponse", "getPolicy answered no data")
        return data

    async def post_form(self, url: str, fields: Mapping[str, str], name: str, path: Path) -> None:
        """The OSS-style form POST of one file: the fields, then ``file``; no API key (the
        signed policy is the proof), ``Date`` and ``Accept`` as the SDK sends them."""
        with path.open("rb") as fh:

            def build() -> httpx.Request:
                fh.seek(0)  # a retry sends the whole file again
                headers = {"Accept": "application/json", "Date": formatdate(usegmt=True)}
                files: dict[str, tuple[str, BinaryIO]] = {"file": (name, fh)}
                return self._http.build_request(
                    "POST", url, data=dict(fields), files=files, headers=headers, timeout=3600
                )

            await self._send("upload", build, may_repeat=True)

    async def download(self, url: str, stem: Path) -> Path:
        """Save a result file as ``stem`` + its suffix (from the URL's path, else its content
        type), written through a temporary file so a file that exists is whole."""
        for attempt in range(1, MAX_ATTEMPTS + 1):
            response = await self._send(
                "download",
                lambda: self._http.build_request("GET", url),
                stream=True,
                redirects=True,
            )
            final = stem.with_name(stem.name + _suffix(url, response))
            part = final.with_name(f".{final.name}.part")
            try:
                with part.open("wb") as out:
                    async for chunk in response.aiter_bytes(1 << 16):
                        out.write(chunk)
                os.replace(part, final)
                return final
            except httpx.TransportError as exc:  # cut off mid-file: start it again
                part.unlink(missing_ok=True)
                if attempt == MAX_ATTEMPTS:
                    raise ClientError(f"cannot download {_short(url)}: {exc!r}") from exc
                await asyncio.sleep(backoff(attempt))
            finally:
                await response.aclose()
        raise AssertionError("unreachable")

    async def _send(
        self,
        kind: str,
        build: Callable[[], httpx.Request],
        *,
        may_repeat: bool = True,
        stream: bool = False,
        redirects: bool = False,
    ) -> httpx.Response:
        """One request through its kind's gate, with the retry rules of the module docstring.
        A 4xx other than a retried 429 raises :class:`ApiError`."""
        gate = self._gates[kind]
        throttled = failures = 0
        while True:
            await gate.wait()
            request = build()
            try:
                response = await self._http.send(request, stream=stream, follow_redirects=redirects)
            except httpx.TransportError as exc:
                # A submit whose request may have arrived is repeated only with its key.
                sent = not isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout)
                failures += 1
                if failures >= MAX_ATTEMPTS or (sent and not may_repeat):
                    raise ClientError(f"{kind} to {_short(str(request.url))}: {exc!r}") from exc
                delay = backoff(failures)
                self._notify(f"{kind}: {type(exc).__name__}; retrying in {delay:.1f} s")
                await asyncio.sleep(delay)
                continue
            status = response.status_code
            if status < 300:
                return response
            if status < 400:  # an API that moved: say where, rather than fail to parse
                await response.aclose()
                where = response.headers.get("location", "?")
                raise ApiError(
                    status, f"HTTP{status}", f"redirected to {where}: check the base URL"
                )
            if stream:
                await response.aread()
                await response.aclose()
            error = api_error(response)
            told = retry_after(response)
            limit = MAX_THROTTLED if told is not None else MAX_THROTTLED_UNTOLD
            if status == 429 and error.code not in _NO_RETRY_429 and throttled < limit:
                throttled += 1
                delay = told if told is not None else backoff(throttled)
                gate.hold(delay)  # every request of this kind waits with this one
                source = "Retry-After" if told is not None else "backoff"
                self._notify(f"{kind}: 429 {error.code}; waiting {delay:.1f} s ({source})")
                continue
            if status in _RETRY_STATUS and may_repeat and failures + 1 < MAX_ATTEMPTS:
                failures += 1
                delay = told if told is not None else backoff(failures)
                self._notify(f"{kind}: {status} {error.code}; retrying in {delay:.1f} s")
                await asyncio.sleep(delay)
                continue
            raise error


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except (ValueError, UnicodeDecodeError) as exc:
        raise ApiError(response.status_code, "InvalidResponse", "the answer is not JSON") from exc
    if not isinstance(body, dict):
        raise ApiError(response.status_code, "InvalidResponse", "the answer is not a JSON object")
    return body


def _suffix(url: str, response: httpx.Response) -> str:
    suffix = Path(urlsplit(url).path).suffix.lower()
    if suffix in _MEDIA_SUFFIXES:
        return suffix
    content_type = response.headers.get("content-type", "").split(";")[0].strip()
    guessed = mimetypes.guess_extension(content_type) if content_type else None
    return guessed or ".bin"


def _short(url: str) -> str:
    """A URL without its query (signatures stay out of messages)."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}{parts.path}"
