"""``GET /files/{key}``: stored results and uploads behind HMAC-signed, expiring URLs."""

from __future__ import annotations

import mimetypes

from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import Route

from wanstack.api.deps import container
from wanstack.errors import AccessDenied, NotFound


async def get_file(request: Request) -> Response:
    key: str = request.path_params["key"]
    c = container(request)
    expires = request.query_params.get("Expires", "")
    signature = request.query_params.get("Signature", "")
    # At most 12 ASCII digits (epoch seconds): int() of thousands of digits raises.
    if not (
        expires.isascii() and expires.isdigit() and len(expires) <= 12
    ) or not c.signer.verify_file(key, int(expires), signature, c.clock.now_ms()):
        raise AccessDenied("Request has expired or its signature does not match.")
    path = c.storage.local_path(key)
    if path is None or not path.is_file():
        raise NotFound("The file has expired or does not exist.")
    media_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    return FileResponse(
        path, media_type=media_type, headers={"Cache-Control": "private, max-age=3600"}
    )


routes = [Route("/files/{key:path}", get_file, methods=["GET"])]
