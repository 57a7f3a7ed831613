"""Multi-scale PatchMatch image completion (Wexler et al. 2007 with Barnes et al. 2009's search).

:func:`complete` fills the hole of an image with patches of its known part, so texture stays
texture and edges continue across the hole:

1. A pyramid is built by halving the image until the hole is a few pixels thick (a coarse pixel is
   missing when any pixel under it is). The coarsest level lays out the structure with
   ``COARSE_PATCH``-sided patches, which see a period of a pattern (bricks) whole.
2. The coarsest level is filled by an *onion peel* (:func:`_onion`): ring by ring from the edge
   in, each pixel takes the centre of the source patch best matching the part of its own patch
   already known. (A smooth diffusion start draws smooth matches and ends as a smear.)
3. Each level runs a few EM iterations: a PatchMatch pass (propagation from the neighbours'
   matches, then a random search at halving radii) on colour and luminance-gradient features, then
   a vote: every hole pixel becomes the mean of the pixels that the patches covering it point at,
   weighted by match quality (``exp(-d / 2σ²)``) and nearness to the known border (Wexler's
   ``γ^-distance``). Matches pay a *locality* cost growing with their distance from the target, so
   a far block of the wrong shade (a darker sky higher up) wins only when clearly better.
4. The NNF and the fill are upsampled to the next finer level; finer levels get fewer iterations
   and search near their upsampled match.
5. A best-match pass ends it: each hole pixel takes the centre pixel of its patch's match (the
   vote's average softens texture), stitched in the gradient domain (:func:`poisson.stitch`) so
   that a piece copied from a darker or lighter place takes the shade around it.

The search runs on fixed bands of target rows in parallel; propagation does not cross bands, and
each band has its own xorshift generator seeded from ``seed``, so the result is bit-identical for a
seed whatever the number of threads. Known pixels are returned unchanged.
"""

from __future__ import annotations

import cv2
import numpy as np
import numpy.typing as npt
from numba import njit, prange

from wanstack.engines.classic import poisson

Image = npt.NDArray[np.uint8]
Mask = npt.NDArray[np.bool_]
Floats = npt.NDArray[np.float32]
Ints = npt.NDArray[np.int32]

PATCH = 7  #: patch side
RADIUS = PATCH // 2
COARSE_PATCH = 7  #: patch side at the coarsest level (other small levels take smaller patches)
BANDS = 16  #: target row bands searched in parallel (fixed, so results do not depend on threads)
GRADIENT_WEIGHT = 0.5  #: weight of the luminance gradient features against colour
GAMMA = 1.3  #: Wexler's confidence decay per pixel of distance from the known border
MIN_SOURCES = 16  #: a level needs at least this many source patches to search in
MIN_SIDE = 32  #: the coarsest level keeps at least this many pixels a side
COARSE_HOLE = 2.5  #: halve until the hole's inscribed radius (px) is at most this
SIGMA_PERCENTILE = 50  #: vote weights exp(-d / 2σ²) with σ² this percentile of the distances
ONION_PASSES = 3  #: PatchMatch passes per ring of the onion peel
LOCALITY = 3.0  #: a match one ``_Level.reach`` away costs this × the median patch distance more
FINE_SPAN = 32  #: px; below the two coarsest levels the random search stays this near its match


# --- kernels -----------------------------------------------------------------------------------


@njit(cache=True, inline="always")
def _xorshift(state: int) -> int:  # pragma: no cover - compiled
    state ^= (state << 13) & 0xFFFFFFFF
    state ^= state >> 17
    state ^= (state << 5) & 0xFFFFFFFF
    return state


@njit(cache=True, fastmath=True, inline="always")
def _distance(
    feat: Floats, skip: Mask, ty: int, tx: int, sy: int, sx: int, r: int, best: float
) -> float:  # pragma: no cover - compiled
    """Sum of squared feature differences of target patch (ty, tx) and source patch (sy, sx).

    Parts of the target patch outside the image or where ``skip`` is set are left out (source
    patches are always inside). Stops early once the sum exceeds ``best``."""
    h, w, c = feat.shape
    total = 0.0
    for dy in range(-r, r + 1):
        y = ty + dy
        if y < 0 or y >= h:
            continue
        for dx in range(-r, r + 1):
            x = tx + dx
            if x < 0 or x >= w or skip[y, x]:
                continue
            for k in range(c):
                d = feat[y, x, k] - feat[sy + dy, sx + dx, k]
                total += d * d
        if total > best:
            return total
    return total


