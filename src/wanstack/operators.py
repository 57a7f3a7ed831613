"""``wanstack models``: the operator's commands for generative weights.

* ``recommend [--model M] [--json]``: the open weights to download per DashScope model (repo,
  pipeline, licence, VRAM), commercially usable ones first, and a configuration to start from.
* ``check [MODEL ...]``: builds and loads each model's configured engine as ``serve`` would,
  runs one small request through it (diffusers: one denoising step at a small size) and prints
  the load time, the run time and the peak memory (process RSS; CUDA when the engine is on a
  GPU). Exit 1 when any model fails, with the reason.
* ``pull REPO --to DIR [--revision R]``: downloads a snapshot from the Hugging Face hub (the
  ``gpu`` extra's ``huggingface_hub``; ``HF_TOKEN`` for gated repos) where the host can reach it.

And ``wanstack webhooks add|list|remove|deliveries`` (:func:`webhooks`): ``add`` prints the new
endpoint's ``whsec_`` secret alone on stdout, the only time it is shown.
"""

from __future__ import annotations

import json
import sys
import time
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from pydantic import ValidationError

from wanstack import logcontext
from wanstack.config import Settings
from wanstack.engines.base import CancelToken
from wanstack.engines.diffusers import recommended
from wanstack.engines.registry import SERVED_LIKE, EngineProvider, models
from wanstack.engines.samples import request_for
from wanstack.errors import ConfigError, NotFound, ServiceError

#: options a check adds per family: one step at a small size proves the weights run
QUICK = {"diffusers": {"steps": 1, "max_pixels": 256 * 256}}
MIB = 1024 * 1024


def _error(message: str) -> None:
    sys.stderr.write(f"wanstack: {message}\n")


