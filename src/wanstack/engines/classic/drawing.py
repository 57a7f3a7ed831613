"""Drawings for wanx2.1-imageedit: ``doodle`` (a sketch painted in) and ``control_cartoon_feature``
(a reference cartoon character staged in a new scene). CPU only, numpy and OpenCV.

:func:`doodle`: (1) **line art**: a sketch's ink (darker than its paper, not a colour scribble;
scribbles are colour hints), or lines extracted from a photo (edge-preserving smoothing, Canny,
thinning, specks dropped; its colours are the hints); (2) **regions** enclosed by the lines,
small gaps closed first so a fill cannot leak, tiny areas joined to a neighbour; (3) **colours**
by position (open to the top: sky; to the bottom: ground; all round: backdrop; enclosed:
objects, a disc high up a sun, objects alone in the sky clouds) from the prompt's words via
:func:`~.scene.parse_prompt` (colours for the largest objects, sky, time of day, ground,
things), a sketch's scribbles, a photo's own colours (flattened, pulled toward the named ones),
else a seeded palette where touching objects never match; (4) **paint**: soft gradients,
pillow shading, occlusion along the lines, a wash, paper grain, clean antialiased ink on top.

:func:`cartoon_scene` cuts the character out (:func:`.materials_local.subject_alpha`), stands it
on the ground line at about 60 % of the height in the prompt's scene, staged as wan2.6-image's
background swap does (shadows, rim light); only the scene is drawn in a cartoon style (the
prompt's style word, else flat illustration); the character's opaque pixels are kept.

A classical method does not know what a sketch shows (a circle is not recognised as a face;
nothing is drawn that the lines do not enclose), cannot invent detail, texture or perspective,
merges regions whose strokes leave large gaps, and cannot re-pose, re-draw or turn the
reference character: it is pasted as drawn, only scaled.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np
import numpy.typing as npt

from wanstack.engines.base import RGBImage
from wanstack.engines.classic import brushwork as brush
from wanstack.engines.classic.grades import _words, find_style, scene_prompt
from wanstack.engines.classic.materials_local import subject_alpha
from wanstack.engines.classic.scene import parse_prompt, render_scene
from wanstack.engines.classic.staging import footprint_of, harmonise_rim, stage_subject
from wanstack.engines.classic.styles import apply_style

Float = npt.NDArray[np.float32]
Labels = npt.NDArray[np.int32]
Hint = tuple[Float | None, Float | None]  #: a region's hint colour, upper and lower half

WORK_SIDE = 640  #: long side of the copy that lines are found and regions labelled on
INK = np.array([0.12, 0.11, 0.13], np.float32)
SKIES = {  #: (top, horizon) of the sky by the scene's time of day
    "day": ((112, 172, 228), (204, 228, 244)), "morning": ((146, 184, 228), (250, 220, 190)),
    "golden": ((232, 176, 112), (252, 228, 172)), "sunset": ((118, 100, 170), (250, 168, 112)),
    "dusk": ((58, 64, 120), (204, 146, 154)), "night": ((22, 28, 62), (62, 74, 124)),
    "overcast": ((158, 168, 182), (210, 214, 218)), "studio": ((150, 196, 234), (224, 238, 240)),
}  # fmt: skip
PALETTES = (  #: seeded illustrators' palettes for the objects nothing else colours
    ((232, 106, 92), (246, 190, 90), (120, 178, 140), (92, 140, 196), (180, 130, 200)),
    ((244, 150, 166), (132, 192, 228), (250, 214, 112), (156, 208, 156), (196, 172, 230)),
    ((226, 72, 62), (250, 198, 52), (58, 128, 208), (76, 176, 98), (156, 92, 188)),
    ((196, 110, 72), (226, 184, 110), (112, 146, 92), (88, 124, 146), (172, 92, 96)),
    ((62, 140, 184), (244, 196, 112), (238, 128, 108), (92, 172, 142), (120, 204, 214)),
    ((252, 128, 158), (112, 206, 196), (252, 206, 88), (148, 148, 236), (252, 168, 118)),
)  # fmt: skip
SUN = np.array([252, 196, 72], np.float32) / np.float32(255)
CLOUD = (np.array([0.99, 0.99, 1.0], np.float32), np.array([0.82, 0.86, 0.93], np.float32))
BACKGROUND = ("sky", "ground", "backdrop")
CHARACTER = _words("卡通形象", "卡通人物", "卡通角色", "cartoon character", "mascot")


def _rgb(colour: tuple[int, int, int]) -> Float:
    return np.asarray(colour, np.float32) / np.float32(255)


def _tints(colour: Float, light: float = 0.12, dark: float = 0.86) -> tuple[Float, Float]:
    """A gradient from a lighter tint (top) to a darker shade (bottom) of ``colour``."""
    tint = np.asarray(colour + (1 - colour) * light, np.float32)
    return tint, np.asarray(colour * dark, np.float32)


def _sketch_ink(rgb: RGBImage) -> tuple[Float, Float]:
    """(ink coverage, scribble mask), both 0–1 at full size, from a drawing on paper."""
    h, w = rgb.shape[:2]
    f = brush.f32(rgb)
    gray = brush.gray(f)
    k = max(3, round(max(h, w) * 0.02)) | 1
    paper = cv2.dilate(gray, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k)))
    shade = np.maximum(brush.blur(np.asarray(paper, np.float32), k), 0.05)
    dark: Float = np.clip(1 - gray / shade, 0, 1).astype(np.float32)
    lab = np.asarray(cv2.cvtColor(f, cv2.COLOR_RGB2LAB), np.float32)
    chroma = np.asarray(np.hypot(lab[..., 1], lab[..., 2]), np.float32)
    neutral = np.maximum(
        1 - brush.smoothstep(14, 26, chroma), brush.smoothstep(42, 28, lab[..., 0])
    )
    ink = np.asarray(brush.smoothstep(0.2, 0.45, brush.blur(dark, 0.5)) * neutral, np.float32)
    scribble = brush.smoothstep(14, 26, chroma) * brush.smoothstep(0.03, 0.1, dark) * (1 - ink)
    solid = ink > 0.5  # specks: strokes of fewer than ~30 pixels at 1024² are dust
    small = (solid & ~_large(solid, max(6, round(h * w * 3e-5)))).astype(np.uint8)
    specks = cv2.dilate(small, np.ones((3, 3), np.uint8)) > 0
    return np.where(specks, 0.0, ink).astype(np.float32), np.asarray(scribble, np.float32)


def _large(mask: npt.NDArray[np.bool_], min_px: int) -> npt.NDArray[np.bool_]:
    """``mask`` without its connected parts of fewer than ``min_px`` pixels."""
    _, parts, stats, _ = cv2.connectedComponentsWithStats(mask.astype(np.uint8), connectivity=8)
    keep = stats[:, cv2.CC_STAT_AREA] >= min_px
    keep[0] = False
    return np.asarray(keep[parts], np.bool_)


def _photo_ink(rgb: RGBImage, work: RGBImage) -> tuple[Float, Float]:
    """(ink coverage at full size, the smoothed photo at work size): line art of a photo."""
    h, w = rgb.shape[:2]
    smooth = brush.smooth(work, 40, 14)
    lab = cv2.cvtColor(smooth, cv2.COLOR_RGB2LAB)
    edges = np.zeros(work.shape[:2], np.uint8)
    for channel, gain in ((0, 1.0), (1, 1.6), (2, 1.6)):
        plane = lab[..., channel]
        grad = np.hypot(cv2.Sobel(plane, cv2.CV_32F, 1, 0), cv2.Sobel(plane, cv2.CV_32F, 0, 1))
        high = max(60.0, float(np.quantile(grad, 0.9))) * gain
        edges = edges | np.asarray(cv2.Canny(plane, 0.45 * high, high, L2gradient=True), np.uint8)
    closed = cv2.morphologyEx(edges, cv2.MORPH_CLOSE, np.ones((3, 3), np.uint8))
    skeleton = np.asarray(cv2.ximgproc.thinning(closed), np.uint8)
    long = _large(skeleton > 0, max(8, round(max(work.shape[:2]) * 0.03)))  # short = texture
    # An antialiased stroke: the distance to the skeleton, scaled up, through a soft step.
    near = cv2.distanceTransform((~long).astype(np.uint8), cv2.DIST_L2, 5)
    scale = max(h, w) / max(work.shape[:2])
    dist = np.asarray(cv2.resize(near * scale, (w, h), interpolation=cv2.INTER_LINEAR), np.float32)
    width = max(0.8, 0.9 * max(h, w) / 512)
    return brush.smoothstep(width + 0.7, width - 0.7, dist), brush.f32(smooth)


def _regions(barrier: npt.NDArray[np.bool_]) -> tuple[Labels, int, npt.NDArray[np.intp]]:
    """Labels 0..count-1 covering every pixel: areas enclosed by the (gap-closed) barrier, the
    small ones and the barrier itself given to the nearest region; and for every pixel the
    flat index of the region pixel it was given by (itself inside a region)."""
    h, w = barrier.shape
    r = max(1, round(3.5 * max(h, w) / 512))
    disc = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * r + 1, 2 * r + 1))
    closed = cv2.dilate(barrier.astype(np.uint8), disc)
    count, labels, stats, _ = cv2.connectedComponentsWithStats(1 - closed, connectivity=4)
    keep = stats[:, cv2.CC_STAT_AREA] >= max(30, 0.0015 * h * w)
    keep[0] = False
    if not keep.any():
        return np.zeros((h, w), np.int32), 1, np.arange(h * w)
    index = np.zeros(count, np.int32)
    index[keep] = np.arange(1, int(keep.sum()) + 1)
    labels = index[labels]
    # Every other pixel joins the region of its nearest region pixel.
    _, nearest = cv2.distanceTransformWithLabels(
        (labels == 0).astype(np.uint8), cv2.DIST_L2, 5, labelType=cv2.DIST_LABEL_PIXEL
    )
    seeds = labels > 0
    owner = np.zeros(int(nearest.max()) + 1, np.int32)
    owner[nearest[seeds]] = labels[seeds]
    where = np.zeros(int(nearest.max()) + 1, np.intp)
    where[nearest[seeds]] = np.flatnonzero(seeds)
    return np.asarray(owner[nearest] - 1, np.int32), int(keep.sum()), where[nearest].ravel()


@dataclass
class _Region:
    top: int
    bottom: int
    area: int
    role: str  #: ``sky`` | ``ground`` | ``backdrop`` | ``object`` | ``sun``
    centre: float  #: y of the centre, 0–1 of the height
    prominence: float  #: area, less toward the frame's edges: who gets the named colours
    colours: tuple[Float, Float] = (INK, INK)  #: (top, bottom) of its gradient fill
    shift: Float = field(default_factory=lambda: np.zeros(3, np.float32))  #: photo mode


def _describe(labels: Labels, count: int) -> tuple[list[_Region], dict[int, set[int]]]:
    """Each region's extent and role by position, and its neighbours."""
    h, w = labels.shape
    rows = np.zeros((count, h), bool)
    rows[labels, np.arange(h)[:, None]] = True
    cols = np.zeros((count, w), bool)
    cols[labels, np.arange(w)[None, :]] = True
    top, bottom = rows.argmax(1), h - 1 - rows[:, ::-1].argmax(1)
    width = w - cols[:, ::-1].argmax(1) - cols.argmax(1)
    area = np.bincount(labels.ravel(), minlength=count)
    ys, xs = (np.indices((h, w), np.float64)[k].ravel() for k in (0, 1))
    centre = np.bincount(labels.ravel(), weights=ys, minlength=count) / np.maximum(area, 1) / h
    middle = np.bincount(labels.ravel(), weights=xs, minlength=count) / np.maximum(area, 1) / w
    prominence = area * np.exp(-((middle - 0.5) ** 2 + (centre - 0.5) ** 2) / 0.1)
    at_top, at_bottom = set(labels[0].tolist()), set(labels[-1].tolist())
    at_side = set(labels[:, 0].tolist()) | set(labels[:, -1].tolist())
    neighbours: dict[int, set[int]] = {i: set() for i in range(count)}
    for one, two in ((labels[:, :-1], labels[:, 1:]), (labels[:-1], labels[1:])):
        diff = one != two
        for i, j in set(zip(one[diff].tolist(), two[diff].tolist(), strict=True)):
            neighbours[i].add(j)
            neighbours[j].add(i)
    regions = []
    for i in range(count):
        t, b, tall = int(top[i]), int(bottom[i]), int(bottom[i] - top[i] + 1)
        if i in at_top and i not in at_bottom and b < 0.8 * h:
            role = "sky"
        elif i in at_bottom and i not in at_top and t > 0.3 * h:
            role = "ground"
        elif i in at_top or i in at_bottom or (i in at_side and area[i] > 0.3 * h * w):
            role = "backdrop"
        else:  # a disc high up, not too big, is a sun
            fill = area[i] / max(1, int(width[i]) * tall)
            disc = 0.7 < fill < 0.86 and 0.8 < width[i] / tall < 1.25 and tall < 0.3 * h
            role = "sun" if disc and centre[i] < 0.4 else "object"
        edge = 0.3 if i in at_side else 1.0
        regions.append(_Region(t, b, int(area[i]), role, float(centre[i]), prominence[i] * edge))
    return regions, neighbours


