"""What routes need from a request: the container, the caller, and this server's base URL."""

from __future__ import annotations

from starlette.requests import Request

from wanstack.container import Container
from wanstack.domain import Caller

CONTAINER_KEY = "wanstack.container"


def container(request: Request) -> Container:
    """The process's container, put in the ASGI scope by :class:`RequestContext` (a dict
    lookup: cheaper than ``app.state`` on every request)."""
    c: Container = request.scope[CONTAINER_KEY]
    return c


async def caller(request: Request) -> Caller:
    """Authenticate ``Authorization: Bearer`` and apply ``X-DashScope-WorkSpace``."""
    headers = request.headers  # case-insensitive
    return await container(request).accounts.authenticate(
        headers.get("authorization"), headers.get("x-dashscope-workspace")
    )


def base_url(request: Request) -> str:
    """The server root clients reach (``WANSTACK_PUBLIC_URL`` wins over the request's host)."""
    public = container(request).settings.public_url
    if public:
        return public.rstrip("/")
    return str(request.base_url).rstrip("/")


def header_enabled(request: Request, name: str) -> bool:
    return request.headers.get(name, "").strip().lower() == "enable"
