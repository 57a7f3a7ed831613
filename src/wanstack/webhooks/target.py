"""Where a webhook may be sent: the URL rules at registration, and the address check at delivery.

The server POSTs to URLs its users give it, so the SSRF rules of the input fetcher apply
(:mod:`wanstack.fetch`: :func:`~wanstack.fetch.address_refusal` and
:func:`~wanstack.fetch.parse_ip_literal`, lifted only by ``WANSTACK_ALLOW_PRIVATE_URLS=1``).
They are checked when an endpoint is registered and again before every attempt, because a name
can resolve elsewhere later; the request then goes to one of the addresses just checked (no
second lookup, so no DNS rebinding), with ``Host`` and TLS SNI keeping the name.
"""

from __future__ import annotations

import asyncio
import ipaddress
import re
import socket
import urllib.parse
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from wanstack.errors import InvalidParameter
from wanstack.fetch import FetchError, IPAddress, UnsafeURL, address_refusal, parse_ip_literal

MAX_URL_CHARS = 2048
RESOLVE_TIMEOUT_S = 5.0
_HOSTNAME = re.compile(r"[a-z0-9_-]{1,63}(?:\.[a-z0-9_-]{1,63})*\.?")

Resolver = Callable[[str, int], Awaitable[list[str]]]


@dataclass(frozen=True, slots=True)
class Target:
    """A checked destination: the same URL on each checked address, and the name to present."""

    urls: list[str]
    host_header: str
    name: str


async def system_resolver(host: str, port: int) -> list[str]:
    loop = asyncio.get_running_loop()
    infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
    return [str(info[4][0]) for info in infos]


def check_url(url: object) -> str:
    """The endpoint URL if it may be registered; else :class:`InvalidParameter` naming ``url``
    and the rule (http or https, a host, no credentials or fragment, at most 2048 characters)."""
    if not isinstance(url, str) or not url:
        raise InvalidParameter("url must be a non-empty string (the endpoint's http(s) URL)")
    if len(url) > MAX_URL_CHARS:
        raise InvalidParameter(f"url must be at most {MAX_URL_CHARS} characters")
    if not (url.isascii() and url.isprintable()) or " " in url:
        raise InvalidParameter(
            "url must be printable ASCII without spaces (percent-encode other characters)"
        )
    try:
        parts = urllib.parse.urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise InvalidParameter(f"url is not a valid URL ({exc})") from None
    if parts.scheme not in ("http", "https"):
        raise InvalidParameter(f"url must use http or https, got {parts.scheme or 'no'} scheme")
    if not parts.hostname:
        raise InvalidParameter("url has no host")
    if parts.username is not None or parts.password is not None:
        raise InvalidParameter("url must not carry credentials (user:password@)")
    if parts.fragment or url.endswith("#"):
        raise InvalidParameter("url must not have a fragment (#…)")
    if port is not None and not 0 < port < 65536:
        raise InvalidParameter(f"url has an invalid port {port}")
    try:
        _host(parts.hostname)
    except UnsafeURL as exc:
        raise InvalidParameter(f"url: {exc.reason}") from None
    return url


def _host(hostname: str) -> tuple[str, IPAddress | None]:
    """The host in normal form and, for an IP literal, its address (UnsafeURL when invalid)."""
    literal = parse_ip_literal(hostname)
    if literal is None and (len(hostname) > 254 or not _HOSTNAME.fullmatch(hostname)):
        raise UnsafeURL(f"{hostname!r} is not a valid host name.")
    return (hostname if literal is None else str(literal)), literal


async def resolve(url: str, *, allow_private: bool, resolver: Resolver = system_resolver) -> Target:
    """Resolve ``url``'s host and check every address it has; no connection is made.

    Raises :class:`~wanstack.fetch.UnsafeURL` for a refused address and
    :class:`~wanstack.fetch.FetchError` for a name that does not resolve.
    """
    parts = urllib.parse.urlsplit(url)
    scheme = parts.scheme
    default_port = 443 if scheme == "https" else 80
    port = parts.port or default_port
    name, literal = _host(parts.hostname or "")
    if literal is not None:
        addresses: list[IPAddress] = [literal]
    else:
        try:
            async with asyncio.timeout(RESOLVE_TIMEOUT_S):
                answers = await resolver(name, port)
            addresses = list(
                dict.fromkeys(ipaddress.ip_address(a.partition("%")[0]) for a in answers)
            )
        except (OSError, ValueError, TimeoutError):
            raise FetchError(f"The host name {name} could not be resolved.") from None
        if not addresses:
            raise FetchError(f"The host name {name} could not be resolved.")
    for ip in addresses:
        problem = address_refusal(ip)
        if problem and not allow_private:
            # The category, never the resolved address: no mapping of internal DNS through this.
            subject = f"{name} is" if literal is not None else f"{name} resolves to"
            raise UnsafeURL(f"{subject} {problem}, which this server does not send to.")
    host = f"[{name}]" if isinstance(literal, ipaddress.IPv6Address) else name
    if port != default_port:
        host = f"{host}:{port}"
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    urls = [f"{scheme}://{_url_host(ip)}:{port}{path}" for ip in addresses]
    return Target(urls=urls, host_header=host, name=name)


def _url_host(ip: IPAddress) -> str:
    if isinstance(ip, ipaddress.IPv6Address):
        return str(ip.ipv4_mapped) if ip.ipv4_mapped else f"[{ip}]"
    return str(ip)
