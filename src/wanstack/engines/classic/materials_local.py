"""Local stylization for wanx2.1-imageedit's ``stylization_local``: the subject becomes a material.

:func:`local_style` gives the picture's main subject one of eight surfaces named by the prompt
(Chinese or English; words after 变成/into win; none named: the seed picks): ice (冰雕), cloud
(云朵), chinese festive lantern (花灯), wooden (木板), blue and white porcelain (青花瓷), fluffy
(毛茸茸), weaving (毛线), balloon (气球). 1. The mask (:func:`subject_alpha`): what differs from
a plain background connected to the border, else image-to-video's saliency-seeded GrabCut run
twice, its edge snapped to the picture. 2. The form: a dome over the mask's distance transform
gives normals for light and speculars, the picture's luminance keeps its shading, patterns
wrap around the vertical axis. 3. The surface, procedural (ice: refraction, cracks; cloud:
puffs, soft outline; lantern: glowing paper, ribs, gold bands, halo; wood: fBm rings, planks;
porcelain: cobalt scrolls and peonies on glossy white; fluffy: fur strands; weaving: knitted V
stitches; balloon: inflated glossy latex). 4. Over the original with a feathered edge: outside
the subject only what the material sheds changes (a lantern's glow, a cloud's or fur's rim).

A classical method restyles the *salient* region by masks and textures: no 3D re-modelling,
no knowing which object the prompt names (the salient one is restyled), no new silhouette
beyond a soft rim; the dome lights flat or concave objects as if they bulged, and holes that
show the background (a cup's handle) count as the subject.
"""

from __future__ import annotations

import re
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt

from wanstack.engines.base import RGBImage
from wanstack.engines.classic import brushwork as brush
from wanstack.engines.classic.grades import _words
from wanstack.engines.classic.image2video import ANALYSIS_SIDE, Subject, _foreground_alpha
from wanstack.engines.classic.scene import parse_prompt
from wanstack.engines.classic.staging import wide_blur

Float = npt.NDArray[np.float32]
Look = tuple[Float, Float, Float]  #: a material's surface RGB, its alpha, what it goes over

MATERIALS = ("ice", "cloud", "lantern", "wooden", "porcelain", "fluffy", "weaving", "balloon")
_WORDS = {
    "ice": ("冰雕", "冰块", "冰晶", "冰", "ice", "icy", "frozen", "ice sculpture", "glacial"),
    "cloud": ("云朵", "白云", "云彩", "云", "cloud", "clouds", "cloudy"),
    "lantern": ("花灯", "灯笼", "宫灯", "彩灯", "lantern", "lanterns", "festive lantern"),
    "wooden": ("木板", "木头", "木质", "木雕", "木", "wood", "wooden", "timber", "plank"),
    "porcelain": ("青花瓷", "青花", "瓷器", "瓷", "porcelain", "blue and white", "ceramic"),
    "fluffy": ("毛茸茸", "毛绒", "绒毛", "fluffy", "fur", "furry", "plush", "fuzzy"),
    "weaving": ("毛线", "编织", "针织", "钩织", "knit", "knitted", "knitting", "yarn", "wool",
                "weaving", "woven", "crochet"),
    "balloon": ("气球", "balloon", "balloons", "inflatable"),
}  # fmt: skip
_PATTERNS = {name: _words(*words) for name, words in _WORDS.items()}
_INTO = re.compile(r"变成|变为|改成|换成|做成|改为|turn\w*\s+\w*\s*into|into|made of", re.I)
LIGHT = np.array([-0.45, -0.6, 0.66], np.float32) / np.float32(np.linalg.norm([-0.45, -0.6, 0.66]))


def _c(values: list[float]) -> Float:
    return np.asarray(values, np.float32)


def find_material(prompt: str, seed: int) -> str:
    """The material the prompt names first (after 变成/into, if it says so), else by seed."""
    marker = _INTO.search(prompt)
    for text in ((prompt[marker.end() :],) if marker else ()) + (prompt,):
        hits = [(m.start(), name) for name, p in _PATTERNS.items() if (m := p.search(text))]
        if hits:
            return min(hits)[1]
    return MATERIALS[seed % len(MATERIALS)]


