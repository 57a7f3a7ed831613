"""Finding overlaid text and watermarks in a picture, for ``remove_watermark`` (an inpainting).

:func:`mark_mask` looks for what an overlay of text looks like: glyphs (thin strokes of one
even width, with sharp edges, standing out of their surroundings) set in a row. Per level of
an image pyramid (a caption and a big diagonal word alike) and per polarity (light, dark text):

1. a morphological top-hat (light) or black-hat (dark) on the luminance lifts everything
   thinner than its kernel off the local background; hysteresis at several thresholds (like
   MSER) cuts out pieces, the thresholds rising with the local clutter (the typical response
   around: text in texture must stand out of the texture);
2. each piece is measured: stroke width and its evenness (distance transform on the ridge),
   size against stroke width (glyphs are lines, not blobs), ink length against size (letters
   bend and branch, bars do not), how much of its rim is a sharp edge, contrast against clutter;
3. glyph-like pieces that are alike (size, stroke, contrast) and near are linked; rows are
   hypothesised through pairs of pieces at any angle (RANSAC) and kept when they read as text:
   like heights, even strokes, tops or baselines aligned, letter-like gaps, not in clutter;
   a row is then extended along its line over letters that its middle lost to the background;
4. the pieces and the pixels near them in the row's box that stand out like text form the
   mask, grown by a couple of pixels (and per stroke width) to cover antialiased glyph rims.

Limits, honestly: a watermark that is a texture over the whole picture (a tiled pattern, a
faint full-frame logo) or a lone glyph or logo (no row) is not found; text in a photograph (shop
signs, labels, road markings, printed pages) is found and removed just like an overlay: nothing
in the pixels tells the two apart; faint overlays (below about 10 grey levels of contrast),
small text (under about 12 px) and text over busy texture are partly missed, Chinese text more
often than Latin (its characters fall apart into radicals of unlike size); glyph-like natural
structure in a row (snow-capped ridges, a fence, window grids) can be taken for text. On 170
procedural scenes with random captions (Latin and Chinese, 14–64 px, 0–45°, opacity 0.35–1,
light or dark) it covers 80–85 % of the glyph pixels on average (median 100 %: most marks are
found whole, the misses are mostly whole lines) and flags 0.1 % of the text-free scenes on
average, at most 3 %.
"""

from __future__ import annotations

import math

import cv2
import numpy as np
import numpy.typing as npt

from wanstack.engines.base import RGBImage

Mask = npt.NDArray[np.bool_]
Float = npt.NDArray[np.float32]
Index = npt.NDArray[np.intp]
U8 = npt.NDArray[np.uint8]

WORK_SIDE = 1024  #: longest side of the analysed image (larger inputs are analysed smaller)
LEVELS = 3  #: pyramid levels: strokes up to about 8, 16 and 32 px wide
HAT = 11  #: top-hat kernel (px at each level): lifts strokes up to about 8 px wide
T_LOW, T_HIGH = 5.0, 11.0  #: hysteresis on the hat response (grey levels) on smooth areas
THRESHOLD_STEPS = (1.0, 1.8, 3.2, 5.8)  #: the thresholds' multiples that pieces are cut at
SPLIT_ASPECT = 1.8  #: a piece this many times wider than tall may be glyphs that touch
SPLIT_COVER = 0.6  #: share of a piece its parts at a higher threshold cover to replace it
CLUTTER_KERNEL = 7  #: median window (px at a quarter of the level) for the clutter level
CLUTTER_LOW, CLUTTER_HIGH = 1.5, 3.0  #: the thresholds in texture, × its typical response
CLUTTER_FILL = 2.0  #: a filled pixel's least response, × the typical response around it
CLUTTER_PIECE = 4.0  #: a glyph's mean contrast, × the typical response around it
MIN_SIZE, MAX_SIZE = 5, 120  #: piece extent (px at a level) that can be a glyph
MAX_ASPECT = 5.0  #: longest / shortest side of a piece that starts a row ("I", "-" join later)
MIN_GLYPHNESS = 2.0  #: piece extent / stroke width; blobs and dots are below
MAX_SW_CV = 0.6  #: spread of the stroke width within a piece (std / mean)
MIN_SHARPNESS = 0.22  #: edge gradient / contrast: printed glyphs have crisp edges
EDGE_SHARE = 0.25  #: a rim pixel is an edge where the gradient is this share of the contrast
MIN_OUTLINED = 0.9  #: share of a glyph's rim that is an edge (a piece cut out of a shape: less)
MAX_SEEDS = 60  #: pieces of a cluster that start row hypotheses
MAX_TESTS = 40  #: row hypotheses tested per cluster, best supported first
LINK = 1.6  #: pieces closer than this × their size may be one row
ROW_BAND = 0.3  #: a piece is on a row when its centre is within this × size of the row's axis
MIN_ROW = 3  #: least pieces in a row
MIN_ROW_HEIGHT = 2.3  #: row height / stroke width; dashed lines and dotted veins are below
MIN_COMPLEXITY = 1.5  #: median ink length / size of a row's pieces
MIN_COMPLEXITY_3 = 2.2  #: the same for a row of only three pieces (little evidence)
MIN_ROW_WIDTH = 0.5  #: median width along the row / height across it of a row's pieces
MAX_ROW_SW_CV = 0.33  #: median spread of the stroke width within a row's pieces
ROW_SPREAD = 2.0  #: most ratio of the 90th to the 10th percentile of heights, stroke widths
MAX_MISALIGN = 0.12  #: median deviation of tops (or bottoms) from their line, × row height
MIN_GAP, MAX_GAP = 0.03, 0.8  #: median gap between neighbours, × row height
MAX_CLUTTER = 1.0  #: alike pieces near a row but not on it, per row piece
EXTEND = 3.0  #: row heights beyond a row's ends where alike pieces on its line join it
EXTEND_COMPLEXITY = 1.3  #: least ink length / size of a piece that extends a row
FILL_SHARE = 0.35  #: in a row's box, pixels above this share of the row's contrast are text
FILL_REACH = 1.0  #: row heights from the row's pieces that the fill reaches
GROW = 2  #: px the mask is grown by (plus a third of the stroke width)


