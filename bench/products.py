"""Procedural product cutouts for the background-generation gallery.

Each function returns an RGBA ``uint8`` image (straight alpha) of a product standing in the lower
middle of a transparent canvas, the way a seller's cutout arrives: anti-aliased soft edges, shading
and highlights of a studio shot, no shadow. Drawn at twice the size and averaged down, so edges and
thin highlights stay smooth. Deterministic (the one random texture, the mug's speckles, is seeded).

    .venv/bin/python bench/products.py   # writes bench/results/products.png to look at them
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt

Float = npt.NDArray[Any]
RGBA = npt.NDArray[np.uint8]

SS = 2  #: supersampling factor

#: the key light: from the upper left and the front (x right, y down, z toward the viewer)
LIGHT = np.array([-0.55, -0.45, 0.7], np.float32) / np.linalg.norm([-0.55, -0.45, 0.7])


class _Canvas:
    """A float RGBA working canvas at ``SS`` times the output size; shapes are painted with
    coverage masks, back to front."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.n = size * SS
        self.rgb: Float = np.zeros((self.n, self.n, 3), np.float32)
        self.alpha: Float = np.zeros((self.n, self.n), np.float32)
        ys, xs = np.mgrid[0 : self.n, 0 : self.n].astype(np.float32)
        self.xs = (xs + 0.5) / self.n  # 0…1 over the output canvas
        self.ys = (ys + 0.5) / self.n

    def mask(self, draw: Callable[[npt.NDArray[np.uint8], int], None]) -> Float:
        """A 0…1 coverage mask drawn by ``draw(image, scale)`` in canvas pixels (``scale`` maps
        output fractions to them)."""
        m = np.zeros((self.n, self.n), np.uint8)
        draw(m, self.n)
        return m.astype(np.float32) / 255.0

    def paint(self, color: Float, cover: Float, alpha: float | Float = 1.0) -> None:
        """Paint ``color`` (H×W×3 or 3) where ``cover`` is, with opacity ``alpha``."""
        a = np.clip(cover * alpha, 0.0, 1.0)
        self.rgb = (
            self.rgb * (1.0 - a[..., None]) + np.broadcast_to(color, self.rgb.shape) * a[..., None]
        )
        self.alpha = self.alpha + (1.0 - self.alpha) * a

    def result(self) -> RGBA:
        """Average down to the output size (premultiplied, so edges keep their colour)."""
        size = self.size
        pm = np.asarray(
            cv2.resize(self.rgb * self.alpha[..., None], (size, size), interpolation=cv2.INTER_AREA)
        )
        a = np.asarray(cv2.resize(self.alpha, (size, size), interpolation=cv2.INTER_AREA))
        rgb = pm / np.maximum(a[..., None], 1e-4)
        out = np.dstack([np.clip(rgb, 0.0, 1.0), np.clip(a, 0.0, 1.0)])
        return np.asarray(np.round(out * 255.0), np.uint8)


def _c(rgb: tuple[int, int, int]) -> Float:
    return np.asarray(rgb, np.float32) / 255.0


def _ellipse(cx: float, cy: float, rx: float, ry: float, a0: int = 0, a1: int = 360) -> Any:
    """A drawing function for a filled ellipse (output fractions)."""

    def draw(m: npt.NDArray[np.uint8], s: int) -> None:
        cv2.ellipse(
            m,
            (round(cx * s * 16), round(cy * s * 16)),
            (round(rx * s * 16), round(ry * s * 16)),
            0,
            a0,
            a1,
            255,
            -1,
            cv2.LINE_AA,
            4,
        )

    return draw


def _rect(x0: float, y0: float, x1: float, y1: float) -> Any:
    def draw(m: npt.NDArray[np.uint8], s: int) -> None:
        cv2.rectangle(m, (round(x0 * s), round(y0 * s)), (round(x1 * s), round(y1 * s)), 255, -1)

    return draw


def _union(*draws: Any) -> Any:
    def draw(m: npt.NDArray[np.uint8], s: int) -> None:
        for d in draws:
            d(m, s)

    return draw


def _cylinder(
    cv: _Canvas, cx: float, rx: float, top: float, bottom: float, ry: float
) -> tuple[Float, Float]:
    """Coverage of an upright cylinder seen slightly from above (elliptical bottom edge) and the
    x component of its surface normal, -1 … 1 across it."""
    cover = cv.mask(_union(_rect(cx - rx, top, cx + rx, bottom), _ellipse(cx, bottom, rx, ry)))
    nx = np.clip((cv.xs - cx) / rx, -1.0, 1.0)
    return cover, nx


