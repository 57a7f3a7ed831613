"""Seconds per denoising step and peak GPU memory of the denoisers wanstack's diffusers engines run,
at full size and at the real workloads, next to the fastest published figures.

Each architecture in ``bench/gpu_models.json`` is built from its published configuration with
random weights (a denoiser's speed does not depend on its weights, so no download is needed: the
bench runs on a GPU host with no network), in bfloat16 on CUDA, and timed for the forward passes
of one denoising step (two with classifier-free guidance) at its workload: Wan 2.1 I2V-14B at
480P x 81 frames, Wan 2.2 TI2V-5B at 1280x704 x 121 frames, Wan 2.2 A14B at 720P x 81 frames, and
the image models at 1024x1024. Variants: plain, ``compile`` (regional ``torch.compile`` of the
repeated blocks, the ``compile`` option) and each attention backend given with ``--attention``.
The step-skipping caches (the ``cache`` option) are not timed here: what they save depends on
the denoising trajectory of real weights, not on one step.

    python bench/gpu_bench.py                 # on a CUDA host with '.[gpu]' installed
    python bench/gpu_bench.py --only "Wan 2.2" --attention flash _native_cudnn
    python bench/gpu_bench.py --tiny          # the same code on CPU at a tiny scale (CI)

Prints a Markdown table: median seconds per step over ``--repeats`` timed steps (after a warm-up
step, which also compiles), peak memory, and the published figure with ours / theirs.
"""

from __future__ import annotations

import argparse
import datetime
import json
import platform
import statistics
import time
from pathlib import Path
from typing import Any

import torch

CONFIGS = Path(__file__).with_name("gpu_models.json")


def build(workload: dict[str, Any], device: str, dtype: torch.dtype) -> Any:
    """The denoiser at its configuration, random weights, made directly on ``device``."""
    import diffusers

    cls = getattr(diffusers, workload["class"])
    previous = torch.get_default_dtype()
    torch.set_default_dtype(dtype)
    try:
        with torch.device(device):
            model = cls(**workload["config"])
    finally:
        torch.set_default_dtype(previous)
    return model.eval().requires_grad_(False)


def inputs(workload: dict[str, Any], device: str, dtype: torch.dtype) -> dict[str, Any]:
    """Keyword arguments of one forward pass at the workload's size (batch 1)."""
    spec, config = workload["input"], workload["config"]

    def rand(*shape: int) -> torch.Tensor:
        return torch.randn(*shape, device=device, dtype=dtype)

    timestep = torch.tensor([500.0], device=device, dtype=dtype)
    kind, text = spec["kind"], spec["text_tokens"]
    h, w = spec["height"] // spec["vae_spatial"], spec["width"] // spec["vae_spatial"]
    if kind == "wan":
        frames = (spec["frames"] - 1) // spec["vae_temporal"] + 1
        args = {
            "hidden_states": rand(1, config["in_channels"], frames, h, w),
            "timestep": timestep,
            "encoder_hidden_states": rand(1, text, config["text_dim"]),
        }
        if config.get("image_dim"):
            args["encoder_hidden_states_image"] = rand(1, spec["image_tokens"], config["image_dim"])
        return args
    tokens = h * w  # image models: one token per 16x16 pixels (VAE 8x, then 2x2 patches)
    if kind == "flux2":
        return {
            "hidden_states": rand(1, tokens, config["in_channels"]),
            "encoder_hidden_states": rand(1, text, config["joint_attention_dim"]),
            "timestep": timestep / 1000,
            "img_ids": _ids(h, w, 4, device),
            "txt_ids": torch.zeros(1, text, 4, device=device),
        }
    if kind == "flux":
        return {
            "hidden_states": rand(1, tokens, config["in_channels"]),
            "encoder_hidden_states": rand(1, text, config["joint_attention_dim"]),
            "pooled_projections": rand(1, config["pooled_projection_dim"]),
            "timestep": timestep / 1000,
            "img_ids": _ids(h, w, 3, device)[0],
            "txt_ids": torch.zeros(text, 3, device=device),
            "guidance": torch.tensor([3.5], device=device, dtype=dtype),
        }
    return {  # qwen
        "hidden_states": rand(1, tokens, config["in_channels"]),
        "encoder_hidden_states": rand(1, text, config["joint_attention_dim"]),
        "encoder_hidden_states_mask": torch.ones(1, text, device=device, dtype=torch.long),
        "timestep": timestep / 1000,
        "img_shapes": [[(1, h, w)]],
    }


