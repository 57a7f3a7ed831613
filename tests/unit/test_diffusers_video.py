"""The Wan video engines on tiny random pipelines, every layout (Wan 2.1, Wan 2.2 TI2V-5B, Wan 2.2
A14B; t2v and i2v), and the frame work between a model's clip and DashScope's MP4."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tests.unit.test_diffusers_engines import Recorder, photo
from tests.unit.test_mp4 import wav_track
from wanstack.engines.base import CancelToken
from wanstack.engines.diffusers import frames, runtime
from wanstack.engines.diffusers.video import (
    DiffusersImageToVideo,
    DiffusersTextToVideo,
    shots,
)
from wanstack.engines.mp4 import probe_mp4
from wanstack.engines.requests import VideoRequest
from wanstack.errors import ConfigError, TaskCanceled

#: 2 steps, a tiny generation size, 9-frame clips: a 2 s video takes several continued clips
TINY = {"steps": 2, "max_pixels": 64 * 64, "max_sequence_length": 32, "segment_frames": 9}


def video_request(**changes: Any) -> VideoRequest:
    request = VideoRequest(
        prompt="a cat walks along a wall",
        negative_prompt="blurry",
        image=None,
        size=(160, 96),
        duration=2,
        fps=30,
        shot_type="single",
        audio=None,
        seed=5,
    )
    return replace(request, **changes)


def probe(engine: Any, request: VideoRequest, token: CancelToken | None = None) -> Any:
    item = engine.run(request, token or CancelToken())[0]
    info = probe_mp4(item.mp4)
    assert (info.codec, info.pix_fmt) == ("h264", "yuv420p")
    assert (info.width, info.height) == request.size
    assert info.frames == request.duration * 30 == item.frames
    assert info.fps == 30
    return item, info


T2V_LAYOUTS = ["wan21_t2v", "wan22_ti2v", "wan22_a14b_t2v"]
I2V_LAYOUTS = ["wan21_i2v", "wan22_ti2v", "wan22_a14b_i2v"]


@pytest.mark.parametrize("kind", T2V_LAYOUTS)
def test_text_to_video_in_every_layout(kind: str, tiny_weights: Callable[[str], Path]) -> None:
    options: dict[str, Any] = {"weights": str(tiny_weights(kind)), **TINY}
    if kind == "wan22_a14b_t2v":  # A14B's T2V weights continue through its I2V weights
        options["continue_weights"] = str(tiny_weights("wan22_a14b_i2v"))
    engine = DiffusersTextToVideo(**options)
    token = Recorder()
    item, info = probe(engine, video_request(audio=wav_track(1.0)), token)
    assert info.has_audio and abs(info.audio_seconds - 2.0) < 0.05
    described = engine.describe()
    assert described["pipeline"] == "WanPipeline"
    if kind == "wan21_t2v":  # no image-to-video pipeline: one long clip
        assert described["continuation"] == "one long clip"
        assert token.values[-1] == 1.0 and len(token.values) == 2 + 1
    else:  # 16 or 24 fps, 9-frame clips: the 2 s need several continued clips
        assert described["continuation"] == "WanImageToVideoPipeline"
        assert len(token.values) >= 3 * (2 + 1)
    assert token.items == [0]
    again, _ = probe(engine, video_request(audio=wav_track(1.0)))
    assert again.mp4 == item.mp4  # the same seed, the same video
    other, _ = probe(engine, video_request(audio=wav_track(1.0), seed=6))
    assert other.mp4 != item.mp4


@pytest.mark.parametrize("kind", I2V_LAYOUTS)
def test_image_to_video_in_every_layout(kind: str, tiny_weights: Callable[[str], Path]) -> None:
    engine = DiffusersImageToVideo(weights=str(tiny_weights(kind)), **TINY)
    request = video_request(image=photo(120, 200, seed=3), size=(200, 120))
    item, _ = probe(engine, request)
    assert not item.has_audio
    described = engine.describe()
    assert described["pipeline"] == "WanImageToVideoPipeline"
    assert described["continuation"] == "WanImageToVideoPipeline"
    assert described["fps"] == (24 if kind == "wan22_ti2v" else 16)
    again, _ = probe(engine, request)
    assert again.mp4 == item.mp4


def test_one_ti2v_folder_serves_both_models_with_one_copy(
    tiny_weights: Callable[[str], Path],
) -> None:
    weights = str(tiny_weights("wan22_ti2v"))
    t2v = DiffusersTextToVideo(weights=weights, **TINY)
    i2v = DiffusersImageToVideo(weights=weights, **TINY)
    t2v.load()
    i2v.load()
    assert i2v.resident.pipe.transformer is t2v.resident.pipe.transformer
    assert i2v.resident.lock is t2v.resident.lock
    assert i2v.resident.pipe.config.expand_timesteps


def test_text_to_video_weights_cannot_serve_i2v(tiny_weights: Callable[[str], Path]) -> None:
    with pytest.raises(runtime.WeightsError, match="text-to-video only"):
        DiffusersImageToVideo(weights=str(tiny_weights("wan21_t2v")), **TINY).load()
    with pytest.raises(runtime.WeightsError, match=r"which cannot serve wan2\.6-t2v"):
        DiffusersTextToVideo(weights=str(tiny_weights("wan21_i2v")), **TINY).load()


def test_seven_seconds_come_from_continued_clips(tiny_weights: Callable[[str], Path]) -> None:
    engine = DiffusersTextToVideo(
        weights=str(tiny_weights("wan22_ti2v")), **{**TINY, "segment_frames": 25}
    )
    token = Recorder()
    probe(engine, video_request(duration=7), token)
    # 210 frames at 30 fps need 169 at 24 fps: a 25-frame clip and 6 continuations of 24 new
    calls = frames.segments(frames.frames_needed(210, 30, 24), 25, 25)
    assert calls == 7
    assert sum(1 for v in token.values if v in {i / calls for i in range(1, calls + 1)}) >= calls


def test_multi_shot_splits_the_prompt_into_shots(tiny_weights: Callable[[str], Path]) -> None:
    request = video_request(
        prompt="一只猫在屋顶上醒来。然后它跳到墙上。最后它望向城市", shot_type="multi", duration=3
    )
    planned = shots(request)
    assert [p for p, _ in planned] == ["一只猫在屋顶上醒来", "它跳到墙上", "它望向城市"]
    assert [n for _, n in planned] == [30, 30, 30]
    single = shots(replace(request, prompt="a lighthouse", duration=5))
    assert [n for _, n in single] == [75, 75]  # one clause: two shots from different seeds
    engine = DiffusersTextToVideo(weights=str(tiny_weights("wan21_t2v")), **TINY)
    probe(engine, request)


def test_cancel_stops_a_running_video_within_a_step(tiny_weights: Callable[[str], Path]) -> None:
    engine = DiffusersTextToVideo(weights=str(tiny_weights("wan22_ti2v")), **{**TINY, "steps": 400})
    engine.load()
    token = CancelToken()
    caught: list[BaseException] = []

    def work() -> None:
        try:
            engine.run(video_request(), token)
        except BaseException as exc:
            caught.append(exc)

    thread = threading.Thread(target=work)
    thread.start()
    while token.progress == 0.0:
        time.sleep(0.005)
    started = time.perf_counter()
    token.cancel()
    thread.join(10)
    took = time.perf_counter() - started
    assert caught and isinstance(caught[0], TaskCanceled), caught
    assert took < 1.0


# ------------------------------------------------------------------------------ frames


def moving_square(count: int, step: int) -> list[np.ndarray]:
    out = []
    for i in range(count):
        frame = np.full((96, 160, 3), 40, np.uint8)
        x = 20 + i * step
        frame[30:60, x : x + 30] = (230, 200, 60)
        out.append(frame)
    return out


def test_retime_interpolates_motion_instead_of_ghosting() -> None:
    source = moving_square(17, 6)  # 16 fps: the square moves 6 px a frame
    out = list(frames.retime(source, 16, 30, 30))
    assert len(out) == 30
    assert np.array_equal(out[0], source[0]) and np.array_equal(out[15], source[8])
    middle = out[1]  # time 1/30 s: 0.533 of the way from frame 0 to frame 1
    bright = middle[..., 0] > 150
    columns = np.nonzero(bright.any(axis=0))[0]
    assert abs(columns.mean() - (20 + 15 + 0.533 * 6)) < 1.5  # the square moved, as one
    assert 28 <= len(columns) <= 32  # not smeared over both positions
    assert (middle[..., 0][(middle[..., 0] > 60) & (middle[..., 0] < 200)]).size < 120


def test_colour_is_matched_at_a_seam_and_the_match_fades_out() -> None:
    reference = np.full((32, 32, 3), (120, 100, 80), np.uint8)
    drifted = [np.full((32, 32, 3), (150, 110, 70), np.uint8) for _ in range(4)]
    matched = frames.match_colour(drifted, reference)
    assert np.abs(matched[0].astype(int) - reference).max() <= 2
    assert (
        np.abs(matched[-1].astype(int) - drifted[-1]).max()
        < np.abs(matched[0].astype(int) - drifted[0]).max()
    )


def test_frame_plans() -> None:
    assert [frames.clip_frames(n) for n in (1, 2, 5, 9, 10, 81)] == [1, 5, 5, 9, 13, 81]
    assert frames.frames_needed(60, 30, 16) == 33
    assert frames.segments(33, 33, 9) == 1
    assert frames.segments(33, 9, 9) == 4


# ------------------------------------------------------------------------------ speed options


def block_calls(engine: Any) -> int:
    """Times the last transformer block really computed (its feed-forward ran) in one run."""
    calls = 0

    def count(*_: Any) -> None:
        nonlocal calls
        calls += 1

    handle = engine.resident.pipe.transformer.blocks[-1].ffn.register_forward_hook(count)
    try:
        engine.run(video_request(duration=2), CancelToken())
    finally:
        handle.remove()
    return calls


def test_first_block_cache_skips_blocks(tiny_weights: Callable[[str], Path]) -> None:
    weights = str(tiny_weights("wan21_t2v"))
    plain = DiffusersTextToVideo(weights=weights, **{**TINY, "steps": 6})
    cached = DiffusersTextToVideo(
        weights=weights,
        **{**TINY, "steps": 6, "cache": {"type": "first_block", "threshold": 10.0}},
    )
    assert block_calls(cached) < block_calls(plain)


def test_mag_cache_skips_steps(tiny_weights: Callable[[str], Path]) -> None:
    weights = str(tiny_weights("wan21_t2v"))
    plain = DiffusersTextToVideo(weights=weights, **{**TINY, "steps": 6})
    ratios = [1.0] * 12  # per step, conditional and unconditional
    mag = {"type": "mag", "ratios": ratios, "threshold": 10.0}
    cached = DiffusersTextToVideo(weights=weights, **{**TINY, "steps": 6, "cache": mag})
    assert block_calls(cached) < block_calls(plain)


def test_compile_and_attention_backend(tiny_weights: Callable[[str], Path]) -> None:
    engine = DiffusersTextToVideo(
        weights=str(tiny_weights("wan21_t2v")),
        **{**TINY, "compile": {"backend": "eager"}, "attention": "native"},
    )
    probe(engine, video_request())
    block = engine.resident.pipe.transformer.blocks[0]
    assert block._compiled_call_impl is not None  # regional compilation: each block compiled
    assert block.attn1.processor._attention_backend == "native"


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"cache": {"type": "tea"}}, r'"cache" must be \{"type": "first_block" \| "mag"'),
        ({"cache": {"type": "mag", "ratios": [1.0]}}, '"cache" of type "mag" needs "steps"'),
        ({"cache": {"type": "mag"}, "steps": 4}, 'needs "ratios"'),
        ({"compile": {"modez": "x"}}, '"compile" must be true or an object'),
        ({"attention": "warp"}, '"attention" must be one of'),
        ({"segment_frames": 10}, '"segment_frames" must be 4k\\+1'),
        ({"fps": 60}, '"fps" must be a number from 8 to 30'),
    ],
)
def test_bad_video_options_are_refused_by_name(options: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=message) as caught:
        DiffusersTextToVideo(weights="x", **options)
    assert "WANSTACK_ENGINE_OPTIONS['wan2.6-t2v']" in str(caught.value)


def test_video_frames_are_exactly_the_requested_size_at_any_aspect(
    tiny_weights: Callable[[str], Path],
) -> None:
    engine = DiffusersImageToVideo(weights=str(tiny_weights("wan21_i2v")), **TINY)
    image = photo(200, 120, seed=1)  # portrait input, portrait output
    item, info = probe(engine, video_request(image=image, size=(96, 160)))
    assert (info.width, info.height) == (item.width, item.height) == (96, 160)


def tiny_lora(transformer: Any, path: Path, prefix: str = "transformer") -> Path:
    """A LoRA for the tiny Wan transformer's self-attention, saved the way LoRAs are shared."""
    import torch
    from safetensors.torch import save_file

    generator = torch.Generator().manual_seed(0)
    state = {}
    for i, block in enumerate(transformer.blocks):
        for name in ("to_q", "to_k", "to_v"):
            linear = getattr(block.attn1, name)
            key = f"{prefix}.blocks.{i}.attn1.{name}"
            state[f"{key}.lora_A.weight"] = torch.randn(4, linear.in_features, generator=generator)
            state[f"{key}.lora_B.weight"] = torch.randn(linear.out_features, 4, generator=generator)
    save_file(state, str(path))
    return path


