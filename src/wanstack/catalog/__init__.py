"""The DashScope models this server serves: wire schema, validation, media rules, output shape.

One module per model (``x_painting``, ``background``, ``wan_video``, ``wan_image``), each a
:class:`~wanstack.catalog.base.ModelSpec`; :mod:`~wanstack.catalog.registry` lists them and the
submit endpoints. Outside the catalog, code uses what this package exports (the HTTP layer may
not import the model modules themselves: an import-linter contract).
"""

from __future__ import annotations

from typing import Any

from wanstack.catalog.base import SYNC_FIELDS, ModelSpec, StoredItem, Submission
from wanstack.catalog.registry import (
    MODELS,
    SYNC_ENDPOINTS,
    canonical,
    check_endpoint,
    endpoint_rule,
    spec_for,
    spec_of,
)

__all__ = [
    "MODELS",
    "SYNC_ENDPOINTS",
    "SYNC_FIELDS",
    "ModelSpec",
    "StoredItem",
    "Submission",
    "canonical",
    "check_endpoint",
    "endpoint_rule",
    "running_output",
    "spec_for",
    "spec_of",
]


def running_output(model: str, parameters: dict[str, Any]) -> dict[str, Any]:
    """What a RUNNING task of ``model`` shows besides its status and times."""
    return spec_of(model).running_output(parameters)
