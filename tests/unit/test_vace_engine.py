"""The classic wanx2.1-vace-plus engine: exact format, staged references, clip extension and
outpainting measured against their inputs, refusals, cancellation and progress."""

from __future__ import annotations

import io
from dataclasses import replace
from typing import Any

import av
import cv2
import numpy as np
import numpy.typing as npt
import pytest

from wanstack.engines.base import CancelToken, RGBAImage, RGBImage
from wanstack.engines.classic.clips import Outpainter
from wanstack.engines.classic.vace import ClassicVace, cutout
from wanstack.engines.framing import cover
from wanstack.engines.mp4 import probe_mp4
from wanstack.engines.requests import VaceRequest
from wanstack.errors import MediaInvalid, TaskCanceled

SIZE = (160, 96)
FPS = 8
TOTAL = 2 * FPS
MAGENTA = (230, 30, 200)
TEAL = (30, 140, 150)


def decode(mp4: bytes) -> list[npt.NDArray[np.uint8]]:
    with av.open(io.BytesIO(mp4), "r") as container:
        return [
            np.asarray(f.to_ndarray(format="rgb24"), np.uint8) for f in container.decode(video=0)
        ]


def mae(a: npt.NDArray[Any], b: npt.NDArray[Any]) -> float:
    return float(np.mean(np.abs(a.astype(np.float32) - b.astype(np.float32))))