def recommend(model: str | None, as_json: bool, out: TextIO = sys.stdout) -> int:
    if model is not None and model not in models():
        _error(f"unknown model {model!r}; models: {models()}")
        return 2
    rows = recommended.for_model(model)
    if as_json:
        json.dump([asdict(r) for r in rows], out, ensure_ascii=False, indent=2)
        out.write("\n")
        return 0
    header = ("model", "weights (Hugging Face repo)", "runs as", "licence", "VRAM")
    table = [header] + [
        (r.model, r.repo, r.pipeline, r.licence, f"~{r.vram_gb:g} GB") for r in rows
    ]
    widths = [max(len(row[i]) for row in table) for i in range(len(header))]
    for row in table:
        out.write("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())
        out.write("\n")
    out.write("\nNotes:\n")
    for r in rows:
        if r.note:
            out.write(f"  {r.model} / {r.repo}: {r.note}\n")
    first: dict[str, recommended.Weights] = {}
    for r in rows:
        first.setdefault(r.model, r)
    engines = {m: "diffusers" for m in first}
    options = {m: {"weights": _folder(r.repo), **_folders(r.options)} for m, r in first.items()}
    out.write(
        "\nTo serve the first choice of each (after `wanstack models pull REPO --to "
        "/models/NAME` for every repo named):\n"
        f"  WANSTACK_ENGINES='{json.dumps(engines)}'\n"
        f"  WANSTACK_ENGINE_OPTIONS='{json.dumps(options)}'\n"
    )
    return 0


def _folder(repo: str) -> str:
    return f"/models/{repo.split('/')[-1]}"


def _folders(options: dict[str, Any]) -> dict[str, Any]:
    """Repo ids among the options, replaced by the folders they would be pulled into."""
    return {k: _folder(v) if "/" in str(v) else v for k, v in options.items()}


def check(settings: Settings, names: list[str], out: TextIO = sys.stdout) -> int:
    unknown = sorted(set(names) - set(models()))
    if unknown:
        _error(f"unknown model(s) {unknown}; models: {models()}")
        return 2
    configured = EngineProvider(settings.engines, settings.engine_options)
    configured.check()
    chosen = names or sorted(settings.engines) or models()
    quick = {
        model: {**configured.options(model), **QUICK.get(configured.implementation(model), {})}
        for model in chosen
    }
    provider = EngineProvider(settings.engines, quick)
    failures = 0
    for model in chosen:
        family = provider.implementation(model)
        line = f"{model}: {family}"
        try:
            _reset_peak_rss()
            started = time.perf_counter()
            engine = provider.get(model)
            loaded = time.perf_counter() - started
            started = time.perf_counter()
            outputs = engine.run(request_for(SERVED_LIKE.get(model, model)), CancelToken())
            ran = time.perf_counter() - started
        except Exception as exc:
            failures += 1
            out.write(f"{line}: FAILED: {exc}\n")
            continue
        described = engine.describe()
        what = described.get("pipeline") or described.get("algorithm") or family
        gpu = getattr(engine, "gpu_peak_bytes", lambda: None)()
        out.write(
            f"{line} {what} {described.get('weights', '')}".rstrip()
            + f": ok, loaded in {loaded:.2f} s, {len(outputs)} output(s) in {ran:.2f} s, "
            f"peak RSS {_peak_rss() / MIB:.0f} MiB"
            + (f", peak GPU {gpu / MIB:.0f} MiB" if gpu is not None else "")
            + "\n"
        )
    return 1 if failures else 0


def _reset_peak_rss() -> None:
    """Start a new peak-RSS measurement (Linux: writing 5 to clear_refs resets VmHWM)."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        pass


def _peak_rss() -> int:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    import resource

    return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss) * 1024


def pull(repo: str, to: str, revision: str | None, out: TextIO = sys.stdout) -> int:
    try:
        from huggingface_hub import snapshot_download
    except ImportError:
        _error("models pull needs the gpu extra (pip install 'wanstack[gpu]')")
        return 2
    target = Path(to).expanduser()
    try:
        folder = snapshot_download(repo_id=repo, local_dir=str(target), revision=revision)
    except Exception as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        _error(
            f"cannot download {repo} from the Hugging Face hub: {reason} "
            "(download it on a host that can reach the hub and copy the folder here)"
        )
        return 1
    index = Path(folder) / "model_index.json"
    what = json.loads(index.read_text())["_class_name"] if index.is_file() else "a component"
    out.write(f"{repo} ({what}) is in {folder}\n")
    return 0


def run(args: Any) -> int:
    """Dispatch ``wanstack models …``; settings are read only where they are needed."""
    if args.models_command == "recommend":
        return recommend(args.model, args.json)
    if args.models_command == "pull":
        return pull(args.repo, args.to, args.revision)
    try:
        settings = Settings()
        logcontext.configure(settings.log_level, settings.log_json)
        return check(settings, args.model)
    except ValidationError as exc:
        _error(f"invalid settings:\n{exc}")
        return 2
    except ConfigError as exc:
        _error(str(exc))
        return 2


def _when(ms: int | None) -> str:
    if ms is None:
        return "-"
    return datetime.fromtimestamp(ms / 1000, tz=UTC).isoformat(timespec="seconds")


async def webhooks(settings: Settings, args: Any, out: TextIO = sys.stdout) -> int:
    """``wanstack webhooks …`` with the operator's view (every account unless ``--account``)."""
    from wanstack.container import Container  # (not for `models`, which needs no database)

    container = Container.build(settings)
    hooks = container.webhooks
    try:
        command = args.webhooks_command
        if command == "add":
            account_id = await container.accounts.ensure_account(args.account)
            made = await hooks.add(account_id, args.workspace, args.url)
            out.write(made.secret + "\n")
            sys.stderr.write(
                f"webhook endpoint {made.endpoint.id} registered for account {args.account}; "
                "its signing secret (shown once) is on stdout\n"
            )
            return 0
        endpoints = await hooks.endpoints(None, None)
        if command in ("list", "deliveries") and args.account is not None:
            endpoints = [ep for ep in endpoints if ep.account_name == args.account]
        if command == "list":
            for ep in endpoints:
                out.write(
                    f"{ep.id}\t{ep.url}\taccount={ep.account_name}\t"
                    f"workspace={ep.workspace or '-'}\t{_when(ep.created_at)}\n"
                )
            return 0
        if command == "remove":
            await hooks.remove(None, None, args.endpoint_id)
            sys.stderr.write(f"removed webhook endpoint {args.endpoint_id}\n")
            return 0
        account_ids = {ep.account_id for ep in endpoints}
        if args.account is not None and not account_ids:
            return 0  # an account without endpoints has no deliveries
        found = await hooks.deliveries(
            account_ids.pop() if args.account is not None else None,
            None,
            endpoint_id=args.endpoint,
            task_id=args.task,
            limit=args.limit,
        )
        for item in found:
            last = f"HTTP {item.last_status}" if item.last_status else (item.last_error or "-")
            out.write(
                f"{item.id}\t{item.state}\tattempts={item.attempts}\t"
                f"task={item.task_status}\turl={item.url}\tlast={last}\t"
                f"next={_when(item.next_attempt_at)}\n"
            )
            for attempt in item.history:
                answer = f"HTTP {attempt.status}" if attempt.status else attempt.error
                out.write(
                    f"  #{attempt.attempt}\t{_when(attempt.at)}\t{attempt.duration_ms} ms\t"
                    f"{answer}\n"
                )
        return 0
    except ServiceError as exc:
        _error(f"webhooks {args.webhooks_command}: {exc.message}")
        return 1 if isinstance(exc, NotFound) else 2
    finally:
        await container.shutdown()