@njit(cache=True, parallel=True, fastmath=True)
def _search(
    feat: Floats,
    skip: Mask,
    valid: Mask,
    ty: Ints,
    tx: Ints,
    tid: Ints,
    nnf_y: Ints,
    nnf_x: Ints,
    cost: Floats,
    bands: Ints,
    reverse: bool,
    seed: int,
    r: int,
    unit: float,
    span: int,
) -> None:  # pragma: no cover - compiled
    """One PatchMatch pass over all targets: propagation, then a random search at halving radii
    from ``span`` down; updates the NNF.

    A source ``s`` px away from its target costs ``unit · s²`` on top of the patch distance (the
    locality cost), so a far match must be clearly better to win; ``cost`` gets the plain patch
    distance of the match kept."""
    h, w = valid.shape
    for b in prange(len(bands) - 1):
        lo, hi = bands[b], bands[b + 1]
        state = (seed * 2654435761 + b * 40503 + 12345) & 0xFFFFFFFF
        if state == 0:
            state = 1
        for k in range(hi - lo):
            i = hi - 1 - k if reverse else lo + k
            y, x = ty[i], tx[i]
            by, bx = nnf_y[i], nnf_x[i]
            pen = unit * ((by - y) ** 2 + (bx - x) ** 2)
            best = _distance(feat, skip, y, x, by, bx, r, 1e30) + pen
            step = 1 if reverse else -1
            # propagation: the neighbour's match, shifted back by one pixel
            for axis in range(2):
                ny, nx = (y + step, x) if axis == 0 else (y, x + step)
                if ny < 0 or ny >= h or nx < 0 or nx >= w:
                    continue
                j = tid[ny, nx]
                if j < lo or j >= hi:
                    continue
                cy, cx = nnf_y[j] - (ny - y), nnf_x[j] - (nx - x)
                if cy < 0 or cy >= h or cx < 0 or cx >= w or not valid[cy, cx]:
                    continue
                if cy == by and cx == bx:
                    continue
                p = unit * ((cy - y) ** 2 + (cx - x) ** 2)
                if p >= best:
                    continue
                d = _distance(feat, skip, y, x, cy, cx, r, best - p) + p
                if d < best:
                    best, by, bx = d, cy, cx
            # random search around the best match at halving radii
            rad = span
            while rad >= 1:
                state = _xorshift(state)
                cy = by + state % (2 * rad + 1) - rad
                state = _xorshift(state)
                cx = bx + state % (2 * rad + 1) - rad
                cy = min(max(cy, 0), h - 1)
                cx = min(max(cx, 0), w - 1)
                if valid[cy, cx] and (cy != by or cx != bx):
                    p = unit * ((cy - y) ** 2 + (cx - x) ** 2)
                    if p < best:
                        d = _distance(feat, skip, y, x, cy, cx, r, best - p) + p
                        if d < best:
                            best, by, bx = d, cy, cx
                rad //= 2
            nnf_y[i], nnf_x[i] = by, bx
            cost[i] = best - unit * ((by - y) ** 2 + (bx - x) ** 2)


@njit(cache=True, parallel=True, fastmath=True)
def _vote(
    img: Floats,
    hole: Mask,
    tid: Ints,
    nnf_y: Ints,
    nnf_x: Ints,
    weight: Floats,
    r: int,
    out: Floats,
) -> None:  # pragma: no cover - compiled
    """Each hole pixel of ``out`` = weighted mean of the source pixels its covering patches vote."""
    h, w, c = img.shape
    for y in prange(h):
        acc = np.zeros(c, np.float32)
        for x in range(w):
            if not hole[y, x]:
                continue
            acc[:] = 0.0
            total = 0.0
            for dy in range(-r, r + 1):
                qy = y - dy
                if qy < 0 or qy >= h:
                    continue
                for dx in range(-r, r + 1):
                    qx = x - dx
                    if qx < 0 or qx >= w:
                        continue
                    t = tid[qy, qx]
                    if t < 0:
                        continue
                    wt = weight[t]
                    sy, sx = nnf_y[t] + dy, nnf_x[t] + dx
                    for k in range(c):
                        acc[k] += wt * img[sy, sx, k]
                    total += wt
            if total > 0:
                for k in range(c):
                    out[y, x, k] = acc[k] / total


