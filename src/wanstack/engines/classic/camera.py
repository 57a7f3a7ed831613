"""Camera work of the classic video engines (wan2.6-i2v and wan2.6-t2v): framings, motion words,
easing and shot plans. Both engines film a still through a moving window, a :class:`View` (centre
in 0–1 image units, zoom 1 = the whole still); how they choose and ease the move differs.

* **Image to video** (:mod:`.image2video`): :func:`parse_motion` finds the prompt's motion words
  (Chinese or English, longest match first) and so the :class:`Move`;
  :func:`wanstack.engines.framing.crop_to_aspect` fits the image to the output's aspect;
  :func:`plan_shots` splits the frames into :class:`Shot` s, each a
  move from a framing (2–4 framings for ``shot_type="multi"``), and :func:`view_at` is the view of
  a shot at any time, eased by :func:`ease` (cosine, never quite at rest).
* **Text to video** (:mod:`.text2video`): :func:`glide_style` reads push-in, pull-out or pan from
  the prompt; :func:`plan_glides` splits the frames into :class:`Glide` s, each from one framing
  of the overscanned still to another, eased by :func:`smoothstep`; :func:`glide_matrix` is the
  still → output transform at a frame.

The two engines' vocabularies, easings and shot shapes stay apart: each keeps its exact output.
"""

from __future__ import annotations

import dataclasses
import enum
import math
import re
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import numpy.typing as npt

from wanstack.engines.requests import VideoRequest

Mat = npt.NDArray[np.float64]  #: 3×3 affine matrix (homogeneous)

#: a close-up may enlarge the original image at most this much over its native resolution
MAX_UPSCALE = 1.6


# --------------------------------------------------------------------------------- framings


@dataclass(frozen=True, slots=True)
class View:
    """A framing of an image: centre (u, v) in 0–1 image units, zoom z ≥ 1 (1: the whole image)."""

    u: float
    v: float
    z: float

    def clamped(self) -> View:
        z = max(self.z, 1.0)
        half = 0.5 / z
        return View(min(max(self.u, half), 1 - half), min(max(self.v, half), 1 - half), z)


# ----------------------------------------------------------------------------- motion words


class Move(enum.Enum):
    PUSH_IN = "push-in"
    PULL_OUT = "pull-out"
    PAN_LEFT = "pan-left"
    PAN_RIGHT = "pan-right"
    TILT_UP = "tilt-up"
    TILT_DOWN = "tilt-down"
    ORBIT = "orbit"
    DRIFT = "drift"


#: prompt words → move; the longest match wins where two overlap ("zoom out" over "zoom")
MOTION_WORDS: dict[Move, tuple[str, ...]] = {
    Move.PULL_OUT: (
        "zoom out", "zooms out", "zooming out", "pull out", "pulls out", "pulling out",
        "pull back", "pulls back", "pulling back", "dolly out", "dolly back", "拉远", "拉开",
        "后拉", "镜头后退", "缩小",
    ),
    Move.PUSH_IN: (
        "zoom in", "zooms in", "zooming in", "push in", "push-in", "pushes in", "pushing in",
        "dolly in", "close in", "closing in", "zoom", "推近", "推进", "推镜", "拉近", "放大",
        "靠近", "特写",
    ),
    Move.PAN_LEFT: (
        "pan left", "pans left", "panning left", "move left", "moves left", "truck left",
        "左移", "左摇", "向左", "往左",
    ),
    Move.PAN_RIGHT: (
        "pan right", "pans right", "panning right", "move right", "moves right", "truck right",
        "右移", "右摇", "向右", "往右",
    ),
    Move.TILT_UP: ("tilt up", "tilts up", "tilting up", "pan up", "pans up", "上摇", "上移",
                   "向上", "往上", "仰拍"),
    Move.TILT_DOWN: ("tilt down", "tilts down", "tilting down", "pan down", "pans down",
                     "下摇", "下移", "向下", "往下", "俯拍"),
    Move.ORBIT: (
        "orbit", "orbits", "orbiting", "around", "rotate", "rotates", "rotating", "rotation",
        "circle", "circling", "arc shot", "parallax", "环绕", "环拍", "绕拍", "围绕", "旋转",
        "360",
    ),
    Move.DRIFT: (
        "static", "still camera", "fixed camera", "locked camera", "locked-off", "固定镜头",
        "静止", "定镜", "固定机位",
    ),
}  # fmt: skip
SLOW_WORDS = ("slow motion", "slow-motion", "slow-mo", "slowly", "slow", "慢动作", "慢镜头",
              "缓慢", "慢慢", "缓缓")  # fmt: skip
