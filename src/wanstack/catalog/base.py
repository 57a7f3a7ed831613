"""What a served model is: its wire schema and validator, its media rules, and its output shape.

A model's knowledge lives in its catalog module; adding a model (or an output field) touches that
module, its request type (:mod:`wanstack.engines.requests`) and its engines, and nothing in
``worker/`` or ``api/``:

* :meth:`ModelSpec.validate` checks a submitted request (the submit endpoint's rules included);
* :meth:`ModelSpec.prepare` fetches and checks media when the task runs, building the engine
  request;
* :meth:`ModelSpec.outcome` shapes what the engine produced (already stored, as
  :class:`StoredItem` s) into the task's stored output and usage, in DashScope's field names;
* :meth:`ModelSpec.running_output` is what a RUNNING task shows besides its status.

Stored outputs reference files by storage key, never by URL; when a task is read, the API signs
them: ``{"key": k}`` becomes ``{"url": …}`` and ``{"$file": k}`` becomes the URL itself (see
:func:`file_ref`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from wanstack.domain import Outcome, Task
from wanstack.engines.base import VideoItem
from wanstack.errors import TaskError

#: Resolves a media reference (``http(s)://``, ``data:``, ``oss://``) to its bytes at run time.
#: Arguments: the field path (for messages), the reference, and the byte limit. Raises
#: :class:`wanstack.errors.FileDownloadFailed`.
MediaLoader = Callable[[str, str, int], Awaitable[bytes]]


@dataclass(frozen=True, slots=True)
class Submission:
    """A request that passed submit-time validation, normalised for storage."""

    input: dict[str, Any]
    parameters: dict[str, Any]
    #: (field path, reference) of every media reference, so oss:// keys can be checked at submit
    media: list[tuple[str, str]] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class StoredItem:
    """One output of an engine after the worker stored its file(s): an image (``key``; with a
    title also its text-free copy ``plain_key`` and ``layers``; in interleave mode the ``text``
    before it), a video (``key`` and ``video``), or the error of an output that failed."""

    key: str | None = None
    plain_key: str | None = None
    layers: list[dict[str, Any]] | None = None
    text: str | None = None
    video: VideoItem | None = None
    error: TaskError | None = None

    @property
    def ok(self) -> bool:
        return self.key is not None


#: a stored output's key for the fields only its sync answer carries beside ``choices``
#: (qwen-image's ``task_metric``); without it the sync answer says ``finished: true``.
#: ``GET /tasks`` omits it.
SYNC_FIELDS = "$sync"


def file_ref(key: str) -> dict[str, str]:
    """A stored-output value that the API turns into the file's signed URL (a string field,
    such as ``video_url``); items shaped ``{"url": …}`` are stored as ``{"key": key}``."""
    return {"$file": key}


class ModelSpec(Protocol):
    """One DashScope model as this server serves it."""

    #: the ``model`` string clients send
    model: str
    #: submit endpoints (after ``/api/v1/services/aigc/``) that accept this model
    endpoints: frozenset[str]

    def validate(self, input: Any, parameters: Any) -> Submission:
        """Check a submitted request; raise :class:`wanstack.errors.InvalidParameter` naming
        the field and rule. Unknown keys are ignored (DashScope SDKs send extra ones)."""

    async def prepare(self, task: Task, load: MediaLoader) -> Any:
        """Fetch and check the task's media, returning the engine request. Raise
        :class:`wanstack.errors.TaskError` subclasses for media problems (the task FAILS)."""

    def outcome(self, request: Any, items: Sequence[StoredItem]) -> Outcome:
        """The stored output and usage for ``items`` (all of them, or those made so far while
        the task runs: the same shape serves a streamed partial answer)."""

    def running_output(self, parameters: dict[str, Any]) -> dict[str, Any]:
        """Fields a RUNNING task shows in its query besides status and times."""
