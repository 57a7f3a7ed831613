"""``GET /files/{key}``: stored results and uploads behind HMAC-signed, expiring URLs.

A local file is sent by the file response (``sendfile``, ``Range``); an object of the S3 backend
(its ``proxy`` URL mode) is streamed from the bucket piece by piece, never whole in memory, with a
single ``Range`` passed on to the store so that players can seek in a video.
"""

from __future__ import annotations

import mimetypes
from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, Response, StreamingResponse
from starlette.routing import Route

from wanstack.api.deps import container

CACHE_CONTROL = "private, max-age=3600"


async def get_file(request: Request) -> Response:
    c = container(request)
    found = await c.storage.signed_file(
        request.path_params["key"],
        request.query_params.get("Expires", ""),
        request.query_params.get("Signature", ""),
        c.clock.now_ms(),
        request.headers.get("range"),
    )
    if isinstance(found, Path):
        media_type = mimetypes.guess_type(found.name)[0] or "application/octet-stream"
        return FileResponse(found, media_type=media_type, headers={"Cache-Control": CACHE_CONTROL})
    headers = {
        "Cache-Control": CACHE_CONTROL,
        "Content-Length": str(found.size),
        "Accept-Ranges": "bytes",
    }
    if found.content_range:
        headers["Content-Range"] = found.content_range
    return StreamingResponse(
        found.chunks,
        status_code=206 if found.content_range else 200,
        media_type=found.content_type,
        headers=headers,
    )


routes = [Route("/files/{key:path}", get_file, methods=["GET"])]