def subject_alpha(image: RGBImage, seed: int) -> Float:
    """Soft 0–1 mask of the main subject: its own alpha when the image has one; else what
    differs from a plain background connected to the border; else saliency-seeded GrabCut."""
    if image.ndim == 3 and image.shape[2] == 4 and int(image[..., 3].min()) < 250:
        return np.asarray(image[..., 3], np.float32) / np.float32(255)
    rgb = np.ascontiguousarray(image[..., :3])
    plain = _plain_background(rgb)
    if plain is not None:
        return plain
    subject = Subject(rgb, seed)
    small = _refine(subject.small, _foreground_alpha(subject.small, subject.saliency, seed), seed)
    h, w = rgb.shape[:2]
    alpha = cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR)
    # The analysis ran at ANALYSIS_SIDE: snap the upscaled edge to the picture's own edges.
    radius = max(2, round(max(h, w) / ANALYSIS_SIDE * 3))
    snapped = cv2.ximgproc.guidedFilter(brush.f32(rgb), alpha, radius, 1e-3)
    return brush.smoothstep(0.35, 0.65, np.asarray(snapped, np.float32))


def _disc(size: float) -> npt.NDArray[np.uint8]:
    k = max(3, int(size)) | 1
    return np.asarray(cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k)), np.uint8)


def _filled(mask: npt.NDArray[Any], keep: float) -> npt.NDArray[np.uint8]:
    """The parts of ``mask`` at least ``keep`` times the largest one, holes filled."""
    mask = np.asarray(mask, np.uint8)
    contours, _ = cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    big = max((cv2.contourArea(c) for c in contours), default=0.0)
    kept = [c for c in contours if cv2.contourArea(c) >= big * keep]
    return np.asarray(cv2.drawContours(np.zeros_like(mask), kept, -1, 1, cv2.FILLED), np.uint8)


def _refine(small: RGBImage, alpha: Float, seed: int) -> Float:
    """GrabCut again, seeded by the first cut made whole (gaps closed, holes filled, its core
    certain): a strip the first pass lost inside the subject comes back."""
    hard = (alpha > 0.5).astype(np.uint8)
    ys, xs = np.nonzero(hard)
    if ys.size == 0:
        return alpha
    side = max(int(np.ptp(ys)), int(np.ptp(xs)), 8)
    closed = _filled(cv2.morphologyEx(hard, cv2.MORPH_CLOSE, _disc(side * 0.1)), 1 / 3)
    mask = np.full(hard.shape, cv2.GC_BGD, np.uint8)
    mask[cv2.dilate(closed, _disc(side * 0.2)) > 0] = cv2.GC_PR_BGD
    mask[closed > 0] = cv2.GC_PR_FGD
    mask[cv2.erode(closed, _disc(side * 0.3)) > 0] = cv2.GC_FGD
    bgr = np.asarray(cv2.cvtColor(small, cv2.COLOR_RGB2BGR), np.uint8)
    cv2.setRNGSeed(seed)  # GrabCut's k-means initialisation draws from OpenCV's RNG
    models = np.zeros((1, 65)), np.zeros((1, 65))
    cv2.grabCut(bgr, mask, (0, 0, 0, 0), *models, 3, cv2.GC_INIT_WITH_MASK)
    solid = np.isin(mask, (cv2.GC_FGD, cv2.GC_PR_FGD)).astype(np.uint8)
    opened = cv2.morphologyEx(solid, cv2.MORPH_OPEN, _disc(side * 0.03))
    return _filled(opened, 1 / 3).astype(np.float32)


