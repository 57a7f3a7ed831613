"""The task model: states, transitions and records. Plain data, no I/O.

The state machine (drawn in ``docs/task-lifecycle.md``; a unit test keeps the two equal)::

    PENDING ──claim──► RUNNING ──finish──► SUCCEEDED | FAILED
       │                  │  └─lease expired──► RUNNING (next attempt) | FAILED (attempts used up)
       └──cancel──► CANCELED ◄──cancel──┘

A task that does not exist for the caller (never existed, another account's, purged) reads
``UNKNOWN``; that is a reading, not a stored state.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any


class TaskStatus(enum.StrEnum):
    PENDING = "PENDING"  #: accepted and durable, waiting for a worker
    RUNNING = "RUNNING"  #: claimed by a worker holding an unexpired lease
    SUCCEEDED = "SUCCEEDED"  #: finished; at least one of the requested outputs exists
    FAILED = "FAILED"  #: finished without any output; ``code``/``message`` say why
    CANCELED = "CANCELED"  #: cancelled by the client before it finished
    UNKNOWN = "UNKNOWN"  #: never stored: what a missing, foreign or purged task reads as

    @property
    def is_final(self) -> bool:
        return self in FINAL_STATUSES


FINAL_STATUSES = frozenset({TaskStatus.SUCCEEDED, TaskStatus.FAILED, TaskStatus.CANCELED})

#: Every stored transition: (from, to, what causes it).
TRANSITIONS: frozenset[tuple[TaskStatus, TaskStatus, str]] = frozenset(
    {
        (TaskStatus.PENDING, TaskStatus.RUNNING, "claim"),
        (TaskStatus.PENDING, TaskStatus.CANCELED, "cancel"),
        (TaskStatus.RUNNING, TaskStatus.SUCCEEDED, "finish"),
        (TaskStatus.RUNNING, TaskStatus.FAILED, "finish"),
        (TaskStatus.RUNNING, TaskStatus.CANCELED, "cancel"),
        (TaskStatus.RUNNING, TaskStatus.RUNNING, "reclaim after lease expiry"),
        (TaskStatus.RUNNING, TaskStatus.FAILED, "attempts exhausted"),
    }
)


@dataclass(frozen=True, slots=True)
class Caller:
    """Who is calling: the account behind the API key, and the workspace in effect."""

    account_id: str
    api_key_id: str
    workspace: str | None  #: None: the account as a whole (a main-account key without a header)


@dataclass(slots=True)
class Task:
    """One stored task row."""

    id: str
    account_id: str
    api_key_id: str
    workspace: str | None
    model: str
    request_id: str
    status: TaskStatus
    input: dict[str, Any]
    parameters: dict[str, Any]
    submitted_at: int
    expires_at: int
    attempts: int = 0
    scheduled_at: int | None = None
    finished_at: int | None = None
    lease_owner: str | None = None
    lease_expires_at: int | None = None
    output: dict[str, Any] | None = None  #: the model's result, storage keys not URLs
    usage: dict[str, Any] | None = None
    code: str | None = None
    message: str | None = None
    engine: dict[str, Any] | None = None  #: what produced the output (wanstack extension)
    #: while RUNNING: the output so far (its shape is the model's), for streamed answers
    partial: dict[str, Any] | None = None
    progress: int | None = None  #: while RUNNING: 0–100, as the engine reports it
    #: while PENDING, when asked for: 1 = next to run for its model (not stored)
    queue_position: int | None = None


@dataclass(frozen=True, slots=True)
class TaskSummary:
    """What a task list shows: a task without its (possibly large) inputs and outputs."""

    id: str
    account_id: str
    api_key_id: str
    workspace: str | None
    model: str
    request_id: str
    status: TaskStatus
    submitted_at: int
    scheduled_at: int | None
    finished_at: int | None


@dataclass(slots=True)
class Outcome:
    """What a finished attempt wants stored."""

    status: TaskStatus
    output: dict[str, Any] = field(default_factory=dict)
    usage: dict[str, Any] | None = None
    code: str | None = None
    message: str | None = None
    engine: dict[str, Any] | None = None
