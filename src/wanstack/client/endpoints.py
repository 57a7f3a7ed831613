"""Which submit path a model's asynchronous task goes to, as DashScope routes it.

The client is a pure HTTP client (it never imports the server's catalog), so the routing is a few
name rules, the same ones the official SDK applies (``kf2v`` → ``image2video``, ``imageedit`` and
``wan2.5-i2i`` → ``image2image``, …). They cover every model wanstack serves, their aliases and
dated ids (a unit test checks them against the catalog), and give DashScope's newer models of the
same families the path they use there. ``--endpoint`` overrides the rule for anything else.
"""

from __future__ import annotations

from wanstack.client.errors import UsageError

SERVICES = "services/aigc/"
TEXT2IMAGE = "text2image/image-synthesis"
IMAGE2IMAGE = "image2image/image-synthesis"
BACKGROUND = "background-generation/generation"
VIDEO = "video-generation/video-synthesis"
KEYFRAMES = "image2video/video-synthesis"
IMAGE_GENERATION = "image-generation/generation"
#: answered synchronously only: an asynchronous task cannot be submitted there
SYNC_ONLY = "multimodal-generation/generation"

#: (substring of the model name, path), first match wins; the default is text-to-image
_RULES: tuple[tuple[tuple[str, ...], str], ...] = (
    (("background-generation",), BACKGROUND),
    (("kf2v",), KEYFRAMES),
    (("t2v", "i2v", "vace", "s2v"), VIDEO),
    (("x-painting", "imageedit", "i2i"), IMAGE2IMAGE),
    (("wan2.6-image", "wan2.6-t2i", "wan2.7-image", "style-repaint"), IMAGE_GENERATION),
)


def endpoint_for(model: str) -> str:
    """The submit path (after ``/api/v1/``) of ``model``'s asynchronous tasks."""
    name = model.strip().lower()
    for needles, path in _RULES:
        if any(needle in name for needle in needles):
            return SERVICES + path
    return SERVICES + TEXT2IMAGE


def normalise(endpoint: str) -> str:
    """An ``--endpoint`` as a path after ``/api/v1/``: ``image2image/image-synthesis``,
    ``services/aigc/image2image/image-synthesis`` and ``/api/v1/services/aigc/…`` all name the
    same path."""
    path = endpoint.strip().strip("/")
    if path.startswith("api/v1/"):
        path = path[len("api/v1/") :]
    if not path.startswith("services/"):
        path = SERVICES + path
    parts = path.split("/")
    if len(parts) != 4 or not all(parts) or any(not p.isprintable() or " " in p for p in parts):
        raise UsageError(
            f"--endpoint must look like 'image2image/image-synthesis' "
            f"(a path under /api/v1/services/aigc/), got {endpoint!r}"
        )
    if path == SERVICES + SYNC_ONLY:
        raise UsageError(
            f"--endpoint {SYNC_ONLY} answers synchronously only and takes no task; use "
            f"{IMAGE_GENERATION} (or {TEXT2IMAGE}) for the model's asynchronous tasks"
        )
    return path
