"""Timings and peak memory of the classic background-generation engine.

    .venv/bin/python bench/bg_engine_bench.py [--quick] [--runs N] [--case NAME ...]
                                              [--json PATH] [--save DIR] [--profile NAME]

Acceptance target: engine time for a 1024×1024 subject, n = 4, v2 ≤ 2 s on the 2-core machine;
≤ 8 s for a 2048-pixel subject with v3, with peak memory ≤ 1.5 GB. DashScope's own documentation
(seed 001) says a 4-image background-generation task takes about 40 s there; every row is set
against that figure.

Each case runs in a fresh child process (this script again, with ``--child``), so its peak memory
is its own: the child builds a synthetic RGBA product cutout (a bottle and a box with soft
anti-aliased alpha edges, standing in the lower middle of a transparent canvas), notes its RSS,
runs ``ClassicBackground().run`` once to warm up and then ``--runs`` times (3 by default, 1 with
``--quick``), and reports the wall-clock time of each ``run`` call (no PNG encoding) together with
``getrusage(RUSAGE_SELF).ru_maxrss`` after the runs. The table shows the median and the minimum,
the peak RSS of the whole child process and its increase over the RSS right before the first run
(after imports and input creation).

``--profile NAME`` (e.g. ``desert-2048x2048-v3``) runs one case under cProfile in this process
instead and prints the top costs. The exit status is 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import platform
import pstats
import resource
import statistics
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt

import wanstack
from wanstack.engines.base import CancelToken
from wanstack.engines.classic.background import ClassicBackground
from wanstack.engines.requests import BackgroundRequest

U8 = npt.NDArray[np.uint8]
F32 = npt.NDArray[np.float32]

SOURCE = Path(wanstack.__file__).parent  #: the wanstack being measured (PYTHONPATH may change it)
DASHSCOPE_S = 40.0  #: seed 001: a 4-image background-generation task takes about 40 s there
DESERT = "在沙漠的地面上，远处有植物和落日，丰富的细节，柔和的光线"
MARBLE = "white marble tabletop, soft light"


@dataclass(frozen=True)
class Case:
    name: str
    width: int
    height: int
    version: str
    prompt: str
    n: int = 4
    ref: bool = False
    title: bool = False
    target_s: float | None = None
    target_mb: float | None = None


CASES = [
    Case("desert", 1024, 1024, "v2", DESERT, target_s=2.0),
    Case("marble", 1024, 1024, "v2", MARBLE, target_s=2.0),
    Case("ref-image", 1024, 1024, "v2", DESERT, ref=True, target_s=2.0),
    Case("title", 1024, 1024, "v2", DESERT, title=True, target_s=2.0),
    Case("desert", 2048, 2048, "v3", DESERT, target_s=8.0, target_mb=1500.0),
    Case("marble", 2048, 2048, "v3", MARBLE, target_s=8.0, target_mb=1500.0),
    Case("ref-image", 2048, 2048, "v3", DESERT, ref=True, target_s=8.0, target_mb=1500.0),
    Case("title", 2048, 2048, "v3", DESERT, title=True, target_s=8.0, target_mb=1500.0),
    Case("desert", 2048, 1536, "v3", DESERT, target_s=8.0, target_mb=1500.0),
]
QUICK = {"desert-1024x1024-v2", "desert-2048x2048-v3"}


def case_id(case: Case) -> str:
    return f"{case.name}-{case.width}x{case.height}-{case.version}"


# --- inputs ---------------------------------------------------------------------------------------


def product_cutout(width: int, height: int) -> U8:
    """A bottle and a box standing in the lower middle of a transparent canvas, shaded like a
    studio product photo, with a soft (anti-aliased, ~1.5 px) alpha edge."""
    s = min(width, height) / 1024.0
    cx, floor = width // 2, int(height * 0.86)
    yy = np.arange(height, dtype=np.float32)[:, None]  # broadcast, not full grids: the inputs
    xx = np.arange(width, dtype=np.float32)[None, :]  # should not set the process's peak RSS
    rgb: Any = np.zeros((height, width, 3), np.float32)
    alpha: Any = np.zeros((height, width), np.float32)

    def shape(draw: Any) -> F32:
        m = np.zeros((height, width), np.uint8)
        draw(m)
        return np.asarray(cv2.GaussianBlur(m, (0, 0), 0.8 * s), np.float32) / 255.0

    # The box behind, to the left: two visible faces, front lighter than the side.
    bx0, bx1, btop = cx - int(250 * s), cx - int(60 * s), floor - int(330 * s)
    depth = int(45 * s)
    front = np.array([[bx0, btop], [bx1, btop], [bx1, floor], [bx0, floor]], np.int32)
    side = np.array(
        [[bx1, btop], [bx1 + depth, btop - depth], [bx1 + depth, floor - depth], [bx1, floor]],
        np.int32,
    )
    top = np.array(
        [[bx0, btop], [bx0 + depth, btop - depth], [bx1 + depth, btop - depth], [bx1, btop]],
        np.int32,
    )
    for poly, colour in (
        (front, (0.93, 0.90, 0.84)),
        (side, (0.74, 0.71, 0.66)),
        (top, (0.98,) * 3),
    ):
        m = shape(lambda a, p=poly: cv2.fillPoly(a, [p], 255, cv2.LINE_AA))
        rgb = rgb * (1 - m[..., None]) + np.array(colour, np.float32) * m[..., None]
        alpha = np.maximum(alpha, m)
    band = (yy > btop + 120 * s) & (yy < btop + 170 * s) & (xx > bx0) & (xx < bx1)
    rgb[band] = (0.80, 0.30, 0.22)  # a printed stripe on the box

    # The bottle in front, to the right: body, shoulders, neck and cap, lit like a cylinder.
    bw, bh = int(110 * s), int(470 * s)
    x0, x1, body_top = cx + int(10 * s) - bw, cx + int(10 * s) + bw, floor - bh
    nw, neck_top = int(38 * s), body_top - int(170 * s)
    outline = np.array(
        [
            [x0, floor - int(18 * s)],
            [x0, body_top],
            [cx + int(10 * s) - nw, body_top - int(90 * s)],
            [cx + int(10 * s) - nw, neck_top],
            [cx + int(10 * s) + nw, neck_top],
            [cx + int(10 * s) + nw, body_top - int(90 * s)],
            [x1, body_top],
            [x1, floor - int(18 * s)],
            [x1 - int(18 * s), floor],
            [x0 + int(18 * s), floor],
        ],
        np.int32,
    )
    bottle = shape(lambda a: cv2.fillPoly(a, [outline], 255, cv2.LINE_AA))
    u = np.clip((xx - (cx + 10 * s)) / bw, -1.0, 1.0)
    light = 0.55 + 0.45 * np.sqrt(np.clip(1 - u**2, 0, 1)) - 0.12 * u  # key light from the left
    glass = np.stack([0.16 * light, 0.42 * light, 0.30 * light], axis=-1)
    glass += np.exp(-(((u + 0.45) / 0.08) ** 2))[..., None] * 0.55  # specular streak
    label = ((yy > body_top + 120 * s) & (yy < body_top + 330 * s))[..., None]
    paper = np.array([0.96, 0.94, 0.88], np.float32) * light[..., None]
    glass = np.where(label, paper, glass)  # (height, width, 3) from here on
    cap_top = neck_top - int(60 * s)
    cap = shape(
        lambda a: cv2.rectangle(
            a,
            (cx + int(10 * s) - nw - int(6 * s), cap_top),
            (cx + int(10 * s) + nw + int(6 * s), neck_top + int(4 * s)),
            255,
            -1,
            cv2.LINE_AA,
        )
    )
    glass = glass * (1 - cap[..., None]) + np.array([0.85, 0.70, 0.25], np.float32) * cap[..., None]
    bottle = np.maximum(bottle, cap)
    rgb = rgb * (1 - bottle[..., None]) + glass * bottle[..., None]
    alpha = np.maximum(alpha, bottle)

    rgb = rgb / np.maximum(alpha, 1e-3)[..., None]  # blended over black: make alpha straight
    out = np.zeros((height, width, 4), np.uint8)
    out[..., :3] = np.clip(rgb * 255 + 0.5, 0, 255).astype(np.uint8)
    out[..., 3] = np.clip(alpha * 255 + 0.5, 0, 255).astype(np.uint8)
    out[out[..., 3] == 0, :3] = 0
    return out


def reference_image(width: int = 960, height: int = 640) -> U8:
    """A sunset-over-dunes guide image with a transparent top-right corner (which must not
    guide)."""
    yy = np.linspace(0.0, 1.0, height, dtype=np.float32)[:, None, None]
    sky = (1 - yy) * np.array([250, 170, 90], np.float32) + yy * np.array([120, 70, 110])
    img = np.broadcast_to(sky, (height, width, 3)).copy()
    cv2.circle(img, (int(width * 0.3), int(height * 0.45)), 50, (255, 230, 150), -1, cv2.LINE_AA)
    xs = np.arange(width)
    ridge = height * 0.62 + 30 * np.sin(xs / width * 5.0)
    pts = np.stack([xs, ridge], 1).astype(np.int32)
    poly = np.concatenate([pts, [[width - 1, height - 1], [0, height - 1]]]).astype(np.int32)
    cv2.fillPoly(img, [poly], (200, 140, 80), cv2.LINE_AA)
    rgba = np.zeros((height, width, 4), np.uint8)
    rgba[..., :3] = np.clip(img, 0, 255).astype(np.uint8)
    rgba[..., 3] = 255
    rgba[: height // 3, width * 2 // 3 :, 3] = 0
    return rgba


def request_for(case: Case) -> BackgroundRequest:
    return BackgroundRequest(
        subject=product_cutout(case.width, case.height),
        ref_image=reference_image() if case.ref else None,
        ref_prompt=case.prompt,
        neg_prompt="",
        edges=(),
        n=case.n,
        noise_level=300,
        ref_prompt_weight=0.5,
        model_version=case.version,
        scene_type=None,
        title="夏日新品" if case.title else None,
        sub_title="限时八折优惠" if case.title else None,
        seed=1234,
    )


# --- child: one case, fresh process ---------------------------------------------------------------


def current_rss_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
    return float("nan")


def max_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # KiB on Linux


def run_child(case: Case, runs: int, save: Path | None) -> dict[str, Any]:
    request = request_for(case)
    engine = ClassicBackground()
    engine.load()
    baseline = current_rss_mb()
    peak_before = max_rss_mb()
    times: list[float] = []
    items = []
    for i in range(runs + 1):  # the first run is the warm-up
        t = time.perf_counter()
        items = engine.run(request, CancelToken())
        if i:
            times.append(time.perf_counter() - t)
    peak = max_rss_mb()
    images = [it.image for it in items if it.image is not None]
    errors = [str(it.error) for it in items if it.error is not None]
    assert len(images) == case.n, f"{len(images)} images, errors: {errors}"
    assert all(im.shape == (case.height, case.width, 3) for im in images)
    if save is not None:
        save.mkdir(parents=True, exist_ok=True)
        for k, im in enumerate(images):
            cv2.imwrite(str(save / f"{case_id(case)}-{k}.png"), cv2.cvtColor(im, cv2.COLOR_RGB2BGR))
    return {
        "times_s": times,
        "baseline_rss_mb": baseline,
        "maxrss_before_run_mb": peak_before,
        "peak_rss_mb": peak,
        "titled_layers": sum(1 for it in items if it.layers),
    }


# --- parent ---------------------------------------------------------------------------------------


@dataclass
class Result:
    case: str
    size: str
    version: str
    n: int
    median_s: float
    min_s: float
    times_s: list[float]
    speedup: float
    peak_rss_mb: float
    rss_increase_mb: float
    baseline_rss_mb: float
    maxrss_before_run_mb: float
    target: str
    passed: bool | None
    titled_layers: int


def measure(case: Case, runs: int, save: Path | None) -> Result:
    cmd = [sys.executable, __file__, "--child", case_id(case), "--runs", str(runs)]
    if save is not None:
        cmd += ["--save", str(save)]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        sys.stderr.write(proc.stderr)
        raise SystemExit(f"{case_id(case)}: child exited with {proc.returncode}")
    raw = json.loads(proc.stdout.strip().splitlines()[-1])
    times: list[float] = raw["times_s"]
    median = statistics.median(times)
    targets, ok = [], []
    if case.target_s is not None:
        targets.append(f"≤ {case.target_s:g} s")
        ok.append(median <= case.target_s)
    if case.target_mb is not None:
        targets.append(f"≤ {case.target_mb / 1000:g} GB")
        ok.append(raw["peak_rss_mb"] <= case.target_mb)
    return Result(
        case=case.name,
        size=f"{case.width}×{case.height}",
        version=case.version,
        n=case.n,
        median_s=median,
        min_s=min(times),
        times_s=times,
        speedup=DASHSCOPE_S / median,
        peak_rss_mb=raw["peak_rss_mb"],
        rss_increase_mb=raw["peak_rss_mb"] - raw["baseline_rss_mb"],
        baseline_rss_mb=raw["baseline_rss_mb"],
        maxrss_before_run_mb=raw["maxrss_before_run_mb"],
        target=", ".join(targets) or "—",
        passed=all(ok) if ok else None,
        titled_layers=raw["titled_layers"],
    )


def git_rev() -> str:
    try:
        out = subprocess.run(
            ["git", "describe", "--always", "--dirty"],
            cwd=SOURCE,
            capture_output=True,
            text=True,
            check=True,
        )
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return out.stdout.strip()


def table(results: list[Result]) -> str:
    head = (
        "| case | size | version | n | median s | min s | vs DashScope 40 s "
        "| peak RSS MB | Δ RSS MB | target | pass |"
    )
    lines = [head, "|---|---|---|---:|---:|---:|---:|---:|---:|---|---|"]
    for r in results:
        verdict = "—" if r.passed is None else ("pass" if r.passed else "**FAIL**")
        lines.append(
            f"| {r.case} | {r.size} | {r.version} | {r.n} | {r.median_s:.2f} | {r.min_s:.2f} "
            f"| {r.speedup:.0f}× faster | {r.peak_rss_mb:.0f} | {r.rss_increase_mb:.0f} "
            f"| {r.target} | {verdict} |"
        )
    return "\n".join(lines)


def profile(case: Case, top: int) -> None:
    request = request_for(case)
    engine = ClassicBackground()
    engine.run(request, CancelToken())  # warm-up
    prof = cProfile.Profile()
    t = time.perf_counter()
    prof.runcall(engine.run, request, CancelToken())
    print(f"{case_id(case)}: {time.perf_counter() - t:.2f} s under cProfile")
    stats = pstats.Stats(prof)
    stats.sort_stats("tottime").print_stats(top)
    stats.sort_stats("cumulative").print_stats(top)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    ap.add_argument("--quick", action="store_true", help="1 run, the two target cases only")
    ap.add_argument("--runs", type=int, default=None, help="timed runs per case (default 3)")
    ap.add_argument("--case", action="append", default=[], help="only these cases (repeatable)")
    ap.add_argument("--json", type=Path, default=None, help="also write the results as JSON")
    ap.add_argument("--save", type=Path, default=None, help="write the last run's images here")
    ap.add_argument("--profile", default=None, metavar="NAME", help="cProfile one case")
    ap.add_argument("--top", type=int, default=25, help="rows of profile output")
    ap.add_argument("--child", default=None, help=argparse.SUPPRESS)
    args = ap.parse_args()
    by_id = {case_id(c): c for c in CASES}
    runs = args.runs if args.runs is not None else (1 if args.quick else 3)

    if args.child is not None:
        print(json.dumps(run_child(by_id[args.child], runs, args.save)))
        return
    if args.profile is not None:
        profile(by_id[args.profile], args.top)
        return

    chosen = [by_id[c] for c in args.case] if args.case else CASES
    if args.quick and not args.case:
        chosen = [c for c in chosen if case_id(c) in QUICK]
    print(
        f"classic background engine, {runs} timed run(s) after 1 warm-up, each case in a fresh "
        f"process; Python {platform.python_version()}, numpy {np.__version__}, "
        f"OpenCV {cv2.__version__}; wanstack from {SOURCE} ({git_rev()})"
    )
    results = []
    for case in chosen:
        r = measure(case, runs, args.save)
        print(
            f"  {case_id(case)}: median {r.median_s:.2f} s "
            f"({', '.join(f'{x:.2f}' for x in r.times_s)}), peak RSS {r.peak_rss_mb:.0f} MB "
            f"(+{r.rss_increase_mb:.0f} MB over {r.baseline_rss_mb:.0f} MB)",
            flush=True,
        )
        if r.titled_layers:
            print(f"    {r.titled_layers} of {r.n} images came back with title layers")
        if r.maxrss_before_run_mb >= r.peak_rss_mb:
            print("    (input creation peaked higher than the runs: the peak is an upper bound)")
        results.append(r)
    print()
    print(table(results))
    if args.json is not None:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        payload = {
            "date": time.strftime("%Y-%m-%d"),
            "wanstack_source": str(SOURCE),
            "tree": git_rev(),
            "runs": runs,
            "dashscope_s": DASHSCOPE_S,
            "python": platform.python_version(),
            "numpy": np.__version__,
            "opencv": cv2.__version__,
            "results": [asdict(r) for r in results],
        }
        args.json.write_text(json.dumps(payload, ensure_ascii=False, indent=2) + "\n")
        print(f"wrote {args.json}")
    if any(r.passed is False for r in results):
        raise SystemExit(1)


if __name__ == "__main__":
    main()
