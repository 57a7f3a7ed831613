"""H.264 MP4 encoding and probing: format, exact frames, faststart, audio trimmed/looped/absent."""

from __future__ import annotations

import io
import wave
from collections.abc import Callable, Iterator

import av
import numpy as np
import numpy.typing as npt
import pytest

from wanstack.engines.base import CancelToken, RGBImage
from wanstack.engines.mp4 import encode_mp4, faststart, probe_mp4
from wanstack.engines.requests import AudioTrack
from wanstack.errors import TaskCanceled

SIZE = (96, 64)


def moving_frames(count: int, size: tuple[int, int] = SIZE) -> Iterator[RGBImage]:
    width, height = size
    ys, xs = np.mgrid[0:height, 0:width]
    for index in range(count):
        red = (xs * 2 + index * 5) % 256
        frame = np.stack([red, ys * 3 % 256, np.full_like(xs, 90)], -1).astype(np.uint8)
        yield frame


def tone(seconds: float, rate: int = 22050) -> npt.NDArray[np.float32]:
    t = np.arange(round(seconds * rate)) / rate
    return (np.sin(2 * np.pi * 440 * t) * 0.3).astype(np.float32)


def wav_track(seconds: float) -> AudioTrack:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(22050)
        out.writeframes((tone(seconds) * 32767).astype("<i2").tobytes())
    return AudioTrack(buffer.getvalue(), "tone.wav", seconds)


def mp3_track(seconds: float) -> AudioTrack:
    buffer = io.BytesIO()
    with av.open(buffer, "w", format="mp3") as container:
        stream = container.add_stream("libmp3lame", rate=22050)
        stream.layout = "mono"
        pcm = tone(seconds)
        for start in range(0, len(pcm), 1152):
            chunk = pcm[None, start : start + 1152]
            frame = av.AudioFrame.from_ndarray(np.ascontiguousarray(chunk), "fltp", "mono")
            frame.sample_rate, frame.pts = 22050, start
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    return AudioTrack(buffer.getvalue(), "tone.mp3", seconds)


def test_video_only_round_trip() -> None:
    data = encode_mp4(moving_frames(36), size=SIZE, fps=24, frame_count=36, audio=None)
    info = probe_mp4(data)
    assert (info.codec, info.pix_fmt) == ("h264", "yuv420p")
    assert (info.width, info.height, info.frames, info.fps) == (96, 64, 36, 24.0)
    assert info.duration_s == pytest.approx(1.5)
    assert info.faststart
    assert not info.has_audio
    assert info.audio_seconds == 0


def test_pictures_survive_encoding() -> None:
    frames = list(moving_frames(10))
    data = encode_mp4(iter(frames), size=SIZE, fps=10, frame_count=10, audio=None)
    with av.open(io.BytesIO(data), "r") as container:
        decoded = [f.to_ndarray(format="rgb24") for f in container.decode(video=0)]
    errors = [
        np.abs(a.astype(int) - b.astype(int)).mean() for a, b in zip(frames, decoded, strict=True)
    ]
    assert max(errors) < 6


@pytest.mark.parametrize(("make", "seconds"), [(wav_track, 3.3), (mp3_track, 0.7)])
def test_audio_is_trimmed_or_looped_to_the_video(
    make: Callable[[float], AudioTrack], seconds: float
) -> None:
    track = make(seconds)
    data = encode_mp4(moving_frames(30), size=SIZE, fps=15, frame_count=30, audio=track)
    info = probe_mp4(data)
    assert info.has_audio and info.audio_codec == "aac"
    assert info.frames == 30
    assert info.audio_seconds == pytest.approx(2.0, abs=0.05)
    assert info.faststart


def test_looped_audio_repeats_the_sound() -> None:
    data = encode_mp4(moving_frames(30), size=SIZE, fps=15, frame_count=30, audio=wav_track(0.5))
    with av.open(io.BytesIO(data), "r") as container:
        pcm = np.concatenate([f.to_ndarray()[0] for f in container.decode(audio=0)])
    quarter = len(pcm) // 4  # four loops of 0.5 s; each one has sound
    assert all(np.abs(pcm[i * quarter : (i + 1) * quarter]).max() > 0.1 for i in range(4))


def test_wrong_frames_are_refused() -> None:
    with pytest.raises(ValueError, match="frame 0"):
        encode_mp4(moving_frames(5, (64, 64)), size=SIZE, fps=10, frame_count=5, audio=None)
    with pytest.raises(ValueError, match="expected 8 frames, got 5"):
        encode_mp4(moving_frames(5), size=SIZE, fps=10, frame_count=8, audio=None)
    with pytest.raises(ValueError, match="even"):
        encode_mp4(moving_frames(5, (95, 64)), size=(95, 64), fps=10, frame_count=5, audio=None)


def test_extra_frames_are_not_written() -> None:
    data = encode_mp4(moving_frames(50), size=SIZE, fps=10, frame_count=20, audio=None)
    assert probe_mp4(data).frames == 20


def test_cancel_stops_between_frames() -> None:
    cancel = CancelToken()
    seen = 0

    def frames() -> Iterator[RGBImage]:
        nonlocal seen
        for frame in moving_frames(100):
            seen += 1
            if seen == 3:
                cancel.cancel()
            yield frame

    with pytest.raises(TaskCanceled):
        encode_mp4(frames(), size=SIZE, fps=10, frame_count=100, audio=None, cancel=cancel)
    assert seen == 3  # the frame that saw the cancel is never encoded


def test_faststart_keeps_the_file_playable_and_is_idempotent() -> None:
    data = encode_mp4(moving_frames(12), size=SIZE, fps=12, frame_count=12, audio=wav_track(3))
    assert faststart(data) == data
    assert data.index(b"moov") < data.index(b"mdat")


def test_encoding_is_deterministic() -> None:
    a = encode_mp4(moving_frames(20), size=SIZE, fps=10, frame_count=20, audio=wav_track(3))
    b = encode_mp4(moving_frames(20), size=SIZE, fps=10, frame_count=20, audio=wav_track(3))
    assert a == b