def _plain_background(rgb: RGBImage) -> Float | None:
    """The subject on a plain background: everything not connected to the border through
    pixels of the border's colour. None when the border is not one plain colour."""
    lab = cv2.cvtColor(brush.f32(rgb), cv2.COLOR_RGB2LAB)
    band = max(2, round(min(rgb.shape[:2]) * 0.015))
    sides = (lab[:band], lab[-band:], lab[:, :band], lab[:, -band:])
    ring = np.concatenate([side.reshape(-1, 3) for side in sides])
    ref = np.median(ring, axis=0)
    ring_dist = np.linalg.norm(ring - ref, axis=1)
    if float(np.mean(ring_dist < 8.0)) < 0.9:
        return None
    dist = np.linalg.norm(lab - ref, axis=2)
    tol = max(6.0, 2.5 * float(np.quantile(ring_dist, 0.9)))
    _, labels = cv2.connectedComponents((dist < tol).astype(np.uint8), connectivity=4)
    edge = np.unique(np.concatenate([labels[0], labels[-1], labels[:, 0], labels[:, -1]]))
    solid = _filled(~np.isin(labels, edge[edge > 0]), 0.02)
    if not 0.01 <= float(solid.mean()) <= 0.9:
        return None
    # Anti-aliased rim: partial pixels by how far their colour is from the background's.
    rim = cv2.dilate(solid, _disc(3)) > cv2.erode(solid, _disc(3))
    return np.where(rim, np.clip((dist - 0.5 * tol) / (2.0 * tol), 0, 1), solid).astype(np.float32)


