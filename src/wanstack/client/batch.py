"""``wanstack batch MANIFEST --out DIR [--concurrency N] [--template FILE]``: many tasks, bounded,
resumable.

At most N requests are on the server at a time (submitted and not finished); each is submitted,
followed to its end, and its result files saved in ``DIR/<line>/``. Progress shows on stderr (a
bar with counts and ETA on a terminal, plain lines elsewhere); ``DIR/report.csv`` is rewritten at
the end of every run, interrupted or not: ``line, task_id, status, code, message, files, source``.

Resuming is the journal's work (:mod:`wanstack.client.journal`): run the same command again after
Ctrl-C, SIGKILL or a crash and the lines that have a task are followed, not sent again; the others
are sent. Ctrl-C (or SIGTERM) stops sending new requests, lets the submits on their way finish and
be journalled, and exits 130 (143): the tasks already made keep running on the server and a
second run collects them. A second Ctrl-C stops at once. A refused submit (bad parameter) is
reported for its line and the batch goes on; a refused key stops it.

Exit status: 0 when every line SUCCEEDED; 1 when any line failed, was refused or is unfinished;
2 for a usage mistake (bad manifest, another manifest's folder); 130/143 when interrupted.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import csv
import os
import signal
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from wanstack.client.dashscope import Connection, DashScopeClient
from wanstack.client.endpoints import endpoint_for, normalise
from wanstack.client.errors import ApiError, ClientError, JournalError, UsageError
from wanstack.client.follow import Seen, follow
from wanstack.client.journal import Journal, LineState
from wanstack.client.manifest import Manifest, Request, load
from wanstack.client.progress import Display, bar
from wanstack.client.results import item_failures, save_results
from wanstack.client.uploads import Uploader

#: how long a stopping batch waits for the submits on their way
STOP_WAIT_S = 30.0
REPORT = "report.csv"
REPORT_COLUMNS = ("line", "task_id", "status", "code", "message", "files", "source")


def command(args: argparse.Namespace, env: Mapping[str, str]) -> int:
    """Run ``wanstack batch``; the exit status."""
    try:
        connection = Connection.resolve(
            env, base_url=args.base_url, api_key=args.api_key, workspace=args.workspace
        )
        if args.concurrency < 1:
            raise UsageError(f"--concurrency must be at least 1, got {args.concurrency}")
        manifest = load(Path(args.manifest), Path(args.template) if args.template else None)
        endpoint = normalise(args.endpoint) if args.endpoint else None
        out = Path(args.out)
        with Journal(out, manifest.sha256, len(manifest.requests)) as journal:
            batch = Batch(connection, manifest, journal, args.concurrency, endpoint)
            return asyncio.run(batch.run())
    except ClientError as exc:
        sys.stderr.write(f"wanstack batch: {exc}\n")
        return exc.exit_status
    except KeyboardInterrupt:
        return 130


class Batch:
    """One run of a batch over its journal."""

    def __init__(
        self,
        connection: Connection,
        manifest: Manifest,
        journal: Journal,
        concurrency: int,
        endpoint: str | None,
        display: Display | None = None,
    ) -> None:
        self.connection = connection
        self.manifest = manifest
        self.journal = journal
        self.out = journal.folder
        self.concurrency = concurrency
        self.endpoint = endpoint
        self.display = display or Display(sys.stderr)
        self._queue: collections.deque[Request] = collections.deque()
        self._running: set[int] = set()
        #: the last status seen of each line followed in this run
        self._seen: dict[int, Seen] = {}
        #: the last problem of a line that is not settled (a download or the network failed)
        self._problems: dict[int, tuple[str, str]] = {}
        self._submits: set[asyncio.Future[str | None]] = set()
        self._workers: list[asyncio.Task[None]] = []
        self._signal: int | None = None
        self._fatal: ClientError | None = None
        self._settled_now = 0
        self._started = time.monotonic()

    async def run(self) -> int:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, self._on_signal, sig)
        try:
            async with DashScopeClient(self.connection, notify=self.display.message) as client:
                self._client = client
                self._uploader = Uploader(client)
                return await self._run()
        finally:
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.remove_signal_handler(sig)
            self.display.close()
            self.write_report()

    async def _run(self) -> int:
        states = [self.journal.state(r.line) for r in self.manifest.requests]
        todo = [r for r, s in zip(self.manifest.requests, states, strict=True) if not s.settled]
        # the lines already on the server go first: they hold their slot already
        todo.sort(key=lambda r: (self.journal.state(r.line).task_id is None, r.line))
        self._queue.extend(todo)
        self._announce(states)
        ticker = asyncio.create_task(self._tick())
        self._workers = [
            asyncio.create_task(self._worker()) for _ in range(min(self.concurrency, len(todo)))
        ]
        ended = await asyncio.gather(*self._workers, return_exceptions=True)
        if self._submits:  # stopping: the submits on their way are answered and journalled
            await asyncio.wait(self._submits, timeout=STOP_WAIT_S)
        ticker.cancel()
        for outcome in ended:  # a bug, not a line's trouble: show it (the report is written)
            if isinstance(outcome, Exception):
                raise outcome
        self._draw(force=True)
        self.display.close()
        return self._summary()

    def _announce(self, states: list[LineState]) -> None:
        total = len(states)
        if self.journal.resumed:
            tasks = sum(1 for s in states if s.task_id)
            settled = sum(1 for s in states if s.settled)
            fresh = sum(1 for s in states if not s.task_id and not s.settled)
            unanswered = sum(1 for s in states if s.key and not s.task_id and not s.settled)
            again = (
                f" ({unanswered} sent before without an answer: sent again with the same "
                "Idempotency-Key)"
                if unanswered
                else ""
            )
            self.display.message(
                f"resuming {self.out}: {tasks} of {total} requests have a task, {settled} "
                f"settled; {fresh} to submit{again}"
            )
        else:
            self.display.message(f"batch of {total} requests into {self.out}")

    def _on_signal(self, sig: int) -> None:
        if self._signal is not None:  # the second one: stop now, the journal is safe as it is
            for submit in self._submits:
                submit.cancel()
            return
        self._signal = sig
        self.display.message(
            "stopping: no new submits; the tasks already made keep running on the server "
            "(run the same command again to collect them)"
        )
        self._stop_workers()

    def _stop_workers(self) -> None:
        self._queue.clear()
        for worker in self._workers:
            worker.cancel()

    async def _tick(self) -> None:
        while True:
            self._draw()
            await asyncio.sleep(1.0)

    def _draw(self, *, force: bool = False) -> None:
        if not force and not self.display.due():
            return  # (counting thousands of lines for a line nobody sees yet is wasted)
        states = [self.journal.state(r.line) for r in self.manifest.requests]
        done = sum(1 for s in states if s.status == "SUCCEEDED")
        failed = sum(1 for s in states if s.settled and s.status != "SUCCEEDED")
        running = len(self._running)
        total = len(states)
        left = total - done - failed
        eta = None
        if self._settled_now:
            eta = (time.monotonic() - self._started) / self._settled_now * left
        waiting = left - running
        line = bar(total, done=done, failed=failed, running=running, waiting=waiting, eta_s=eta)
        self.display.status(line, force=force)

    async def _worker(self) -> None:
        while self._queue:
            await self._process(self._queue.popleft())

    async def _process(self, request: Request) -> None:
        line = request.line
        state = self.journal.state(line)
        self._running.add(line)
        self._draw()
        try:
            task_id = state.task_id
            if task_id is None:
                submit = asyncio.ensure_future(self._submit(request, state))
                self._submits.add(submit)
                submit.add_done_callback(self._submits.discard)
                # shielded: a stopping batch cancels the worker, never a submit on its way
                task_id = await asyncio.shield(submit)
                if task_id is None:
                    return
            answer = await follow(self._client, task_id, lambda seen: self._saw(line, seen))
            await self._settle(request, task_id, answer["output"])
        except JournalError as exc:
            self._stop(exc, f"stopping: {exc}")
        except ApiError as exc:
            if exc.fatal:
                self._stop(exc, f"stopping: the server refuses this key: {exc}")
            else:
                self._problem(line, exc.code, exc.message)
        except ClientError as exc:
            self._problem(line, "ClientError", str(exc))
        except OSError as exc:  # the results could not be written (a full disk)
            self._problem(line, "OSError", f"{exc.filename or ''}: {exc.strerror or exc}")
        finally:
            self._running.discard(line)
            self._draw()

    async def _submit(self, request: Request, state: LineState) -> str | None:
        """Upload, journal, submit, journal; the task id, or None when refused (journalled) or
        when the batch began to stop before this submit started."""
        if self._signal is not None or self._fatal is not None:
            return None
        line = request.line
        try:
            prepared = await self._uploader.prepare(
                request.model, request.body["input"], self.manifest.base, reuse=state.uploads
            )
        except UsageError as exc:  # a file:// input that does not exist
            self._refuse(line, "InvalidParameter", str(exc))
            return None
        except ApiError as exc:
            if not exc.refusal:
                raise
            self._refuse(line, exc.code, exc.message)
            return None
        body = {**request.body, "input": prepared.input}
        key = state.key
        if key is None:  # (a line sent before is sent again as it was: same key, same files)
            key = self.journal.key_for(line)
            self.journal.submitting(line, key, prepared.keys)
        path = self.endpoint or endpoint_for(request.model)
        try:
            task_id = await self._client.submit(path, body, oss=prepared.oss, idempotency_key=key)
        except ApiError as exc:
            if not exc.refusal:  # the key, or a 429/5xx that outlived its retries: run again
                raise
            self._refuse(line, exc.code, exc.message)
            return None
        self.journal.submitted(line, task_id)
        return task_id

    def _stop(self, error: ClientError, message: str) -> None:
        self._fatal = error
        self.display.message(message)
        self._stop_workers()

    def _refuse(self, line: int, code: str, message: str) -> None:
        self.journal.refused(line, code, message)
        self._settled_now += 1
        self.display.message(f"line {line}: refused: {code}: {message}")

    def _saw(self, line: int, seen: Seen) -> None:
        self._seen[line] = seen

    def _problem(self, line: int, code: str, message: str) -> None:
        self._problems[line] = (code, message)
        self.display.message(f"line {line}: {code}: {message} (a new run retries it)")

    async def _settle(self, request: Request, task_id: str, output: dict[str, Any]) -> None:
        line = request.line
        status = str(output.get("task_status"))
        code = str(output.get("code") or "")
        message = str(output.get("message") or "")
        files: list[str] = []
        if status == "SUCCEEDED":
            folder = self.out / str(line)
            paths = await save_results(self._client, output, folder)
            files = [p.relative_to(self.out).as_posix() for p in paths]
            failures = item_failures(output)
            if failures:
                code, message = failures[0]
                message = (
                    f"{len(failures)} of {len(failures) + len(paths)} outputs failed: {message}"
                )
        elif status == "UNKNOWN":
            message = message or "the server no longer knows this task (expired or purged)"
        self.journal.finished(line, status, code, message, files)
        self._settled_now += 1
        self._problems.pop(line, None)
        if status == "SUCCEEDED" and not self.display.tty:
            count = f"{len(files)} file" + ("" if len(files) == 1 else "s")
            self.display.message(f"line {line}: SUCCEEDED {task_id} ({count})")
        elif status != "SUCCEEDED":
            self.display.message(f"line {line}: {status} {task_id}: {code}: {message}")

    def _summary(self) -> int:
        states = [self.journal.state(r.line) for r in self.manifest.requests]
        done = sum(1 for s in states if s.status == "SUCCEEDED")
        failed = sum(1 for s in states if s.settled and s.status != "SUCCEEDED")
        unfinished = len(states) - done - failed
        sys.stdout.write(
            f"{len(states)} requests: {done} succeeded, {failed} failed, {unfinished} "
            f"unfinished; report: {self.out / REPORT}\n"
        )
        sys.stdout.flush()
        if self._signal is not None:
            return 128 + self._signal
        if self._fatal is not None:
            return 1
        return 0 if done == len(states) else 1

    def write_report(self) -> None:
        """``DIR/report.csv`` from the journal (replaced whole, never half-written)."""
        path = self.out / REPORT
        tmp = path.with_name(f".{REPORT}.tmp")
        with tmp.open("w", newline="", encoding="utf-8") as f:
            writer = csv.writer(f)
            writer.writerow(REPORT_COLUMNS)
            for request in self.manifest.requests:
                writer.writerow(self._row(request))
        os.replace(tmp, path)

    def _row(self, request: Request) -> list[str]:
        state = self.journal.state(request.line)
        status = state.status
        code, message = state.code, state.message
        if status is None:
            seen = self._seen.get(request.line)
            status = seen.status if seen else ("SUBMITTED" if state.task_id else "NOT_SUBMITTED")
            code, message = self._problems.get(request.line, ("", ""))
        files = ";".join(state.files)
        return [
            str(request.line),
            state.task_id or "",
            status,
            code,
            message,
            files,
            request.source,
        ]
