"""``DIR/state.jsonl``: the append-only journal that lets ``wanstack batch`` resume.

Records, one JSON object a line, each flushed and fsync'd before the step it guards goes on::

    {"journal": "wanstack-batch", "version": 1, "sha256": …, "nonce": …, "requests": 40}
    {"line": 7, "event": "submitting", "key": "…", "uploads": {"input.base_image_url": "oss://…"}}
    {"line": 7, "event": "submitted", "task_id": "…"}     as soon as its answer is read
    {"line": 7, "event": "finished", "status": "SUCCEEDED", "code": "", "message": "", "files": […]}
    {"line": 9, "event": "refused", "code": "InvalidParameter", "message": "…"}

So after any stop (Ctrl-C, SIGKILL, a crash, a power cut) a line with a task id is never sent
again: it is followed and its files fetched. A line journalled as ``submitting`` only is sent again
with the same ``Idempotency-Key`` and the same body (its files' ``oss://`` keys are in the record,
not uploaded again), which wanstack answers with the task it already made, should the crash have
fallen between the server's answer and the journal write. A half-written last
record (the crash came mid-write) is cut off when the journal is opened. The header binds the
folder to one manifest: another manifest's hash is refused. An exclusive lock on ``DIR/.lock``
keeps two batches from sharing a folder.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from wanstack.client.errors import JournalError, UsageError

NAME = "state.jsonl"
MAGIC = "wanstack-batch"
VERSION = 1


@dataclass
class LineState:
    """What the journal knows of one request."""

    line: int
    key: str | None = None
    #: the oss:// key sent for each uploaded field, so a repeated submit is the same request
    uploads: dict[str, str] = field(default_factory=dict)
    task_id: str | None = None
    #: final: the task's end status, or REFUSED (the submit was refused)
    status: str | None = None
    code: str = ""
    message: str = ""
    files: list[str] = field(default_factory=list)

    @property
    def settled(self) -> bool:
        """Nothing more to do for this line."""
        return self.status is not None


class Journal:
    """The open journal of one output folder; hold it with ``with``."""

    def __init__(self, folder: Path, sha256: str, requests: int) -> None:
        self.folder = folder
        self.path = folder / NAME
        self.sha256 = sha256
        self._requests = requests
        self.nonce = ""
        self.states: dict[int, LineState] = {}
        #: whether the journal existed (this run resumes a batch)
        self.resumed = False
        self._lock: IO[bytes] | None = None
        self._file: IO[bytes] | None = None

    def __enter__(self) -> Journal:
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            self._lock = (self.folder / ".lock").open("ab")
        except OSError as exc:
            raise UsageError(f"cannot use --out {self.folder}: {exc.strerror or exc}") from exc
        try:
            fcntl.flock(self._lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            self._lock.close()
            raise UsageError(
                f"another wanstack batch is using {self.folder} (wait for it, or stop it)"
            ) from exc
        try:
            self._open()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        for handle in (self._file, self._lock):
            if handle is not None:
                with contextlib.suppress(OSError):
                    handle.close()
        self._file = self._lock = None

    def _open(self) -> None:
        if self._trimmed() > 0:
            self.resumed = True
            self._read()
            self._file = self.path.open("ab")
            return
        self.nonce = secrets.token_hex(8)
        self._file = self.path.open("ab")
        self._append(
            {
                "journal": MAGIC,
                "version": VERSION,
                "sha256": self.sha256,
                "nonce": self.nonce,
                "requests": self._requests,
            }
        )
        _fsync_dir(self.folder)  # the new file's name is durable too

    def _trimmed(self) -> int:
        """The journal's size once a record cut by a crash (no newline yet) is cut off: that
        step never happened, and its guard is repeated."""
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return 0
        if raw and not raw.endswith(b"\n"):
            keep = raw.rfind(b"\n") + 1
            with self.path.open("r+b") as f:
                f.truncate(keep)
                os.fsync(f.fileno())
            return keep
        return len(raw)

    def _read(self) -> None:
        raw = self.path.read_bytes()
        records = []
        for number, line in enumerate(raw.splitlines(), start=1):
            try:
                record = json.loads(line)
            except ValueError as exc:
                raise UsageError(f"{self.path} line {number} is damaged: {exc}") from exc
            if not isinstance(record, dict):
                raise UsageError(f"{self.path} line {number} is damaged: not an object")
            records.append(record)
        header = records[0] if records else {}
        if header.get("journal") != MAGIC:
            raise UsageError(f"{self.path} is not a wanstack batch journal")
        if header.get("sha256") != self.sha256:
            raise UsageError(
                f"{self.folder} holds a batch of another manifest (sha256 "
                f"{str(header.get('sha256'))[:12]}…, this manifest {self.sha256[:12]}…): "
                "the manifest changed since that batch began. Restore it to resume, or give a "
                "new --out to start a new batch."
            )
        self.nonce = str(header.get("nonce", ""))
        for record in records[1:]:
            self._apply(record)

    def _apply(self, record: dict[str, Any]) -> None:
        line = int(record["line"])
        state = self.states.setdefault(line, LineState(line))
        event = record.get("event")
        if event == "submitting":
            state.key = str(record["key"])
            state.uploads = {str(k): str(v) for k, v in record.get("uploads", {}).items()}
        elif event == "submitted":
            state.task_id = str(record["task_id"])
        elif event == "finished":
            state.status = str(record["status"])
            state.code = str(record.get("code", ""))
            state.message = str(record.get("message", ""))
            state.files = [str(f) for f in record.get("files", [])]
        elif event == "refused":
            state.status = "REFUSED"
            state.code = str(record.get("code", ""))
            state.message = str(record.get("message", ""))

    def state(self, line: int) -> LineState:
        return self.states.setdefault(line, LineState(line))

    def key_for(self, line: int) -> str:
        """The line's idempotency key: the same for every run of this batch, different for
        another batch of the same manifest (the nonce is the batch's own)."""
        seed = f"{self.nonce}:{self.sha256}:{line}".encode()
        return hashlib.sha256(seed).hexdigest()[:40]

    def submitting(self, line: int, key: str, uploads: dict[str, str]) -> None:
        record: dict[str, Any] = {"line": line, "event": "submitting", "key": key}
        if uploads:
            record["uploads"] = uploads
        self._record(record)

    def submitted(self, line: int, task_id: str) -> None:
        self._record({"line": line, "event": "submitted", "task_id": task_id})

    def finished(self, line: int, status: str, code: str, message: str, files: list[str]) -> None:
        record = {"line": line, "event": "finished", "status": status}
        record.update({"code": code, "message": message, "files": files})
        self._record(record)

    def refused(self, line: int, code: str, message: str) -> None:
        self._record({"line": line, "event": "refused", "code": code, "message": message})

    def _record(self, record: dict[str, Any]) -> None:
        self._append(record)
        self._apply(record)

    def _append(self, record: dict[str, Any]) -> None:
        assert self._file is not None, "the journal is not open"
        data = json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n"
        try:
            self._file.write(data.encode())
            self._file.flush()
            os.fsync(self._file.fileno())
        except OSError as exc:
            raise JournalError(f"cannot write {self.path}: {exc.strerror or exc}") from exc


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
