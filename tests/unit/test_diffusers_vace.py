"""The diffusers wanx2.1-vace-plus engine on a tiny random Wan 2.1 VACE pipeline: the exact output
format for each function, the conditioning each function builds, the kept input pixels, seeds,
cancelling, and weights that cannot serve it."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest

from tests.unit.test_diffusers_engines import Recorder, photo
from wanstack.engines.base import CancelToken
from wanstack.engines.diffusers.vace import (
    GREY,
    DiffusersVace,
    _context,
    edit_masks,
    outpaint_box,
    scribble,
)
from wanstack.engines.mp4 import probe_mp4
from wanstack.engines.requests import VaceRequest
from wanstack.errors import ConfigError, MediaInvalid, TaskCanceled
from wanstack.media import decode_video

#: 2 steps, a tiny generation size, one 9-frame clip
TINY = {"steps": 2, "max_pixels": 64 * 64, "max_sequence_length": 32, "segment_frames": 9}
SIZE = (160, 96)


def request(function: str, **fields: Any) -> VaceRequest:
    base: dict[str, Any] = {
        "function": function,
        "prompt": "a dog on a skateboard",
        "size": SIZE,
        "duration": 1,
        "fps": 30,
        "seed": 5,
    }
    return VaceRequest(**{**base, **fields})


def flat(colour: tuple[int, int, int], height: int = 96, width: int = 160) -> np.ndarray:
    return np.broadcast_to(np.array(colour, np.uint8), (height, width, 3)).copy()


@pytest.fixture(scope="module")
def engine(tiny_weights: Callable[[str], Path]) -> DiffusersVace:
    return DiffusersVace(weights=str(tiny_weights("wan21_vace")), **TINY)


def frames_of(engine: DiffusersVace, req: VaceRequest, token: CancelToken | None = None) -> Any:
    items = engine.run(req, token or CancelToken())
    assert len(items) == 1
    item = items[0]
    info = probe_mp4(item.mp4)
    assert (info.codec, info.pix_fmt, info.fps) == ("h264", "yuv420p", 30)
    assert (info.width, info.height) == req.size == (item.width, item.height)
    assert info.frames == req.duration * 30 == item.frames
    assert not info.has_audio and not item.has_audio
    video = decode_video(item.mp4, field="out", max_seconds=10)
    assert len(video.frames) == item.frames
    return item, [f.astype(np.int16) for f in video.frames]


def test_image_reference_draws_a_clip_around_the_references(engine: DiffusersVace) -> None:
    obj = np.zeros((80, 60, 4), np.uint8)
    obj[20:60, 15:45] = (200, 40, 40, 255)  # an object on a transparent ground
    bg = np.dstack([photo(120, 200), np.full((120, 200), 255, np.uint8)])
    req = request("image_reference", references=(obj, bg), backgrounds=(False, True))
    token = Recorder()
    item, _ = frames_of(engine, req, token)
    assert token.items == [0] and token.values[-1] == 1.0
    again, _ = frames_of(engine, req)
    assert again.mp4 == item.mp4  # the same seed, the same video
    other, _ = frames_of(engine, request("image_reference", references=(obj,), seed=6))
    assert other.mp4 != item.mp4
    described = engine.describe()
    assert described["pipeline"] == "WanVACEPipeline"
    assert "video_edit" in described["functions"]


def test_an_object_reference_is_flattened_onto_white() -> None:
    obj = np.zeros((40, 30, 4), np.uint8)
    obj[10:30, 5:25] = (10, 200, 10, 255)
    context = _context(request("image_reference", references=(obj,)), (64, 48), 9, 16.0)
    ref = np.asarray(context.references[0])
    assert context.video is None and context.mask is None  # the whole clip is drawn
    assert (ref[0, 0] == 255).all() and (ref[20, 15] == (10, 200, 10)).all()


def test_extension_context_keeps_the_ends_and_draws_between() -> None:
    clip = tuple(flat((10 * i, 0, 0)) for i in range(10))  # 1/3 s at 30 fps
    last = flat((0, 0, 250))
    req = request("video_extension", first_clip=clip, clip_fps=30.0, last_frame=last)
    context = _context(req, (64, 48), 17, 15.0)  # 15 fps: the clip is 5 frames
    assert context.video is not None and context.mask is not None
    masks = [np.asarray(m) for m in context.mask]
    drawn = [bool(m.all()) for m in masks]
    assert drawn == [False] * 5 + [True] * 11 + [False]
    assert all(m.max() == 0 for m, d in zip(masks, drawn, strict=True) if not d)
    video = [np.asarray(f) for f in context.video]
    assert [int(v[0, 0, 0]) for v in video[:5]] == [0, 20, 40, 60, 80]  # nearest frames
    assert (video[8] == GREY).all() and (video[-1] == (0, 0, 250)).all()


def test_extension_output_starts_with_the_clip_and_ends_on_the_last_frame(
    engine: DiffusersVace,
) -> None:
    clip = tuple(flat((20 + 20 * i, 120, 60)) for i in range(9))  # 0.3 s at 30 fps
    last = flat((40, 40, 220))
    req = request("video_extension", first_clip=clip, clip_fps=30.0, last_frame=last)
    _, out = frames_of(engine, req)
    for got, want in zip(out[:9], clip, strict=True):
        assert np.abs(got - want).mean() < 4  # the input clip itself (H.264 loss only)
    assert np.abs(out[-1] - last).mean() < 4


def test_extension_towards_a_last_clip_alone_ends_with_it(engine: DiffusersVace) -> None:
    clip = tuple(flat((200, 20 + 20 * i, 60)) for i in range(6))
    _, out = frames_of(engine, request("video_extension", last_clip=clip, clip_fps=15.0))
    for got, want in zip(out[-12::2], clip, strict=True):  # 15 fps played at 30
        assert np.abs(got - want).mean() < 4
    _, out = frames_of(engine, request("video_extension", last_frame=clip[0]))
    assert np.abs(out[-1] - clip[0]).mean() < 4


def test_outpainting_keeps_the_source_and_draws_the_border(engine: DiffusersVace) -> None:
    source = tuple(photo(48, 80, seed=i) for i in range(4))
    req = request("video_outpainting", video=source, clip_fps=12.0, scales=(1.5, 1.5, 1.5, 1.5))
    _, out = frames_of(engine, req)
    x, y, w, h = outpaint_box((80, 48), (1.5, 1.5, 1.5, 1.5), SIZE)
    assert (x, y, w, h) == (27, 16, 106, 64)  # a 1.5x canvas, of the output's aspect
    inner = (slice(y + 3, y + h - 3), slice(x + 3, x + w - 3))
    first, last = (cv2.resize(s, (w, h), interpolation=cv2.INTER_CUBIC) for s in source[::3])
    assert np.abs(out[0][inner] - first[3:-3, 3:-3]).mean() < 6
    assert np.abs(out[-1][inner] - last[3:-3, 3:-3]).mean() < 6  # the last frame held
    border = np.abs(out[-1][: y - 2].astype(np.int16) - GREY).mean()
    assert border > 0  # drawn, not left grey


def test_outpainting_box_follows_each_scale() -> None:
    assert outpaint_box((100, 100), (2.0, 1.0, 1.0, 1.0), (100, 150)) == (0, 50, 100, 100)
    assert outpaint_box((100, 100), (1.0, 1.0, 1.0, 2.0), (300, 200)) == (0, 0, 200, 200)
    # a canvas wider than the frame is covered: its sides are cut, the picture stays centred
    assert outpaint_box((100, 100), (1.0, 1.0, 2.0, 2.0), (100, 100)) == (0, 0, 100, 100)


def moving_square(count: int = 12) -> tuple[tuple[np.ndarray, ...], list[np.ndarray]]:
    """A textured square moving right over a textured ground, and its true masks."""
    rng = np.random.default_rng(3)
    ground = cv2.GaussianBlur(rng.integers(0, 255, (96, 160, 3), dtype=np.uint8), (0, 0), 2)
    patch = rng.integers(0, 255, (24, 24, 3), dtype=np.uint8)
    patch[::4] = (250, 30, 30)
    frames, truths = [], []
    for i in range(count):
        frame, truth = ground.copy(), np.zeros((96, 160), bool)
        x = 20 + 6 * i
        frame[36:60, x : x + 24] = patch
        truth[36:60, x : x + 24] = True
        frames.append(frame)
        truths.append(truth)
    return tuple(frames), truths


def test_scribble_is_white_lines_on_black() -> None:
    frame = np.zeros((96, 160, 3), np.uint8)
    frame[30:70, 40:120] = 200
    lines = scribble(frame)
    assert lines.shape == frame.shape and set(np.unique(lines)) <= set(range(256))
    assert lines[30, 40:120].mean() > 100 and lines[69, 40:120].mean() > 100  # the edges
    assert lines[45:55, 60:100].max() == 0 and lines[:10].max() == 0  # flat areas stay black


def test_edit_masks_follow_fix_or_play_the_mask() -> None:
    frames, truths = moving_square()
    common = {"video": frames, "clip_fps": 12.0, "duration": 1}
    tracked = edit_masks(request("video_edit", masks=(truths[4],), mask_frame=4, **common))
    for got, truth in zip(tracked, truths, strict=True):  # grown by 5 %, so it covers the square
        assert (got & truth).sum() / truth.sum() > 0.9 and got.sum() < 2 * truth.sum()
    fixed = edit_masks(
        request("video_edit", masks=(truths[4],), mask_frame=4, mask_type="fixed", **common)
    )
    assert all((m == truths[4]).all() for m in fixed)
    played = edit_masks(request("video_edit", masks=tuple(truths[::2]), **common))
    assert [int(m.sum()) for m in played] == [576] * 12 and (played[3] == truths[2]).all()


def test_video_edit_redraws_the_region_and_keeps_the_rest(engine: DiffusersVace) -> None:
    frames, truths = moving_square()
    req = request("video_edit", video=frames, clip_fps=12.0, masks=(truths[0],), size=SIZE)
    token = Recorder()
    _, out = frames_of(engine, req, token)
    assert token.values[-1] == 1.0
    far = ~cv2.dilate(truths[0].astype(np.uint8), np.ones((41, 41), np.uint8)).astype(bool)
    assert np.abs(out[0][far] - frames[0][far]).mean() < 4  # away from the object: the input
    assert np.abs(out[0][truths[0]] - frames[0][truths[0]]).mean() > 10  # the object: redrawn


def test_video_repainting_follows_the_lines(engine: DiffusersVace) -> None:
    _, truths = moving_square()
    frames = tuple(
        np.repeat(np.where(t, 220, 30)[..., None], 3, 2).astype(np.uint8) for t in truths
    )
    req = request("video_repainting", video=frames, clip_fps=12.0, control="scribble")
    context = _context(req, (64, 48), 9, 8.0)
    assert context.mask is None and context.video is not None  # the whole video is redrawn
    lines = np.asarray(context.video[0])
    assert lines.max() == 255 and (lines[..., 0] == lines[..., 1]).all()  # a line drawing
    half = _context(replace(req, strength=0.5), (64, 48), 9, 8.0)
    assert half.scale == 0.5 and context.scale == 1.0
    frames_of(engine, req)
    with pytest.raises(MediaInvalid, match="annotator"):
        engine.run(replace(req, control="depth"), CancelToken())


@pytest.mark.parametrize(
    ("req", "message"),
    [
        (request("image_reference"), "1 to 3 reference images"),
        (request("video_extension"), "nothing to extend"),
        (request("video_outpainting"), "needs the video"),
        (request("video_edit", video=(flat((0, 0, 0)),), clip_fps=10.0), "mask"),
    ],
)
def test_requests_no_video_can_be_made_from_fail_by_name(
    engine: DiffusersVace, req: VaceRequest, message: str
) -> None:
    with pytest.raises(MediaInvalid, match=message):
        engine.run(req, CancelToken())


def test_cancel_stops_within_a_step(tiny_weights: Callable[[str], Path]) -> None:
    slow = DiffusersVace(weights=str(tiny_weights("wan21_vace")), **{**TINY, "steps": 400})
    obj = np.dstack([photo(64, 64), np.full((64, 64), 255, np.uint8)])
    token = Recorder()
    threading.Timer(1.0, token.cancel).start()
    with pytest.raises(TaskCanceled):
        slow.run(request("image_reference", references=(obj,)), token)
    assert token.values and token.values[-1] < 0.5


def test_weights_of_another_pipeline_are_refused(tiny_weights: Callable[[str], Path]) -> None:
    with pytest.raises(ConfigError, match="WanVACEPipeline"):
        DiffusersVace(weights=str(tiny_weights("wan21_t2v")), **TINY).load()


def test_segment_frames_must_suit_the_vae() -> None:
    with pytest.raises(ConfigError, match="4k\\+1"):
        DiffusersVace(weights="/nowhere", segment_frames=10)
