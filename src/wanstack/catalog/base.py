"""What a served model is: a wire schema with its validator, media rules, and result shape.

Adding a model means one module here (``validate`` at submit, ``prepare`` at run time) plus an
engine registered for it in :mod:`wanstack.engines.registry`; the task API, queue, storage and
workers stay as they are.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from wanstack.domain import Task

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
