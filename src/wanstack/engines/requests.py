"""What each model's engines receive: one request type per DashScope model, validated and decoded
by the model's catalog module (:mod:`wanstack.catalog`), the same for every engine family."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from wanstack.engines.base import RGBAImage, RGBImage

#: wanx-x-painting's ``parameters.style`` values (seed 003); ``<auto>`` is no style.
STYLES = (
    "<auto>",
    "<3d cartoon>",
    "<anime>",
    "<oil painting>",
    "<watercolor>",
    "<sketch>",
    "<chinese painting>",
    "<flat illustration>",
)


@dataclass(frozen=True, slots=True)
class InpaintRequest:
    """wanx-x-painting, validated: the image, the region to repaint, and what to paint."""

    image: RGBImage  #: base image at its own resolution
    mask: npt.NDArray[np.bool_]  #: True where the image is to be repainted; same H×W as ``image``
    prompt: str  #: already truncated to the model's limit
    style: str  #: one of the documented ``<…>`` styles
    size: tuple[int, int]  #: output (width, height), one of the documented sizes
    n: int  #: how many distinct results
    seed: int  #: makes results reproducible
    #: a model's own number echoed in its output (wanx-style-repaint-v1's style_index)
    tag: int | None = None


@dataclass(frozen=True, slots=True)
class EdgeElement:
    """One ``reference_edge`` image: line art (RGBA, already at the base size) to be drawn as an
    element of the scene in what its prompt asks for."""

    image: RGBAImage
    prompt: str  #: "" when no prompt was given for it
    foreground: bool  #: foreground elements may cover the subject; background ones stay behind


@dataclass(frozen=True, slots=True)
class BackgroundRequest:
    """wanx-background-generation-v2, validated: a product cutout and how to stage it."""

    subject: RGBAImage  #: the product; output images have exactly its size
    ref_image: RGBAImage | None  #: guide image (RGBA; transparent parts do not guide), any size
    ref_prompt: str  #: truncated to the documented length; "" when absent
    neg_prompt: str  #: concepts to avoid; "" when absent
    edges: tuple[EdgeElement, ...]  #: background elements first, then foreground, each bottom→top
    n: int
    noise_level: int  #: 0 (faithful to ref_image) … 999 (loosely related)
    ref_prompt_weight: float  #: 0 … 1, weight of the text when both guides are given
    model_version: str  #: "v2" (fast) or "v3" (finer)
    scene_type: str | None  #: GENERAL | ROOM | COSMETIC (deprecated presets)
    title: str | None
    sub_title: str | None
    seed: int


@dataclass(frozen=True, slots=True)
class AudioTrack:
    """An ``audio_url`` soundtrack, fetched and checked (wav or mp3, 3–30 s)."""

    data: bytes  #: the file as downloaded
    filename: str  #: a name with the right extension (``.wav`` / ``.mp3``), for demuxers
    seconds: float  #: its length


@dataclass(frozen=True, slots=True)
class VideoRequest:
    """wan2.6-t2v and wan2.6-i2v, validated: what to film and the exact output format."""

    prompt: str  #: "" when absent (i2v); already checked against the length limit
    negative_prompt: str  #: "" when absent
    image: RGBImage | None  #: i2v: the first frame's source image (any size); t2v: None
    size: tuple[int, int]  #: output (width, height); both even, exact
    duration: int  #: seconds; the video has exactly ``duration * fps`` frames
    fps: int
    shot_type: str  #: "single" or "multi" (cuts between several framings)
    audio: AudioTrack | None  #: muxed, trimmed or looped to ``duration``; None: no audio stream
    seed: int
    #: first-and-last-frame video (kf2v): the image the video ends on; ``image`` is the first
    last_image: RGBImage | None = None


@dataclass(frozen=True, slots=True)
class ImageGenRequest:
    """wan2.6-image, validated: text to image, or editing 1–4 input images."""

    prompt: str  #: the one text item
    negative_prompt: str  #: "" when absent
    images: tuple[RGBAImage, ...]  #: input images in order (RGBA; opaque when the file had none)
    size: tuple[int, int]  #: output (width, height)
    n: int  #: images to make (edit / text-to-image mode)
    interleave: bool  #: ``enable_interleave``: text and images alternate, up to ``max_images``
    max_images: int
    seed: int
    #: ``prompt_extend`` as asked (no rewriting model runs; it shapes the output only)
    prompt_extend: bool = True


#: wanx2.1-imageedit's functions that are not an inpainting (those arrive as
#: :class:`InpaintRequest`: ``description_edit_with_mask``, ``expand``, ``stylization_all``,
#: ``remove_watermark`` with the detected marks as the mask)
RETOUCH_FUNCTIONS = (
    "super_resolution",
    "colorization",
    "description_edit",
    "stylization_local",
    "doodle",
    "control_cartoon_feature",
)


@dataclass(frozen=True, slots=True)
class RetouchRequest:
    """wanx2.1-imageedit, one of :data:`RETOUCH_FUNCTIONS` (addendum §2.7), validated."""

    function: str  #: one of :data:`RETOUCH_FUNCTIONS`
    image: RGBImage  #: ``base_image_url`` decoded, at its own resolution
    prompt: str  #: cut at 800 characters; may be ""
    size: tuple[int, int]  #: output (width, height): the input's, times ``upscale_factor``
    n: int  #: 1–4 results; result ``i`` is seeded ``seed + i``
    seed: int
    strength: float = 0.5  #: ``description_edit``: 0 ≈ the input … 1 = the full edit
    upscale_factor: int = 1  #: ``super_resolution``: 1 (sharpen only) … 4
    is_sketch: bool = False  #: ``doodle``: True when the input already is line art


#: wanx2.1-vace-plus's ``input.function`` values (addendum §2.13); which of them an engine family
#: serves is :data:`wanstack.engines.registry.FUNCTIONS`
VACE_FUNCTIONS = (
    "image_reference",
    "video_repainting",
    "video_edit",
    "video_extension",
    "video_outpainting",
)


@dataclass(frozen=True, slots=True)
class VaceRequest:
    """wanx2.1-vace-plus, validated: one of :data:`VACE_FUNCTIONS`; silent output.

    * ``image_reference``: ``references`` (1–3) with ``backgrounds[i]`` True for the one marked
      ``bg``; the objects are staged on the background (or a scene drawn from the prompt);
    * ``video_extension``: any of ``first_frame``, ``last_frame``, ``first_clip``,
      ``last_clip``; the output starts with the first clip (or frame) and ends with the last;
    * ``video_outpainting``: ``video`` framed on a canvas grown by ``scales``
      (top, bottom, left, right; each 1.0–2.0);
    * ``video_repainting``: ``video`` re-drawn following ``control`` (posebodyface, posebody,
      depth, scribble) at ``strength``, with at most one subject in ``references``;
    * ``video_edit``: the region of ``masks`` (one mask drawn on frame ``mask_frame``, 0-based,
      followed through the video when ``mask_type`` is tracking; or one mask per frame of a mask
      video), grown by ``expand_ratio`` in ``expand_mode``, re-drawn; ``control`` optional.
    """

    function: str
    prompt: str  #: "" when absent
    size: tuple[int, int]  #: output (width, height), both even
    duration: int  #: seconds; exactly ``duration * fps`` frames
    fps: int
    seed: int
    references: tuple[RGBAImage, ...] = ()
    backgrounds: tuple[bool, ...] = ()
    first_frame: RGBImage | None = None
    last_frame: RGBImage | None = None
    first_clip: tuple[RGBImage, ...] = ()  #: decoded frames, at the clip's own size and fps
    last_clip: tuple[RGBImage, ...] = ()
    clip_fps: float = 0.0  #: the input clips' (or ``video``'s) frame rate
    video: tuple[RGBImage, ...] = ()
    scales: tuple[float, float, float, float] = (1.0, 1.0, 1.0, 1.0)
    control: str | None = None  #: repainting / edit: the condition followed (None: none)
    strength: float = 1.0  #: repainting: how closely the condition is followed (0–1)
    masks: tuple[
        npt.NDArray[np.bool_], ...
    ] = ()  #: edit: one mask (on ``mask_frame``) or one per video frame
    mask_frame: int = 0
    mask_type: str = "tracking"  #: edit: tracking (the mask follows its object) or fixed
    expand_ratio: float = 0.05  #: edit: the region grown by this × its larger side
    expand_mode: str = "hull"  #: edit: hull, bbox or original

    def filmed(self, image: RGBImage | None) -> VideoRequest:
        """The single-shot, silent video request of this output format, filming ``image``
        (engines that build a vace video from an image-to-video or a placeholder engine)."""
        return VideoRequest(
            prompt=self.prompt,
            negative_prompt="",
            image=image,
            size=self.size,
            duration=self.duration,
            fps=self.fps,
            shot_type="single",
            audio=None,
            seed=self.seed,
        )
