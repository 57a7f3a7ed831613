"""The models this server serves, and which submit endpoint accepts which model."""

from __future__ import annotations

from wanstack.catalog import chat_t2i, kf2v, qwen_edit, wan_t2i, wan_video
from wanstack.catalog.background import BackgroundGeneration
from wanstack.catalog.base import ModelSpec
from wanstack.catalog.imageedit import ImageEdit
from wanstack.catalog.style_repaint import StyleRepaint
from wanstack.catalog.vace import Vace
from wanstack.catalog.wan_image import WanImage
from wanstack.catalog.wanx_v1 import WanxV1
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

_SPECS: tuple[ModelSpec, ...] = (
    XPainting(),
    BackgroundGeneration(),
    *wan_video.T2V_SPECS,
    *wan_video.I2V_SPECS,
    WanImage(),
    *wan_t2i.SPECS,
    *chat_t2i.SPECS,
    *kf2v.SPECS,
    WanxV1(),
    StyleRepaint(),
    *qwen_edit.SPECS,
    ImageEdit(),
    Vace(),
)
MODELS: dict[str, ModelSpec] = {spec.model: spec for spec in _SPECS}
#: other names clients use for a model (international ids without the ``x``)
ALIASES: dict[str, str] = {
    alias: spec.model for spec in MODELS.values() for alias in getattr(spec, "aliases", ())
}


def canonical(model: str) -> str:
    """The model id a name stands for (international names without the ``x`` are aliases)."""
    return ALIASES.get(model, model)


def spec_for(endpoint: str, model: str) -> ModelSpec:
    """The spec serving ``model`` (or its alias) on ``endpoint``, else :class:`ModelNotFound`."""
    spec = MODELS.get(canonical(model))
    if spec is None or endpoint not in spec.endpoints:
        raise ModelNotFound()
    return spec


def spec_of(model: str) -> ModelSpec:
    """The spec of a stored task's model (it was validated at submit)."""
    return MODELS[canonical(model)]


def check_endpoint(endpoint: str) -> None:
    """A submit path DashScope has, else the "url error" it answers (before the body is read)."""
    if endpoint not in ENDPOINTS:
        raise InvalidParameter("url error, please check url！")


def endpoint_rule(endpoint: str, model: object = None, *, async_header: bool) -> bool:
    """Check a submit's endpoint, model and ``X-DashScope-Async`` header, the one place these
    rules live; returns whether the request is answered synchronously (JSON or SSE).

    The model decides: a name this server does not serve on the endpoint is "Model not exist."
    whatever the header; the sync endpoint refuses the header; the async endpoints need it,
    except for models that also answer without it (``sync_endpoints``: wan2.2-t2i-flash/plus'
    ``sync_call``). A request without a model gets the endpoint's own rule (its envelope error
    comes next)."""
    check_endpoint(endpoint)
    spec = None
    if isinstance(model, str) and model:
        spec = spec_for(endpoint, model)
    sync = endpoint in SYNC_ENDPOINTS
    if sync and async_header:
        raise AccessDenied("Current user api does not support asynchronous calls.")
    if sync or async_header:
        return sync
    if spec is not None and endpoint in getattr(spec, "sync_endpoints", ()):
        return True
    raise AccessDenied("current user api does not support synchronous calls.")