def _ids(h: int, w: int, axes: int, device: str) -> torch.Tensor:
    """Position ids of an h x w token grid (FLUX-style rotary embeddings)."""
    ids = torch.zeros(h, w, axes, device=device)
    ids[..., axes - 2] = torch.arange(h, device=device)[:, None]
    ids[..., axes - 1] = torch.arange(w, device=device)[None, :]
    return ids.reshape(1, h * w, axes)


def time_step(
    model: Any, args: dict[str, Any], forwards: int, repeats: int, device: str
) -> tuple[float, float]:
    """(median seconds per denoising step, peak memory in GB) after one warm-up step."""

    def step() -> None:
        for _ in range(forwards):
            model(**args, return_dict=False)

    cuda = device.startswith("cuda")
    with torch.inference_mode():
        step()  # warm-up (and compilation)
        if cuda:
            torch.cuda.synchronize()
            torch.cuda.reset_peak_memory_stats()
        times = []
        for _ in range(repeats):
            started = time.perf_counter()
            step()
            if cuda:
                torch.cuda.synchronize()
            times.append(time.perf_counter() - started)
    peak = torch.cuda.max_memory_allocated() / 1e9 if cuda else 0.0
    return statistics.median(times), peak


def shrink(workload: dict[str, Any]) -> dict[str, Any]:
    tiny = workload["tiny"]
    return {
        **workload,
        "config": {**workload["config"], **tiny["config"]},
        "input": {**workload["input"], **tiny["input"]},
    }


def run(args: argparse.Namespace) -> list[dict[str, Any]]:
    workloads = json.loads(CONFIGS.read_text())["workloads"]
    if args.only:
        workloads = [w for w in workloads if any(o in w["name"] for o in args.only)]
    device = "cpu" if args.tiny else "cuda"
    dtype = torch.float32 if args.tiny else torch.bfloat16
    variants: list[tuple[str, dict[str, Any]]] = [("plain", {})]
    if not args.no_compile:
        variants.append(("compile", {"compile": {"backend": "eager"} if args.tiny else {}}))
    variants += [(f"attention={a}", {"attention": a}) for a in args.attention]
    rows = []
    for workload in workloads:
        workload = shrink(workload) if args.tiny else workload
        for name, variant in variants:
            model = build(workload, device, dtype)
            if "attention" in variant:
                model.set_attention_backend(variant["attention"])
            if "compile" in variant:
                model.compile_repeated_blocks(**variant["compile"])
            seconds, peak = time_step(
                model,
                inputs(workload, device, dtype),
                workload["forwards_per_step"],
                args.repeats,
                device,
            )
            rows.append({"workload": workload["name"], "variant": name, "s": seconds, "gb": peak})
            print(f"  {workload['name']} [{name}]: {seconds:.3f} s/step, {peak:.1f} GB", flush=True)
            del model
            if device == "cuda":
                torch.cuda.empty_cache()
    return rows


def table(rows: list[dict[str, Any]], tiny: bool) -> str:
    published = {w["name"]: w["published"] for w in json.loads(CONFIGS.read_text())["workloads"]}
    card = "CPU (tiny configs)" if tiny else torch.cuda.get_device_name()
    lines = [
        f"{datetime.date.today()} · {card} · torch {torch.__version__} · "
        f"Python {platform.python_version()}",
        "",
        "| workload | variant | s / step | peak GB | published (card) | ours / published |",
        "|---|---|---|---|---|---|",
    ]
    for row in rows:
        figures = published.get(row["workload"]) or [None]
        for figure in figures:
            theirs = (
                "—"
                if figure is None
                else f"{figure['who']}: {figure['s_per_step']} ({figure['card']})"
            )
            ratio = "—" if figure is None or tiny else f"{row['s'] / figure['s_per_step']:.2f}"
            lines.append(
                f"| {row['workload']} | {row['variant']} | {row['s']:.3f} | {row['gb']:.1f} "
                f"| {theirs} | {ratio} |"
            )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tiny", action="store_true", help="tiny configs on CPU (proves the code)")
    parser.add_argument("--only", nargs="*", default=[], help="workload name fragments")
    parser.add_argument("--repeats", type=int, default=3, help="timed steps per variant")
    parser.add_argument("--attention", nargs="*", default=[], help="attention backends to try")
    parser.add_argument("--no-compile", action="store_true", help="skip the compile variant")
    parser.add_argument("--json", type=Path, default=None, help="also write the rows here")
    args = parser.parse_args()
    if not args.tiny and not torch.cuda.is_available():
        raise SystemExit("gpu_bench: no CUDA device here; --tiny runs the same code on CPU")
    rows = run(args)
    print()
    print(table(rows, args.tiny))
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