def _clutter(response: Float) -> Float:
    """The local typical hat response (a median over about ``4 * CLUTTER_KERNEL`` px): near
    zero on smooth areas, high on texture."""
    h, w = response.shape
    small = cv2.resize(response, (max(1, w // 4), max(1, h // 4)), interpolation=cv2.INTER_AREA)
    median = cv2.medianBlur(np.clip(small, 0, 255).astype(np.uint8), CLUTTER_KERNEL)
    return np.asarray(cv2.resize(median.astype(np.float32), (w, h)), np.float32)


def _hysteresis(response: Float, clutter: Float, step: float) -> U8:
    """Pixels above the low threshold connected to one above the high one, both × ``step``."""
    low = (response > step * np.maximum(T_LOW, CLUTTER_LOW * clutter)).astype(np.uint8)
    n, labels = cv2.connectedComponents(low, connectivity=8)
    strong = np.zeros(n, bool)
    strong[np.unique(labels[response > step * np.maximum(T_HIGH, CLUTTER_HIGH * clutter)])] = True
    strong[0] = False
    return strong[labels].astype(np.uint8)


def _per_label(labels: npt.NDArray[np.int32], n: int, values: Float, where: Mask) -> Float:
    """Mean of ``values`` over the pixels of each label that are in ``where`` (0 where none)."""
    total = np.bincount(labels[where], weights=values[where], minlength=n)
    return (total / np.maximum(np.bincount(labels[where], minlength=n), 1)).astype(np.float32)


def _measure(
    binary: U8, response: Float, clutter: Float, grad: Float
) -> tuple[npt.NDArray[np.int32], list[tuple[int, tuple[float, ...]]]]:
    """The glyph-like connected pieces of ``binary``: labels, and per piece its label and
    (centre x, y, box x, y, w, h, size, stroke width, complexity, stroke width spread)."""
    n, lab, stats, centroids = cv2.connectedComponentsWithStats(binary, connectivity=8)
    labels = np.asarray(lab, np.int32)
    # stroke width: twice the distance to the edge along each piece's ridge
    dist = np.asarray(cv2.distanceTransform(binary, cv2.DIST_L2, 3), np.float32)
    ridge = (binary > 0) & (dist >= cv2.dilate(dist, np.ones((3, 3), np.uint8)) - 0.01)
    mean, square = _per_label(labels, n, dist, ridge), _per_label(labels, n, dist * dist, ridge)
    sw = 2.0 * mean
    sw_cv = np.sqrt(np.maximum(square - mean * mean, 0.0)) / np.maximum(mean, 1e-3)
    # sharpness: the rim's gradient against the contrast, and how much of the rim is an edge
    rim = (binary > 0) & (cv2.erode(binary, np.ones((3, 3), np.uint8)) == 0)
    contrast = _per_label(labels, n, response, binary > 0)
    sharpness = _per_label(labels, n, grad, rim) / np.maximum(contrast, 1.0)
    edged = (grad > EDGE_SHARE * contrast[labels]).astype(np.float32)
    outlined = _per_label(labels, n, edged, rim)
    around = _per_label(labels, n, clutter, binary > 0)
    width, height = stats[:, cv2.CC_STAT_WIDTH], stats[:, cv2.CC_STAT_HEIGHT]
    size = np.maximum(width, height).astype(np.float32)
    # ink length (area / stroke width) against size: 1 for a bar, 2–5 for letters
    complexity = stats[:, cv2.CC_STAT_AREA] / np.maximum(sw, 1.0) / np.maximum(size, 1.0)
    ok = (
        (size >= MIN_SIZE)
        & (size <= MAX_SIZE)
        & (size <= MAX_ASPECT * np.maximum(np.minimum(width, height), 1))
        & (size >= MIN_GLYPHNESS * sw)
        & (sw_cv <= MAX_SW_CV)
        & (sharpness >= MIN_SHARPNESS)
        & (outlined >= MIN_OUTLINED)
        & (contrast >= CLUTTER_PIECE * around)
    )
    ok[0] = False
    table = np.column_stack([centroids, stats[:, :4], size, sw, complexity, sw_cv])
    return labels, [(int(i), tuple(float(v) for v in table[i])) for i in np.nonzero(ok)[0]]


class _Pieces:
    """The glyph-like pieces of a hat response over several thresholds (like MSER: a glyph
    that touches other bright structure at a low threshold stands alone at a higher one). A
    piece found at a lower threshold wins over a part of it found higher, unless it is wide
    and a higher threshold splits it into whole pieces (two letters that touched)."""

    def __init__(self, response: Float, clutter: Float, gray: Float) -> None:
        gx = cv2.Sobel(gray, cv2.CV_32F, 1, 0, ksize=3) / 8.0
        gy = cv2.Sobel(gray, cv2.CV_32F, 0, 1, ksize=3) / 8.0
        grad = np.asarray(
            cv2.dilate(np.sqrt(gx * gx + gy * gy), np.ones((3, 3), np.uint8)), np.float32
        )
        self.map = np.full(gray.shape, -1, np.int32)  #: piece index per pixel, -1 for none
        parts: list[tuple[float, ...]] = []
        areas: list[int] = []
        for step in THRESHOLD_STEPS:
            labels, found = _measure(_hysteresis(response, clutter, step), response, clutter, grad)
            children: dict[int, list[tuple[Mask, tuple[float, ...]]]] = {}
            for label, values in found:
                pixels = labels == label
                owners = self.map[pixels]
                if np.mean(owners >= 0) <= 0.3:  # new: not part of a piece found lower
                    self.map[pixels & (self.map < 0)] = len(parts)
                    parts.append(values)
                    areas.append(int(pixels.sum()))
                    continue
                owner = int(np.bincount(owners[owners >= 0]).argmax())
                if np.mean(owners == owner) >= 0.7:
                    children.setdefault(owner, []).append((pixels, values))
            for owner, kids in children.items():
                w, h = parts[owner][4:6]
                cover = sum(int(k[0].sum()) for k in kids) >= SPLIT_COVER * areas[owner]
                if len(kids) < 2 or max(w, h) < SPLIT_ASPECT * min(w, h) or not cover:
                    continue  # a glyph crumbling into strokes keeps the whole
                self.map[self.map == owner] = -1
                parts[owner] = ()
                for pixels, values in kids:
                    self.map[pixels] = len(parts)
                    parts.append(values)
                    areas.append(int(pixels.sum()))
        alive = np.array([len(v) > 0 for v in parts], bool)
        renumber = np.append(np.where(alive, np.cumsum(alive) - 1, -1), -1).astype(np.int32)
        self.map = renumber[self.map]
        table = np.array([v for v in parts if v], np.float32).reshape(-1, 10)
        self.centre, self.box = table[:, 0:2], table[:, 2:6]
        self.size, self.sw, self.complexity, self.sw_cv = table[:, 6:10].T
        index, count = self.map[self.map >= 0], len(table)
        total = np.bincount(index, weights=response[self.map >= 0], minlength=count)
        self.contrast = (total / np.maximum(np.bincount(index, minlength=count), 1)).astype(
            np.float32
        )

    def points(self, index: int) -> Float:
        """Pixel coordinates (x, y) of piece ``index``."""
        x, y, w, h = (int(v) for v in self.box[index])
        ys, xs = np.nonzero(self.map[y : y + h, x : x + w] == index)
        return np.stack([xs + x, ys + y], axis=1).astype(np.float32)

    def alike(self, pool: Index, ref: Index, spread: float = 3.0) -> Mask:
        """Which pieces of ``pool`` could be set in the font of the pieces ``ref``: like size,
        stroke width and contrast (within ``spread``: a translucent overlay's contrast
        follows the background, so that one is loose)."""
        size, sw = float(np.mean(self.size[ref])), float(np.mean(self.sw[ref]))
        contrast = float(np.mean(self.contrast[ref]))
        s, w, c = self.size[pool] / size, self.sw[pool] / sw, self.contrast[pool] / contrast
        result: Mask = (s < 2.5) & (s > 0.4) & (w < 1.7) & (w > 1 / 1.7)
        return result & (c < spread) & (c > 1 / spread)


def _clusters(p: _Pieces) -> list[Index]:
    """Indices of pieces linked by nearness and likeness (stroke width, size), per cluster."""
    parent = list(range(len(p.size)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i in range(len(p.size)):
        d = np.hypot(*(p.centre[i + 1 :] - p.centre[i]).T)
        big, small = np.maximum(p.size[i + 1 :], p.size[i]), np.minimum(p.size[i + 1 :], p.size[i])
        thick, thin = np.maximum(p.sw[i + 1 :], p.sw[i]), np.minimum(p.sw[i + 1 :], p.sw[i])
        for j in np.nonzero((d < LINK * big) & (big < 4.0 * small) & (thick < 2.0 * thin))[0]:
            a, b = root(i), root(i + 1 + int(j))
            parent[a] = b
    groups: dict[int, list[int]] = {}
    for i in range(len(p.size)):
        groups.setdefault(root(i), []).append(i)
    return [np.array(g, np.intp) for g in groups.values() if len(g) >= MIN_ROW]


def _rows(p: _Pieces, members: Index) -> list[Index]:
    """Candidate rows within one cluster, best supported first: for the line through each pair
    of alike, near pieces, the alike pieces on it, cut where a gap breaks the chain (RANSAC
    hypotheses; the caller keeps those that read as text and share no pieces)."""
    centres = p.centre[members]
    found: dict[bytes, tuple[float, Index]] = {}
    for i in range(min(len(members), MAX_SEEDS)):
        for j in np.nonzero(p.alike(members, members[i : i + 1]))[0]:
            pair = members[[i, int(j)]]
            size = float(np.mean(p.size[pair]))
            axis = centres[j] - centres[i]
            norm = float(np.hypot(*axis))
            if j <= i or norm < 1e-3 or norm > LINK * 2 * size:
                continue
            direction = axis / norm
            off = np.abs((centres - centres[i]) @ np.array([-direction[1], direction[0]]))
            on = np.nonzero((off < ROW_BAND * size) & p.alike(members, pair))[0]
            # the chain through piece i: neighbours along the line no farther apart than LINK
            along = (centres[on] - centres[i]) @ direction
            order = np.argsort(along)
            segments = np.split(order, np.nonzero(np.diff(along[order]) > LINK * size)[0] + 1)
            chain = next(seg for seg in segments if np.any(on[seg] == i))
            if len(chain) >= MIN_ROW:
                row = np.sort(members[on[chain]])
                score = len(chain) - float(off[on[chain]].sum()) / (size * 10)
                if found.get(row.tobytes(), (-1.0,))[0] < score:
                    found[row.tobytes()] = (score, row)
    return [row for _, row in sorted(found.values(), key=lambda e: -e[0])]


def _frame(p: _Pieces, row: Index) -> tuple[Float, Float, Float]:
    """A row's unit direction and normal (the long side of the least rectangle around its
    pixels: steadier than a line through the centres, which glyph shapes scatter), and per
    piece its pixels' extent along and across (k × 4: along min, max, across min, max)."""
    points = [p.points(int(i)) for i in row]
    (_, _), (w, h), angle = cv2.minAreaRect(np.concatenate(points))
    theta = math.radians(angle if w >= h else angle + 90.0)
    direction = np.array([math.cos(theta), math.sin(theta)], np.float32)
    normal = np.array([-direction[1], direction[0]], np.float32)
    ext = np.array([[*_span(q @ direction), *_span(q @ normal)] for q in points], np.float32)
    return direction, normal, ext


def _span(values: Float) -> tuple[float, float]:
    return float(values.min()), float(values.max())


def _is_text(p: _Pieces, row: Index, members: Index) -> bool:
    """Whether a row of pieces reads as a line of text (see the module docstring)."""
    direction, normal, ext = _frame(p, row)
    across = ext[:, 3] - ext[:, 2] + 1.0
    height = float(np.median(across))
    if height < MIN_ROW_HEIGHT * float(np.median(p.sw[row])):
        return False  # a dashed line or a dotted vein: as thin as its strokes
    least = MIN_COMPLEXITY if len(row) > MIN_ROW else MIN_COMPLEXITY_3
    if float(np.median(p.complexity[row])) < least:
        return False  # bars (a fence, a treeline's gaps), not letters
    if float(np.median((ext[:, 1] - ext[:, 0] + 1.0) / across)) < MIN_ROW_WIDTH:
        return False  # letters are about as wide as tall; trunks and posts are narrow
    if float(np.median(p.sw_cv[row])) > MAX_ROW_SW_CV:
        return False  # one font has even strokes
    for values in (across, p.sw[row]):
        lo, hi = np.percentile(values, [10, 90])
        if hi > ROW_SPREAD * max(float(lo), 1e-3):
            return False  # one font has like heights and stroke widths
    tops = np.median(np.abs(ext[:, 2] - np.median(ext[:, 2])))
    bottoms = np.median(np.abs(ext[:, 3] - np.median(ext[:, 3])))
    if min(float(tops), float(bottoms)) > MAX_MISALIGN * height:
        return False  # text is set on a line: its tops or its baseline line up
    order = np.argsort(ext[:, 0])
    gaps = ext[order[1:], 0] - np.maximum.accumulate(ext[order, 1])[:-1]
    if not MIN_GAP * height <= float(np.median(gaps)) <= MAX_GAP * height:
        return False  # letters stand apart, closely; trees and waves overlap
    # clutter: alike pieces near the row but not on it (texture is pieces everywhere)
    rest = np.setdiff1d(members, row)
    rest = rest[p.alike(rest, row)]
    size, middle = float(np.median(p.size[row])), p.centre[row].mean(axis=0)
    span = float(np.abs((p.centre[row] - middle) @ direction).max())
    rel = p.centre[rest] - middle
    near = (np.abs(rel @ direction) < span + size) & (np.abs(rel @ normal) < 1.5 * size)
    return bool(near.sum() <= MAX_CLUTTER * len(row))


def _extend(p: _Pieces, row: Index, free: Mask) -> Index:
    """``row`` with the free alike letter-like pieces on its line beyond its ends (each up to
    ``EXTEND`` row heights past the last, the line refitted after each step): the rest of a
    word whose middle letters merged with the background."""
    others = np.nonzero(free)[0]
    shaped = p.complexity[others] >= EXTEND_COMPLEXITY
    others = others[shaped & p.alike(others, row, spread=6.0) & ~np.isin(others, row)]
    while len(others):
        direction, normal, ext = _frame(p, row)
        height = float(np.median(ext[:, 3] - ext[:, 2] + 1.0))
        middle = p.centre[row].mean(axis=0)
        rel = p.centre[others] - middle
        along, off = rel @ direction, np.abs(rel @ normal)
        lo = float(ext[:, 0].min() - middle @ direction) - EXTEND * height
        hi = float(ext[:, 1].max() - middle @ direction) + EXTEND * height
        on = (off < ROW_BAND * height) & (along > lo) & (along < hi)
        if not on.any():
            break
        row, others = np.concatenate([row, others[on]]), others[~on]
    return row


def _paint(out: U8, p: _Pieces, row: Index, response: Float, clutter: Float) -> None:
    """Mark a text row in ``out``: its pieces, and the pixels near them in its box that stand
    out like text (dots, accents, thin letters, letters merged with the background)."""
    direction, normal, ext = _frame(p, row)
    height = float(np.median(ext[:, 3] - ext[:, 2] + 1.0))
    a0, a1 = ext[:, 0].min() - 0.3 * height, ext[:, 1].max() + 0.3 * height
    # across: the row's usual tops and bottoms (a stray piece must not widen the box)
    c0 = float(np.percentile(ext[:, 2], 10)) - 0.15 * height
    c1 = float(np.percentile(ext[:, 3], 90)) + 0.15 * height
    corners = [a * direction + c * normal for a, c in ((a0, c0), (a1, c0), (a1, c1), (a0, c1))]
    box = np.zeros_like(out)
    cv2.fillPoly(box, [np.round(np.array(corners)).astype(np.int32)], 1)
    glyphs = np.isin(p.map, row).astype(np.uint8)
    reach = max(1, round(FILL_REACH * height))
    disc = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * reach + 1,) * 2)
    near = np.asarray(cv2.dilate(glyphs, disc), np.uint8)
    # text has one contrast: faint texture in the box is not part of it, nor is texture that
    # does not stand out of its surroundings as a glyph must
    floor = np.maximum(FILL_SHARE * float(np.median(p.contrast[row])), CLUTTER_FILL * clutter)
    out |= box & near & (response > np.maximum(floor, T_LOW)).astype(np.uint8)
    out |= glyphs


def _level_mask(gray: Float, polarity: int, known: Mask) -> tuple[Mask, float]:
    """Text pixels of one polarity at one pyramid level, and the median stroke width found.
    Pieces mostly inside ``known`` (text found at a finer level, which saw it better) are
    left out."""
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (HAT, HAT))
    op = cv2.MORPH_TOPHAT if polarity > 0 else cv2.MORPH_BLACKHAT
    response = np.asarray(cv2.morphologyEx(gray, op, kernel), np.float32)
    clutter = _clutter(response)
    pieces = _Pieces(response, clutter, gray)
    index, count = pieces.map[pieces.map >= 0], len(pieces.size)
    inside = np.bincount(index, weights=known[pieces.map >= 0], minlength=count)
    taken = inside > 0.3 * np.maximum(np.bincount(index, minlength=count), 1)
    out = np.zeros(gray.shape, np.uint8)
    widths: list[float] = []
    for members in _clusters(pieces):
        tested = 0
        for row in _rows(pieces, members):
            if taken[row].any() or tested >= MAX_TESTS:
                continue
            tested += 1
            if _is_text(pieces, row, members):
                row = _extend(pieces, row, ~taken)
                taken[row] = True
                widths.append(float(np.median(pieces.sw[row])))
                _paint(out, pieces, row, response, clutter)
    return out > 0, (float(np.median(widths)) if widths else 0.0)


def mark_mask(image: RGBImage) -> Mask:
    """True on overlaid text and watermarks of ``image`` (H×W, grown to cover antialiased
    rims), ready for inpainting; see the module docstring for what it finds and misses.
    About 0.3–1 s for a 1024² picture."""
    h, w = image.shape[:2]
    scale = min(1.0, WORK_SIDE / max(h, w))
    gray = np.asarray(
        cv2.cvtColor(image[..., :3].astype(np.float32), cv2.COLOR_RGB2GRAY), np.float32
    )
    if scale < 1.0:
        size = (max(1, round(w * scale)), max(1, round(h * scale)))
        gray = np.asarray(cv2.resize(gray, size, interpolation=cv2.INTER_AREA), np.float32)
    found = np.zeros(gray.shape, np.uint8)
    level = gray
    for depth in range(LEVELS):
        if min(level.shape) < 4 * HAT:
            break
        known = cv2.resize(found, level.shape[::-1], interpolation=cv2.INTER_AREA) > 0
        for polarity in (1, -1):
            mask, sw = _level_mask(level, polarity, known)
            if not mask.any():
                continue
            grown = np.asarray(mask, np.uint8)
            if depth > 0:
                grown = np.asarray(
                    cv2.resize(grown, gray.shape[::-1], interpolation=cv2.INTER_NEAREST), np.uint8
                )
            # 4. grown over the glyphs' antialiased rims (wider for thicker strokes)
            radius = GROW + math.ceil(sw * 2**depth / 3)
            disc = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * radius + 1,) * 2)
            found |= np.asarray(cv2.dilate(grown, disc), np.uint8)
        level = np.asarray(
            cv2.resize(level, None, fx=0.5, fy=0.5, interpolation=cv2.INTER_AREA), np.float32
        )
    if scale < 1.0:
        found = np.asarray(cv2.resize(found, (w, h), interpolation=cv2.INTER_NEAREST), np.uint8)
    result: Mask = found > 0
    return result
