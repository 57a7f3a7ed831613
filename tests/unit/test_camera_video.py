"""The classic image-to-video engine: exact format, motion words, moves, cuts, determinism."""

from __future__ import annotations

import io
import itertools
import threading

import av
import cv2
import numpy as np
import numpy.typing as npt
import pytest

from wanstack.engines.base import CancelToken, RGBImage
from wanstack.engines.classic.camera import Move, ease, parse_motion
from wanstack.engines.classic.image2video import CameraVideo
from wanstack.engines.framing import crop_to_aspect as cover_crop
from wanstack.engines.mp4 import probe_mp4
from wanstack.engines.requests import VideoRequest
from wanstack.errors import MediaInvalid, TaskCanceled

SIZE = (320, 192)


def photo(height: int = 240, width: int = 360) -> RGBImage:
    """A textured background with a distinct disc in the middle: a subject to find."""
    rng = np.random.default_rng(3)
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    img = np.stack([xs / width * 160 + 40, ys / height * 120 + 60, 120 + 0 * xs], -1)
    img += rng.normal(0, 12, img.shape)
    img[((xs // 24 + ys // 24) % 2) == 0] *= 0.8
    disc = (xs - width * 0.5) ** 2 + (ys - height * 0.55) ** 2 < (height * 0.22) ** 2
    img[disc] = (230, 60, 40)
    img[disc & ((xs.astype(int) // 6) % 2 == 0)] = (250, 200, 60)
    out: RGBImage = np.clip(img, 0, 255).astype(np.uint8)
    return out


def request(prompt: str = "", shot_type: str = "single", seed: int = 1) -> VideoRequest:
    return VideoRequest(
        prompt=prompt,
        negative_prompt="",
        image=photo(),
        size=SIZE,
        duration=2,
        fps=15,
        shot_type=shot_type,
        audio=None,
        seed=seed,
    )


def decode(mp4: bytes) -> list[npt.NDArray[np.uint8]]:
    with av.open(io.BytesIO(mp4), "r") as container:
        return [
            np.asarray(f.to_ndarray(format="rgb24"), np.uint8) for f in container.decode(video=0)
        ]


def zoom_between(a: RGBImage, b: RGBImage) -> float:
    """Scale of b's content relative to a's (> 1: b is zoomed in), from matched ORB features."""
    orb = cv2.ORB.create(800)
    ka, da = orb.detectAndCompute(cv2.cvtColor(a, cv2.COLOR_RGB2GRAY), None)
    kb, db = orb.detectAndCompute(cv2.cvtColor(b, cv2.COLOR_RGB2GRAY), None)
    matches = cv2.BFMatcher(cv2.NORM_HAMMING, crossCheck=True).match(da, db)
    src = np.array([ka[m.queryIdx].pt for m in matches], np.float32)
    dst = np.array([kb[m.trainIdx].pt for m in matches], np.float32)
    matrix, _ = cv2.estimateAffinePartial2D(src, dst)
    return float(np.hypot(matrix[0, 0], matrix[1, 0]))


def shift_between(a: RGBImage, b: RGBImage) -> tuple[float, float]:
    """How far b's content moved relative to a's, in pixels (phase correlation)."""
    ga = cv2.cvtColor(a, cv2.COLOR_RGB2GRAY).astype(np.float64)
    gb = cv2.cvtColor(b, cv2.COLOR_RGB2GRAY).astype(np.float64)
    (dx, dy), _ = cv2.phaseCorrelate(ga, gb)
    return dx, dy


@pytest.mark.parametrize(
    ("prompt", "moves", "slow"),
    [
        ("镜头缓慢推近, 慢动作", (Move.PUSH_IN,), True),
        ("camera zooms out then pans left", (Move.PULL_OUT, Move.PAN_LEFT), False),
        ("Zoom in slowly", (Move.PUSH_IN,), True),
        ("环绕拍摄一只猫", (Move.ORBIT,), False),
        ("镜头拉远，然后向右", (Move.PULL_OUT, Move.PAN_RIGHT), False),
        ("a cat sleeping on a sofa", (), False),
        ("tilt up to the sky, static afterwards", (Move.TILT_UP, Move.DRIFT), False),
    ],
)
def test_parse_motion(prompt: str, moves: tuple[Move, ...], slow: bool) -> None:
    motion = parse_motion(prompt)
    assert motion.moves == moves
    assert motion.slow is slow


def test_ease_starts_and_ends_gently() -> None:
    assert ease(0) == 0 and ease(1) == pytest.approx(1)
    middle = ease(0.55) - ease(0.45)
    assert ease(0.1) - ease(0.0) < middle
    assert ease(1.0) - ease(0.9) < middle


def test_cover_crop_never_letterboxes() -> None:
    image = photo(400, 300)
    crop = cover_crop(image, (1280, 720), (0.5, 0.5))
    assert crop.shape[1] == 300 and abs(crop.shape[0] - 300 * 9 / 16) < 1


def test_video_has_exact_format() -> None:
    item = CameraVideo().run(request("push in"), CancelToken())[0]
    assert (item.width, item.height, item.frames, item.fps, item.has_audio) == (
        320,
        192,
        30,
        15,
        False,
    )
    info = probe_mp4(item.mp4)
    assert (info.codec, info.pix_fmt, info.width, info.height) == ("h264", "yuv420p", 320, 192)
    assert (info.frames, info.fps, info.has_audio, info.faststart) == (30, 15.0, False, True)


def test_same_request_same_bytes() -> None:
    engine = CameraVideo()
    first = engine.run(request("orbit", seed=5), CancelToken())[0].mp4
    assert engine.run(request("orbit", seed=5), CancelToken())[0].mp4 == first


def test_push_in_enlarges_and_pull_out_shrinks() -> None:
    engine = CameraVideo()
    pushed = decode(engine.run(request("push in"), CancelToken())[0].mp4)
    pulled = decode(engine.run(request("zoom out"), CancelToken())[0].mp4)
    assert zoom_between(pushed[0], pushed[-1]) > 1.15
    assert zoom_between(pulled[0], pulled[-1]) < 1 / 1.15


def test_pans_move_the_picture_the_right_way() -> None:
    engine = CameraVideo()
    left = decode(engine.run(request("pan left"), CancelToken())[0].mp4)
    right = decode(engine.run(request("pan right"), CancelToken())[0].mp4)
    up = decode(engine.run(request("tilt up"), CancelToken())[0].mp4)
    # The camera turns left: the content slides right, and so on.
    assert shift_between(left[0], left[-1])[0] > 10
    assert shift_between(right[0], right[-1])[0] < -10
    assert shift_between(up[0], up[-1])[1] > 5
    assert abs(zoom_between(left[0], left[-1]) - 1) < 0.03


def test_orbit_moves_foreground_against_background() -> None:
    frames = decode(CameraVideo().run(request("orbit"), CancelToken())[0].mp4)
    first, last = frames[0], frames[-1]
    # Shift of a background strip (top rows) and of the subject (centre) differ.
    top = shift_between(first[:48], last[:48])[0]
    centre = shift_between(first[60:170, 100:220], last[60:170, 100:220])[0]
    assert abs(top - centre) > 3


def test_frames_move_smoothly_within_a_shot() -> None:
    frames = decode(CameraVideo().run(request("pan right"), CancelToken())[0].mp4)
    steps = [shift_between(a, b)[0] for a, b in itertools.pairwise(frames)]
    # Content slides left all the way, eased: no step jumps far beyond the average one.
    assert all(step < 0.2 for step in steps)
    assert min(steps) > 3 * np.mean(steps)


def test_multi_shot_cuts_between_framings() -> None:
    frames = decode(CameraVideo().run(request("", "multi", seed=2), CancelToken())[0].mp4)
    assert len(frames) == 30
    steps = np.array(
        [np.abs(a.astype(int) - b.astype(int)).mean() for a, b in itertools.pairwise(frames)]
    )
    cuts = np.flatnonzero(steps > 4 * np.median(steps) + 3)
    assert 1 <= len(cuts) <= 3


def test_cancel_stops_the_render() -> None:
    cancel = CancelToken()
    timer = threading.Timer(0.05, cancel.cancel)
    timer.start()
    slow = VideoRequest("orbit", "", photo(), (640, 384), 10, 30, "single", None, 1)
    with pytest.raises(TaskCanceled):
        CameraVideo().run(slow, cancel)
    timer.cancel()


def test_missing_image_is_refused() -> None:
    bad = VideoRequest("", "", None, SIZE, 2, 15, "single", None, 1)
    with pytest.raises(MediaInvalid):
        CameraVideo().run(bad, CancelToken())
