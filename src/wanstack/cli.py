"""The ``wanstack`` command: serve, worker, workers, keys, webhooks, migrate, edges, cutout,
models, run, batch.

Stable interfaces (DESIGN §7): ``serve --host --port``, ``worker [--models A,B]``, ``workers``,
and ``keys create [--account NAME] [--workspace ID]`` printing the key alone on stdout.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import signal
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError

from wanstack import __version__, logcontext
from wanstack.config import Settings
from wanstack.errors import ConfigError

log = logging.getLogger("wanstack")

DEFAULT_KEY_FILE = "default-api-key"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="wanstack",
        description="Self-hosted, DashScope-compatible image and video generation.",
    )
    parser.add_argument("--version", action="version", version=f"wanstack {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="run the API with embedded workers")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument(
        "--workers",
        type=int,
        default=None,
        help="embedded task slots (default WANSTACK_WORKERS, 2; 0: API only)",
    )

    worker = sub.add_parser("worker", help="run workers only (same settings as serve)")
    worker.add_argument("--concurrency", type=int, default=None)
    worker.add_argument(
        "--models",
        default=None,
        metavar="A,B",
        help="claim only tasks of these models (default WANSTACK_WORKER_MODELS, else all)",
    )
    workers = sub.add_parser(
        "workers", help="live workers: host, models, engines, running tasks, last heartbeat"
    )
    workers.add_argument("--json", action="store_true", help="machine-readable output")

    keys = sub.add_parser("keys", help="manage API keys")
    keys_sub = keys.add_subparsers(dest="keys_command", required=True)
    create = keys_sub.add_parser("create", help="create a key and print it (only time shown)")
    create.add_argument("--account", default="default")
    create.add_argument("--workspace", default=None)
    lst = keys_sub.add_parser("list", help="list keys (never their secrets)")
    lst.add_argument("--account", default=None)
    revoke = keys_sub.add_parser("revoke", help="revoke a key by id or prefix")
    revoke.add_argument("key")

    sub.add_parser("migrate", help="bring the database schema up to date")
    _webhooks_parser(sub)

    edges = sub.add_parser(
        "edges",
        help="make a reference_edge soft-edge image from an RGBA cut-out (no server, no database)",
        description="Write the soft-edge RGBA PNG that wanx-background-generation-v2 takes as "
        "reference_edge, made from a cut-out RGBA subject the way DashScope's HED script does, "
        "with classical operators. Prints nothing on success; errors go to stderr (exit 2).",
    )
    edges.add_argument("subject", help="RGBA PNG with a transparent background")
    edges.add_argument("-o", "--output", required=True, help="where to write the edge PNG")
    edges.add_argument(
        "--detail", type=float, default=0.5, help="0..1: more inner detail lines (default 0.5)"
    )
    cutout = sub.add_parser(
        "cutout",
        help="cut a product out of its photo: RGB in, RGBA PNG out (no server, no database)",
        description="Write the RGBA cutout of the product in a photo (a product on a plain or "
        "gradient backdrop, as sellers take them): backdrop and shadows transparent, soft "
        "edges and clear parts partly transparent, CPU only. The result is what "
        "wanx-background-generation-v2 takes as base_image_url. Prints nothing on success; "
        "errors go to stderr (exit 2: bad input, 1: no product found or cannot write).",
    )
    cutout.add_argument("photo", help="the product photo (JPEG, PNG, WebP, BMP, …)")
    cutout.add_argument("-o", "--output", required=True, help="where to write the RGBA PNG")
    cutout.add_argument(
        "--size",
        type=int,
        default=None,
        metavar="PX",
        help="shrink the photo first so that its long side is at most PX (e.g. 2048, the "
        "largest base image background generation takes); default: keep its size",
    )
    _models_parser(sub)
    _client_parsers(sub)
    return parser


def _client_parsers(sub: Any) -> None:
    """``run`` and ``batch``: clients of any DashScope-compatible endpoint (no server settings)."""
    run = sub.add_parser(
        "run",
        help="run one task on a DashScope-compatible endpoint and download its results",
        description="Submit one task (local files in inputs are uploaded through the upload "
        "flow), show its status, queue position and progress, wait, download the results into "
        "--out and print their paths. Values are JSON when they parse (numbers, booleans, "
        "lists), else text. Ctrl-C cancels the task (exit 130).",
    )
    run.add_argument("model", help="the DashScope model, e.g. wanx-x-painting")
    run.add_argument(
        "--input", action="append", metavar="KEY=VALUE", help="a field of input (repeatable)"
    )
    run.add_argument(
        "--param", action="append", metavar="KEY=VALUE", help="a field of parameters (repeatable)"
    )
    run.add_argument("--out", default=".", help="where to save the results (default .)")
    batch = sub.add_parser(
        "batch",
        help="run a manifest of tasks with bounded concurrency; resumable",
        description="Run every request of MANIFEST (a JSONL file of request bodies, or a folder "
        "of images with --template), at most --concurrency at a time; results go to "
        "OUT/<line>/ and a report to OUT/report.csv. Run the same command again after Ctrl-C "
        "or a crash to finish: lines that have a task are never submitted twice.",
    )
    batch.add_argument("manifest", help="a JSONL file of request bodies, or a folder of images")
    batch.add_argument("--out", required=True, help="the batch folder (results, journal, report)")
    batch.add_argument(
        "--concurrency", type=int, default=4, help="tasks on the server at a time (default 4)"
    )
    batch.add_argument(
        "--template", default=None, help="with a folder: a JSON body where {image} is each image"
    )
    for parser in (run, batch):
        parser.add_argument(
            "--endpoint",
            default=None,
            help="submit path under /api/v1/services/aigc/ (default: the model's own)",
        )
        parser.add_argument(
            "--base-url", default=None, help="API base (default DASHSCOPE_HTTP_BASE_URL)"
        )
        parser.add_argument("--api-key", default=None, help="API key (default DASHSCOPE_API_KEY)")
        parser.add_argument(
            "--workspace", default=None, help="workspace id (default DASHSCOPE_WORKSPACE_ID)"
        )


def _webhooks_parser(sub: Any) -> None:
    hooks = sub.add_parser("webhooks", help="an account's signed task events (Standard Webhooks)")
    hooks_sub = hooks.add_subparsers(dest="webhooks_command", required=True)
    add = hooks_sub.add_parser("add", help="register an endpoint; prints its whsec_ secret once")
    add.add_argument("url", help="the http(s) URL that receives each task's final event")
    add.add_argument("--account", default="default")
    add.add_argument("--workspace", default=None, help="only that workspace's tasks")
    lst = hooks_sub.add_parser("list", help="list endpoints (never their secrets)")
    lst.add_argument("--account", default=None)
    remove = hooks_sub.add_parser("remove", help="remove an endpoint (its pending events stop)")
    remove.add_argument("endpoint_id")
    sent = hooks_sub.add_parser("deliveries", help="events sent or pending, with every attempt")
    sent.add_argument("--account", default=None)
    sent.add_argument("--endpoint", default=None, help="one endpoint id")
    sent.add_argument("--task", default=None, help="one task id")
    sent.add_argument("--limit", type=int, default=50, help="newest N (default 50, at most 200)")


def _models_parser(sub: Any) -> None:
    weights = sub.add_parser("models", help="open weights for the diffusers engines (docs/gpu.md)")
    models_sub = weights.add_subparsers(dest="models_command", required=True)
    recommend = models_sub.add_parser(
        "recommend", help="the weights to download per model: repo, licence, VRAM"
    )
    recommend.add_argument("--model", default=None, help="one DashScope model only")
    recommend.add_argument("--json", action="store_true", help="machine-readable output")
    check = models_sub.add_parser(
        "check",
        help="load each configured model and run one small step; print load time and peak memory",
    )
    check.add_argument(
        "model", nargs="*", help="models to check (default: those WANSTACK_ENGINES names, or all)"
    )
    pull = models_sub.add_parser(
        "pull", help="download a snapshot from the Hugging Face hub (where it can be reached)"
    )
    pull.add_argument("repo", help="a Hugging Face repo id, e.g. black-forest-labs/FLUX.2-klein-4B")
    pull.add_argument("--to", required=True, help="the folder to download into")
    pull.add_argument("--revision", default=None, help="a branch, tag or commit")


def main(argv: Sequence[str] | None = None) -> None:
    args = _parser().parse_args(argv)
    if args.command == "edges":  # a pure image tool: no settings, container or database
        from wanstack import image_commands

        sys.exit(image_commands.edges(args.subject, args.output, args.detail))
    if args.command == "cutout":  # likewise
        from wanstack import image_commands

        sys.exit(image_commands.cutout(args.photo, args.output, args.size))
    if args.command in ("run", "batch"):  # clients of an endpoint: no settings, no database
        from wanstack.client import batch, run

        sys.exit((run if args.command == "run" else batch).command(args, os.environ))
    if args.command == "models":  # no database; settings only for `check`
        from wanstack import operators

        sys.exit(operators.run(args))
    try:
        settings = Settings()
    except ValidationError as exc:
        print(f"wanstack: invalid settings:\n{exc}", file=sys.stderr)
        sys.exit(2)
    logcontext.configure(settings.log_level, settings.log_json)
    try:
        if args.command == "serve":
            _serve(settings, args.host, args.port, args.workers)
        elif args.command == "worker":
            models = None if args.models is None else args.models.split(",")
            asyncio.run(_worker(settings, args.concurrency or settings.worker_concurrency, models))
        elif args.command == "workers":
            asyncio.run(_workers(settings, args.json))
        elif args.command == "keys":
            asyncio.run(_keys(settings, args))
        elif args.command == "webhooks":
            from wanstack.operators import webhooks

            sys.exit(asyncio.run(webhooks(settings, args)))
        elif args.command == "migrate":
            from wanstack.db.migrate import upgrade

            upgrade(settings.resolved_database_url())
            print("database is up to date", file=sys.stderr)
    except KeyboardInterrupt:
        pass
    except ConfigError as exc:
        print(f"wanstack: {exc}", file=sys.stderr)
        sys.exit(2)


def _serve(settings: Settings, host: str, port: int, workers: int | None) -> None:
    import uvicorn

    from wanstack.api.app import MAX_BODY_BYTES, create_app
    from wanstack.api.http_guard import (
        GuardedHttpProtocol,
        HttpLimits,
        connection_budget,
        raise_fd_limit,
    )
    from wanstack.api.protocol import task_body
    from wanstack.container import Container  # (here: `run` and `batch` start without it)

    _check_data_dir(settings)
    container = Container.build(settings)
    key = asyncio.run(_bootstrap_key(settings))
    slots = settings.workers if workers is None else workers
    app = create_app(container, workers=slots)
    base = settings.public_url or f"http://{host}:{port}"
    container.deliver_webhooks(task_body, base)  # result URLs in events start with `base`
    _banner(base, key, settings, slots)
    fd_limit = raise_fd_limit()
    limits = HttpLimits(
        max_header_bytes=settings.http_max_header_kb * 1024,
        header_timeout=settings.http_header_timeout,
        body_timeout=settings.http_body_timeout,
        max_connections=settings.http_max_connections or connection_budget(fd_limit),
        drain_bytes=MAX_BODY_BYTES,
    )
    log.info(
        "HTTP limits: headers %d KiB in %.0f s, body stalls %.0f s, %d connections (fd limit %d)",
        settings.http_max_header_kb,
        limits.header_timeout,
        limits.body_timeout,
        limits.max_connections,
        fd_limit,
    )
    # uvicorn drains on SIGTERM, then re-raises the signal; landing on this no-op handler lets
    # a graceful stop exit with status 0 instead of "killed by SIGTERM".
    signal.signal(signal.SIGTERM, lambda *_: None)
    server = uvicorn.Server(
        uvicorn.Config(
            app,
            host=host,
            port=port,
            http=GuardedHttpProtocol.with_limits(limits),
            ws="none",
            log_config=None,
            access_log=False,
            timeout_graceful_shutdown=int(settings.drain_seconds) + 5,
        )
    )
    # A worker whose engines cannot load (weights missing, wrong pipeline) must not leave an API
    # that accepts tasks nobody runs: the server stops and the process says why.
    container.on_fatal(lambda _: setattr(server, "should_exit", True))
    server.run()
    if not server.started and container.fatal is None:
        sys.exit(3)  # as uvicorn.run does: the socket could not be bound, or startup failed
    if container.fatal is not None:
        print(f"wanstack: cannot serve: {container.fatal}", file=sys.stderr)
        sys.exit(2 if isinstance(container.fatal, ConfigError) else 1)


def _check_data_dir(settings: Settings) -> None:
    """Refuse to start, naming the setting, when the data folder cannot be written (results,
    uploads and the default key live there whatever the database)."""
    folder = settings.data_dir
    try:
        folder.mkdir(parents=True, exist_ok=True)
        probe = folder / f".write-test-{os.getpid()}"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        reason = exc.strerror or str(exc)
        print(
            f"wanstack: WANSTACK_DATA_DIR={folder} is not a writable folder ({reason})",
            file=sys.stderr,
        )
        sys.exit(2)


async def _bootstrap_key(settings: Settings) -> str | None:
    """On first start, create a key for the ``default`` account and keep it in the data folder
    (mode 0600) so the banner can show it; later starts read it back. If the file cannot be
    written, the key is revoked again: no active key may exist whose secret nobody has."""
    path = settings.data_dir / DEFAULT_KEY_FILE
    if path.exists():
        return path.read_text().strip()
    from wanstack.container import Container

    container = Container.build(settings, migrate=False)
    try:
        if await container.accounts.keys():
            return None  # keys exist, made by an operator: nothing to show
        secret = await container.accounts.create_key("default")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(".tmp")
            tmp.write_text(secret + "\n")
            tmp.chmod(0o600)
            tmp.replace(path)
        except OSError:
            await container.accounts.revoke(secret[:10])
            raise
        return secret
    finally:
        await container.db.dispose()


def _banner(base: str, key: str | None, settings: Settings, slots: int) -> None:
    lines = [
        "",
        f"  wanstack {__version__} — DashScope-compatible API",
        f"  base URL : {base}/api/v1",
        f"  API key  : {key or '(use `wanstack keys create`)'}",
        f"  data     : {settings.data_dir.resolve()}",
        f"  workers  : {slots} embedded slot(s)",
        "",
        "  Python SDK:",
        f"    export DASHSCOPE_HTTP_BASE_URL={base}/api/v1",
        f"    export DASHSCOPE_API_KEY={key or '<your key>'}",
        "",
    ]
    print("\n".join(lines), file=sys.stderr, flush=True)


async def _worker(settings: Settings, concurrency: int, models: list[str] | None) -> None:
    from wanstack.api.protocol import task_body
    from wanstack.container import Container

    _check_data_dir(settings)
    container = Container.build(settings)
    try:
        pool = container.worker_pool(concurrency, models)  # refuses an unknown model by name
    except ConfigError:
        await container.shutdown()
        raise
    container.deliver_webhooks(task_body, settings.public_url)
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    container.start_background(workers=0)
    run = asyncio.create_task(pool.run(settings.drain_seconds))
    waiter = asyncio.create_task(stop.wait())
    await asyncio.wait({run, waiter}, return_when=asyncio.FIRST_COMPLETED)
    log.info("stopping: draining running tasks")
    pool.stop()
    waiter.cancel()
    try:
        with contextlib.suppress(asyncio.CancelledError):
            await run  # raises when the engines could not load: the worker exits non-zero
    finally:
        await container.shutdown()


async def _workers(settings: Settings, as_json: bool) -> None:
    from wanstack.container import Container
    from wanstack.worker.report import report

    container = Container.build(settings)
    try:
        await report(container.workers, container.clock.now_ms(), as_json=as_json, out=sys.stdout)
    finally:
        await container.db.dispose()


async def _keys(settings: Settings, args: argparse.Namespace) -> None:
    from wanstack.container import Container

    container = Container.build(settings)
    try:
        accounts = container.accounts
        if args.keys_command == "create":
            print(await accounts.create_key(args.account, args.workspace))
        elif args.keys_command == "list":
            for k in await accounts.keys(args.account):
                created = datetime.fromtimestamp(k.created_at / 1000, tz=UTC).isoformat(
                    timespec="seconds"
                )
                state = "revoked" if k.revoked_at else "active"
                print(
                    f"{k.id}\t{k.prefix}…\taccount={k.account_name}\t"
                    f"workspace={k.workspace or '-'}\t{state}\t{created}"
                )
        elif args.keys_command == "revoke":
            n = await accounts.revoke(args.key)
            if n == 0:
                print(f"no active key matches {args.key!r}", file=sys.stderr)
                sys.exit(1)
            print(f"revoked {n} key(s)", file=sys.stderr)
    finally:
        await container.db.dispose()