@pytest.mark.parametrize("kind", ["wan22_ti2v", "wan22_a14b_t2v"])
def test_a_lora_changes_the_graph_and_the_video(
    kind: str, tiny_weights: Callable[[str], Path], tmp_path: Path
) -> None:
    weights = str(tiny_weights(kind))
    plain = DiffusersTextToVideo(weights=weights, **TINY)
    lora = tiny_lora(plain.resident.pipe.transformer, tmp_path / "speed.safetensors")
    both = kind == "wan22_a14b_t2v"  # A14B: a LoRA per expert (high noise, low noise)
    loras: list[dict[str, Any]] = [{"weights": str(lora), "scale": 1.0}]
    if both:
        loras.append({"weights": str(lora), "scale": 0.5, "transformer_2": True})
    loaded = DiffusersTextToVideo(weights=weights, lora=loras, **TINY)
    pipe = loaded.resident.pipe
    assert hasattr(pipe.transformer.blocks[0].attn1.to_q, "lora_A")  # the graph changed
    if both:
        assert hasattr(pipe.transformer_2.blocks[0].attn1.to_q, "lora_A")
    assert pipe.transformer is not plain.resident.pipe.transformer  # a separate resident copy
    assert not hasattr(plain.resident.pipe.transformer.blocks[0].attn1.to_q, "lora_A")
    assert probe(loaded, video_request())[0].mp4 != probe(plain, video_request())[0].mp4
