"""The classic text-to-video engine: an animated procedural scene."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pytest

from wanstack.engines.base import CancelToken, RGBImage
from wanstack.engines.classic.text2video import SceneVideo, _falls, _spec, render_frames
from wanstack.engines.requests import VideoRequest
from wanstack.errors import TaskCanceled

SIZE = (320, 180)


def _request(prompt: str, **kw: object) -> VideoRequest:
    fields: dict[str, object] = {
        "prompt": prompt,
        "negative_prompt": "",
        "image": None,
        "size": SIZE,
        "duration": 2,
        "fps": 30,
        "shot_type": "single",
        "audio": None,
        "seed": 11,
    }
    fields.update(kw)
    return VideoRequest(**fields)  # type: ignore[arg-type]


def _frames(prompt: str, **kw: object) -> list[RGBImage]:
    return list(render_frames(_request(prompt, **kw), CancelToken()))


def _step_diffs(frames: list[RGBImage]) -> npt.NDArray[np.float64]:
    f = np.asarray(frames, np.float32)
    return np.asarray(np.abs(np.diff(f, axis=0)).mean(axis=(1, 2, 3)), np.float64)


@pytest.fixture(scope="module")
def sunset() -> list[RGBImage]:
    return _frames("山脉和晚霞，云朵飘动")


def test_exact_frame_count_and_shape(sunset: list[RGBImage]) -> None:
    assert len(sunset) == 60
    for f in sunset:
        assert f.shape == (180, 320, 3) and f.dtype == np.uint8
    odd = _frames("海边日落", size=(256, 144), duration=1, fps=24)
    assert len(odd) == 24 and all(f.shape == (144, 256, 3) for f in odd)


def test_deterministic_for_a_seed(sunset: list[RGBImage]) -> None:
    again = _frames("山脉和晚霞，云朵飘动")
    assert all(np.array_equal(a, b) for a, b in zip(sunset, again, strict=True))
    other = _frames("山脉和晚霞，云朵飘动", seed=12)
    assert not np.array_equal(sunset[0], other[0])


def test_animated_without_flicker(sunset: list[RGBImage]) -> None:
    steps = _step_diffs(sunset)
    assert steps.max() < 3.0, "consecutive frames are close: no flicker, no jumps"
    assert (steps > 0.02).all(), "every frame moves"
    first, last = sunset[0].astype(np.float32), sunset[-1].astype(np.float32)
    assert np.abs(first - last).mean() > 1.5, "over two seconds the shot visibly changes"


def test_falling_particles_move_frame_to_frame() -> None:
    frames = _frames("粉色桃花飘落的春天庭院")
    steps = _step_diffs(frames)
    assert steps.max() < 4.0
    # petals: many small local changes between consecutive frames, all over the frame
    d = np.abs(frames[31].astype(np.int16) - frames[30].astype(np.int16)).max(axis=2)
    assert (d > 40).sum() > 30


def test_particle_kinds_follow_the_prompt() -> None:
    def kinds(prompt: str, negative: str = "") -> set[str]:
        req = _request(prompt, negative_prompt=negative)
        return {f.kind for f in _falls(_spec(req), req)}

    assert "petal" in kinds("粉色桃花飘落的春天庭院")
    assert "snow" in kinds("a snowy forest at dawn")
    assert "snow" in kinds("下雪的森林")
    assert "rain" in kinds("雨中的城市夜景")
    assert "leaf" in kinds("秋天的树叶飘落在湖边")
    assert kinds("山脉和晚霞") == set()
    assert "snow" not in kinds("a snowy forest at dawn", negative="snow")


def test_different_prompts_give_different_scenes(sunset: list[RGBImage]) -> None:
    means = [sunset[0].reshape(-1, 3).mean(axis=0)]
    for prompt in ("粉色桃花飘落的春天庭院", "雨中的城市夜景", "a snowy forest at dawn"):
        means.append(_frames(prompt, duration=1)[0].reshape(-1, 3).mean(axis=0))
    for i in range(len(means)):
        for j in range(i):
            assert np.abs(means[i] - means[j]).max() > 8, (i, j)


def test_multi_shot_cuts_on_frame_boundaries() -> None:
    frames = _frames("海边日落，波光粼粼", duration=3, shot_type="multi")
    assert len(frames) == 90
    steps = _step_diffs(frames)
    median = float(np.median(steps))
    cuts = np.nonzero(steps > max(4.0, median * 8))[0]
    assert 1 <= len(cuts) <= 2, steps
    assert all(10 <= c <= 80 for c in cuts), "shots are not slivers"


def test_cancel_stops_rendering() -> None:
    cancel = CancelToken()
    frames = render_frames(_request("海边日落"), cancel)
    for _ in range(5):
        next(frames)
    cancel.cancel()
    with pytest.raises(TaskCanceled):
        next(frames)


def test_looks_like_a_scene_not_a_test_pattern(sunset: list[RGBImage]) -> None:
    for prompt, frame in (
        ("sunset", sunset[30]),
        ("snow", _frames("a snowy forest at dawn", duration=1)[15]),
    ):
        f = frame.astype(np.float32)
        assert f.std() > 12, prompt
        # smooth, natural colour: many distinct colours, no one colour covering the frame
        q = (frame // 8).reshape(-1, 3)
        _, counts = np.unique(q, axis=0, return_counts=True)
        assert len(counts) > 150, prompt
        assert counts.max() / len(q) < 0.25, prompt
        # neighbouring pixels agree (no noise, no hard checkerboard): small mean gradient
        assert np.abs(np.diff(f, axis=1)).mean() < 6, prompt


def test_run_encodes_one_mp4() -> None:
    mp4 = pytest.importorskip("wanstack.engines.mp4")
    items = SceneVideo().run(_request("海边日落", duration=1), CancelToken())
    assert len(items) == 1
    item = items[0]
    assert (item.width, item.height, item.frames, item.fps, item.has_audio) == (
        320,
        180,
        30,
        30,
        False,
    )
    info = mp4.probe_mp4(item.mp4)
    assert (info.codec, info.width, info.height, info.frames) == ("h264", 320, 180, 30)
    assert not info.has_audio
