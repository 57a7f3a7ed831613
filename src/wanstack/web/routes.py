"""The playground's HTTP routes: the page at ``/`` and ``/playground``, its assets below
``/playground/assets/<version>/``.

What the answers guarantee:

* The page carries a strict Content-Security-Policy: scripts, styles, fonts and API calls from
  this origin only (no inline script or style, no ``eval``), no framing, no form posts, no base
  rewriting. Images and videos may also come from any http(s) origin, because result URLs point
  at ``WANSTACK_PUBLIC_URL`` or object storage, which need not be this origin.
* The page is ``no-cache`` (revalidated on every load: it names the current asset version);
  assets of the current version are ``immutable`` for a year, since their URL changes with their
  content. An old version's URL still answers, with today's file and ``no-cache``, so a page open
  across an upgrade keeps working.
* Every answer has an ETag and honours ``If-None-Match`` with a 304.
* Unknown assets are DashScope-shaped 404s, like every other unknown path.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from wanstack.errors import NotFound
from wanstack.web.assets import Asset, Bundle, load

ASSETS_PREFIX = "/playground/assets"
#: Media may come from other origins (public URL, object storage); code may not.
CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "font-src 'self'",
        "connect-src 'self'",
        "img-src 'self' data: blob: http: https:",
        "media-src 'self' data: blob: http: https:",
        "base-uri 'none'",
        "form-action 'none'",
        "frame-ancestors 'none'",
    )
)
PAGE_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
    "Cache-Control": "no-cache",
}
IMMUTABLE = "public, max-age=31536000, immutable"


def _answer(request: Request, asset: Asset, headers: dict[str, str]) -> Response:
    headers = {**headers, "ETag": asset.etag}
    if asset.etag in request.headers.get("if-none-match", ""):
        return Response(status_code=304, headers=headers)
    return Response(asset.body, media_type=asset.content_type, headers=headers)


def routes(bundle: Bundle | None = None) -> list[Route]:
    """The playground's routes over ``bundle`` (default: the packaged files, read now)."""
    files = bundle if bundle is not None else load()

    async def page(request: Request) -> Response:
        return _answer(request, files.page, PAGE_HEADERS)

    async def asset(request: Request) -> Response:
        name: str = request.path_params["name"]
        found = files.asset(name)
        if found is None:
            raise NotFound(f"Not found! No playground file {name}")
        current = request.path_params["version"] == files.version
        headers = {
            "Cache-Control": IMMUTABLE if current else "no-cache",
            "Cross-Origin-Resource-Policy": "same-origin",
        }
        return _answer(request, found, headers)

    return [
        Route("/", page, methods=["GET"]),
        Route("/playground", page, methods=["GET"]),
        Route(ASSETS_PREFIX + "/{version}/{name:path}", asset, methods=["GET"]),
    ]
