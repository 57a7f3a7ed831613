"""First-and-last-frame video (wan2.2-kf2v-flash, wanx2.1-kf2v-plus), classically: the video
starts exactly on the first image and ends exactly on the last one, and in between one turns
into the other along their optical flow (both warped to the moment and blended, with an eased
timing so the motion starts and settles gently). Without a last image it is the camera-move
image-to-video of :mod:`.image2video`.

What it cannot do: invent motion the two images do not imply (a prompt asking for a camera move
or an action between them is not followed); when the images share little, the middle is a
cross-dissolve with some warping.
"""

from __future__ import annotations

from typing import Any

import cv2
import numpy as np

from wanstack.engines.base import CancelToken, RGBImage, VideoItem
from wanstack.engines.classic.camera import smoothstep
from wanstack.engines.classic.image2video import CameraVideo
from wanstack.engines.framing import cover
from wanstack.engines.motion import Flows, consistency, morph
from wanstack.engines.mp4 import encode_mp4
from wanstack.engines.requests import VideoRequest

#: flows are computed at most this wide (and scaled up): coarse flows follow large motions
#: between two keyframes better, and DIS at 1920 px adds nothing visible
FLOW_WIDTH = 320


class KeyframeVideo:
    """See the module docstring."""

    name = "classic"

    def __init__(self, **_: Any) -> None:
        self._camera = CameraVideo()

    def load(self) -> None:
        self._camera.load()

    def describe(self) -> dict[str, Any]:
        return {"engine": "classic", "algorithm": "optical-flow keyframe morph", "codec": "h264"}

    def run(self, request: VideoRequest, cancel: CancelToken) -> list[VideoItem]:
        if request.last_image is None or request.image is None:
            return self._camera.run(request, cancel)
        size = request.size
        first = cover(request.image, size)
        last = cover(request.last_image, size)
        flows = keyframe_flows(first, last)
        trust = consistency(*flows)
        total = request.duration * request.fps

        def frames() -> Any:
            for i in range(total):
                cancel.check()
                if total > 1:
                    cancel.report(i / (total - 1))
                t = smoothstep(i / (total - 1)) if total > 1 else 0.0
                if t <= 0.0:
                    yield first
                elif t >= 1.0:
                    yield last
                else:
                    yield morph(first, last, t, flows, trust)

        mp4 = encode_mp4(
            frames(),
            size=size,
            fps=request.fps,
            frame_count=total,
            audio=request.audio,
            cancel=cancel,
        )
        return [
            VideoItem(
                mp4=mp4,
                width=size[0],
                height=size[1],
                frames=total,
                fps=request.fps,
                has_audio=request.audio is not None,
            )
        ]


def keyframe_flows(first: RGBImage, last: RGBImage) -> Any:
    """The dense flows (first → last, last → first) between two distant frames of the same size,
    found at a working width and scaled up, smoothed (also used by :mod:`.vace`)."""
    height, width = first.shape[:2]
    scale = min(1.0, FLOW_WIDTH / width)
    small = (max(8, round(width * scale)), max(8, round(height * scale)))
    a = cv2.resize(first, small, interpolation=cv2.INTER_AREA)
    b = cv2.resize(last, small, interpolation=cv2.INTER_AREA)
    forward, backward = Flows(preset=cv2.DISOPTICAL_FLOW_PRESET_MEDIUM).pair(
        0, np.asarray(a), np.asarray(b)
    )

    def up(flow: Any) -> Any:  # smoothed: a keyframe morph wants whole regions to move
        smooth = cv2.GaussianBlur(flow, (0, 0), 2.0)
        big = cv2.resize(smooth, (width, height), interpolation=cv2.INTER_LINEAR)
        return np.asarray(big / scale, dtype=np.float32)

    return up(forward), up(backward)