def _shade_cylinder(
    base: Float,
    nx: Float,
    gloss: float,
    spec_width: float = 0.05,
    ambient: float = 0.45,
    rim: float = 0.25,
) -> Float:
    """Lambert on a vertical cylinder from :data:`LIGHT`, a bright specular strip toward the
    light, a softer one on the far side (a reflector card) and darkened edges."""
    nz = np.sqrt(np.clip(1.0 - nx * nx, 0.0, 1.0))
    lam = np.clip(nx * LIGHT[0] + nz * LIGHT[2], 0.0, 1.0)
    col = base * (ambient + (1.0 - ambient) * lam)[..., None]
    col = col * (1.0 - rim * (np.abs(nx) ** 6))[..., None]
    key = np.exp(-(((nx + 0.45) / spec_width) ** 2)) * gloss
    fill = np.exp(-(((nx - 0.72) / (spec_width * 1.8)) ** 2)) * gloss * 0.35
    return np.asarray(col + (1.0 - col) * (key + fill)[..., None], np.float32)


def _vertical(cv: _Canvas, y0: float, y1: float) -> Float:
    """0 above ``y0``, rising to 1 at ``y1``."""
    return np.asarray(np.clip((cv.ys - y0) / max(y1 - y0, 1e-6), 0.0, 1.0), np.float32)


def perfume(size: int = 896) -> RGBA:
    """A square glass perfume bottle with pink juice, a gold collar and a tall black cap."""
    cv = _Canvas(size)
    cx, bottom, half = 0.5, 0.87, 0.17
    top = 0.5
    corner = 0.045

    def body(m: npt.NDArray[np.uint8], s: int) -> None:
        r = round(corner * s)
        x0, x1, y0, y1 = (
            round((cx - half) * s),
            round((cx + half) * s),
            round(top * s),
            round(bottom * s),
        )
        cv2.rectangle(m, (x0 + r, y0), (x1 - r, y1), 255, -1)
        cv2.rectangle(m, (x0, y0 + r), (x1, y1 - r), 255, -1)
        for px, py in ((x0 + r, y0 + r), (x1 - r, y0 + r), (x0 + r, y1 - r), (x1 - r, y1 - r)):
            cv2.circle(m, (px, py), r, 255, -1, cv2.LINE_AA)

    outer = cv.mask(body)
    nx = np.clip((cv.xs - cx) / half, -1.0, 1.0)
    # thick glass: a clear, slightly green-grey wall around the juice
    wall = 0.022
    inner = cv.mask(
        _rect(cx - half + wall, top + wall * 2.2, cx + half - wall, bottom - wall * 2.6)
    )
    inner = cv2.GaussianBlur(inner, (0, 0), SS * 2.0)
    juice_top = top + 0.06
    juice = inner * (cv.ys > juice_top)
    glass = _shade_cylinder(_c((206, 214, 212)), nx * 0.9, 0.9, 0.035, ambient=0.65, rim=0.45)
    cv.paint(glass, outer, 0.9)
    # the juice: deeper toward the edges and the bottom, lighter where the light passes through
    depth = _vertical(cv, juice_top, bottom)
    pink = _c((236, 150, 170)) * (1.0 - 0.18 * depth)[..., None]
    pink = pink * (0.8 + 0.25 * np.exp(-(((nx + 0.1) / 0.55) ** 2)))[..., None]
    pink = _shade_cylinder(pink, nx * 0.85, 0.0, ambient=0.75, rim=0.35)
    cv.paint(pink, juice, 0.97)
    meniscus = cv.mask(
        _rect(cx - half + wall, juice_top - 0.004, cx + half - wall, juice_top + 0.004)
    )
    cv.paint(_c((250, 210, 220)), cv2.GaussianBlur(meniscus, (0, 0), SS * 1.5), 0.8)
    # the thick base and the glass highlights on top of everything
    base_band = outer * _vertical(cv, bottom - 0.05, bottom) ** 2
    cv.paint(_c((170, 120, 132)), base_band, 0.5)
    streak = (
        np.exp(-(((nx + 0.62) / 0.05) ** 2)) * outer * (1.0 - _vertical(cv, bottom - 0.04, bottom))
    )
    cv.paint(_c((255, 255, 255)), streak, 0.85)
    soft = np.exp(-(((nx - 0.7) / 0.08) ** 2)) * outer
    cv.paint(_c((255, 245, 248)), soft, 0.35)
    edge = outer - cv2.erode(outer, np.ones((SS * 5, SS * 5), np.float32))
    cv.paint(_c((120, 130, 132)), np.clip(edge, 0.0, 1.0), 0.35)
    # a small engraved label
    label = np.zeros((cv.n, cv.n), np.uint8)
    scale = cv.n / 1000
    text = "MAISON"
    font = cv2.FONT_HERSHEY_DUPLEX
    (tw, _), _ = cv2.getTextSize(text, font, 1.1 * scale, max(1, round(2 * scale)))
    cv2.putText(
        label,
        text,
        (round(cx * cv.n - tw / 2), round(0.72 * cv.n)),
        font,
        1.1 * scale,
        255,
        max(1, round(2 * scale)),
        cv2.LINE_AA,
    )
    cv.paint(_c((255, 246, 248)), label.astype(np.float32) / 255.0, 0.85)
    # gold collar
    collar, cnx = _cylinder(cv, cx, 0.055, top - 0.035, top + 0.004, 0.008)
    cv.paint(_shade_cylinder(_c((206, 164, 92)), cnx, 1.0, 0.07, ambient=0.4), collar)
    # the cap: glossy black, tall, with a lighter top ellipse
    cap, knx = _cylinder(cv, cx, 0.085, 0.27, top - 0.03, 0.012)
    cap_col = _shade_cylinder(_c((30, 30, 34)), knx, 0.75, 0.06, ambient=0.6, rim=0.1)
    cv.paint(cap_col, cap)
    cap_top = cv.mask(_ellipse(cx, 0.27, 0.085, 0.012))
    cv.paint(_c((70, 70, 76)), cap_top)
    return cv.result()


