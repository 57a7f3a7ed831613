"""Video frames between a model's clip and DashScope's MP4: the generation's frame plan, joining
continued segments without a seam, and retiming to 30 fps by optical-flow interpolation."""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence

import cv2
import numpy as np
import numpy.typing as npt

from wanstack.engines.motion import Flows, between

Pixels = npt.NDArray[np.uint8]
Flow = npt.NDArray[np.float32]


def clip_frames(count: int) -> int:
    """The Wan VAE's frame counts are 4k+1: the smallest at least ``count``."""
    return 4 * math.ceil(max(count - 1, 0) / 4) + 1


def frames_needed(out_frames: int, out_fps: int, gen_fps: int) -> int:
    """Frames at ``gen_fps`` that cover ``out_frames`` at ``out_fps`` (the last output frame's
    time lies between the last two)."""
    return math.floor((out_frames - 1) * gen_fps / out_fps) + 2


def segments(needed: int, first: int, per_segment: int) -> int:
    """Pipeline calls for ``needed`` frames: a first clip of ``first`` frames, then continuations
    of ``per_segment`` that each repeat the previous clip's last frame."""
    if needed <= first:
        return 1
    return 1 + math.ceil((needed - first) / (per_segment - 1))


def match_colour(segment: Sequence[Pixels], reference: Pixels) -> list[Pixels]:
    """A continued segment, its colour statistics moved to ``reference``'s (the previous clip's
    last frame) at its start and the correction faded out over its length: the drift an
    image-to-video continuation brings (a slightly different exposure or tint) does not jump at
    the seam."""
    if not segment:
        return []
    ref = cv2.cvtColor(reference, cv2.COLOR_RGB2LAB).astype(np.float32)
    start = cv2.cvtColor(segment[0], cv2.COLOR_RGB2LAB).astype(np.float32)
    ref_mean, ref_std = ref.reshape(-1, 3).mean(0), ref.reshape(-1, 3).std(0) + 1e-3
    mean, std = start.reshape(-1, 3).mean(0), start.reshape(-1, 3).std(0) + 1e-3
    out = []
    for i, frame in enumerate(segment):
        weight = 1.0 - i / len(segment)  # full correction at the seam, none at the end
        lab = cv2.cvtColor(frame, cv2.COLOR_RGB2LAB).astype(np.float32)
        corrected = (lab - mean) * (ref_std / std) + ref_mean
        lab = lab + weight * (corrected - lab)
        out.append(cv2.cvtColor(np.clip(lab + 0.5, 0, 255).astype(np.uint8), cv2.COLOR_LAB2RGB))
    return out


def retime(
    frames: Sequence[Pixels], src_fps: float, dst_fps: float, count: int
) -> Iterator[Pixels]:
    """``count`` frames at ``dst_fps`` from ``frames`` at ``src_fps``: output frame i shows the
    moment i / dst_fps; a moment between two generated frames is synthesised by warping both
    along their optical flow (DIS) and blending, so motion stays sharp instead of ghosting."""
    flows = Flows()
    last = len(frames) - 1
    for i in range(count):
        position = i * src_fps / dst_fps
        a = min(int(position), last)
        t = position - a
        if a >= last or t < 1e-3:
            yield frames[a]
        elif t > 1 - 1e-3:
            yield frames[a + 1]
        else:
            yield between(frames[a], frames[a + 1], t, flows.pair(a, frames[a], frames[a + 1]))
