"""Temporary uploads: ``GET /api/v1/uploads?action=getPolicy`` and the upload host itself."""

from __future__ import annotations

from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from wanstack.api import protocol
from wanstack.api.deps import base_url, caller, container
from wanstack.errors import AccessDenied, InvalidParameter
from wanstack.logcontext import request_id_var
from wanstack.upload.service import MAX_UPLOAD_MB, UploadForm

UPLOAD_PATH = "/oss-upload"
MAX_MODEL_CHARS = 100


async def get_policy(request: Request) -> Response:
    who = await caller(request)
    action = request.query_params.get("action")
    if action != "getPolicy":
        raise InvalidParameter(f"action must be 'getPolicy', got {action!r}")
    model = request.query_params.get("model", "")
    if len(model) > MAX_MODEL_CHARS or not model.isprintable():
        raise InvalidParameter(f"model must be at most {MAX_MODEL_CHARS} printable characters")
    data = container(request).uploads.policy(
        who.account_id, model, upload_host=base_url(request) + UPLOAD_PATH
    )
    return protocol.JSONBytes({"data": data, "request_id": request_id_var.get()})


async def upload(request: Request) -> Response:
    """The OSS-style form POST the SDK sends (no Authorization: the signed policy is the proof)."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > (MAX_UPLOAD_MB + 1) * 1024 * 1024:
        raise InvalidParameter(f"file: uploads are limited to {MAX_UPLOAD_MB} MB")
    try:
        form_cm = request.form(max_part_size=1024 * 1024)
        form = await form_cm.__aenter__()
    except Exception as exc:  # malformed multipart
        raise InvalidParameter(f"the upload must be multipart/form-data ({exc})") from exc
    try:
        file = form.get("file")
        fields = {k: v for k, v in form.items() if isinstance(v, str)}
        missing = [k for k in ("OSSAccessKeyId", "Signature", "policy", "key") if not fields.get(k)]
        if missing or not isinstance(file, UploadFile):
            raise AccessDenied("Invalid upload form: missing " + ", ".join(missing or ["file"]))
        data = await file.read()
    finally:
        await form_cm.__aexit__(None, None, None)
    key = await container(request).uploads.accept(
        UploadForm(
            access_key_id=fields["OSSAccessKeyId"],
            signature=fields["Signature"],
            policy=fields["policy"],
            key=fields["key"],
            size=len(data),
            content_type=fields.get("x-oss-content-type", "application/octet-stream"),
        ),
        data,
    )
    return protocol.JSONBytes({"request_id": request_id_var.get(), "key": key})


routes = [
    Route("/api/v1/uploads", get_policy, methods=["GET"]),
    Route(UPLOAD_PATH, upload, methods=["POST"]),
]