#: moves the seed picks from when the prompt names none (orbit only when the subject allows)
SEED_MOVES = (Move.PUSH_IN, Move.PULL_OUT, Move.PAN_LEFT, Move.PAN_RIGHT, Move.ORBIT, Move.DRIFT)
GENTLE_MOVES = (Move.PUSH_IN, Move.PULL_OUT, Move.PAN_LEFT, Move.PAN_RIGHT, Move.DRIFT)


def _word_pattern(word: str) -> str:
    escaped = re.escape(word)
    return rf"\b{escaped}\b" if word.isascii() else escaped


_MOTION_RE = [
    (re.compile(_word_pattern(word), re.IGNORECASE), move)
    for move, words in MOTION_WORDS.items()
    for word in words
]
_SLOW_RE = re.compile("|".join(_word_pattern(word) for word in SLOW_WORDS), re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Motion:
    """What the prompt asks the camera to do."""

    moves: tuple[Move, ...]  #: in the order the prompt names them; empty: the seed chooses
    slow: bool  #: slow motion: a smaller, gentler move


def parse_motion(prompt: str) -> Motion:
    """Find the motion words in ``prompt``, longest match first, in the order they appear."""
    hits: list[tuple[int, int, Move]] = []
    for pattern, move in _MOTION_RE:
        hits.extend((m.start(), m.end(), move) for m in pattern.finditer(prompt))
    hits.sort(key=lambda hit: (hit[0], -(hit[1] - hit[0])))
    moves: list[Move] = []
    covered = -1
    for start, end, move in hits:
        if start < covered:
            continue  # inside a longer match ("zoom" in "zoom out")
        covered = end
        if move not in moves:
            moves.append(move)
    return Motion(tuple(moves), _SLOW_RE.search(prompt) is not None)


#: text to video: the prompt words of the three glides (:func:`glide_style`)
PUSH_WORDS = re.compile(r"推进|推近|拉近|push(?:es)? in|zoom(?:s)? in|dolly in", re.I)
PULL_WORDS = re.compile(r"拉远|后退|pull(?:s)? out|zoom(?:s)? out|dolly out", re.I)
PAN_WORDS = re.compile(r"平移|横移|摇镜|pan(?:s|ning)?\b|tracking", re.I)


def glide_style(prompt: str, rng: np.random.Generator) -> str:
    """``push``, ``pull`` or ``pan`` as the prompt asks (looked for in that order), else the
    seed's choice."""
    if PUSH_WORDS.search(prompt):
        return "push"
    if PULL_WORDS.search(prompt):
        return "pull"
    if PAN_WORDS.search(prompt):
        return "pan"
    return str(rng.choice(["push", "pan", "push", "pull"]))


# ----------------------------------------------------------------------------------- easing


def ease(t: float) -> float:
    """Ease in and out (cosine), with a little linear motion so it never quite stands still."""
    t = min(max(t, 0.0), 1.0)
    return 0.8 * (0.5 - 0.5 * math.cos(math.pi * t)) + 0.2 * t


def smoothstep(t: float) -> float:
    """Ease in and out (smoothstep): at rest at both ends. The glides of text to video."""
    t = min(1.0, max(0.0, t))
    return t * t * (3.0 - 2.0 * t)


# -------------------------------------------------------------------- image to video: shots


@dataclass(frozen=True, slots=True)
class Shot:
    """One continuous camera move over ``frames`` frames, starting at ``framing``."""

    frames: int
    framing: View
    move: Move
    strength: float  #: 1 normal; < 1 gentler (slow motion, multi-shot)
    sign: float = 1.0  #: orbit direction (±1)
    angle: float = 0.0  #: drift direction, radians


class SubjectPoints(Protocol):
    """What :func:`plan_shots` needs of the subject (:class:`.image2video.Subject`)."""

    def centre(self) -> tuple[float, float]: ...

    def focus(self) -> tuple[float, float]: ...


def view_at(shot: Shot, t: float, layer: str = "main") -> View:
    """The camera view of ``shot`` at time ``t`` (0–1); ``layer`` is main, fg or bg (orbit)."""
    e = ease(t)
    k = shot.strength
    f = shot.framing
    if shot.move is Move.PUSH_IN or shot.move is Move.PULL_OUT:
        if shot.move is Move.PULL_OUT:
            e = 1 - e
        zoom = f.z * (1 + 0.28 * k) ** e
        # Drift towards the framing centre as the zoom tightens.
        start = View(0.5, 0.5, f.z).clamped() if f.z < 1.05 else f
        view = View(start.u + (f.u - start.u) * e, start.v + (f.v - start.v) * e, zoom)
    elif shot.move in (Move.PAN_LEFT, Move.PAN_RIGHT, Move.TILT_UP, Move.TILT_DOWN):
        zoom = f.z * (1 + 0.2 * k)
        travel = (1 - 1 / (1 + 0.2 * k)) / f.z  # the whole margin the zoom leaves at f.z = 1
        offset = (e - 0.5) * travel
        if shot.move is Move.PAN_LEFT or shot.move is Move.TILT_UP:
            offset = -offset
        # Centre the travel where it fits, so the pan never stalls against the image's edge.
        low, high = 0.5 / zoom + travel / 2, 1 - 0.5 / zoom - travel / 2
        if shot.move in (Move.PAN_LEFT, Move.PAN_RIGHT):
            view = View(min(max(f.u, low), high) + offset, f.v, zoom)
        else:
            view = View(f.u, min(max(f.v, low), high) + offset, zoom)
    elif shot.move is Move.ORBIT:
        s = (2 * e - 1) * shot.sign  # −1 … 1
        zoom = f.z * 1.14
        if layer == "fg":
            view = View(f.u + 0.01 * k * s / f.z, f.v, zoom * (1 + 0.03 * k * e))
        else:
            view = View(f.u - 0.03 * k * s / f.z, f.v, zoom * (1 + 0.01 * k * e))
    else:  # DRIFT
        zoom = f.z * (1.06 + 0.04 * k * e)
        angle = shot.angle
        reach = 0.012 * k * (e - 0.5) / f.z
        view = View(f.u + reach * math.cos(angle), f.v + reach * math.sin(angle), zoom)
    return view.clamped()


def plan_shots(
    request: VideoRequest, motion: Motion, subject: SubjectPoints, native_zoom: float
) -> list[Shot]:
    """Split the frames into shots and give each its framing and move (deterministic by seed).

    ``native_zoom`` is the zoom at which the cover image is shown at its native resolution.
    """
    rng = np.random.default_rng(request.seed)
    total = request.duration * request.fps
    strength = 0.55 if motion.slow else 1.0
    moves = list(motion.moves)
    if request.shot_type != "multi":
        move = moves[0] if moves else SEED_MOVES[int(rng.integers(len(SEED_MOVES)))]
        cx, cy = subject.centre()
        # Push-in and pull-out travel between the whole image and the subject.
        framing = View(cx, cy, 1.0) if move in (Move.PUSH_IN, Move.PULL_OUT) else View(0.5, 0.5, 1)
        sign, angle = _direction(rng)
        return [Shot(total, framing, move, strength, sign, angle)]

    # Multi-shot: 2–4 shots, each at least ~0.8 s.
    shortest = max(6, round(0.8 * request.fps))
    count = min(int(rng.integers(2, 5)), max(1, total // shortest))
    weights = rng.uniform(0.8, 1.2, count)
    lengths = np.floor(weights / weights.sum() * total).astype(int)
    lengths[-1] += total - int(lengths.sum())
    close = min(2.2, max(1.35, native_zoom * MAX_UPSCALE))
    medium = 1 + (close - 1) * 0.45
    fx, fy = subject.focus()
    cx, cy = subject.centre()
    framings = [View(0.5, 0.5, 1.0), View(cx, cy, medium), View(fx, fy, close)]
    order = [0, 1, 2, 1] if rng.random() < 0.5 else [0, 2, 1, 0]
    if count == 2:
        order = [0, 2] if rng.random() < 0.5 else [2, 0]
    shots: list[Shot] = []
    for index, length in enumerate(lengths):
        if moves:
            move = moves[index % len(moves)]
        else:
            move = GENTLE_MOVES[int(rng.integers(len(GENTLE_MOVES)))]
        framing = framings[order[index]].clamped()
        sign, angle = _direction(rng)
        shots.append(Shot(int(length), framing, move, 0.6 * strength, sign, angle))
    return shots


def _direction(rng: np.random.Generator) -> tuple[float, float]:
    return (1.0 if rng.random() < 0.5 else -1.0), float(rng.uniform(0, 2 * math.pi))


# -------------------------------------------------------------------- text to video: glides


@dataclass(frozen=True, slots=True)
class Glide:
    """One shot of text to video: frames ``start`` … ``end`` - 1 glide from framing ``a`` to ``b``
    (:func:`smoothstep`)."""

    start: int  #: first frame
    end: int  #: one past the last frame
    a: View
    b: View


def glide_move(
    style: str, focus: tuple[float, float], zoom: float, rng: np.random.Generator
) -> Glide:
    """One camera move around ``focus`` (the sun, or the middle of the horizon) starting from a
    framing of ``zoom``."""
    fx, fy = focus
    side = float(rng.choice([-1.0, 1.0]))
    if style == "pan":
        z = zoom + 0.08
        reach = 0.5 - 0.5 / z  # how far the window's centre can travel from the middle
        a = View(0.5 - side * reach * 0.85, fy, z)
        b = View(0.5 + side * reach * 0.85, fy, z)
    else:
        wide = View(0.5, fy, zoom)
        close = View(0.5 + (fx - 0.5) * 0.5, fy, zoom + 0.15)
        a, b = (wide, close) if style == "push" else (close, wide)
    return Glide(0, 0, a, b)


def plan_glides(
    request: VideoRequest, focus: tuple[float, float], rng: np.random.Generator
) -> list[Glide]:
    """The glides of the clip: one, or for ``shot_type="multi"`` two or three with different
    styles and framings (wide, close on one side, medium)."""
    total = request.duration * request.fps
    first = glide_style(request.prompt, rng)
    if request.shot_type != "multi" or total < 6:
        return [dataclasses.replace(glide_move(first, focus, 1.05, rng), start=0, end=total)]
    n = 3 if request.duration >= 6 and total >= 9 else 2
    # shot lengths: about equal, jittered; every shot at least a third of its share
    weights = rng.uniform(0.8, 1.2, n)
    bounds = np.round(np.cumsum(weights) / weights.sum() * total).astype(int)
    starts = [0, *bounds[:-1].tolist()]
    styles = [first, *[s for s in ("pan", "push", "pull") if s != first]][:n]
    zooms = [1.05, 1.3, 1.12]
    shots = []
    for k in range(n):
        shot = glide_move(styles[k], focus, zooms[k], rng)
        if k == 1:  # the close shot frames one side of the scene
            dx = float(rng.choice([-0.16, 0.16]))
            shot = Glide(
                0,
                0,
                dataclasses.replace(shot.a, u=shot.a.u + dx),
                dataclasses.replace(shot.b, u=shot.b.u + dx),
            )
        shots.append(dataclasses.replace(shot, start=int(starts[k]), end=int(bounds[k])))
    shots[-1] = dataclasses.replace(shots[-1], end=total)
    return shots


def glide_matrix(shots: list[Glide], i: int, still: tuple[int, int], size: tuple[int, int]) -> Mat:
    """The still → output transform at frame ``i``; ``still`` and ``size`` are (w, h)."""
    sw, sh = still
    w, h = size
    shot = next(s for s in shots if s.start <= i < s.end)
    t = smoothstep((i - shot.start) / max(1, shot.end - shot.start - 1))
    z = shot.a.z + (shot.b.z - shot.a.z) * t
    cx = (shot.a.u + (shot.b.u - shot.a.u) * t) * sw
    cy = (shot.a.v + (shot.b.v - shot.a.v) * t) * sh
    ww, wh = sw / z, sh / z  # the window on the still
    cx = min(max(cx, ww / 2), sw - ww / 2)
    cy = min(max(cy, wh / 2), sh - wh / 2)
    sx, sy = w / ww, h / wh
    return np.array(
        [[sx, 0, -sx * (cx - ww / 2)], [0, sy, -sy * (cy - wh / 2)], [0, 0, 1]], np.float64
    )
