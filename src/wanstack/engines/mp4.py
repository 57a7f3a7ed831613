"""H.264 MP4 encoding and probing with PyAV (libx264 + AAC), in memory.

Every video engine hands its frames to :func:`encode_mp4`, which guarantees the output format the
video models promise: H.264 (libx264), ``yuv420p``, ``+faststart`` (``moov`` before ``mdat``, so a
browser can start playing while downloading), exactly ``frame_count`` frames of exactly ``size`` at
``fps``, and an AAC soundtrack exactly as long as the video (trimmed, or looped with short fades at
the seams) when one is given and no audio stream at all otherwise.

:func:`probe_mp4` decodes a file back and reports what it really holds; the engines' tests and the
benchmarks check every promise above with it.
"""

from __future__ import annotations

import io
import math
import struct
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from fractions import Fraction
from typing import cast

import av
import cv2
import numpy as np
import numpy.typing as npt

from wanstack.engines.base import CancelToken, RGBImage
from wanstack.engines.requests import AudioTrack
from wanstack.errors import UnsupportedFileFormat

#: x264 constant rate factor: visually clean for camera moves on photos, ~2-6 Mbit/s at 720P.
CRF = 21
#: x264 preset, chosen by measurement (bench/video_bench.py): ``veryfast`` encodes a 5 s 1080P
#: camera move in ~6-9 s on 2 busy cores; ``faster`` makes files ~1.6x larger here for no speed.
PRESET = "veryfast"
THREADS = 2
#: x264's frame threads and its macroblock-tree rate control both made the bytes differ from run
#: to run (measured on identical frames); sliced threads without mbtree are deterministic.
X264_PARAMS = "sliced-threads=1:no-mbtree=1"
AUDIO_RATE = 48_000
AUDIO_FRAME = 1024  #: samples per AAC frame
AUDIO_BITRATE = 128_000
#: fade length at a loop seam and at the very end, in seconds (avoids clicks)
SEAM_FADE_S = 0.01

Pcm = npt.NDArray[np.float32]


