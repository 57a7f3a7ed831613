"""Gradient-domain (Poisson) reconstruction of a fill on a masked region, by multigrid.

:func:`reconstruct` finds the image ``u`` that equals the given image outside ``domain`` and,
inside it, has the pixel differences closest (least squares) to a guidance field: the equation of
Poisson image editing (Pérez, Gangnet and Blake 2003), ``Δu = div g`` with ``u`` fixed on the
domain's border. The patch fill uses it to stitch its copied pieces: the guidance is each piece's
own differences, so texture and edges stay as copied while steps between pieces, and between the
fill and the photo, are spread smoothly away (a sky copied from higher up takes the shade of the
sky around the hole).

The solver is a multigrid V-cycle (red-black Gauss–Seidel smoothing, residuals summed onto a grid
of half the size, corrections interpolated back), started from the fill itself, so a few cycles
reach the accuracy that matters at 8-bit output. It is deterministic: no randomness, and each
red-black half-sweep updates pixels that do not read each other.
"""

from __future__ import annotations

import cv2
import numpy as np
import numpy.typing as npt
from numba import njit

Mask = npt.NDArray[np.bool_]
Floats = npt.NDArray[np.float32]
Ints = npt.NDArray[np.int32]

CYCLES = 3  #: V-cycles
SMOOTHING = 2  #: Gauss–Seidel sweeps before and after each coarse correction
COARSEST = 256  #: a domain of at most this many pixels is solved by sweeps alone
COARSEST_SWEEPS = 60
SHADING_SIGMA = 4.0  #: px; :func:`stitch` keeps the solution's change at this scale and coarser


@njit(cache=True, fastmath=True, inline="always")
def _neighbours(  # pragma: no cover
    u: Floats, b: Floats, y: int, x: int, k: int
) -> tuple[float, int]:
    """``b_p + Σ u_q`` over the 4-neighbours ``q`` of ``p = (y, x)`` inside the image, and their
    count (channel ``k``)."""
    h, w = u.shape[0], u.shape[1]
    total = b[y, x, k]
    n = 0
    if y > 0:
        total += u[y - 1, x, k]
        n += 1
    if y < h - 1:
        total += u[y + 1, x, k]
        n += 1
    if x > 0:
        total += u[y, x - 1, k]
        n += 1
    if x < w - 1:
        total += u[y, x + 1, k]
        n += 1
    return total, n


@njit(cache=True, fastmath=True)
def _sweeps(u: Floats, b: Floats, domain: Mask, count: int) -> None:  # pragma: no cover
    """``count`` red-black Gauss–Seidel sweeps of ``n·u_p − Σ u_q = b_p`` over ``domain`` (n = the
    number of 4-neighbours inside the image; the pixels outside ``domain`` stay fixed)."""
    h, w, c = u.shape
    for _ in range(count):
        for colour in range(2):
            for y in range(h):
                for x in range((y + colour) % 2, w, 2):
                    if not domain[y, x]:
                        continue
                    for k in range(c):
                        total, n = _neighbours(u, b, y, x, k)
                        u[y, x, k] = total / n


@njit(cache=True, fastmath=True)
def _residual(u: Floats, b: Floats, domain: Mask, out: Floats) -> None:  # pragma: no cover
    """``out`` = b − (n·u_p − Σ u_q) on ``domain``, 0 elsewhere."""
    h, w, c = u.shape
    for y in range(h):
        for x in range(w):
            for k in range(c):
                if not domain[y, x]:
                    out[y, x, k] = 0.0
                    continue
                total, n = _neighbours(u, b, y, x, k)
                out[y, x, k] = total - n * u[y, x, k]


def _restrict(values: Floats) -> Floats:
    """Sums of 2×2 blocks (the coarse cell's equation covers its four children)."""
    h, w = values.shape[:2]
    padded = np.pad(values, ((0, h % 2), (0, w % 2), (0, 0)))
    return np.ascontiguousarray(
        padded[0::2, 0::2] + padded[1::2, 0::2] + padded[0::2, 1::2] + padded[1::2, 1::2]
    )


def _coarser(domain: Mask) -> Mask:
    """Coarse cells whose four children are all in ``domain``: the coarse problem keeps a fixed
    border (a cell with any fixed child would let the coarse problem float, unbounded)."""
    h, w = domain.shape
    padded = np.pad(domain, ((0, h % 2), (0, w % 2)))
    return np.ascontiguousarray(
        padded[0::2, 0::2] & padded[1::2, 0::2] & padded[0::2, 1::2] & padded[1::2, 1::2]
    )