def picture(width: int, height: int, seed: int) -> RGBImage:
    """A textured picture with structure everywhere (gradients, blobs, checks)."""
    rng = np.random.default_rng(seed)
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    img = np.stack([xs / width * 180 + 40, ys / height * 150 + 50, 200 - xs / width * 120], -1)
    img[((xs // 16 + ys // 16) % 2) == 0] *= 0.75
    for _ in range(6):
        cx, cy, r = rng.uniform(0, width), rng.uniform(0, height), rng.uniform(6, 20)
        img[(xs - cx) ** 2 + (ys - cy) ** 2 < r * r] = rng.uniform(0, 255, 3)
    img += rng.normal(0, 4, img.shape)
    return np.asarray(np.clip(img, 0, 255), np.uint8)


def disc_cutout(colour: tuple[int, int, int] = MAGENTA) -> RGBAImage:
    """A pure-colour disc on a transparent canvas."""
    out = np.zeros((120, 120, 4), np.uint8)
    cv2.circle(out, (60, 60), 50, (*colour, 255), -1)
    return out


def opaque(rgb: RGBImage) -> RGBAImage:
    return np.dstack([rgb, np.full(rgb.shape[:2], 255, np.uint8)])


def request(function: str, **fields: Any) -> VaceRequest:
    base: dict[str, Any] = {
        "function": function,
        "prompt": "",
        "size": SIZE,
        "duration": 2,
        "fps": FPS,
        "seed": 5,
    }
    return VaceRequest(**{**base, **fields})


def run(req: VaceRequest) -> list[npt.NDArray[np.uint8]]:
    items = ClassicVace().run(req, CancelToken())
    assert len(items) == 1
    item = items[0]
    info = probe_mp4(item.mp4)
    assert (info.codec, info.width, info.height, info.frames) == ("h264", *SIZE, TOTAL)
    assert (item.width, item.height, item.frames, item.fps) == (*SIZE, TOTAL, FPS)
    assert not info.has_audio and not item.has_audio
    frames = decode(item.mp4)
    assert len(frames) == TOTAL and frames[0].shape == (SIZE[1], SIZE[0], 3)
    return frames


def near(frame: npt.NDArray[np.uint8], colour: tuple[int, int, int], tolerance: float) -> float:
    """The fraction of the frame within ``tolerance`` of ``colour``."""
    distance = np.linalg.norm(frame.astype(np.float32) - np.array(colour, np.float32), axis=2)
    return float(np.mean(distance < tolerance))


# ------------------------------------------------------------------------------ image_reference


def test_image_reference_shows_the_object_in_the_prompts_scene() -> None:
    frames = run(
        request("image_reference", prompt="on a wooden table", references=(disc_cutout(),))
    )
    middle = frames[TOTAL // 2]
    share = near(middle, MAGENTA, 40)
    print(f"magenta share of the middle frame: {share:.3f}")
    assert 0.05 < share < 0.6  # the object is there, standing in a scene, not filling the frame


def test_image_reference_on_a_background_reference() -> None:
    rng = np.random.default_rng(1)
    bg = np.clip(np.array(TEAL) + rng.normal(0, 3, (300, 500, 3)), 0, 255).astype(np.uint8)
    frames = run(
        request(
            "image_reference", references=(disc_cutout(), opaque(bg)), backgrounds=(False, True)
        )
    )
    for frame in (frames[0], frames[TOTAL // 2], frames[-1]):
        border = np.concatenate([frame[:6].reshape(-1, 3), frame[:, :6].reshape(-1, 3)])
        error = float(np.abs(border.astype(np.float32) - np.array(TEAL)).mean())
        print(f"border vs background reference: {error:.2f}")
        assert error < 8
        assert near(frame, MAGENTA, 40) > 0.05


def test_an_opaque_reference_on_a_plain_backdrop_is_cut_out() -> None:
    photo = np.full((200, 200, 3), 245, np.uint8)
    cv2.circle(photo, (100, 110), 60, (220, 40, 40), -1)
    cut = cutout(opaque(photo), 3)
    assert abs(cut.shape[0] - 121) <= 4 and abs(cut.shape[1] - 121) <= 4  # cropped to the disc
    assert cut[60, 60, 3] == 255 and cut[2, 2, 3] < 40  # opaque inside, clear in the corner
    rng = np.random.default_rng(2)
    bg = np.clip(np.array(TEAL) + rng.normal(0, 3, (300, 500, 3)), 0, 255).astype(np.uint8)
    frames = run(
        request(
            "image_reference", references=(opaque(photo), opaque(bg)), backgrounds=(False, True)
        )
    )
    middle = frames[TOTAL // 2]
    assert near(middle, (220, 40, 40), 45) > 0.05
    assert near(middle, (245, 245, 245), 30) < 0.01  # no white backdrop came along


def test_image_reference_is_deterministic() -> None:
    req = request("image_reference", prompt="beach", references=(disc_cutout(), disc_cutout()))
    a = ClassicVace().run(req, CancelToken())[0].mp4
    b = ClassicVace().run(req, CancelToken())[0].mp4
    assert a == b


# ------------------------------------------------------------------------------ video_extension


def test_extension_between_a_first_and_a_last_frame() -> None:
    first, last = picture(200, 120, 1), picture(240, 130, 2)
    frames = run(request("video_extension", first_frame=first, last_frame=last))
    start, end = mae(frames[0], cover(first, SIZE)), mae(frames[-1], cover(last, SIZE))
    middle = frames[TOTAL // 2]
    print(f"first-frame MAE {start:.2f}, last-frame MAE {end:.2f}")
    assert start < 5 and end < 5
    assert mae(middle, cover(first, SIZE)) > 8 and mae(middle, cover(last, SIZE)) > 8


def pan_clip(count: int, step: float, size: tuple[int, int] = SIZE) -> tuple[RGBImage, ...]:
    """A clip of a wide picture panned across, ``step`` output pixels per frame (content moves
    left for a positive step)."""
    wide = picture(size[0] * 3, size[1], 7)
    return tuple(
        np.ascontiguousarray(wide[:, round(20 + i * step) : round(20 + i * step) + size[0]])
        for i in range(count)
    )


def test_extension_plays_the_first_clip_then_continues_its_motion() -> None:
    clip = pan_clip(6, 3.0)
    frames = run(request("video_extension", first_clip=clip, clip_fps=FPS))
    errors = [mae(frames[i], clip[i]) for i in range(len(clip))]
    print("clip frames MAE", [round(e, 2) for e in errors])
    assert max(errors) < 5
    # The drift after the clip keeps moving the content left, slowing down.
    grey = [cv2.cvtColor(f, cv2.COLOR_RGB2GRAY).astype(np.float32)[24:72, 40:120] for f in frames]
    shifts = [cv2.phaseCorrelate(grey[i], grey[i + 1])[0][0] for i in range(5, 9)]
    print("shifts after the clip", [round(s, 2) for s in shifts])
    assert all(s < -0.8 for s in shifts[:3])


def test_extension_leads_into_the_last_clip() -> None:
    clip = pan_clip(6, 3.0)
    frames = run(request("video_extension", last_clip=clip, clip_fps=FPS))
    errors = [mae(frames[TOTAL - len(clip) + i], clip[i]) for i in range(len(clip))]
    print("last clip frames MAE", [round(e, 2) for e in errors])
    assert max(errors) < 5
    assert mae(frames[0], clip[0]) > 3  # the lead-in is not a frozen copy of the clip's start


def test_extension_keeps_the_first_clip_whole_when_it_fills_the_output() -> None:
    long_clip = pan_clip(TOTAL + 4, 2.0)
    frames = run(
        request("video_extension", first_clip=long_clip, last_clip=pan_clip(4, 1.0), clip_fps=FPS)
    )
    assert max(mae(frames[i], long_clip[i]) for i in range(TOTAL)) < 5


def test_extension_resamples_a_clip_to_the_output_rate() -> None:
    clip = pan_clip(4, 6.0)  # at half the output rate: it lasts 8 output frames
    frames = run(request("video_extension", first_clip=clip, last_frame=clip[-1], clip_fps=FPS / 2))
    for j in (0, 2, 4, 6):
        assert mae(frames[j], clip[j // 2]) < 5
    # The in-betweens are new frames between their neighbours, not repeats of either.
    assert mae(frames[1], clip[0]) > 2 and mae(frames[1], clip[1]) > 2


# ---------------------------------------------------------------------------- video_outpainting


def test_outpainting_keeps_the_source_in_the_middle() -> None:
    video = tuple(picture(80, 48, 10 + i) for i in range(6))  # shorter than the output: held
    frames = run(
        request("video_outpainting", video=video, clip_fps=FPS, scales=(1.5, 1.5, 1.5, 1.5))
    )
    # canvas 120×72 → 160×96: the source is 107×64 at (27, 16)
    for j, frame in enumerate(frames):
        source = cv2.resize(video[min(j, 5)], (107, 64), interpolation=cv2.INTER_CUBIC)
        error = mae(frame[16:80, 27:134], source)
        assert error < 6, (j, error)
        border = np.concatenate([frame[:10].reshape(-1, 3), frame[-10:].reshape(-1, 3)])
        assert abs(float(border.mean()) - float(source.mean())) < 30  # filled from the picture
    print(f"centre MAE of the last frame: {error:.2f}")


def test_outpainting_border_is_steady_on_a_steady_video() -> None:
    video = (picture(80, 48, 3),) * 4
    frames = run(request("video_outpainting", video=video, clip_fps=FPS, scales=(1.5,) * 4))
    assert max(mae(frames[i], frames[i + 1]) for i in range(TOTAL - 1)) < 1.5


def test_outpainting_grows_only_the_sides_asked_for() -> None:
    painter = Outpainter((100, 96), (1.0, 1.0, 2.0, 1.0), (150, 96), 0)
    assert painter.inner == (100, 96) and (painter.x0, painter.y0) == (50, 0)  # left grown
    painter = Outpainter((100, 60), (1.6, 1.0, 1.0, 1.0), (100, 78), 0)
    assert painter.inner == (100, 60) and (painter.x0, painter.y0) == (0, 18)  # top grown


# ----------------------------------------------------------------- refusals, cancel and progress


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"function": "video_edit"}, "generative"),
        ({"function": "video_extension"}, "nothing to extend"),
        ({"function": "image_reference"}, "1 to 3"),
        (
            {
                "function": "image_reference",
                "references": (disc_cutout(), disc_cutout()),
                "backgrounds": (True, True),
            },
            "at most one",
        ),
        (
            {
                "function": "image_reference",
                "references": (disc_cutout(),) * 2,
                "backgrounds": (False,),
            },
            "obj_or_bg",
        ),
        ({"function": "video_outpainting"}, "needs the video"),
        (
            {
                "function": "video_outpainting",
                "video": (picture(40, 30, 1),),
                "clip_fps": 8.0,
                "scales": (2.5, 1.0, 1.0, 1.0),
            },
            "[1.0, 2.0]",
        ),
        ({"function": "video_extension", "first_clip": (picture(40, 30, 1),)}, "clip_fps"),
    ],
)
def test_impossible_requests_are_refused(fields: dict[str, Any], message: str) -> None:
    req = replace(request("image_reference"), **fields)
    with pytest.raises(MediaInvalid, match=message.replace("[", r"\[").replace("]", r"\]")):
        ClassicVace().run(req, CancelToken())


@pytest.mark.parametrize(
    "req",
    [
        request("image_reference", references=(disc_cutout(),)),
        request("video_extension", first_frame=picture(80, 48, 1)),
        request("video_outpainting", video=(picture(80, 48, 1),), clip_fps=8.0),
    ],
    ids=["image_reference", "video_extension", "video_outpainting"],
)
def test_a_cancelled_task_stops(req: VaceRequest) -> None:
    token = CancelToken()
    token.cancel()
    with pytest.raises(TaskCanceled):
        ClassicVace().run(req, token)


def test_progress_reaches_the_end() -> None:
    for req in (
        request("image_reference", references=(disc_cutout(),)),
        request("video_extension", last_frame=picture(80, 48, 1)),
    ):
        token = CancelToken()
        ClassicVace().run(req, token)
        assert token.progress == pytest.approx(1.0)