def cream_jar(size: int = 896) -> RGBA:
    """A squat frosted-glass cream jar with a ribbed rose-gold lid."""
    cv = _Canvas(size)
    cx, bottom, rx, ry = 0.5, 0.86, 0.25, 0.035
    body_top = 0.66
    body, nx = _cylinder(cv, cx, rx, body_top, bottom, ry)
    frost = _c((238, 228, 226))
    body_col = _shade_cylinder(frost, nx, 0.35, 0.12, ambient=0.62, rim=0.3)
    # frosted glass lets a warm glow through the middle and is slightly darker at the bottom
    body_col = body_col * (1.0 - 0.1 * _vertical(cv, body_top, bottom) ** 2)[..., None]
    cv.paint(body_col, body)
    label = cv.mask(_rect(cx - rx * 0.55, 0.735, cx + rx * 0.55, 0.79))
    cv.paint(_c((214, 168, 150)) * 0.9, label * (np.abs(nx) < 0.6), 0.9)
    txt = np.zeros((cv.n, cv.n), np.uint8)
    scale = cv.n / 1000
    font = cv2.FONT_HERSHEY_TRIPLEX
    (tw, th), _ = cv2.getTextSize("ROSE CREAM", font, 0.9 * scale, max(1, round(1.6 * scale)))
    cv2.putText(
        txt,
        "ROSE CREAM",
        (round(cx * cv.n - tw / 2), round(0.7625 * cv.n + th / 2)),
        font,
        0.9 * scale,
        255,
        max(1, round(1.6 * scale)),
        cv2.LINE_AA,
    )
    cv.paint(_c((255, 250, 246)), txt.astype(np.float32) / 255.0)
    # the lid: brushed rose gold with vertical ribs, a chamfered lower edge, the top visible
    lid_top, lid_bottom = 0.55, body_top + 0.008
    lid, lnx = _cylinder(cv, cx, rx * 1.02, lid_top, lid_bottom, ry)
    ribs = 0.9 + 0.1 * np.cos(np.arcsin(np.clip(lnx, -1, 1)) * 90.0)
    gold = _c((218, 168, 146)) * ribs[..., None]
    lid_col = _shade_cylinder(gold, lnx, 1.0, 0.06, ambient=0.38, rim=0.35)
    cv.paint(lid_col, lid)
    lip = cv.mask(_ellipse(cx, lid_bottom, rx * 1.02, ry, 0, 180)) * (cv.ys > lid_bottom - 0.004)
    cv.paint(_c((150, 108, 96)), lip, 0.6)
    top = cv.mask(_ellipse(cx, lid_top, rx * 1.02, ry))
    radial = np.clip(
        np.sqrt(((cv.xs - cx) / (rx * 1.02)) ** 2 + ((cv.ys - lid_top) / ry) ** 2), 0.0, 1.0
    )
    top_col = _c((236, 196, 178)) * (1.0 - 0.18 * radial)[..., None]
    top_col = (
        top_col
        + (1.0 - top_col) * (np.exp(-(((cv.xs - cx + rx * 0.35) / 0.05) ** 2)) * 0.4)[..., None]
    )
    cv.paint(top_col, top)
    return cv.result()