def _v_cycle(u: Floats, b: Floats, domain: Mask) -> None:
    """One V-cycle on ``n·u − Σ u = b`` (in place)."""
    if int(domain.sum()) <= COARSEST or min(domain.shape) < 4:  # also when the domain is thin
        _sweeps(u, b, domain, COARSEST_SWEEPS)
        return
    _sweeps(u, b, domain, SMOOTHING)
    res = np.empty_like(u)
    _residual(u, b, domain, res)
    coarse_domain = _coarser(domain)
    # the coarse correction solves the same operator at twice the spacing, with zero outside
    error = np.zeros((*coarse_domain.shape, u.shape[2]), np.float32)
    _v_cycle(error, _restrict(res), coarse_domain)
    h, w = domain.shape
    big = cv2.resize(
        error, (error.shape[1] * 2, error.shape[0] * 2), interpolation=cv2.INTER_LINEAR
    )
    u += np.where(domain[..., None], np.asarray(big, np.float32)[:h, :w], 0.0).astype(np.float32)
    _sweeps(u, b, domain, SMOOTHING)


def reconstruct(start: Floats, domain: Mask, gx: Floats, gy: Floats) -> Floats:
    """The least-squares image whose differences inside ``domain`` follow the guidance.

    ``start`` (H×W×C float32) gives the fixed values outside ``domain`` and the starting guess
    inside it. ``gx[y, x]`` is the wanted ``u[y, x + 1] − u[y, x]`` and ``gy[y, x]`` the wanted
    ``u[y + 1, x] − u[y, x]``; only differences that touch ``domain`` matter."""
    u = np.ascontiguousarray(start, dtype=np.float32).copy()
    # right-hand side b_p = −Σ_q g(p→q): the guidance's divergence, one term per neighbour
    b = np.zeros_like(u)
    b[:, :-1] -= gx[:, :-1]
    b[:, 1:] += gx[:, :-1]
    b[:-1] -= gy[:-1]
    b[1:] += gy[:-1]
    b = np.ascontiguousarray(b, dtype=np.float32)
    domain = np.ascontiguousarray(domain, dtype=bool)
    for _ in range(CYCLES):
        _v_cycle(u, b, domain)
    return u


def stitch(image: Floats, hole: Mask, sy: Ints, sx: Ints) -> Floats:
    """``image`` with each hole pixel (in ``np.nonzero(hole)`` order) rebuilt from its source
    pixel ``(sy, sx)`` in the gradient domain, so that the copied pieces join without steps.

    A difference between two hole pixels is the mean of the two sources' own differences that
    way; one between a hole pixel and a known pixel is the hole pixel's source's. The copy is
    changed only by the solution's shading (its change blurred by ``SHADING_SIGMA``), so the
    copied fine texture stays as it was. Sources must lie at least one pixel inside the image.
    Only the hole's box (plus one pixel) is solved; pixels outside the hole are returned as
    ``image`` has them, those of the box near the hole changed by the blurred shading."""
    ys, xs = np.nonzero(hole)
    h, w = hole.shape
    y0, y1 = max(0, int(ys.min()) - 1), min(h, int(ys.max()) + 2)
    x0, x1 = max(0, int(xs.min()) - 1), min(w, int(xs.max()) + 2)
    src = image[sy, sx]
    start = image[y0:y1, x0:x1].copy()
    ly, lx = ys - y0, xs - x0
    start[ly, lx] = src
    bh, bw = y1 - y0, x1 - x0
    gx, gy = np.zeros_like(start), np.zeros_like(start)
    count_x, count_y = np.zeros((bh, bw), np.float32), np.zeros((bh, bw), np.float32)
    # forward difference of the source on the edge right of / below the hole pixel, backward
    # difference on the edge left of / above it
    for axis, g, count in ((1, gx, count_x), (0, gy, count_y)):
        dy, dx = (0, 1) if axis == 1 else (1, 0)
        ahead = (lx < bw - 1) if axis == 1 else (ly < bh - 1)
        g[ly[ahead], lx[ahead]] += image[sy[ahead] + dy, sx[ahead] + dx] - src[ahead]
        count[ly[ahead], lx[ahead]] += 1
        behind = (lx > 0) if axis == 1 else (ly > 0)
        g[ly[behind] - dy, lx[behind] - dx] += src[behind] - image[sy[behind] - dy, sx[behind] - dx]
        count[ly[behind] - dy, lx[behind] - dx] += 1
    gx /= np.maximum(count_x, 1)[..., None]
    gy /= np.maximum(count_y, 1)[..., None]
    rebuilt = reconstruct(start, hole[y0:y1, x0:x1], gx, gy)
    # only the shading of the solution is kept: averaging two unrelated sources' differences
    # where pieces meet would flatten fine texture, and that is not a step to remove
    change = np.asarray(cv2.GaussianBlur(rebuilt - start, (0, 0), SHADING_SIGMA), np.float32)
    out = image.copy()
    out[y0:y1, x0:x1] = start + change
    return out
