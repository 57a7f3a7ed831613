"""Inpainting quality and speed on real photographs: ours against OpenCV's classical fills.

For every photo of ``inpaint_data.PHOTOS`` (21 photographs bundled in the scikit-image,
matplotlib and scikit-learn wheels, long side shrunk to 512 px) and each fixed mask kind
(thin ``strokes``, irregular ``blobs``, ``boxes``; 5–25 % of the image) it fills the hole with

* ``ours``: ``ClassicInpaint`` (the ``wanx-x-painting`` CPU engine) through its public API, with
  ``size`` equal to the image size so nothing is rescaled or cropped,
* ``telea`` / ``ns``: ``cv2.inpaint`` with ``INPAINT_TELEA`` / ``INPAINT_NS``, radius 3,
* ``truth+8px``: not a method but a yardstick: the hole filled with the original photo itself,
  moved 8 px. It is exactly as detailed as the original (HF ≈ 1) and nearly in place, and shows
  that PSNR and SSIM rank any sharp, not pixel-aligned fill below a smooth one,
* ``fsr_fast``: ``cv2.xphoto.inpaint`` with ``INPAINT_FSR_FAST``. It takes 1–3 s per 512 px
  image, so by default it runs only on the 5 ``--quick`` photos and gets its own table (all
  methods on those photos); ``--fsr all`` runs it everywhere, ``--fsr none`` never,

and measures, inside the hole only, against the original photo:

* PSNR over the hole's RGB values (0–255),
* SSIM: ``skimage.metrics.structural_similarity`` map (7×7 window, per channel), averaged over the
  hole pixels,
* HF ratio: energy (mean square) of the high-pass ``gray − GaussianBlur(gray, σ=1.5)`` of the
  result inside the hole ÷ the same for the original. A blurred fill scores below 1, invented
  noise above 1; per image, summarised by the median per mask kind,
* time: wall-clock seconds of the call (the engine includes its own mask handling).

It then times the speed target: a 1024×1024 photo (astronaut, enlarged) with a 15 % blob mask,
ours against TELEA, median of 3 runs each. Finally it writes a contact sheet (rows: photos × mask
kinds; columns: original, hole in magenta, TELEA, ours; then one result in the eight styles).

    .venv/bin/pip install -e '.[bench]'
    .venv/bin/python bench/inpaint_bench.py [--quick] [--fsr subset|all|none] [--json PATH]
                                            [--sheet PATH | --no-sheet] [--no-speed]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt
from PIL import Image, ImageDraw, ImageFont
from skimage.metrics import structural_similarity

from inpaint_data import MASK_KINDS, PHOTOS, QUICK, RGB, Mask, coverage, load_photo, make_mask
from wanstack.engines.base import CancelToken
from wanstack.engines.classic.inpaint import ClassicInpaint
from wanstack.engines.classic.styles import apply_style
from wanstack.engines.requests import STYLES, InpaintRequest

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_SHEET = ROOT / "docs" / "gallery" / "inpainting.png"
RADIUS = 3
HF_SIGMA = 1.5
SPEED_SIDE = 1024
TRUTH_SHIFT = 8
SPEED_COVERAGE = 0.15
SPEED_TARGET_S = 1.5

Method = Callable[[RGB, Mask], RGB]


def make_ours() -> Method:
    engine = ClassicInpaint()
    engine.load()

    def ours(image: RGB, mask: Mask) -> RGB:
        h, w = mask.shape
        request = InpaintRequest(
            image=image, mask=mask, prompt="", style="<auto>", size=(w, h), n=1, seed=0
        )
        item = engine.run(request, CancelToken())[0]
        if item.image is None:
            raise RuntimeError(f"engine failed: {item.error}")
        out = np.asarray(item.image, dtype=np.uint8)
        assert out.shape == image.shape, (out.shape, image.shape)
        return out

    return ours


def _cv_inpaint(flag: int) -> Method:
    def method(image: RGB, mask: Mask) -> RGB:
        hole = mask.astype(np.uint8) * 255
        return np.asarray(cv2.inpaint(image, hole, RADIUS, flag), dtype=np.uint8)

    return method


def truth_shifted(image: RGB, mask: Mask) -> RGB:
    """Not a method: the hole filled with the original photo moved 8 px right and down.

    The best texture a fill could have (the photo's own, misplaced by a few pixels): it shows what
    PSNR and SSIM give a fill that is exactly as detailed as the original but not pixel-aligned."""
    d = TRUTH_SHIFT
    big = cv2.copyMakeBorder(image, d, d, d, d, cv2.BORDER_REFLECT_101)
    moved = big[: image.shape[0], : image.shape[1]]
    out = image.copy()
    out[mask] = moved[mask]
    return out


def fsr_fast(image: RGB, mask: Mask) -> RGB:
    known = (~mask).astype(np.uint8) * 255  # xphoto convention: non-zero = known
    dst = np.zeros_like(image)
    cv2.xphoto.inpaint(image, known, dst, cv2.xphoto.INPAINT_FSR_FAST)
    return dst


# ---------------------------------------------------------------------------------- metrics


def hole_psnr(orig: RGB, out: RGB, mask: Mask) -> float:
    diff = orig[mask].astype(np.float64) - out[mask].astype(np.float64)
    mse = float(np.mean(diff**2))
    return float("inf") if mse == 0 else 10.0 * float(np.log10(255.0**2 / mse))


def hole_ssim(orig: RGB, out: RGB, mask: Mask) -> float:
    _, smap = structural_similarity(  # type: ignore[no-untyped-call]
        orig, out, channel_axis=2, data_range=255, full=True
    )
    return float(np.asarray(smap)[mask].mean())


def _highpass(image: RGB) -> npt.NDArray[np.float32]:
    gray = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY).astype(np.float32)
    return np.asarray(gray - cv2.GaussianBlur(gray, (0, 0), HF_SIGMA), dtype=np.float32)


def hf_ratio(orig: RGB, out: RGB, mask: Mask) -> float:
    ref = float(np.mean(_highpass(orig)[mask] ** 2))
    got = float(np.mean(_highpass(out)[mask] ** 2))
    return got / max(ref, 1e-6)


# ---------------------------------------------------------------------------------- running


@dataclass(slots=True)
class Row:
    photo: str
    kind: str
    method: str
    width: int
    height: int
    coverage: float
    psnr: float
    ssim: float
    hf_ratio: float
    seconds: float


def run_one(name: str, method: Method, image: RGB, mask: Mask) -> tuple[RGB, float]:
    t0 = time.perf_counter()
    out = method(image, mask)
    return out, time.perf_counter() - t0


def summarise(rows: list[Row], methods: list[str]) -> dict[str, dict[str, dict[str, float]]]:
    table: dict[str, dict[str, dict[str, float]]] = {}
    for kind in [*MASK_KINDS, "all"]:
        table[kind] = {}
        for m in methods:
            sel = [r for r in rows if r.method == m and (kind == "all" or r.kind == kind)]
            if not sel:
                continue
            table[kind][m] = {
                "n": len(sel),
                "psnr_mean": statistics.fmean(r.psnr for r in sel),
                "ssim_mean": statistics.fmean(r.ssim for r in sel),
                "hf_median": statistics.median(r.hf_ratio for r in sel),
                "hf_mean": statistics.fmean(r.hf_ratio for r in sel),
                "seconds_mean": statistics.fmean(r.seconds for r in sel),
                "seconds_median": statistics.median(r.seconds for r in sel),
            }
    return table


def print_table(table: dict[str, dict[str, dict[str, float]]]) -> None:
    head = f"{'method':<10} {'n':>3} {'PSNR dB':>8} {'SSIM':>7} {'HF med':>7} {'HF mean':>8}"
    head += f" {'time ms':>8}"
    for kind, per in table.items():
        print(f"\n== {kind} ==")
        print(head)
        for m, s in per.items():
            print(
                f"{m:<10} {int(s['n']):>3} {s['psnr_mean']:>8.2f} {s['ssim_mean']:>7.4f}"
                f" {s['hf_median']:>7.3f} {s['hf_mean']:>8.3f} {1000 * s['seconds_mean']:>8.1f}"
            )


def speed_test(ours: Method, telea: Method) -> dict[str, float]:
    src = next(p for p in PHOTOS if p.name == "astronaut")
    small = load_photo(src, max_side=4096)
    image = np.asarray(
        cv2.resize(small, (SPEED_SIDE, SPEED_SIDE), interpolation=cv2.INTER_CUBIC), dtype=np.uint8
    )
    mask = make_mask("speed", "blobs", (SPEED_SIDE, SPEED_SIDE), target=SPEED_COVERAGE)
    result: dict[str, float] = {"coverage": coverage(mask)}
    for label, method in (("ours", ours), ("telea", telea)):
        result[label] = statistics.median(run_one(label, method, image, mask)[1] for _ in range(3))
    return result


# ---------------------------------------------------------------------------------- sheet

TILE = 256
LABEL_H = 22


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    try:
        return ImageFont.load_default(size=size)
    except TypeError:  # Pillow < 10.1
        return ImageFont.load_default()


def _tile(image: RGB) -> Image.Image:
    pil = Image.fromarray(image)
    pil.thumbnail((TILE, TILE), Image.Resampling.LANCZOS)
    tile = Image.new("RGB", (TILE, TILE), (40, 40, 40))
    tile.paste(pil, ((TILE - pil.width) // 2, (TILE - pil.height) // 2))
    return tile


def overlay(image: RGB, mask: Mask) -> RGB:
    out = image.astype(np.float32)
    out[mask] = 0.35 * out[mask] + 0.65 * np.array([255, 0, 255], np.float32)
    return np.asarray(out.round().clip(0, 255), dtype=np.uint8)


def contact_sheet(cells: list[tuple[str, list[RGB]]], path: Path) -> None:
    columns = ["original", "hole", "cv2 TELEA", "ours (ClassicInpaint)"]
    sheet = Image.new(
        "RGB", (TILE * len(columns), LABEL_H + len(cells) * (TILE + LABEL_H)), "white"
    )
    draw = ImageDraw.Draw(sheet)
    font = _font(15)
    for c, title in enumerate(columns):
        draw.text((c * TILE + 6, 3), title, fill="black", font=font)
    for r, (label, images) in enumerate(cells):
        y = LABEL_H + r * (TILE + LABEL_H)
        draw.text((6, y + 3), label, fill=(60, 60, 60), font=font)
        for c, img in enumerate(images):
            sheet.paste(_tile(img), (c * TILE, y + LABEL_H))
    path.parent.mkdir(parents=True, exist_ok=True)
    sheet.save(path, optimize=True)


def style_rows(ours: Method) -> list[tuple[str, list[RGB]]]:
    """Rows of the contact sheet showing ``ours``'s result in each of the eight styles."""
    src = next(p for p in PHOTOS if p.name == "chelsea")
    image = load_photo(src, 512)
    mask = make_mask(src.name, "blobs", image.shape[:2])
    filled = ours(image, mask)
    styled = [filled if s == "<auto>" else apply_style(filled, s, 0) for s in STYLES]
    rows = []
    for start in range(0, len(STYLES), 4):
        names = " · ".join(STYLES[start : start + 4])
        rows.append((f"ours, chelsea · blobs, styles: {names}", styled[start : start + 4]))
    return rows


# ---------------------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--quick", action="store_true", help=f"only {len(QUICK)} photos")
    ap.add_argument(
        "--fsr",
        choices=("subset", "all", "none"),
        default="subset",
        help="where to run xphoto FSR_FAST (1–3 s/image): the --quick photos (default), all, none",
    )
    ap.add_argument("--max-side", type=int, default=512, help="working long side (default 512)")
    ap.add_argument("--json", type=Path, help="write every measurement and the summary here")
    ap.add_argument("--sheet", type=Path, default=DEFAULT_SHEET, help="contact sheet PNG")
    ap.add_argument("--no-sheet", action="store_true", help="do not write the contact sheet")
    ap.add_argument("--no-speed", action="store_true", help="skip the 1024×1024 speed test")
    args = ap.parse_args(argv)

    t_start = time.perf_counter()
    ours = make_ours()
    telea = _cv_inpaint(cv2.INPAINT_TELEA)
    methods: dict[str, Method] = {"ours": ours, "telea": telea, "ns": _cv_inpaint(cv2.INPAINT_NS)}
    methods["truth+8px"] = truth_shifted
    if args.fsr != "none":
        methods["fsr_fast"] = fsr_fast

    photos = [p for p in PHOTOS if not args.quick or p.name in QUICK]
    sheet_photos: dict[str, tuple[str, ...]] = {
        "strokes": ("astronaut", "china", "camera"),
        "blobs": ("coffee", "grace_hopper", "flower"),
        "boxes": ("chelsea", "rocket", "brick"),
    }
    if args.quick:
        sheet_photos = {k: QUICK[i : i + 2] for i, k in enumerate(MASK_KINDS)}
    sheet_cells: list[tuple[str, list[RGB]]] = []

    # warm-up (first-call costs: thread pools, lazily built tables)
    warm = load_photo(photos[0], args.max_side)
    warm_mask = make_mask(photos[0].name, "boxes", warm.shape[:2])
    for method in methods.values():
        method(warm, warm_mask)

    rows: list[Row] = []
    print(f"{'photo':<22} {'size':>9}  " + "  ".join(f"{k:>7}" for k in MASK_KINDS) + "  (hole %)")
    for src in photos:
        image = load_photo(src, args.max_side)
        h, w = image.shape[:2]
        masks = {kind: make_mask(src.name, kind, (h, w)) for kind in MASK_KINDS}
        covs = "  ".join(f"{100 * coverage(masks[k]):>6.1f}%" for k in MASK_KINDS)
        print(f"{src.name:<22} {f'{w}x{h}':>9}  {covs}", flush=True)
        for kind, mask in masks.items():
            outs: dict[str, RGB] = {}
            for mname, method in methods.items():
                if mname == "fsr_fast" and args.fsr == "subset" and src.name not in QUICK:
                    continue
                out, secs = run_one(mname, method, image, mask)
                outs[mname] = out
                rows.append(
                    Row(
                        photo=src.name,
                        kind=kind,
                        method=mname,
                        width=w,
                        height=h,
                        coverage=coverage(mask),
                        psnr=hole_psnr(image, out, mask),
                        ssim=hole_ssim(image, out, mask),
                        hf_ratio=hf_ratio(image, out, mask),
                        seconds=secs,
                    )
                )
            if src.name in sheet_photos[kind]:
                label = f"{src.name} · {kind} · {100 * coverage(mask):.1f} % hole"
                sheet_cells.append(
                    (label, [image, overlay(image, mask), outs["telea"], outs["ours"]])
                )

    covs_by_kind = {
        k: [r.coverage for r in rows if r.kind == k and r.method == "ours"] for k in MASK_KINDS
    }
    print("\nmask coverage (min / mean / max):")
    for k, cs in covs_by_kind.items():
        print(
            f"  {k:<8} {100 * min(cs):5.1f} % / {100 * statistics.fmean(cs):5.1f} %"
            f" / {100 * max(cs):5.1f} %"
        )

    main_methods = [m for m in methods if m != "fsr_fast" or args.fsr == "all" or args.quick]
    table = summarise(rows, main_methods)
    print(
        f"\n{len(photos)} photos, long side ≤ {args.max_side} px; metrics inside the hole only;"
        f" HF = energy ratio of gray − Gauss(σ={HF_SIGMA}) (1 = as detailed as the original)"
    )
    print_table(table)
    fsr_table: dict[str, dict[str, dict[str, float]]] | None = None
    if args.fsr == "subset" and not args.quick:
        print(f"\n---- all methods on the FSR subset ({', '.join(QUICK)}) ----")
        fsr_table = summarise([r for r in rows if r.photo in QUICK], list(methods))
        print_table(fsr_table)

    speed: dict[str, float] | None = None
    if not args.no_speed:
        speed = speed_test(ours, telea)
        verdict = "PASS" if speed["ours"] <= SPEED_TARGET_S else "FAIL"
        print(
            f"\nspeed: {SPEED_SIDE}x{SPEED_SIDE} photo, {100 * speed['coverage']:.1f} % blob mask,"
            f" median of 3: ours {speed['ours']:.3f} s (target ≤ {SPEED_TARGET_S} s: {verdict}),"
            f" TELEA {speed['telea']:.3f} s"
        )

    if not args.no_sheet and sheet_cells:
        order = {k: i for i, k in enumerate(MASK_KINDS)}
        sheet_cells.sort(key=lambda c: order[c[0].split(" · ")[1]])
        sheet_cells += style_rows(ours)
        contact_sheet(sheet_cells, args.sheet)
        size_mb = args.sheet.stat().st_size / 1e6
        print(f"\ncontact sheet: {args.sheet} ({len(sheet_cells)} rows, {size_mb:.2f} MB)")

    total = time.perf_counter() - t_start
    print(f"\nbenchmark wall time: {total:.1f} s")
    if args.json is not None:
        payload = {
            "photos": [p.name for p in photos],
            "max_side": args.max_side,
            "methods": list(methods),
            "summary": table,
            "summary_fsr_subset": fsr_table,
            "speed": speed,
            "rows": [asdict(r) for r in rows],
            "wall_seconds": total,
        }
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(payload, indent=1))
        print(f"json: {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