def mug(size: int = 896) -> RGBA:
    """A speckled ceramic mug with a glossy sage glaze, a raw clay foot and a handle."""
    cv = _Canvas(size)
    cx, bottom, rx, ry = 0.46, 0.86, 0.2, 0.03
    top = 0.5
    glaze = _c((150, 178, 160))
    # handle first (behind the body's edge): a thick ring, shaded as a torus
    hx, hy, hr, thick = cx + rx + 0.035, 0.655, 0.085, 0.036
    ring = np.zeros((cv.n, cv.n), np.uint8)
    cv2.ellipse(
        ring,
        (round(hx * cv.n), round(hy * cv.n)),
        (round(hr * 0.75 * cv.n), round(hr * cv.n)),
        0,
        -100,
        100,
        255,
        round(thick * cv.n),
        cv2.LINE_AA,
    )
    ring_m = ring.astype(np.float32) / 255.0
    d = np.sqrt(((cv.xs - hx) / (hr * 0.75)) ** 2 + ((cv.ys - hy) / hr) ** 2)
    tube = np.clip(1.0 - np.abs(d - 1.0) / (thick / hr * 0.6), 0.0, 1.0)
    handle_col = glaze * (0.45 + 0.55 * tube)[..., None]
    handle_col = (
        handle_col
        + (1 - handle_col)
        * (np.exp(-(((cv.ys - hy + hr * 0.5) / 0.02) ** 2)) * tube**4 * 0.6)[..., None]
    )
    cv.paint(handle_col, ring_m)
    body, nx = _cylinder(cv, cx, rx, top, bottom, ry)
    col = _shade_cylinder(glaze, nx, 0.9, 0.045, ambient=0.5, rim=0.3)
    # iron speckles in the glaze
    rng = np.random.default_rng(3)
    speck = np.zeros((cv.n, cv.n), np.float32)
    for _ in range(900):
        x, y = rng.uniform(cx - rx, cx + rx), rng.uniform(top, bottom)
        cv2.circle(speck, (round(x * cv.n), round(y * cv.n)), int(rng.integers(1, 4)), 1.0, -1)
    col = col * (1.0 - 0.35 * np.asarray(cv2.GaussianBlur(speck, (0, 0), 1.0)))[..., None]
    cv.paint(col, body)
    # the unglazed foot
    foot_top = bottom - 0.03
    foot = body * (cv.ys > foot_top + (1 - nx**2) ** 0.5 * ry * 0.9)
    clay = _shade_cylinder(_c((214, 190, 160)), nx, 0.0, ambient=0.55, rim=0.3)
    cv.paint(clay, np.clip(foot, 0, 1))
    # the rim and the inside, with coffee
    rim_outer = cv.mask(_ellipse(cx, top, rx, ry))
    cv.paint(_shade_cylinder(glaze * 1.08, nx, 0.0, ambient=0.8), rim_outer)
    inside = cv.mask(_ellipse(cx, top + 0.002, rx * 0.92, ry * 0.85))
    shade_in = np.clip((cv.xs - (cx - rx)) / (2 * rx), 0, 1)
    cv.paint(glaze * (0.45 + 0.35 * shade_in)[..., None], inside)
    coffee = cv.mask(_ellipse(cx, top + 0.006, rx * 0.86, ry * 0.72))
    brew = _c((74, 46, 30)) * (0.75 + 0.35 * (1 - shade_in))[..., None]
    cv.paint(brew, coffee)
    crema = cv.mask(_ellipse(cx - rx * 0.25, top + 0.004, rx * 0.18, ry * 0.2))
    cv.paint(_c((200, 170, 140)), cv2.GaussianBlur(crema, (0, 0), SS * 3.0), 0.35)
    return cv.result()


PRODUCTS: dict[str, Callable[[int], RGBA]] = {
    "perfume": perfume,
    "cream jar": cream_jar,
    "mug": mug,
}
"""Gallery products by name."""


def main() -> None:
    """Write the products on a checkerboard to look at."""
    size = 512
    tiles = []
    for make in PRODUCTS.values():
        rgba = make(size).astype(np.float32) / 255.0
        yy, xx = np.mgrid[0:size, 0:size]
        board = np.where(((yy // 16 + xx // 16) % 2) == 0, 0.85, 0.65).astype(np.float32)
        a = rgba[..., 3:]
        tiles.append(rgba[..., :3] * a + board[..., None] * (1 - a))
    sheet = np.concatenate(tiles, axis=1)
    out = Path("bench/results/products.png")
    out.parent.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(out), cv2.cvtColor(np.round(sheet * 255).astype(np.uint8), cv2.COLOR_RGB2BGR))
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
