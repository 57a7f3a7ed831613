"""``wanstack run MODEL --input key=value … --param key=value … [--out DIR]``: one task, from
the submit to its files on disk.

Values are JSON when they parse as JSON (numbers, booleans, lists, objects), else text; an input
value naming a local file (or a ``file://`` URI) is uploaded first. While the task waits its
status shows, with its queue position and progress where the server reports them; its result
files are then saved in DIR and their paths printed on stdout, one a line. Ctrl-C cancels the
task on the server and exits 130. Exit status 1, with the DashScope code and message, when the
submit is refused or the task ends other than SUCCEEDED; 2 for a usage mistake.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from wanstack.client.dashscope import Connection, DashScopeClient
from wanstack.client.endpoints import endpoint_for, normalise
from wanstack.client.errors import ApiError, ClientError, UsageError
from wanstack.client.follow import follow
from wanstack.client.progress import Display
from wanstack.client.results import item_failures, save_results
from wanstack.client.uploads import Uploader

#: how long an interrupted run waits for its submit's answer, and then for the cancel
CANCEL_WAIT_S = 15.0


def parse_value(raw: str) -> Any:
    """JSON when ``raw`` is JSON (``2``, ``true``, ``[1, 2]``, ``{"a": 1}``, ``"text"``), else
    ``raw`` itself; ``NaN`` and ``Infinity`` stay text."""

    def no_constants(name: str) -> Any:
        raise ValueError(name)

    try:
        return json.loads(raw, parse_constant=no_constants)
    except ValueError:
        return raw


def parse_pairs(items: list[str] | None, flag: str) -> dict[str, Any]:
    """``key=value`` arguments as a dict; a missing ``=`` or a repeated key is a UsageError."""
    out: dict[str, Any] = {}
    for item in items or []:
        key, sep, raw = item.partition("=")
        key = key.strip()
        if not sep or not key:
            raise UsageError(f"{flag} takes key=value, got {item!r}")
        if key in out:
            raise UsageError(f"{flag} {key} is given twice (give a list as JSON: {key}=[…])")
        out[key] = parse_value(raw)
    return out


def command(args: argparse.Namespace, env: Mapping[str, str]) -> int:
    """Run ``wanstack run``; the exit status."""
    try:
        connection = Connection.resolve(
            env, base_url=args.base_url, api_key=args.api_key, workspace=args.workspace
        )
        inputs = parse_pairs(args.input, "--input")
        parameters = parse_pairs(args.param, "--param")
        path = normalise(args.endpoint) if args.endpoint else endpoint_for(args.model)
    except UsageError as exc:
        _error(str(exc))
        return exc.exit_status
    display = Display(sys.stderr)
    try:
        return asyncio.run(
            _run(connection, args.model, path, inputs, parameters, Path(args.out), display)
        )
    except KeyboardInterrupt:
        display.close()
        return 130
    except ClientError as exc:
        display.close()
        _error(str(exc))
        return exc.exit_status


async def _run(
    connection: Connection,
    model: str,
    path: str,
    inputs: dict[str, Any],
    parameters: dict[str, Any],
    out: Path,
    display: Display,
) -> int:
    async with DashScopeClient(connection, notify=display.message) as client:
        prepared = await Uploader(client).prepare(model, inputs, Path.cwd())
        for where, local, key in prepared.uploads:
            display.message(f"uploaded {local} ({where}) as {key}")
        # (``parameters`` always, even empty, as the SDK sends it)
        body = {"model": model, "input": prepared.input, "parameters": parameters}
        submit = asyncio.ensure_future(
            client.submit(path, body, oss=prepared.oss, idempotency_key=uuid.uuid4().hex)
        )
        try:
            task_id = await asyncio.shield(submit)
        except asyncio.CancelledError:
            # Interrupted while the submit was on its way: learn the task it made, cancel it.
            try:
                task_id = await asyncio.wait_for(submit, CANCEL_WAIT_S)
            except (ClientError, TimeoutError):
                raise asyncio.CancelledError() from None
            await _cancel(client, task_id, display)
            raise
        except ApiError as exc:
            _error(f"the submit was refused: {exc}")
            return 1
        display.message(f"task {task_id} ({model})")
        short = task_id[:8]
        try:
            answer = await follow(
                client,
                task_id,
                lambda seen: display.status(f"task {short}: {seen.describe()}", force=True),
            )
        except asyncio.CancelledError:
            await _cancel(client, task_id, display)
            raise
        display.close()
        output: dict[str, Any] = answer["output"]
        status = output["task_status"]
        if status != "SUCCEEDED":
            code = output.get("code") or status
            message = output.get("message") or ""
            _error(f"task {task_id} {status}: {code}: {message}")
            return 1
        files = await save_results(client, output, out, prefix=f"{short}-")
        for code, message in item_failures(output):
            display.message(f"one output failed: {code}: {message}")
        if not files:
            _error(f"task {task_id} SUCCEEDED with no result files")
            return 1
        sys.stdout.write("".join(f"{file}\n" for file in files))
        sys.stdout.flush()
        return 0


def _error(message: str) -> None:
    sys.stderr.write(f"wanstack run: {message}\n")


async def _cancel(client: DashScopeClient, task_id: str, display: Display) -> None:
    display.close()
    display.message(f"interrupted: canceling task {task_id}")
    try:
        await asyncio.wait_for(client.cancel(task_id), CANCEL_WAIT_S)
    except (ClientError, TimeoutError) as exc:
        display.message(f"could not cancel task {task_id}: {exc}")
    else:
        display.message(f"canceled task {task_id}")
