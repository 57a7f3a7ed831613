"""Multi-scale PatchMatch image completion (Wexler et al. 2007 with Barnes et al. 2009's search).

:func:`complete` fills the hole of an image with patches of its known part, so texture stays
texture and edges continue across the hole:

1. A pyramid is built by halving the image until the hole is a few pixels thick; a coarse pixel is
   missing when any pixel under it is.
2. The coarsest level starts from a diffusion fill (OpenCV TELEA) and a random nearest-neighbour
   field (NNF): for every *target* patch (a ``PATCH``×``PATCH`` window that overlaps the hole) the
   centre of a *source* patch that lies wholly in the known part of the image.
3. Each level runs a few EM iterations: a PatchMatch pass (propagation from the neighbours'
   matches, then a random search at halving radii) on features (colour and luminance gradients, so
   edges are matched as well as colours), then a vote: every hole pixel becomes the weighted mean of
   the pixels that the patches covering it point at. A vote counts more when its patch matched well
   (``exp(-d / 2σ²)``) and when it lies nearer the known border (Wexler's ``γ^-distance``).
4. The NNF and the fill are upsampled to the next finer level; finer levels get fewer iterations.

The search runs on fixed bands of target rows in parallel; propagation does not cross bands, and
each band has its own xorshift generator seeded from ``seed``, so the result is bit-identical for a
seed whatever the number of threads. Known pixels are returned unchanged.
"""

from __future__ import annotations

import cv2
import numpy as np
import numpy.typing as npt
from numba import njit, prange

Image = npt.NDArray[np.uint8]
Mask = npt.NDArray[np.bool_]
Floats = npt.NDArray[np.float32]
Ints = npt.NDArray[np.int32]