def encode_mp4(
    frames: Iterable[RGBImage],
    *,
    size: tuple[int, int],
    fps: int,
    frame_count: int,
    audio: AudioTrack | None,
    cancel: CancelToken | None = None,
    preset: str = PRESET,
    crf: int = CRF,
) -> bytes:
    """Encode ``frames`` (H×W×3 uint8 RGB, each exactly ``size`` = (width, height)) to MP4 bytes.

    Exactly ``frame_count`` frames are consumed and written; fewer raises :class:`ValueError`, and
    so does a frame of the wrong shape or type (extra frames are not read). ``audio`` is decoded,
    resampled to 48 kHz stereo AAC and trimmed or looped to ``frame_count / fps`` seconds.
    ``cancel.check()`` runs before every frame. ``preset`` and ``crf`` are x264's speed and
    quality (the fake engines trade quality for speed).
    """
    width, height = size
    if width <= 0 or height <= 0 or width % 2 or height % 2:
        raise ValueError(f"size must be positive and even, got {width}x{height}")
    if fps <= 0 or frame_count <= 0:
        raise ValueError(f"fps and frame_count must be positive, got {fps} and {frame_count}")
    pcm = None
    if audio is not None:
        pcm = fit_audio(decode_audio(audio), frame_count / fps)

    buffer = io.BytesIO()
    # FFmpeg's own +faststart reopens the output by name, which an in-memory file has not; the
    # ``moov`` box is moved in front of ``mdat`` afterwards by :func:`faststart` instead.
    with av.open(buffer, "w", format="mp4") as container:
        video = container.add_stream("libx264", rate=fps)
        video.width, video.height, video.pix_fmt = width, height, "yuv420p"
        video.options = {"crf": str(crf), "preset": preset, "x264-params": X264_PARAMS}
        video.codec_context.thread_count = THREADS
        # OpenCV's RGB->I420 is BT.601 limited range; say so, or players assume BT.709 for HD.
        video.codec_context.color_range = 1  # MPEG (limited)
        video.codec_context.colorspace = 6  # SMPTE170M (BT.601)
        video.codec_context.color_primaries = 6
        video.codec_context.color_trc = 6
        sound = None
        if pcm is not None:
            sound = container.add_stream("aac", rate=AUDIO_RATE)
            sound.layout = "stereo"
            sound.bit_rate = AUDIO_BITRATE
        audio_chunks = _audio_frames(pcm) if pcm is not None else iter(())
        audio_done = 0  # samples handed to the encoder so far

        written = 0
        for frame in frames:
            if written == frame_count:
                break
            if cancel is not None:
                cancel.check()
            _check_frame(frame, width, height, written)
            # x264's SIMD code reads a little past the end of the last plane; a buffer of our own
            # with zeros after it keeps that read, and so the output bytes, deterministic.
            yuv = np.zeros((height * 3 // 2 + 16, width), np.uint8)[: height * 3 // 2]
            cv2.cvtColor(np.ascontiguousarray(frame), cv2.COLOR_RGB2YUV_I420, dst=yuv)
            picture = av.VideoFrame.from_numpy_buffer(yuv, format="yuv420p")
            picture.pts = written
            container.mux(video.encode(picture))
            written += 1
            if sound is not None:
                # Interleave: keep the audio up to the video's clock, so the file streams.
                until = written * AUDIO_RATE // fps
                while audio_done < until:
                    chunk = next(audio_chunks, None)
                    if chunk is None:
                        break
                    audio_done += chunk.samples
                    container.mux(sound.encode(chunk))
        if written < frame_count:
            raise ValueError(f"expected {frame_count} frames, got {written}")
        container.mux(video.encode(None))
        if sound is not None:
            for chunk in audio_chunks:
                container.mux(sound.encode(chunk))
            container.mux(sound.encode(None))
    return faststart(buffer.getvalue())


def _check_frame(frame: RGBImage, width: int, height: int, index: int) -> None:
    if frame.dtype != np.uint8 or frame.shape != (height, width, 3):
        raise ValueError(
            f"frame {index}: expected {height}x{width}x3 uint8, "
            f"got {'x'.join(map(str, frame.shape))} {frame.dtype}"
        )


def decode_audio(audio: AudioTrack) -> Pcm:
    """Decode a wav/mp3 file to float32 planar stereo PCM at 48 kHz, shape (2, samples)."""
    try:
        with av.open(io.BytesIO(audio.data), "r") as container:
            if not container.streams.audio:
                raise UnsupportedFileFormat(f"{audio.filename}: no audio stream")
            stream = container.streams.audio[0]
            resampler = av.AudioResampler(format="fltp", layout="stereo", rate=AUDIO_RATE)
            parts: list[Pcm] = []
            for frame in container.decode(stream):
                for out in resampler.resample(frame):
                    parts.append(out.to_ndarray().astype(np.float32, copy=False))
            for out in resampler.resample(None):
                parts.append(out.to_ndarray().astype(np.float32, copy=False))
    except av.FFmpegError as exc:
        raise UnsupportedFileFormat(f"{audio.filename}: cannot decode audio ({exc})") from exc
    if not parts:
        raise UnsupportedFileFormat(f"{audio.filename}: the audio stream is empty")
    return np.concatenate(parts, axis=1)


def fit_audio(pcm: Pcm, seconds: float) -> Pcm:
    """Trim ``pcm`` (2 × N at 48 kHz) to ``seconds``, or loop it up to ``seconds``.

    Loop seams get a short fade out and in, and the very end a short fade out, so nothing clicks.
    """
    target = round(seconds * AUDIO_RATE)
    have = pcm.shape[1]
    fade = max(1, round(SEAM_FADE_S * AUDIO_RATE))
    if have >= target:
        out = pcm[:, :target].copy()
    else:
        piece = pcm.copy()
        if have > 4 * fade:
            ramp = np.linspace(0.0, 1.0, fade, dtype=np.float32)
            piece[:, :fade] *= ramp
            piece[:, -fade:] *= ramp[::-1]
        out = np.tile(piece, (1, math.ceil(target / have)))[:, :target]
    fade = min(fade, target)
    out[:, target - fade :] *= np.linspace(1.0, 0.0, fade, dtype=np.float32)
    return np.ascontiguousarray(out)


def _audio_frames(pcm: Pcm) -> Iterator[av.AudioFrame]:
    for start in range(0, pcm.shape[1], AUDIO_FRAME):
        chunk = np.ascontiguousarray(pcm[:, start : start + AUDIO_FRAME])
        frame = av.AudioFrame.from_ndarray(chunk, format="fltp", layout="stereo")
        frame.sample_rate = AUDIO_RATE
        frame.pts = start
        frame.time_base = Fraction(1, AUDIO_RATE)
        yield frame


@dataclass(frozen=True, slots=True)
class Mp4Info:
    """What an MP4 file really holds, found by decoding it."""

    codec: str  #: video codec name, e.g. ``h264``
    pix_fmt: str  #: e.g. ``yuv420p``
    width: int
    height: int
    frames: int  #: decoded video frames
    fps: float  #: the stream's average frame rate
    duration_s: float  #: video duration: frames / fps
    has_audio: bool
    audio_seconds: float  #: decoded audio samples / sample rate; 0 without audio
    audio_codec: str | None
    faststart: bool  #: the ``moov`` atom comes before ``mdat``


def probe_mp4(data: bytes) -> Mp4Info:
    """Decode every frame and sample of ``data`` and report the format it really has."""
    with av.open(io.BytesIO(data), "r") as container:
        video = container.streams.video[0]
        context = video.codec_context
        codec, pix_fmt = context.name, str(context.pix_fmt)
        width, height = context.width, context.height
        fps = float(video.average_rate or 0)
        frames = sum(1 for _ in container.decode(video))
    has_audio, audio_seconds, audio_codec = False, 0.0, None
    with av.open(io.BytesIO(data), "r") as container:
        if container.streams.audio:
            sound = container.streams.audio[0]
            has_audio, audio_codec = True, sound.codec_context.name
            samples = sum(frame.samples for frame in container.decode(sound))
            audio_seconds = samples / float(sound.codec_context.sample_rate or 1)
    return Mp4Info(
        codec=codec,
        pix_fmt=pix_fmt,
        width=width,
        height=height,
        frames=frames,
        fps=fps,
        duration_s=frames / fps if fps else 0.0,
        has_audio=has_audio,
        audio_seconds=audio_seconds,
        audio_codec=audio_codec,
        faststart=_moov_before_mdat(data),
    )


def _boxes(data: bytes, start: int, end: int) -> Iterator[tuple[bytes, int, int, int]]:
    """Yield (type, box start, payload start, box end) for the boxes in ``data[start:end]``."""
    offset = start
    while offset + 8 <= end:
        size, kind = struct.unpack(">I4s", data[offset : offset + 8])
        header = 8
        if size == 1:  # 64-bit size follows the type
            size = cast(int, struct.unpack(">Q", data[offset + 8 : offset + 16])[0])
            header = 16
        elif size == 0:  # the box runs to the end
            size = end - offset
        if size < header or offset + size > end:
            raise ValueError(f"corrupt MP4 box {kind!r} at {offset}")
        yield kind, offset, offset + header, offset + size
        offset += size


_CONTAINERS = {b"trak", b"mdia", b"minf", b"stbl"}


def faststart(data: bytes) -> bytes:
    """Move the top-level ``moov`` box in front of ``mdat`` (what ``qt-faststart`` does).

    Every chunk offset (``stco``/``co64``) in ``moov`` grows by the size of ``moov``, since the
    media data moves back by that much. A file already in that order is returned unchanged.
    """
    top = list(_boxes(data, 0, len(data)))
    kinds = [kind for kind, *_ in top]
    if b"moov" not in kinds or b"mdat" not in kinds or kinds.index(b"moov") < kinds.index(b"mdat"):
        return data
    _, moov_start, moov_payload, moov_end = top[kinds.index(b"moov")]
    moov = bytearray(data[moov_start:moov_end])
    shift = moov_end - moov_start

    def patch(start: int, end: int) -> None:
        for kind, _, payload, box_end in _boxes(bytes(moov), start, end):
            if kind in _CONTAINERS:
                patch(payload, box_end)
            elif kind in (b"stco", b"co64"):
                (count,) = struct.unpack(">I", moov[payload + 4 : payload + 8])
                wide = kind == b"co64"
                fmt = f">{count}{'Q' if wide else 'I'}"
                first = payload + 8
                offsets = np.array(struct.unpack_from(fmt, moov, first), dtype=np.uint64) + shift
                if not wide and int(offsets.max(initial=0)) >= 2**32:
                    raise ValueError("MP4 too large for 32-bit chunk offsets")
                struct.pack_into(fmt, moov, first, *(int(o) for o in offsets))

    patch(moov_payload - moov_start, len(moov))
    head = bytearray()
    placed = False
    for kind, start, _, end in top:
        if kind == b"moov":
            continue
        if not placed and kind not in (b"ftyp",):
            head += moov
            placed = True
        head += data[start:end]
    return bytes(head)


def _moov_before_mdat(data: bytes) -> bool:
    """Walk the top-level MP4 boxes and say whether ``moov`` precedes ``mdat``."""
    offset = 0
    while offset + 8 <= len(data):
        size, kind = struct.unpack(">I4s", data[offset : offset + 8])
        if size == 1:  # 64-bit size follows the type
            size = cast(int, struct.unpack(">Q", data[offset + 8 : offset + 16])[0])
        elif size == 0:  # box runs to the end of the file
            size = len(data) - offset
        if kind == b"moov":
            return True
        if kind == b"mdat" or size < 8:
            return False
        offset += size
    return False
