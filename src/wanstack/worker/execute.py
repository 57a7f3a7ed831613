"""Running one task: fetch and check media, call the engine, store results, shape the output.

Errors map to the same DashScope codes the API uses: a :class:`TaskError` (bad media, refused
URL) fails the task with its code and message; anything unexpected fails it as
``InternalError.Algo`` with the traceback in the log, never in the output.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from typing import Any

import cv2
import numpy as np

from wanstack.catalog.registry import spec_of
from wanstack.catalog.wan_video import short_side_class
from wanstack.domain import Outcome, Task, TaskStatus
from wanstack.engines.base import CancelToken, ImageItem, VideoItem
from wanstack.engines.registry import EngineProvider
from wanstack.engines.requests import ImageGenRequest, VideoRequest
from wanstack.errors import FileDownloadFailed, TaskCanceled, TaskError
from wanstack.fetch import Fetcher, FetchError, FetchLimits
from wanstack.storage.base import Storage
from wanstack.task.inputs import is_stored, stored_key
from wanstack.upload.service import UploadService

log = logging.getLogger(__name__)

RESULT_PREFIX = "results/"


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

    async def _store(self, task: Task, image: np.ndarray[Any, Any]) -> str:
        key = f"{result_prefix(task.id, task.attempts)}{uuid.uuid4().hex}.png"
        data = await asyncio.to_thread(_encode_png, image)
        await self._storage.put(key, data, "image/png")
        return key

    async def _store_video(self, task: Task, mp4: bytes) -> str:
        key = f"{result_prefix(task.id, task.attempts)}{uuid.uuid4().hex}.mp4"
        await self._storage.put(key, mp4, "video/mp4")
        return key

    async def run(self, task: Task, cancel: CancelToken) -> Outcome:
        """Run ``task``; raises :class:`TaskCanceled` if it was cancelled meanwhile."""
        spec = spec_of(task.model)
        total = int(task.parameters.get("n", 1))
        engine_info: dict[str, Any] | None = None
        try:
            # 1. Media: fetch, decode, check (failures here are the client's: task FAILED).
            request = await spec.prepare(task, self.load_media)
            cancel.check()
            # 2. The engine, loaded once per process and kept resident.
            engine = await asyncio.to_thread(self._engines.get, task.model)
            engine_info = engine.describe()
            produced = await asyncio.to_thread(engine.run, request, cancel)
            items = [item for item in produced if isinstance(item, ImageItem)]
            videos = [item for item in produced if isinstance(item, VideoItem)]
            cancel.check()
        except TaskCanceled:
            raise
        except TaskError as exc:
            return _failed(exc.code, exc.message, total, engine_info)
        except Exception:
            log.exception("task %s: engine failed", task.id)
            error = TaskError()
            return _failed(error.code, error.message, total, engine_info)
        if isinstance(request, VideoRequest):
            return await self._video_outcome(task, request, videos, engine_info)
        # 3. Store every image; per-item failures are a partial success.
        results: list[dict[str, Any]] = []
        plain: list[dict[str, Any]] = []  # text-free images of titled results (seed 002)
        params: list[dict[str, Any]] = []
        for index, item in enumerate(items):
            cancel.check()
            if item.image is not None:
                results.append({"key": await self._store(task, item.image)})
                if item.plain is not None:
                    plain.append({"key": await self._store(task, item.plain)})
                    params.append({"sample_idx": index, "layers": item.layers or []})
            else:
                error = item.error or TaskError()
                results.append({"code": error.code, "message": error.message})
        succeeded = sum(1 for r in results if "key" in r)
        metrics = {
            "TOTAL": len(results),
            "SUCCEEDED": succeeded,
            "FAILED": len(results) - succeeded,
        }
        if succeeded == 0:
            first = results[0] if results else {}
            error = TaskError()
            return Outcome(
                status=TaskStatus.FAILED,
                output={"task_metrics": metrics},
                code=first.get("code", error.code),
                message=first.get("message", error.message),
                engine=engine_info,
            )
        output: dict[str, Any] = {"results": results, "task_metrics": metrics}
        if plain:
            output["text_results"] = {"urls": plain, "params": params}
        usage: dict[str, Any] = {"image_count": succeeded}
        if isinstance(request, ImageGenRequest):
            output["choices"] = [_choice(items, results)]
            output["finished"] = True
            width, height = request.size
            usage = {
                "image_count": succeeded,
                "input_tokens": 0,
                "output_tokens": 0,
                "size": f"{width}*{height}",
                "total_tokens": 0,
            }
        return Outcome(status=TaskStatus.SUCCEEDED, output=output, usage=usage, engine=engine_info)

    async def _video_outcome(
        self,
        task: Task,
        request: VideoRequest,
        videos: list[VideoItem],
        engine_info: dict[str, Any] | None,
    ) -> Outcome:
        """wan2.6-t2v / i2v: the MP4 at ``video_url``, the prompt, and DashScope's usage."""
        if not videos:
            log.error("task %s: the engine returned no video", task.id)
            error = TaskError()
            return _failed(error.code, error.message, 1, engine_info)
        video = videos[0]
        key = await self._store_video(task, video.mp4)
        seconds = request.duration
        usage: dict[str, Any] = {"duration": seconds}
        if request.image is None:  # t2v reports the size it was asked for
            usage["size"] = f"{video.width}*{video.height}"
        usage.update(
            input_video_duration=0,
            output_video_duration=seconds,
            video_count=1,
            SR=short_side_class(video.width, video.height),
        )
        return Outcome(
            status=TaskStatus.SUCCEEDED,
            output={"video": {"key": key}, "orig_prompt": request.prompt},
            usage=usage,
            engine=engine_info,
        )


def _failed(code: str, message: str, total: int, engine: dict[str, Any] | None) -> Outcome:
    return Outcome(
        status=TaskStatus.FAILED,
        output={"task_metrics": {"TOTAL": total, "SUCCEEDED": 0, "FAILED": total}},
        code=code,
        message=message,
        engine=engine,
    )


def _choice(items: list[ImageItem], results: list[dict[str, Any]]) -> dict[str, Any]:
    """wan2.6-image's answer as one assistant message: every stored image in order, each after
    its text in interleave mode (``image_key`` becomes a signed ``image`` URL when read)."""
    content: list[dict[str, Any]] = []
    for item, result in zip(items, results, strict=True):
        if "key" not in result:
            continue
        if item.text:
            content.append({"type": "text", "text": item.text})
        content.append({"type": "image", "image_key": result["key"]})
    return {"finish_reason": "stop", "message": {"role": "assistant", "content": content}}


def _encode_png(image: np.ndarray[Any, Any]) -> bytes:
    ok, buf = cv2.imencode(
        ".png", cv2.cvtColor(image, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_PNG_COMPRESSION, 3]
    )
    if not ok:
        raise TaskError("could not encode the result image", code="InternalError.Upload")
    return bytes(buf)
