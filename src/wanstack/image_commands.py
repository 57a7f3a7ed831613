"""``wanstack edges`` and ``wanstack cutout``: commands on local image files, no server.

:func:`edges` draws the classical soft-edge elements of a cutout (background generation's
``reference_edge`` inputs); :func:`cutout` turns an RGB product photo into an RGBA cutout. Each
returns the process's exit status: 0 done, 2 bad input (said on stderr), 1 nothing to write.
"""

from __future__ import annotations

import sys


def edges(subject: str, output: str, detail: float) -> int:
    import numpy as np
    from PIL import Image, UnidentifiedImageError

    from wanstack.engines.soft_edges import soft_edges

    if not 0.0 <= detail <= 1.0:
        print(f"wanstack edges: --detail must be within 0..1, got {detail}", file=sys.stderr)
        return 2
    try:
        with Image.open(subject) as img:
            has_alpha = "A" in img.getbands() or "transparency" in img.info
            if not has_alpha:
                print(
                    f"wanstack edges: {subject} is {img.mode}; needs an RGBA image with a "
                    "transparent background (cut the subject out first)",
                    file=sys.stderr,
                )
                return 2
            rgba = np.asarray(img.convert("RGBA"))
    except (OSError, UnidentifiedImageError) as exc:
        print(f"wanstack edges: cannot read {subject}: {exc}", file=sys.stderr)
        return 2
    try:
        Image.fromarray(soft_edges(rgba, detail=detail)).save(output, format="PNG")
    except OSError as exc:
        print(f"wanstack edges: cannot write {output}: {exc}", file=sys.stderr)
        return 1
    return 0


def cutout(photo: str, output: str, size: int | None) -> int:
    import numpy as np
    from PIL import Image, ImageOps, UnidentifiedImageError

    from wanstack.engines.cutout import MIN_SIDE, cut_out

    if size is not None and size < MIN_SIDE:
        print(f"wanstack cutout: --size must be at least {MIN_SIDE}, got {size}", file=sys.stderr)
        return 2
    try:
        with Image.open(photo) as img:
            # a phone photo's pixels are stored sideways; EXIF says which way is up
            upright = ImageOps.exif_transpose(img)
            if "A" in upright.getbands() or "transparency" in upright.info:
                alpha = np.asarray(upright.convert("RGBA"))[..., 3]
                if (alpha < 255).any():
                    print(
                        f"wanstack cutout: {photo} already has transparent pixels: it is a "
                        "cutout already (give the original photo)",
                        file=sys.stderr,
                    )
                    return 2
            if size is not None and max(upright.size) > size:
                upright.thumbnail((size, size), Image.Resampling.LANCZOS)
            rgb = np.asarray(upright.convert("RGB"))
    except (OSError, UnidentifiedImageError, Image.DecompressionBombError) as exc:
        print(f"wanstack cutout: cannot read {photo}: {exc}", file=sys.stderr)
        return 2
    if min(rgb.shape[:2]) < MIN_SIDE:
        print(
            f"wanstack cutout: {photo} is {rgb.shape[1]}×{rgb.shape[0]}; each side must be at "
            f"least {MIN_SIDE} pixels",
            file=sys.stderr,
        )
        return 2
    rgba = cut_out(rgb)
    if not rgba[..., 3].any():
        print(
            f"wanstack cutout: found no product in {photo}: nothing stands out from its backdrop",
            file=sys.stderr,
        )
        return 1
    try:
        Image.fromarray(rgba, "RGBA").save(output, format="PNG")
    except OSError as exc:
        print(f"wanstack cutout: cannot write {output}: {exc}", file=sys.stderr)
        return 1
    return 0