PATCH = 7  #: patch side
RADIUS = PATCH // 2
BANDS = 16  #: target row bands searched in parallel (fixed, so results do not depend on threads)
GRADIENT_WEIGHT = 0.5  #: weight of the luminance gradient features against colour
GAMMA = 1.3  #: Wexler's confidence decay per pixel of distance from the known border
MIN_SOURCES = 16  #: a level needs at least this many source patches to search in
MIN_SIDE = 32  #: the coarsest level keeps at least this many pixels a side
COARSE_HOLE = 2.5  #: halve until the hole's inscribed radius (px) is at most this
SIGMA_PERCENTILE = 50  #: vote weights exp(-d / 2σ²) with σ² this percentile of the distances


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
) -> None:  # pragma: no cover - compiled
    """One PatchMatch pass over all targets: propagation, then random search; updates the NNF."""
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
            best = _distance(feat, skip, y, x, by, bx, r, 1e30)
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
                d = _distance(feat, skip, y, x, cy, cx, r, best)
                if d < best:
                    best, by, bx = d, cy, cx
            # random search around the best match at halving radii
            rad = max(h, w)
            while rad >= 1:
                state = _xorshift(state)
                cy = by + state % (2 * rad + 1) - rad
                state = _xorshift(state)
                cx = bx + state % (2 * rad + 1) - rad
                cy = min(max(cy, 0), h - 1)
                cx = min(max(cx, 0), w - 1)
                if valid[cy, cx] and (cy != by or cx != bx):
                    d = _distance(feat, skip, y, x, cy, cx, r, best)
                    if d < best:
                        best, by, bx = d, cy, cx
                rad //= 2
            nnf_y[i], nnf_x[i], cost[i] = by, bx, best


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

    def __init__(self, image: Floats, hole: Mask) -> None:
        self.image = image
        self.hole = hole
        h, w = hole.shape
        # small levels take smaller patches, or a large hole would leave no source patch
        self.r = r = RADIUS if min(h, w) >= 64 else max(1, min(h, w) // 24)
        kernel = np.ones((2 * r + 1, 2 * r + 1), np.uint8)
        hole8 = hole.astype(np.uint8)
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
        # bands of whole rows, for the parallel search
        edges = np.linspace(int(ys.min()), int(ys.max()) + 1, BANDS + 1)
        self.bands = np.unique(np.searchsorted(ys, edges).astype(np.int32))
        cy = np.minimum(ys + r, h - 1) - np.maximum(ys - r, 0) + 1
        cx = np.minimum(xs + r, w - 1) - np.maximum(xs - r, 0) + 1
        self.count = (cy * cx).astype(np.float32)  #: target window pixels inside the image


def _features(image: Floats) -> Floats:
    """Colour plus weighted luminance gradients, H×W×5 float32."""
    grey = np.asarray(cv2.cvtColor(image, cv2.COLOR_RGB2GRAY), dtype=np.float32)
    gx = np.asarray(cv2.Sobel(grey, cv2.CV_32F, 1, 0, ksize=3), dtype=np.float32)
    gy = np.asarray(cv2.Sobel(grey, cv2.CV_32F, 0, 1, ksize=3), dtype=np.float32)
    scale = GRADIENT_WEIGHT / 4.0
    feat = np.concatenate([image, gx[..., None] * scale, gy[..., None] * scale], axis=2)
    return np.ascontiguousarray(feat, dtype=np.float32)


def _downsample(image: Floats, hole: Mask) -> tuple[Floats, Mask]:
    h, w = hole.shape
    size = (max(1, (w + 1) // 2), max(1, (h + 1) // 2))
    small = np.asarray(cv2.resize(image, size, interpolation=cv2.INTER_AREA), dtype=np.float32)
    coverage = cv2.resize(hole.astype(np.float32), size, interpolation=cv2.INTER_AREA)
    return small, np.asarray(coverage > 0)


def _inscribed_radius(hole: Mask) -> float:
    padded = np.pad(hole.astype(np.uint8), 1)  # the image border does not bound the hole
    return float(cv2.distanceTransform(padded, cv2.DIST_L2, 3).max())


def _random_sources(level: _Level, rng: np.random.Generator) -> tuple[Ints, Ints]:
    vy, vx = np.nonzero(level.valid)
    pick = rng.integers(0, len(vy), len(level.ty))
    return vy[pick].astype(np.int32), vx[pick].astype(np.int32)


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
    ry, rx = _random_sources(fine, rng)
    return np.where(ok, oy, ry).astype(np.int32), np.where(ok, ox, rx).astype(np.int32)


def _em(
    level: _Level,
    ny: Ints,
    nx: Ints,
    iterations: int,
    rng: np.random.Generator,
    known_only: bool,
) -> None:
    """EM iterations at one level: search, then vote into the hole.

    With ``known_only`` the first search compares the known pixels of target patches only (the
    coarsest level's starting fill is a guess that should not attract smooth matches)."""
    cost = np.zeros(len(level.ty), np.float32)
    nothing = np.zeros_like(level.hole)
    for it in range(iterations):
        feat = _features(level.image)
        seed = int(rng.integers(1, 2**31 - 1))
        skip = level.hole if known_only and it == 0 else nothing
        for reverse in (False, True) if known_only and it == 0 else (it % 2 == 1,):
            _search(
                feat,
                skip,
                level.valid,
                level.ty,
                level.tx,
                level.tid,
                ny,
                nx,
                cost,
                level.bands,
                reverse,
                seed + reverse,
                level.r,
            )
        norm = cost / level.count
        sigma2 = max(float(np.percentile(norm, SIGMA_PERCENTILE)), 1e-3)
        weight = (np.exp(-norm / (2 * sigma2)) * level.confidence + 1e-6).astype(np.float32)
        out = level.image.copy()
        _vote(level.image, level.hole, level.tid, ny, nx, weight, level.r, out)
        level.image = out


def complete(
    image: Image,
    hole: Mask,
    seed: int,
    *,
    iterations: int = 6,
    fine_iterations: int = 2,
) -> Image:
    """Fill ``hole`` (True = missing) of ``image`` (H×W×3 uint8) with multi-scale PatchMatch.

    ``iterations`` EM iterations run on the coarse levels, ``fine_iterations`` on the finest two.
    Known pixels are returned unchanged; the same ``seed`` gives the same result.
    """
    hole = np.ascontiguousarray(hole, dtype=bool)
    if not hole.any():
        return image.copy()
    if hole.all():
        return _diffusion(image, hole)
    rng = np.random.default_rng(seed)
    levels = [_Level(image.astype(np.float32), hole)]  # finest first
    if levels[0].sources < MIN_SOURCES:  # almost all hole: nothing to copy from
        return _diffusion(image, hole)
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
    coarsest = levels[-1]
    start = np.clip(coarsest.image, 0, 255).astype(np.uint8)
    hole8 = coarsest.hole.astype(np.uint8) * 255
    fill = np.asarray(cv2.inpaint(start, hole8, 3, cv2.INPAINT_TELEA), dtype=np.float32)
    coarsest.image = np.where(coarsest.hole[..., None], fill, coarsest.image).astype(np.float32)
    ny, nx = _random_sources(coarsest, rng)
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
        _em(level, ny, nx, count, rng, known_only=False)
    out = image.copy()
    out[hole] = np.clip(np.rint(levels[0].image[hole]), 0, 255).astype(np.uint8)
    return out


def _diffusion(image: Image, hole: Mask) -> Image:
    """TELEA fill, for holes with no known patch to copy."""
    radius = max(3, round(min(hole.shape) / 64))
    filled = np.asarray(
        cv2.inpaint(image, hole.astype(np.uint8) * 255, radius, cv2.INPAINT_TELEA), dtype=np.uint8
    )
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
