"""Temporary uploads: ``GET /api/v1/uploads?action=getPolicy`` and the upload host itself."""

from __future__ import annotations

from collections.abc import AsyncGenerator

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from wanstack.api import protocol
from wanstack.api.body import declared_length
from wanstack.api.deps import base_url, caller, container
from wanstack.api.multipart import (
    Event,
    Field,
    FileData,
    FileEnd,
    FileStart,
    FormReader,
    boundary_of,
)
from wanstack.errors import AccessDenied, InvalidParameter, PayloadTooLarge
from wanstack.logcontext import request_id_var
from wanstack.upload.service import MAX_UPLOAD_MB, UploadForm, UploadGrant

UPLOAD_PATH = "/oss-upload"
MAX_MODEL_CHARS = 100
#: the form fields that carry the policy (they must come before the file)
POLICY_FIELDS = ("OSSAccessKeyId", "Signature", "policy", "key")


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
    """The OSS-style form POST the SDK sends. It carries no API key: the signed policy is the
    proof, so the policy is checked as soon as the fields before the file have arrived, and
    nothing of the file is kept for a form that fails it (OSS, too, wants the file last). The
    file then streams into storage as it arrives (a bucket gets it part by part), so it is never
    held whole, nor written to this machine's disk when storage is remote."""
    uploads = container(request).uploads
    if declared_length(request) > (MAX_UPLOAD_MB + 1) * 1024 * 1024:
        raise PayloadTooLarge(f"file: uploads are limited to {MAX_UPLOAD_MB} MB")
    reader = FormReader(boundary_of(request.headers.get("content-type")))
    events = _events(request, reader)
    fields: dict[str, str] = {}
    try:
        async for event in events:
            if isinstance(event, Field):
                fields.setdefault(event.name, event.value)
            elif isinstance(event, FileStart):
                if event.name != "file":
                    raise InvalidParameter("the upload form must end with one 'file' part")
                grant = await uploads.authorize(_form(fields))
                # store() undoes the grant if the file is refused or cut short on the way
                body = _file_data(events, reader, fields, grant)
                try:
                    key = await uploads.store(grant, body)
                finally:
                    await body.aclose()
                return protocol.JSONBytes({"request_id": request_id_var.get(), "key": key})
    finally:
        await events.aclose()
    raise AccessDenied("Invalid upload form: missing " + ", ".join(_missing(fields)))


async def _events(request: Request, reader: FormReader) -> AsyncGenerator[Event, None]:
    async for chunk in request.stream():
        for event in reader.feed(chunk):
            yield event


async def _file_data(
    events: AsyncGenerator[Event, None],
    reader: FormReader,
    fields: dict[str, str],
    grant: UploadGrant,
) -> AsyncGenerator[bytes, None]:
    """The file part's bytes, checked against the grant's size as they come; it ends only when
    the whole form has arrived intact (a second file or a cut-off body raises instead, and then
    nothing is stored)."""
    size = 0
    done = False
    async for event in events:
        if isinstance(event, FileData):
            size += len(event.data)
            if size > grant.max_bytes:
                raise PayloadTooLarge(
                    f"file: this upload may be at most {grant.max_bytes} bytes "
                    f"(uploads are limited to {MAX_UPLOAD_MB} MB, and by the "
                    "account's upload space)"
                )
            yield event.data
        elif isinstance(event, FileEnd):
            done = True
        elif isinstance(event, FileStart):
            raise InvalidParameter("the upload form must end with one 'file' part")
        else:
            fields.setdefault(event.name, event.value)
    if not done or not reader.finished:
        raise AccessDenied("Invalid upload form: missing " + ", ".join(_missing(fields)))


def _missing(fields: dict[str, str]) -> list[str]:
    return [k for k in (*POLICY_FIELDS, "file") if k == "file" or not fields.get(k)]


def _form(fields: dict[str, str]) -> UploadForm:
    missing = [k for k in POLICY_FIELDS if not fields.get(k)]
    if missing:
        raise AccessDenied("Invalid upload form: missing " + ", ".join(missing))
    return UploadForm(
        access_key_id=fields["OSSAccessKeyId"],
        signature=fields["Signature"],
        policy=fields["policy"],
        key=fields["key"],
        content_type=fields.get("x-oss-content-type", "application/octet-stream"),
    )


routes = [
    Route("/api/v1/uploads", get_policy, methods=["GET"]),
    Route(UPLOAD_PATH, upload, methods=["POST"]),
]