class _Form:
    """The subject's geometry: mask, box, dome normals, lighting terms, around-the-axis
    surface coordinates, and the picture's own shading."""

    def __init__(self, rgb: Float, alpha: Float) -> None:
        h, w = alpha.shape
        self.alpha = alpha
        self.hard = (alpha > 0.5).astype(np.uint8)
        self.hard[h // 2, w // 2] |= not self.hard.any()  # no subject: the middle pixel
        ys, xs = np.nonzero(self.hard)
        self.box = (int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1)
        self.side = max(8, int(np.ptp(xs)) + 1, int(np.ptp(ys)) + 1)
        self.normals(self.hard)
        lum, inside = brush.gray(rgb), self.hard > 0
        self.shade = np.clip(1.0 + 0.9 * (brush.blur(lum, 1.0) - lum[inside].mean()), 0.45, 1.45)
        self.colour = np.median(rgb[inside], axis=0).astype(np.float32)
        self.paint = self.colour  #: the colour of yarn and latex
        # Around the vertical axis: per row the mask's extent; theta ∈ [-π/2, π/2] across it.
        rows = inside.any(axis=1)
        left = np.where(rows, np.argmax(inside, axis=1), 0).astype(np.float32)
        right = np.where(rows, w - 1 - np.argmax(inside[:, ::-1], axis=1), 1).astype(np.float32)
        mid, half = (left + right) / 2, np.maximum((right - left) / 2, 1.0)
        xn = (np.arange(w, dtype=np.float32)[None, :] - mid[:, None]) / half[:, None]
        self.theta = np.asarray(np.arcsin(np.clip(xn, -1.0, 1.0)), np.float32)
        self.u = np.asarray(self.theta * half[:, None], np.float32)  # arc length, pixels
        self.y = np.broadcast_to(np.arange(h, dtype=np.float32)[:, None], (h, w))

    def normals(self, hard: npt.NDArray[np.uint8]) -> None:
        """Dome height (a circular profile over the distance to the outline) and its normals."""
        dist = cv2.distanceTransform(hard, cv2.DIST_L2, 5)
        dmax = max(float(dist.max()), 1.0)
        t = np.clip(dist / dmax, 0.0, 1.0)
        self.height = brush.blur(np.sqrt(1.0 - (1.0 - t) ** 2).astype(np.float32), dmax * 0.08)
        self.relief(self.height * dmax)

    def relief(self, height_px: Float) -> None:
        """Normals and lighting terms of a height field given in pixels."""
        gx = cv2.Sobel(height_px, cv2.CV_32F, 1, 0, ksize=3) / 8
        gy = cv2.Sobel(height_px, cv2.CV_32F, 0, 1, ksize=3) / 8
        norm = np.sqrt(gx * gx + gy * gy + 1.0)
        self.n = np.stack([-gx / norm, -gy / norm, 1.0 / norm], axis=2).astype(np.float32)
        self.lambert = np.clip(self.n @ LIGHT, 0.0, 1.0)
        half = LIGHT + np.array([0, 0, 1], np.float32)
        self.ndoth = np.clip(self.n @ (half / np.linalg.norm(half)), 0.0, 1.0)
        self.fresnel = (1.0 - self.n[..., 2]) ** 2

    def spec(self, power: float) -> Float:
        return np.asarray(self.ndoth**power, np.float32)


def _ice(rgb: Float, f: _Form, rng: np.random.Generator) -> Look:
    h, w = f.alpha.shape
    # Refraction: the picture seen through the body, displaced along the normals and blurred.
    k = f.side * 0.08
    grid_y, grid_x = np.mgrid[0:h, 0:w].astype(np.float32)
    bent = cv2.remap(rgb, grid_x + f.n[..., 0] * k, grid_y + f.n[..., 1] * k, cv2.INTER_LINEAR,
                     borderMode=cv2.BORDER_REFLECT)  # fmt: skip
    bent = wide_blur(bent, f.side * 0.015)
    body = _c([0.74, 0.9, 0.97]) * ((0.72 + 0.35 * f.lambert) * (0.8 + 0.2 * f.shade))[..., None]
    out = 0.62 * body + 0.38 * (brush.gray(bent)[..., None] * _c([0.75, 0.92, 1.0]) + 0.1)
    out += (0.05 * brush.fractal((h, w), f.side * 0.05, rng, 4) + 0.35 * f.fresnel)[..., None]
    # Cracks: branching random walks inside the body, a bright line with a darker refracted side.
    cracks = np.zeros((h, w), np.float32)
    x0, y0, x1, y1 = f.box
    thick = max(1, round(f.side / 300))
    for _ in range(10):
        turns = rng.uniform(0, 2 * np.pi) + np.cumsum(rng.normal(0, 0.6, 7))
        steps = np.stack([np.cos(turns), np.sin(turns)], 1) * rng.uniform(0.02, 0.06, (7, 1))
        walk = rng.uniform((x0, y0), (x1, y1)) + np.cumsum(np.vstack([[0, 0], steps * f.side]), 0)
        cv2.polylines(cracks, [walk.astype(np.int32)], False, 1.0, thick, cv2.LINE_AA)
    cracks *= f.hard
    shadow = np.roll(cracks, (thick + 1, thick + 1), axis=(0, 1))
    out = out * (1 - 0.22 * shadow)[..., None] + (0.55 * cracks)[..., None]
    out += (0.9 * f.spec(80) + 0.25 * f.spec(10))[..., None]
    return out, f.alpha, rgb


def _cloud(rgb: Float, f: _Form, rng: np.random.Generator) -> Look:
    h, w = f.alpha.shape
    # Puffs: spherical caps along the outline and inside it, their union the cloud's body.
    puffs = np.zeros((h, w), np.float32)
    contours, _ = cv2.findContours(f.hard, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
    outline = np.concatenate([c.reshape(-1, 2) for c in contours]).astype(np.float32)
    ys, xs = np.nonzero(f.hard)
    inner = np.stack([xs, ys], 1)[rng.integers(0, len(xs), 12)].astype(np.float32)
    step = max(1, int(len(outline) / max(8.0, len(outline) / (f.side * 0.07))))
    centres = [(p, f.side * rng.uniform(0.06, 0.11)) for p in outline[::step]]
    centres += [(p, f.side * rng.uniform(0.08, 0.14)) for p in inner]
    for (cx, cy), r in centres:
        xa, xb = int(max(0, cx - r)), int(min(w, cx + r + 1))
        ya, yb = int(max(0, cy - r)), int(min(h, cy + r + 1))
        gy, gx = np.mgrid[ya:yb, xa:xb].astype(np.float32)
        cap = np.sqrt(np.clip(r * r - (gx - cx) ** 2 - (gy - cy) ** 2, 0, None))
        puffs[ya:yb, xa:xb] = np.maximum(puffs[ya:yb, xa:xb], cap)
    body = np.maximum(puffs > 0, f.hard > 0).astype(np.float32)
    puffs = np.maximum(puffs, f.height * f.side * 0.25)
    soft = brush.blur(body, f.side * 0.012)
    wisp = brush.fractal((h, w), f.side * 0.03, rng, 3)
    alpha = brush.smoothstep(0.25, 0.75, soft + 0.35 * wisp * (soft > 0.02) * (soft < 0.98))
    f.relief(brush.blur(puffs, f.side * 0.012) * 0.7)
    billow = 1.0 - np.abs(brush.fractal((h, w), f.side * 0.05, rng, 4))
    low = np.clip((f.y - f.box[1]) / max(1, f.box[3] - f.box[1]), 0, 1)  # darker underside
    light = 0.42 + 0.55 * f.lambert + 0.15 * billow + 0.1 * (f.shade - 1) - 0.22 * low
    light = np.clip(light, 0.0, 1.0)
    shadow, bright = _c([0.56, 0.62, 0.77]), _c([1.0, 1.0, 0.99])
    out = shadow + (bright - shadow) * light[..., None] ** 0.7
    return out, alpha, rgb


def _lantern(rgb: Float, f: _Form, rng: np.random.Generator) -> Look:
    _, y0, _, y1 = f.box
    glow = f.height**0.7
    paper = _c([0.82, 0.08, 0.05]) * (0.55 + 0.75 * glow)[..., None]
    paper += _c([0.45, 0.28, 0.02]) * (glow**3)[..., None]  # the hot centre
    paper *= (0.85 + 0.15 * f.shade + 0.05 * brush.grain(f.alpha.shape, rng))[..., None]
    # Ribs: meridians around the vertical axis; gold bands at the top and bottom.
    ribs = brush.smoothstep(0.93, 0.99, np.abs(np.cos(f.theta * 7.0)))
    out = paper * (1 - 0.55 * ribs)[..., None]
    band = max(2.0, (y1 - y0) * 0.08)
    bands = ((f.y < y0 + band) | (f.y > y1 - band)).astype(np.float32)
    gold = _c([0.95, 0.70, 0.24]) * (0.55 + 0.6 * f.lambert)[..., None] + f.spec(40)[..., None]
    out = out * (1 - bands[..., None]) + gold * bands[..., None]
    # Warm halo on the surroundings.
    halo = wide_blur(f.hard.astype(np.float32), f.side * 0.12)
    warm = 1 - (1 - rgb) * (1 - 0.55 * halo[..., None] * _c([1.0, 0.55, 0.2]))
    return out, f.alpha, np.asarray(warm, np.float32)


def _stretched_noise(shape: tuple[int, int], cell: float, rng: np.random.Generator) -> Float:
    """fBm stretched eightfold along x: the fibres of wood."""
    h, w = shape
    small = brush.fractal((h, max(8, w // 8)), cell, rng, 4)
    return np.asarray(cv2.resize(small, (w, h), interpolation=cv2.INTER_CUBIC), np.float32)


def _wooden(rgb: Float, f: _Form, rng: np.random.Generator) -> Look:
    h, w = f.alpha.shape
    _, y0, _, y1 = f.box
    plank = max(6.0, (y1 - y0) / 6.5)
    index = np.floor((f.y - y0) / plank)
    offset = rng.uniform(0, 1000, 64).astype(np.float32)
    phase = offset[index.astype(np.int64) % 64]
    distort = _stretched_noise((h, w), f.side * 0.08, rng)
    rings = (f.y * 0.9 + 0.02 * (f.u + phase) ** 2 / plank + distort * plank * 1.4) / (plank * 0.28)
    ring = 0.5 + 0.5 * np.sin(rings * 2 * np.pi)
    fibre = _stretched_noise((h, w), max(2.0, f.side * 0.006), rng)
    dark, light = _c([0.40, 0.23, 0.11]), _c([0.80, 0.58, 0.35])
    tone = np.clip(ring**2.2 * 0.7 + 0.15 * fibre + 0.2, 0, 1)
    out = light + (dark - light) * tone[..., None]
    out *= (0.9 + 0.12 * np.sin(phase * 0.37))[..., None]  # plank-to-plank variation
    # Seams: a dark gap at each plank's edge and a lit bevel under it.
    local = (f.y - y0) - index * plank
    seam = brush.smoothstep(1.6, 0.4, local) + brush.smoothstep(plank - 1.2, plank, local)
    bevel = brush.smoothstep(3.0, 1.2, local) * (1 - brush.smoothstep(1.6, 0.4, local))
    out = out * (1 - 0.6 * seam)[..., None] + (0.08 * bevel)[..., None]
    out *= (0.55 + 0.35 * f.lambert + 0.25 * (f.shade - 0.5))[..., None]
    out += (0.12 * f.spec(25))[..., None]
    return out, f.alpha, rgb


def _porcelain(rgb: Float, f: _Form, rng: np.random.Generator) -> Look:
    h, w = f.alpha.shape
    _, y0, _, y1 = f.box
    # The ornament is drawn flat, in (arc length, y), then wrapped around the body.
    reach = int(np.abs(f.u).max()) + 2
    flat = np.zeros((h, 2 * reach + 1), np.float32)
    tall = y1 - y0
    t = max(1, round(tall / 160))
    aa = cv2.LINE_AA
    at = np.poly1d([tall, y0])  # a fraction of the height → y
    for frac in (0.09, 0.115, 0.3, 0.32, 0.7, 0.72, 0.9, 0.925):
        cv2.line(flat, (0, round(at(frac))), (2 * reach, round(at(frac))), 1.0, t, aa)
    # Scrolls on the neck band, a petal frieze on the shoulder, lotus panels at the foot.
    r = max(3.0, tall * 0.035)
    turn = np.linspace(0.5, 11, 28)
    curl = np.stack([np.cos(turn), np.sin(turn)], 1) * (r * turn / 11)[:, None]
    for cx in np.arange(r, 2 * reach, 2.6 * r):
        cv2.polylines(flat, [(curl + np.array([cx, at(0.2)])).astype(np.int32)], False, 1.0, t, aa)
    step = tall * 0.11
    for cx in np.arange(step / 2, 2 * reach, step):
        tip = [(cx - step / 2, at(0.3)), (cx, at(0.24)), (cx + step / 2, at(0.3))]
        cv2.fillPoly(flat, [np.array(tip, np.int32)], 0.8, aa)
        cv2.ellipse(flat, (round(cx), round(at(0.9))), (round(step * 0.42), round(tall * 0.15)),
                    0, 180, 360, 1.0, t, aa)  # fmt: skip
        cv2.ellipse(flat, (round(cx), round(at(0.9))), (round(step * 0.25), round(tall * 0.09)),
                    0, 180, 360, 0.9, -1, aa)  # fmt: skip
    # The main band: a wavy vine with leaves and peonies at its crests.
    wave = tall * 0.42
    xs = np.arange(0, 2 * reach + 1, 2, dtype=np.float32)
    phase = rng.uniform(0, 2 * np.pi)
    ys = at(0.51) + tall * 0.06 * np.sin(xs / wave * 2 * np.pi + phase)
    cv2.polylines(flat, [np.stack([xs, ys], 1).astype(np.int32)], False, 1.0, t + 1, aa)
    size = tall * 0.075
    for k, cx in enumerate(np.arange(0, 2 * reach + wave, wave / 2)):
        cy = at(0.55 - 0.08 * (k % 2)) + tall * 0.06 * np.sin(cx / wave * 2 * np.pi + phase)
        for ring, scale in ((0.6, 0.5), (1.0, 0.28)):  # two rings of petals
            for a in np.arange(7) * 2 * np.pi / 7 + ring:
                petal = (round(cx + np.cos(a) * size * scale), round(cy + np.sin(a) * size * scale))
                axes = (round(size * 0.8 * scale), round(size * 0.48 * scale))
                cv2.ellipse(flat, petal, axes, float(np.degrees(a)), 0, 360, 0.55, -1, aa)
                cv2.ellipse(flat, petal, axes, float(np.degrees(a)), 0, 360, 1.0, t, aa)
        lx = cx + wave * 0.25  # a leaf on the vine between two flowers
        ly = at(0.51) + tall * 0.06 * np.sin(lx / wave * 2 * np.pi + phase) - tall * 0.03
        axes = (round(size * 0.5), round(size * 0.16))
        cv2.ellipse(flat, (round(lx), round(ly)), axes, 35.0, 0, 360, 0.85, -1, aa)
    wrapped = cv2.remap(flat, f.u + reach, np.ascontiguousarray(f.y), cv2.INTER_LINEAR)
    pattern = brush.blur(np.asarray(wrapped, np.float32), 0.6) * (
        0.8 + 0.2 * brush.fractal((h, w), 6, rng, 2)
    )
    pattern = pattern * brush.smoothstep(0.0, 0.3, np.cos(f.theta))  # fades over the horizon
    white = _c([0.95, 0.955, 0.965]) * (0.7 + 0.3 * f.lambert)[..., None]
    cobalt = _c([0.09, 0.2, 0.58]) * (0.75 + 0.25 * f.lambert)[..., None]
    out = white + (cobalt - white) * pattern[..., None]
    out *= (0.85 + 0.15 * f.shade)[..., None]
    out += (0.9 * f.spec(120) + 0.18 * f.spec(12) + 0.12 * f.fresnel)[..., None]
    return np.asarray(out, np.float32), f.alpha, rgb


def _fluffy(rgb: Float, f: _Form, rng: np.random.Generator) -> Look:
    h, w = f.alpha.shape
    # Strands along the outward normal, on a half-size copy (the smearing is the costly part).
    sh, sw = max(8, h // 2), max(8, w // 2)
    angle = np.arctan2(f.n[..., 1], f.n[..., 0]) + 0.4 * brush.noise((h, w), f.side * 0.1, rng)
    small = np.asarray(cv2.resize(angle.astype(np.float32), (sw, sh), interpolation=0), np.float32)
    length = max(5, round(f.side * 0.03))
    fur = brush.up(brush.strokes((sh, sw), small, length, rng, bins=8, width=0.6), (h, w))
    base = brush.saturate(wide_blur(rgb, f.side * 0.04), 1.15) * 0.85 + 0.12
    out = base * (0.55 + 0.35 * f.lambert + 0.2 * (f.shade - 1))[..., None]
    out *= (0.88 + 0.16 * np.clip(fur, -1.5, 1.5))[..., None]
    out += (0.12 * f.fresnel * (fur > 0.5))[..., None]  # lit tips on the rim
    rim = brush.blur(f.hard.astype(np.float32), f.side * 0.012)
    alpha = brush.smoothstep(0.25, 0.6, rim + 0.25 * fur * (rim > 0.05) * (rim < 0.95))
    return out, alpha, rgb


def _weaving(rgb: Float, f: _Form, rng: np.random.Generator) -> Look:
    h, w = f.alpha.shape
    cell = max(6.0, f.side * 0.05)
    su, sv = f.u / cell, f.y / (cell * 0.8)
    fu, row = su - np.floor(su), np.floor(sv)
    stitch = np.zeros((h, w), np.float32)
    # A V stitch: two slanted elongated legs meeting at the bottom, each row overlapping the next.
    for dv in (0.0, 1.0):
        fv = sv - row + dv - 0.5
        for side in (-1.0, 1.0):
            a = (fu - 0.5 - side * 0.22) * 0.94 + (fv - 0.1) * side * 0.34
            b = (fu - 0.5 - side * 0.22) * -0.34 * side + (fv - 0.1) * 0.94
            ellipse = (a / 0.19) ** 2 + (b / 0.55) ** 2
            stitch = np.maximum(stitch, np.sqrt(np.clip(1 - ellipse, 0, 1)))
    ply = 0.5 + 0.5 * np.sin((fu * 14 + sv * 9) * np.pi)
    yarn = f.paint * (0.25 + 0.75 * stitch + 0.08 * ply * stitch)[..., None]
    yarn *= (0.6 + 0.4 * f.lambert + 0.2 * (f.shade - 1))[..., None]
    yarn *= (1 + 0.06 * brush.grain((h, w), rng))[..., None]
    alpha = brush.blur(f.alpha, max(0.8, f.side * 0.003))
    return yarn, alpha, rgb


def _balloon(rgb: Float, f: _Form, rng: np.random.Generator) -> Look:
    # Inflated: the outline rounded and pushed out a little, then lit as a sphere-like dome.
    grow = max(3, round(f.side * 0.04))
    puffed = cv2.dilate(cv2.morphologyEx(f.hard, cv2.MORPH_CLOSE, _disc(2 * grow)), _disc(grow))
    alpha = brush.smoothstep(0.4, 0.6, brush.blur(puffed.astype(np.float32), grow * 0.7))
    f.normals((alpha > 0.5).astype(np.uint8))
    diffuse = 0.3 + 0.7 * f.lambert + 0.12 * (f.shade - 1)
    out = f.paint * (diffuse + 0.35 * f.fresnel)[..., None]  # the thin latex glows at the rim
    out += (0.75 * f.spec(14) + 0.9 * f.spec(160))[..., None]
    return out, alpha, rgb


def _vivid(colour: Float, rng: np.random.Generator) -> Float:
    """The subject's colour made saturated; a seeded colour for a grey subject."""
    hsv = cv2.cvtColor(colour.reshape(1, 1, 3), cv2.COLOR_RGB2HSV).reshape(3)
    if hsv[1] < 0.15:
        choices = ((0.86, 0.16, 0.2), (0.18, 0.45, 0.85), (0.95, 0.62, 0.18), (0.3, 0.66, 0.4),
                   (0.6, 0.3, 0.75), (0.95, 0.45, 0.62))  # fmt: skip
        return np.asarray(choices[int(rng.integers(len(choices)))], np.float32)
    hsv[1], hsv[2] = 0.8, 0.86
    return np.asarray(cv2.cvtColor(hsv.reshape(1, 1, 3), cv2.COLOR_HSV2RGB).reshape(3), np.float32)


_LOOKS = (_ice, _cloud, _lantern, _wooden, _porcelain, _fluffy, _weaving, _balloon)
_RENDERERS = dict(zip(MATERIALS, _LOOKS, strict=True))


def local_style(image: RGBImage, prompt: str, seed: int) -> RGBImage:
    """The main subject of ``image`` turned into the material the prompt names (see the module
    docstring); same size, the background kept outside a feathered edge."""
    material = find_material(prompt, seed)
    rng = np.random.default_rng([seed & 0xFFFFFFFF, MATERIALS.index(material)])
    # 1-2. The subject and its form.
    rgb, alpha = brush.f32(np.ascontiguousarray(image[..., :3])), subject_alpha(image, seed)
    form = _Form(rgb, alpha)
    # 3. The material's surface; yarn and latex take the named colour, else the subject's own.
    named = parse_prompt(prompt).colors
    form.paint = _c([c / 255 for c in named[0]]) if named else _vivid(form.colour, rng)
    surface, cover, background = _RENDERERS[material](rgb, form, rng)
    # 4. Over the original, feathered.
    feather = brush.blur(cover, max(0.7, max(alpha.shape) / 700))[..., None]
    out = np.clip(surface, 0, 1) * feather + background * (1 - feather)
    return brush.u8(np.asarray(out, np.float32))
