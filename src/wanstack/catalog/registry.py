"""The models this server serves, and which submit endpoint accepts which model."""

from __future__ import annotations

from wanstack.catalog.background import BackgroundGeneration
from wanstack.catalog.base import ModelSpec
from wanstack.catalog.wan_image import WanImage
from wanstack.catalog.wan_video import WanI2V, WanT2V
from wanstack.catalog.x_painting import XPainting
from wanstack.errors import AccessDenied, InvalidParameter, ModelNotFound

#: Every submit endpoint DashScope has for these services (after ``/api/v1/services/aigc/``).
#: An endpoint with no model yet answers every request with "Model not exist.".
ENDPOINTS = (
    "text2image/image-synthesis",
    "image2image/image-synthesis",
    "background-generation/generation",
    "video-generation/video-synthesis",
    "image2video/video-synthesis",
    "image-generation/generation",
    "multimodal-generation/generation",
)

#: Endpoints answered synchronously (JSON or SSE), never as a task id; they refuse
#: ``X-DashScope-Async: enable``.
SYNC_ENDPOINTS = frozenset({"multimodal-generation/generation"})

MODELS: dict[str, ModelSpec] = {
    spec.model: spec
    for spec in (XPainting(), BackgroundGeneration(), WanT2V(), WanI2V(), WanImage())
}


def spec_for(endpoint: str, model: str) -> ModelSpec:
    """The spec serving ``model`` on ``endpoint``, else :class:`ModelNotFound`."""
    spec = MODELS.get(model)
    if spec is None or endpoint not in spec.endpoints:
        raise ModelNotFound()
    return spec


def spec_of(model: str) -> ModelSpec:
    """The spec of a stored task's model (it was validated at submit)."""
    return MODELS[model]


def endpoint_rule(endpoint: str, *, async_header: bool) -> bool:
    """Check a submit's endpoint and its ``X-DashScope-Async`` header, the one place these
    rules live; returns whether the endpoint answers synchronously (JSON or SSE)."""
    if endpoint not in ENDPOINTS:
        raise InvalidParameter("url error, please check url！")
    sync = endpoint in SYNC_ENDPOINTS
    if sync and async_header:
        raise AccessDenied("Current user api does not support asynchronous calls.")
    if not sync and not async_header:
        raise AccessDenied("current user api does not support synchronous calls.")
    return sync