def _colour(
    regions: list[_Region],
    neighbours: dict[int, set[int]],
    hints: dict[int, Hint],
    prompt: str,
    seed: int,
    *,
    steer: bool,
) -> None:
    """Fill colours for every region, in place (the module docstring's step 3). A hinted half
    of a region takes the hint's colour: as it is (a sketch's scribbles are what the artist
    wants), or pulled toward the named colour (``steer``: a photo's own colours)."""
    spec = parse_prompt(scene_prompt(prompt))
    sky_top, horizon = (_rgb(c) for c in SKIES.get(spec.time_of_day, SKIES["studio"]))
    sky_named = spec.sky is not None or spec.time_of_day != "studio"
    surface = spec.surface_color if spec.surface is not None else None
    dim = {"night": 0.5, "dusk": 0.75}.get(spec.time_of_day, 1.0)  # things in the dark
    ground = _rgb(surface or ((150, 196, 120), (226, 200, 150), (176, 206, 140))[seed % 3]) * dim
    things = [e for e in spec.elements if e.shape not in ("sun", "moon")]
    lower = [e.color for e in things if e.placement != "sky"]
    named_colours = [_rgb(c) for c in (*spec.colors, spec.prop_color, *lower) if c is not None]
    cloud = next((_rgb(e.color) for e in things if e.placement == "sky"), None)
    moon = SUN if dim == 1 else _rgb((246, 240, 214))
    sun = next((_rgb(e.color) for e in spec.elements if e.shape in ("sun", "moon")), moon)
    chosen = PALETTES[seed % len(PALETTES)]
    seeded = tuple(_rgb(chosen[(seed // 7 + i) % len(chosen)]) for i in range(len(chosen)))
    height = max(r.bottom for r in regions) + 1
    for i, region in enumerate(regions):
        if region.role == "sky":
            fill, named = (sky_top, horizon), sky_named
        elif region.role == "ground":
            fill, named = _tints(ground, 0.15, 0.9), surface is not None
        elif region.role == "backdrop":
            low = ground if region.bottom > 0.9 * height else horizon
            fill, named = (_tints(sky_top, 0.5)[0], _tints(low, 0.5)[0]), sky_named
        else:
            continue
        region.colours = _hinted(fill, hints.get(i), named and steer)
    objects = sorted((i for i, r in enumerate(regions) if r.role not in BACKGROUND),
                     key=lambda i: -regions[i].prominence)  # fmt: skip
    # Things alone in the sky (clouds, birds): upper objects touching only sky or each other.
    alone = {i for i in objects if regions[i].centre < 0.4 and regions[i].role == "object"}
    while lonely := {i for i in alone if any(
            j not in alone and regions[j].role != "sky" for j in neighbours[i])}:  # fmt: skip
        alone -= lonely
    given: dict[int, Float] = {}
    for rank, i in enumerate(objects):
        region = regions[i]
        colour: Float | None = None
        if region.role == "sun":
            colour = sun
        elif i in alone:
            colour = cloud
        elif i in given:
            colour = given[i]
        elif named_colours:
            colour = named_colours.pop(0)  # and the same thing's other parts (a photo's)
            given.update({j: colour for j in objects if _alike(hints.get(j), hints.get(i))})
        named = colour is not None and region.role != "sun"
        if colour is None and i in alone:
            fill = CLOUD
        else:
            if colour is None:
                used = [regions[j].colours[0] for j in neighbours[i]]
                colour = _distinct(seeded, used, rank)
            fill = _tints(colour * (dim if region.role != "sun" else 1.0))
        hint = hints.get(i)  # a sketch's object is one colour: scribbled all over, or not
        hint = hint if steer or (hint and all(c is not None for c in hint)) else None
        region.colours = _hinted(fill, hint, steer and named)


def _alike(a: Hint | None, b: Hint | None) -> bool:
    """Whether two regions' hint colours are nearly the same."""
    ca, cb = ([c for c in x or () if c is not None] for x in (a, b))
    return bool(ca and cb and np.abs(sum(ca) / len(ca) - sum(cb) / len(cb)).sum() < 0.18)


def _hinted(fill: tuple[Float, Float], hint: Hint | None, steer: bool) -> tuple[Float, Float]:
    """``fill`` where there is no hint; the hint, pulled toward ``fill`` (keeping some of its
    lightness) if ``steer``, where there is one."""
    out = [
        want if have is None else have
        for want, have in zip(fill, hint or (None, None), strict=True)
    ]
    if steer and hint is not None:
        out = [
            np.clip(o * 0.35 + (f + 0.4 * (o.mean() - f.mean())) * 0.65, 0, 1)
            for o, f in zip(out, fill, strict=True)
        ]
    return np.asarray(out[0], np.float32), np.asarray(out[1], np.float32)


def _distinct(choices: tuple[Float, ...], used: list[Float], rank: int) -> Float:
    """The first palette colour (from a rotating start) far from the neighbours' colours."""

    def gap(colour: Float) -> float:
        return min((float(np.abs(colour - u).sum()) for u in used), default=9.0)

    ordered = [choices[(rank + k) % len(choices)] for k in range(len(choices))]
    return next((c for c in ordered if gap(c) > 0.45), max(ordered, key=gap))


def _hint_colours(labels: Labels, count: int, hint: Float, weight: Float) -> dict[int, Hint]:
    """Per region: the mean hint colour of its upper and of its lower half, where the hint
    (``weight``) covers at least 6 % of that half, a little more saturated."""
    flat = labels.ravel()
    ys = np.indices(labels.shape)[0]
    middle = np.bincount(flat, ys.ravel(), count) / np.maximum(np.bincount(flat, None, count), 1)
    halves = []
    for part in (ys < middle[labels], ys >= middle[labels]):
        weights = (weight * part).ravel()
        covered = np.bincount(flat, weights, count)
        sums = np.stack(
            [np.bincount(flat, hint[..., c].ravel() * weights, count) for c in range(3)]
        )
        mean = (sums.T / np.maximum(covered, 1e-6)[:, None]).astype(np.float32)[None]
        ok = covered > 0.06 * np.bincount(flat, part.ravel().astype(np.float64), count)
        halves.append((brush.saturate(mean, 1.2)[0], ok))
    pairs = {i: tuple(m[i] if ok[i] else None for m, ok in halves) for i in range(count)}
    return {i: (p[0], p[1]) for i, p in pairs.items() if p[0] is not None or p[1] is not None}


def _paint(
    labels: Labels, regions: list[_Region], ink: Float, photo: Float | None, seed: int
) -> RGBImage:
    """Fills (gradients, or the photo's flattened colours shifted per region), pillow shading
    on objects, occlusion along the lines, a wash, paper grain, then the ink."""
    h, w = ink.shape
    sh, sw = labels.shape
    rng = np.random.default_rng([seed & 0xFFFFFFFF, 29])
    full = np.asarray(cv2.resize(labels, (w, h), interpolation=cv2.INTER_NEAREST), np.int32)
    if photo is not None:
        fill = brush.up(photo, (h, w)) + np.stack([r.shift for r in regions])[full]
        shade = np.ones((h, w), np.float32)
    else:
        tops, bottoms = (np.stack([r.colours[k] for r in regions]) for k in (0, 1))
        span = np.array([(r.top, max(r.bottom, r.top + 1)) for r in regions], np.float32) * (h / sh)
        ys = np.arange(h, dtype=np.float32)[:, None]
        t = np.clip((ys - span[full, 0]) / (span[full, 1] - span[full, 0]), 0, 1)[..., None]
        fill = tops[full] * (1 - t) + bottoms[full] * t
        # Pillow: the distance to the region's edge over the largest such distance in it.
        edge = np.zeros((sh, sw), np.uint8)
        edge[:, 1:] |= labels[:, 1:] != labels[:, :-1]
        edge[1:] |= labels[1:] != labels[:-1]
        inner = cv2.distanceTransform(1 - edge, cv2.DIST_L2, 3)
        reach = np.zeros(len(regions), np.float32)
        np.maximum.at(reach, labels.ravel(), inner.ravel())
        is_object = np.array([r.role not in BACKGROUND for r in regions])
        pillow = np.sqrt(np.clip(inner / np.maximum(reach[labels], 1.0), 0, 1))
        shade = brush.up(np.where(is_object[labels], 0.88 + 0.14 * pillow, 1.0), (h, w))
    unit = max(h, w) / 512
    near = np.minimum(cv2.distanceTransform((ink < 0.5).astype(np.uint8), cv2.DIST_L2, 3), 1e4)
    shade = shade * (1 - 0.13 * np.exp(-near / (3.0 * unit)))  # occlusion along the lines
    shade = shade * (1 + 0.035 * brush.fractal((h, w), 40 * unit, rng, 3))  # wash
    shade = shade * (1 + 0.018 * brush.grain((h, w), rng))  # paper
    out = fill * shade[..., None] * (1 - ink[..., None]) + INK * ink[..., None]
    return brush.u8(np.asarray(out, np.float32))


def doodle(image: RGBImage, prompt: str, is_sketch: bool, seed: int) -> RGBImage:
    """A sketch (``is_sketch``) or a photo's line art painted as an illustration; same size.
    See the module docstring for the steps."""
    rgb = np.ascontiguousarray(image[..., :3])
    work = brush.work(rgb, WORK_SIDE)
    size = (work.shape[1], work.shape[0])
    # 1. Line art and colour hints.
    if is_sketch:
        ink, scribble = _sketch_ink(rgb)
        hint = brush.f32(work)
        weight = brush.smoothstep(0.3, 0.6, brush.up(scribble, work.shape))
    else:
        ink, hint = _photo_ink(rgb, work)
    # 2. Regions, on the work copy.
    barrier = cv2.resize(ink, size, interpolation=cv2.INTER_AREA) > 0.3
    labels, count, source = _regions(barrier)
    regions, neighbours = _describe(labels, count)
    if not is_sketch:  # lines and slivers take the colour of the region they joined
        hint = hint.reshape(-1, 3)[source].reshape(hint.shape)
        weight = np.ones(work.shape[:2], np.float32)
    # 3. Colours; a photo keeps its own, flattened, each region moved toward what is named.
    hints = _hint_colours(labels, count, hint, weight)
    _colour(regions, neighbours, hints, prompt, seed, steer=not is_sketch)
    photo = None
    if not is_sketch:
        for i, region in enumerate(regions):
            if raw := [c for c in hints.get(i, (None, None)) if c is not None]:
                shift = (region.colours[0] + region.colours[1]) / 2 - sum(raw) / len(raw)
                region.shift = np.asarray(shift, np.float32)
        guide = ((labels * 97) % 256).astype(np.uint8)  # no smoothing across regions
        smooth = cv2.ximgproc.fastGlobalSmootherFilter(guide, brush.u8(hint), 400.0, 4.0)
        soft = brush.f32(np.asarray(smooth, np.uint8))  # flattened, some gradient kept
        flat = brush.f32(apply_style(brush.u8(soft), "<flat illustration>", seed))
        photo = brush.saturate(
            brush.blur(np.asarray(0.6 * flat + 0.4 * soft, np.float32), 1.0), 1.15
        )
    # 4. Paint.
    return _paint(labels, regions, ink, photo, seed)


def cartoon_scene(image: RGBImage, prompt: str, size: tuple[int, int], seed: int) -> RGBImage:
    """The reference's character, cut out, standing in a cartoon-styled scene drawn from the
    prompt at ``size`` = (width, height); its pixels are kept, only scaled."""
    width, height = size
    # 1. The character and its bounding box.
    alpha = subject_alpha(image, seed)
    ys, xs = np.nonzero(alpha > 0.5)
    if ys.size == 0:  # nothing found: the whole reference
        alpha, (ys, xs) = np.ones_like(alpha), np.indices(alpha.shape).reshape(2, -1)
    cutout = np.dstack([image[..., :3], brush.u8(alpha)])
    crop = np.ascontiguousarray(cutout[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1])
    # 2. Scaled to about 60 % of the height, standing on the ground line, a little off centre.
    ch, cw = crop.shape[:2]
    scale = min(0.6 * height / ch, 0.5 * width / cw)
    nw, nh = max(1, round(cw * scale)), max(1, round(ch * scale))
    interp = cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC
    crop = np.asarray(cv2.resize(crop, (nw, nh), interpolation=interp), np.uint8)
    x = int(
        np.clip(
            round((width - nw) / 2 + np.random.default_rng(seed).uniform(-0.12, 0.12) * width),
            0,
            width - nw,
        )
    )
    y = max(0, min(height - nh, round(height * 0.9) - nh))
    subject = np.zeros((height, width, 4), np.uint8)
    subject[y : y + nh, x : x + nw] = crop
    # 3. The scene around it, in a cartoon style (the character is not restyled).
    words = CHARACTER.sub(" ", prompt)
    spec = parse_prompt(scene_prompt(words))
    scene = render_scene(spec, size, seed, quality="v3", footprint=footprint_of(subject[..., 3]))
    style = find_style(words) or "<flat illustration>"
    background = brush.f32(apply_style(scene.image, style, seed))
    # 4. Shadows, rim light, the character on top, its opaque pixels exact.
    a = (subject[..., 3] / np.float32(255)).astype(np.float32)
    rgb = brush.f32(np.ascontiguousarray(subject[..., :3]))
    background = stage_subject(background, rgb, a, scene)
    rgb = harmonise_rim(rgb, a, background)
    out = brush.u8(np.asarray(rgb * a[..., None] + background * (1 - a[..., None]), np.float32))
    opaque = subject[..., 3] == 255
    out[opaque] = subject[..., :3][opaque]
    return out
