"""Running one task: fetch and check media, call the engine, store its files, let the model's spec
shape the output (the worker knows no model: :meth:`wanstack.catalog.base.ModelSpec.outcome`).

Errors map to the same DashScope codes the API uses: a :class:`TaskError` (bad media, refused
URL) fails the task with its code and message; anything unexpected fails it as
``InternalError.Algo`` with the traceback in the log, never in the output. Unreachable storage is
neither: the task waits for it (:meth:`Executor.waiting_for_storage`), keeping its lease through
the heartbeat, until storage answers or the task is cancelled, re-claimed or handed back.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

import cv2
import numpy as np

from wanstack.catalog.base import StoredItem
from wanstack.catalog.outputs import failure
from wanstack.catalog.registry import spec_of
from wanstack.domain import Outcome, Task
from wanstack.engines.base import CancelToken, ImageItem, VideoItem
from wanstack.engines.registry import EngineProvider
from wanstack.errors import FileDownloadFailed, StorageUnavailable, TaskCanceled, TaskError
from wanstack.fetch import Fetcher, FetchError, FetchLimits
from wanstack.storage.base import Storage
from wanstack.task.inputs import is_stored, stored_key
from wanstack.upload.service import UploadService

log = logging.getLogger(__name__)
T = TypeVar("T")

RESULT_PREFIX = "results/"
#: While storage is unreachable, a running task tries again after these pauses (doubling), and
#: looks at its cancel token every STORAGE_CHECK_S meanwhile.
STORAGE_RETRY_FIRST_S = 0.5
STORAGE_RETRY_MAX_S = 5.0
STORAGE_CHECK_S = 0.2

#: Receives a running task's output so far: ``{"output": …, "usage": …}``.
PartialSink = Callable[[dict[str, Any]], Awaitable[object]]


def result_prefix(task_id: str, attempt: int | None = None) -> str:
    """Folder of a task's files, or of one attempt's (so a discarded attempt cleans up alone)."""
    if attempt is None:
        return f"{RESULT_PREFIX}{task_id}/"
    return f"{RESULT_PREFIX}{task_id}/{attempt}/"


class Executor:
    """Turns a claimed task into an :class:`Outcome`."""

    def __init__(
        self,
        engines: EngineProvider,
        storage: Storage,
        fetcher: Fetcher,
        uploads: UploadService,
    ) -> None:
        self._engines = engines
        self._storage = storage
        self._fetcher = fetcher
        self._uploads = uploads

    async def load_engines(self, models: Sequence[str] | None = None) -> dict[str, float]:
        """Load the engine of each of ``models`` (None: every model), in a thread; seconds
        per model. A worker loads only what it serves: no video weights on a CPU worker."""
        return await asyncio.to_thread(self._engines.load_all, models)

    def engine_families(self, models: Sequence[str]) -> dict[str, str]:
        """The engine family configured for each of ``models``."""
        return {model: self._engines.implementation(model) for model in models}

    async def load_media(self, field: str, reference: str, max_bytes: int) -> bytes:
        """Bytes of an input: ``oss://`` from our uploads, ``stored:`` data URIs kept at submit
        (:mod:`wanstack.task.inputs`), anything else via the safe fetcher."""
        if reference[:6].lower() == "oss://":
            return await self._uploads.read(field, reference)
        if is_stored(reference):
            name = field.rsplit(".", 1)[-1]
            try:
                reference = (await self._storage.get(stored_key(reference))).decode()
            except (FileNotFoundError, ValueError) as exc:
                raise FileDownloadFailed(f"download for {name} error: the input is gone") from exc
        try:
            return await self._fetcher.fetch(reference, FetchLimits(max_bytes=max_bytes))
        except FetchError as exc:
            name = field.rsplit(".", 1)[-1]
            raise FileDownloadFailed(f"download for {name} error: {exc.reason}") from exc

    async def waiting_for_storage(
        self, cancel: CancelToken, what: str, call: Callable[[], Awaitable[T]]
    ) -> T:
        """``call()``, tried again for as long as storage is unavailable: an outage delays the
        task instead of failing it. Raises :class:`TaskCanceled` as soon as the task is
        cancelled or loses its lease (the runner then hands it back or drops it)."""
        delay = STORAGE_RETRY_FIRST_S
        while True:
            try:
                return await call()
            except StorageUnavailable:
                log.warning("storage unavailable while %s; trying again in %.1f s", what, delay)
            until = time.monotonic() + delay
            while (left := until - time.monotonic()) > 0:
                cancel.check()
                await asyncio.sleep(min(left, STORAGE_CHECK_S))
            cancel.check()
            delay = min(delay * 2, STORAGE_RETRY_MAX_S)

    async def _put(self, cancel: CancelToken, key: str, data: bytes, content_type: str) -> None:
        await self.waiting_for_storage(
            cancel, f"storing {key}", lambda: self._storage.put(key, data, content_type)
        )

    async def _store(self, task: Task, image: np.ndarray[Any, Any], cancel: CancelToken) -> str:
        key = f"{result_prefix(task.id, task.attempts)}{uuid.uuid4().hex}.png"
        data = await asyncio.to_thread(_encode_png, image)
        await self._put(cancel, key, data, "image/png")
        return key

    async def _store_item(
        self, task: Task, item: ImageItem | VideoItem, cancel: CancelToken
    ) -> StoredItem:
        """Write an engine output's file(s) to storage; the spec shapes the output from keys."""
        if isinstance(item, VideoItem):
            key = f"{result_prefix(task.id, task.attempts)}{uuid.uuid4().hex}.mp4"
            await self._put(cancel, key, item.mp4, "video/mp4")
            return StoredItem(key=key, video=item)
        if item.image is None:
            return StoredItem(error=item.error or TaskError())
        plain = None if item.plain is None else await self._store(task, item.plain, cancel)
        return StoredItem(
            key=await self._store(task, item.image, cancel),
            plain_key=plain,
            layers=item.layers,
            text=item.text,
        )

    async def run(
        self, task: Task, cancel: CancelToken, report: PartialSink | None = None
    ) -> Outcome:
        """Run ``task``; raises :class:`TaskCanceled` if it was cancelled meanwhile. Outputs the
        engine reports as finished are stored at once and, with ``report``, the output so far
        (its model's shape) is handed on after each, so an answer can stream."""
        spec = spec_of(task.model)
        engine_info: dict[str, Any] | None = None
        try:
            # 1. Media: fetch, decode, check (failures here are the client's: task FAILED).
            async def load(field: str, reference: str, max_bytes: int) -> bytes:
                return await self.waiting_for_storage(
                    cancel,
                    f"reading {field}",
                    lambda: self.load_media(field, reference, max_bytes),
                )

            request = await spec.prepare(task, load)
            cancel.check()
            # 2. The engine, loaded once per process and kept resident.
            engine = await asyncio.to_thread(self._engines.get, task.model)
            engine_info = engine.describe()
            # 3. Outputs reported while the engine runs are stored as they come...
            stored: dict[int, StoredItem] = {}
            reported: asyncio.Queue[tuple[int, ImageItem | VideoItem] | None] = asyncio.Queue()
            loop = asyncio.get_running_loop()

            def heard(index: int, item: ImageItem | VideoItem) -> None:  # engine's thread
                loop.call_soon_threadsafe(reported.put_nowait, (index, item))

            cancel.on_item(heard)

            async def keep() -> None:
                while (entry := await reported.get()) is not None:
                    stored[entry[0]] = await self._store_item(task, entry[1], cancel)
                    if report is not None:
                        partial = spec.outcome(request, [stored[i] for i in sorted(stored)])
                        await report({"output": partial.output, "usage": partial.usage})

            keeper = asyncio.create_task(keep())
            try:
                produced: Sequence[ImageItem | VideoItem] = await asyncio.to_thread(
                    engine.run, request, cancel
                )
            finally:
                reported.put_nowait(None)  # after every item the engine's thread queued
                await keeper
            cancel.check()
            # ...and the rest now (per-item failures are a partial success).
            items: list[StoredItem] = []
            for index, item in enumerate(produced):
                cancel.check()
                done = stored.get(index)
                items.append(
                    done if done is not None else await self._store_item(task, item, cancel)
                )
        except TaskCanceled:
            raise
        except TaskError as exc:
            return _with_engine(failure(task.parameters, exc), engine_info)
        except Exception:
            log.exception("task %s: engine failed", task.id)
            return _with_engine(failure(task.parameters, TaskError()), engine_info)
        # 4. The model shapes its output (results, choices, video_url, usage, …).
        return _with_engine(spec.outcome(request, items), engine_info)


def _with_engine(outcome: Outcome, engine: dict[str, Any] | None) -> Outcome:
    outcome.engine = engine
    return outcome


def _encode_png(image: np.ndarray[Any, Any]) -> bytes:
    ok, buf = cv2.imencode(
        ".png", cv2.cvtColor(image, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_PNG_COMPRESSION, 3]
    )
    if not ok:
        raise TaskError("could not encode the result image", code="InternalError.Upload")
    return bytes(buf)
