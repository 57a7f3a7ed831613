"""``GET /files/{key}``: stored results and uploads behind HMAC-signed, expiring URLs."""

from __future__ import annotations

import mimetypes

from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import Route

from wanstack.api.deps import container


async def get_file(request: Request) -> Response:
    c = container(request)
    path = c.storage.signed_file(
        request.path_params["key"],
        request.query_params.get("Expires", ""),
        request.query_params.get("Signature", ""),
        c.clock.now_ms(),
    )
    media_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    return FileResponse(
        path, media_type=media_type, headers={"Cache-Control": "private, max-age=3600"}
    )


routes = [Route("/files/{key:path}", get_file, methods=["GET"])]
