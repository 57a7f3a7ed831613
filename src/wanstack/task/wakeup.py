"""In-process signals between the API and the embedded workers.

``notify_submitted`` wakes idle workers at once (no polling sleep); ``notify_cancelled`` stops a
running task's engine. Across processes the same signals travel as PostgreSQL NOTIFY (see
:mod:`wanstack.worker.listen`); on SQLite, separate worker processes fall back to polling and to
their lease heartbeat.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable


class Wakeup:
    def __init__(self) -> None:
        self._event = asyncio.Event()
        self._cancel_listeners: list[Callable[[str], None]] = []

    def notify_submitted(self) -> None:
        self._event.set()

    async def wait(self, timeout: float) -> None:
        """Return when work may be waiting, or after ``timeout`` seconds."""
        try:
            await asyncio.wait_for(self._event.wait(), timeout)
        except TimeoutError:
            pass
        self._event.clear()

    def on_cancel(self, listener: Callable[[str], None]) -> None:
        self._cancel_listeners.append(listener)

    def notify_cancelled(self, task_id: str) -> None:
        for listener in self._cancel_listeners:
            listener(task_id)