# --- levels -------------------------------------------------------------------------------------


class _Level:
    """One pyramid level: its image, hole, patch radius, targets and source patches."""

    def __init__(self, image: Floats, hole: Mask, radius: int | None = None) -> None:
        self.image, self.hole = image, hole
        h, w = hole.shape
        if radius is None:  # small levels take smaller patches, or a large hole leaves no source
            radius = RADIUS if min(h, w) >= 64 else max(1, min(h, w) // 24)
        self.r = r = radius
        kernel, hole8 = np.ones((2 * r + 1, 2 * r + 1), np.uint8), hole.astype(np.uint8)
        # targets: patch centres whose window overlaps the hole
        near = np.asarray(cv2.dilate(hole8, kernel), dtype=np.uint8) > 0
        ys, xs = np.nonzero(near)
        self.ty, self.tx = ys.astype(np.int32), xs.astype(np.int32)
        self.tid = np.full((h, w), -1, np.int32)
        self.tid[ys, xs] = np.arange(len(ys), dtype=np.int32)
        # sources: windows wholly inside the image and the known part
        valid = ~near
        valid[:r], valid[h - r :], valid[:, :r], valid[:, w - r :] = False, False, False, False
        self.valid = np.ascontiguousarray(valid)
        self.sources = int(valid.sum())
        # Wexler's confidence: targets nearer the known border vote more
        inside = cv2.distanceTransform(hole8, cv2.DIST_L2, 3)
        self.confidence = np.power(GAMMA, -inside[ys, xs]).astype(np.float32)
        self.bands = _bands(ys)
        cy = np.minimum(ys + r, h - 1) - np.maximum(ys - r, 0) + 1
        cx = np.minimum(xs + r, w - 1) - np.maximum(xs - r, 0) + 1
        self.count = (cy * cx).astype(np.float32)  #: target window pixels inside the image
        #: the locality cost's length scale: the hole's thickness at this level
        self.reach = max(2.0, 2.0 * _inscribed_radius(hole))
        self.nothing = np.zeros_like(hole)  #: no target pixel is skipped in the EM searches


def _bands(ys: npt.NDArray[np.intp]) -> Ints:
    """Bands of whole rows over the row-sorted target rows ``ys``, for the parallel search."""
    edges = np.linspace(int(ys.min()), int(ys.max()) + 1, BANDS + 1)
    return np.unique(np.searchsorted(ys, edges).astype(np.int32))


def _features(image: Floats) -> Floats:
    """Colour plus weighted luminance gradients, H×W×5 float32."""
    grey = np.asarray(cv2.cvtColor(image, cv2.COLOR_RGB2GRAY), dtype=np.float32)
    gx = np.asarray(cv2.Sobel(grey, cv2.CV_32F, 1, 0, ksize=3), dtype=np.float32)
    gy = np.asarray(cv2.Sobel(grey, cv2.CV_32F, 0, 1, ksize=3), dtype=np.float32)
    scale = GRADIENT_WEIGHT / 4.0
    feat = np.concatenate([image, gx[..., None] * scale, gy[..., None] * scale], axis=2)
    return np.ascontiguousarray(feat, dtype=np.float32)


def _downsample(image: Floats, hole: Mask) -> tuple[Floats, Mask]:
    size = (max(1, (hole.shape[1] + 1) // 2), max(1, (hole.shape[0] + 1) // 2))
    small = np.asarray(cv2.resize(image, size, interpolation=cv2.INTER_AREA), dtype=np.float32)
    coverage = cv2.resize(hole.astype(np.float32), size, interpolation=cv2.INTER_AREA)
    return small, np.asarray(coverage > 0)


def _inscribed_radius(hole: Mask) -> float:
    padded = np.pad(hole.astype(np.uint8), 1)  # the image border does not bound the hole
    return float(cv2.distanceTransform(padded, cv2.DIST_L2, 3).max())


def _random_sources(level: _Level, count: int, rng: np.random.Generator) -> tuple[Ints, Ints]:
    vy, vx = np.nonzero(level.valid)
    pick = rng.integers(0, len(vy), count)
    return vy[pick].astype(np.int32), vx[pick].astype(np.int32)


def _unit(level: _Level, cost: Floats) -> float:
    """The locality cost per squared pixel, from the median patch distance ``cost``."""
    return LOCALITY * float(np.median(cost)) / level.reach**2


def _upsample_nnf(
    coarse: _Level, ny: Ints, nx: Ints, fine: _Level, rng: np.random.Generator
) -> tuple[Ints, Ints]:
    """The coarse NNF at the fine level: parent's match doubled plus the child's offset."""
    h, w = coarse.hole.shape
    py, px = np.minimum(fine.ty // 2, h - 1), np.minimum(fine.tx // 2, w - 1)
    parent = coarse.tid[py, px]
    has = parent >= 0
    safe = np.where(has, parent, 0)
    fh, fw = fine.hole.shape
    oy = np.clip(np.where(has, ny[safe] * 2 + fine.ty % 2, 0), 0, fh - 1).astype(np.int32)
    ox = np.clip(np.where(has, nx[safe] * 2 + fine.tx % 2, 0), 0, fw - 1).astype(np.int32)
    ok = has & fine.valid[oy, ox]
    ry, rx = _random_sources(fine, len(fine.ty), rng)
    return np.where(ok, oy, ry).astype(np.int32), np.where(ok, ox, rx).astype(np.int32)


def _onion(level: _Level, rng: np.random.Generator) -> tuple[Ints, Ints]:
    """Fill the level's hole from its edge inwards, one ring of pixels at a time; returns an NNF
    with the onion's matches for the hole's pixels (random sources for the other targets).

    Each ring pixel takes the centre of the source patch that best matches the part of its own
    patch already known, earlier rings included, found by ``ONION_PASSES`` PatchMatch passes with
    the locality cost."""
    h, w = level.hole.shape
    # a diffusion fill stands in for the unknown pixels, only in the gradients of known neighbours
    start, hole8 = np.clip(level.image, 0, 255).astype(np.uint8), level.hole.astype(np.uint8)
    smooth = cv2.inpaint(start, hole8 * 255, 3, cv2.INPAINT_TELEA)
    image = np.where(level.hole[..., None], smooth, level.image).astype(np.float32)
    ny, nx = _random_sources(level, len(level.ty), rng)
    unknown = level.hole.copy()
    ring = np.ones((3, 3), np.uint8)
    while unknown.any():
        front = unknown & np.asarray(cv2.dilate((~unknown).astype(np.uint8), ring), bool)
        if not front.any():  # nothing known to grow from (complete() rules this out)
            break
        ys, xs = np.nonzero(front)
        ty, tx = ys.astype(np.int32), xs.astype(np.int32)
        tid = np.full((h, w), -1, np.int32)
        tid[ys, xs] = np.arange(len(ys), dtype=np.int32)
        fy, fx = _random_sources(level, len(ys), rng)
        cost = np.zeros(len(ys), np.float32)
        feat, bands = _features(image), _bands(ys)
        seed, unit = int(rng.integers(1, 2**31 - 1)), 0.0
        for p in range(ONION_PASSES):
            _search(feat, unknown, level.valid, ty, tx, tid, fy, fx, cost, bands, p % 2 == 1,
                    seed + p, level.r, unit, max(h, w))  # fmt: skip
            unit = _unit(level, cost)
        image[ys, xs] = image[fy, fx]
        unknown &= ~front
        index = level.tid[ys, xs]
        ny[index], nx[index] = fy, fx
    level.image = np.where(level.hole[..., None], image, level.image).astype(np.float32)
    return ny, nx


def _em(
    level: _Level, ny: Ints, nx: Ints, iterations: int, rng: np.random.Generator, span: int
) -> None:
    """EM iterations at one level: search (with the locality cost from the second on), then vote
    into the hole."""
    cost, unit = np.zeros(len(level.ty), np.float32), 0.0
    for it in range(iterations):
        feat = _features(level.image)
        seed = int(rng.integers(1, 2**31 - 1))
        _search(feat, level.nothing, level.valid, level.ty, level.tx, level.tid, ny, nx, cost,
                level.bands, it % 2 == 1, seed, level.r, unit, span)  # fmt: skip
        norm = cost / level.count
        sigma2 = max(float(np.percentile(norm, SIGMA_PERCENTILE)), 1e-3)
        weight = (np.exp(-norm / (2 * sigma2)) * level.confidence + 1e-6).astype(np.float32)
        out = level.image.copy()
        _vote(level.image, level.hole, level.tid, ny, nx, weight, level.r, out)
        level.image = out
        unit = _unit(level, cost)


def _pyramid(image: Image, hole: Mask) -> list[_Level]:
    """The levels, finest first; empty when there is too little known image to copy from."""
    levels = [_Level(image.astype(np.float32), hole)]
    if levels[0].sources < MIN_SOURCES:
        return []
    while (
        _inscribed_radius(levels[-1].hole) > COARSE_HOLE
        and min(levels[-1].hole.shape) >= MIN_SIDE * 2
    ):
        small, small_hole = _downsample(levels[-1].image, levels[-1].hole)
        if small_hole.all():
            break
        level = _Level(small, small_hole)
        if level.sources < MIN_SOURCES:
            break
        levels.append(level)
    if len(levels) > 1:  # the coarsest level lays out the structure: give it larger patches
        coarsest = levels[-1]
        wide = _Level(coarsest.image, coarsest.hole, COARSE_PATCH // 2)
        if wide.r > coarsest.r and wide.sources >= MIN_SOURCES:
            levels[-1] = wide
    return levels


def complete(
    image: Image,
    hole: Mask,
    seed: int,
    *,
    iterations: int = 6,
    fine_iterations: int = 1,
) -> Image:
    """Fill ``hole`` (True = missing) of ``image`` (H×W×3 uint8) with multi-scale PatchMatch.

    ``iterations`` EM iterations run on the coarse levels, ``fine_iterations`` on the finest two
    (one suffices there: a second cost 27 % more time at 1024² and changed no measure).
    Known pixels are returned unchanged; the same ``seed`` gives the same result.
    """
    hole = np.ascontiguousarray(hole, dtype=bool)
    if not hole.any():
        return image.copy()
    levels = [] if hole.all() else _pyramid(image, hole)
    if not levels:  # all hole, or almost: nothing to copy from
        return _diffusion(image, hole)
    rng = np.random.default_rng(seed)
    ny, nx = _onion(levels[-1], rng)
    for depth in range(len(levels) - 1, -1, -1):
        level = levels[depth]
        if depth < len(levels) - 1:
            coarser = levels[depth + 1]
            h, w = level.hole.shape
            up = cv2.resize(coarser.image, (w, h), interpolation=cv2.INTER_LINEAR)
            level.image = np.where(level.hole[..., None], up, level.image).astype(np.float32)
            ny, nx = _upsample_nnf(coarser, ny, nx, level, rng)
            # start from the upsampled matches voted with this level's sharper pixels, not from
            # the blurred coarse fill (a blurred guess draws smooth matches)
            voted = level.image.copy()
            _vote(level.image, level.hole, level.tid, ny, nx, level.confidence, level.r, voted)
            level.image = voted
        count = fine_iterations if depth <= 1 < len(levels) - 1 else iterations
        # the two coarsest levels search the whole image; finer ones refine near their match
        span = max(level.hole.shape)
        _em(level, ny, nx, count, rng, span if depth >= len(levels) - 2 else min(span, FINE_SPAN))
    # best-match pass (the vote's average of overlapping patches softens the texture), stitched
    # in the gradient domain so that the copied pieces' shading joins without steps
    ys, xs = np.nonzero(hole)
    index, out = levels[0].tid[ys, xs], image.copy()
    rebuilt = poisson.stitch(levels[0].image, hole, ny[index], nx[index])
    out[ys, xs] = np.clip(np.rint(rebuilt[ys, xs]), 0, 255).astype(np.uint8)
    return out


def _diffusion(image: Image, hole: Mask) -> Image:
    """TELEA fill, for holes with no known patch to copy."""
    radius, hole8 = max(3, round(min(hole.shape) / 64)), hole.astype(np.uint8) * 255
    filled = np.asarray(cv2.inpaint(image, hole8, radius, cv2.INPAINT_TELEA), dtype=np.uint8)
    out = image.copy()
    out[hole] = filled[hole]
    return out


def warm_up() -> None:
    """Compile the kernels (cached on disk after the first process)."""
    rng = np.random.default_rng(0)
    image = rng.integers(0, 255, (48, 48, 3), dtype=np.uint8)
    hole = np.zeros((48, 48), bool)
    hole[18:30, 18:30] = True
    complete(image, hole, 0, iterations=1, fine_iterations=1)
