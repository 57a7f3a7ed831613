"""Safe fetching of user-supplied URLs (input images): the server's SSRF boundary.

Guarantees of :meth:`Fetcher.fetch` (``allow_private=True`` lifts only the address rule):

* Only ``http``, ``https`` and ``data:`` URLs are accepted; anything else is :class:`UnsafeURL`.
* The host is resolved here, **every** address it resolves to must be public
  (:func:`address_refusal`), and the request goes to one of those checked IPs (no second DNS
  lookup, so no rebinding); ``Host``, TLS SNI and certificate checks keep the name.
* Literal IPs in any notation a C resolver accepts (``2130706433``, ``0177.0.0.1``, ``127.1``)
  are normalised by :func:`parse_ip_literal` and checked; none reaches a resolver unchecked.
* Redirects are followed here, each hop checked again, at most ``max_redirects`` of them.
* The body is capped at ``max_bytes`` (on ``Content-Length`` and while streaming); connecting
  at ``connect_timeout``; the whole fetch, redirects included, at ``total_timeout``.
* Every failure is a :class:`FetchError` (:class:`UnsafeURL` when refused before connecting);
  no httpx or socket exception escapes.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import ipaddress
import re
import socket
import urllib.parse
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import httpx

from wanstack.errors import WanstackError

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], Awaitable[list[str]]]


@dataclass(frozen=True, slots=True)
class FetchLimits:
    """Size and time limits of one :meth:`Fetcher.fetch` call."""

    max_bytes: int = 10 * 1024 * 1024
    connect_timeout: float = 5.0
    total_timeout: float = 30.0
    max_redirects: int = 5


class FetchError(WanstackError):
    """A URL could not be fetched; ``reason`` is a short human sentence naming what was wrong."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class UnsafeURL(FetchError):
    """The URL was refused before any connection was made (scheme, host or address)."""


_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
_V4_COMPAT = ipaddress.IPv6Network("::/96")
_CGNAT = ipaddress.IPv4Network("100.64.0.0/10")
_PRIVATE = tuple(map(ipaddress.IPv4Network, ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16")))
_UNIQUE_LOCAL = ipaddress.IPv6Network("fc00::/7")
# IANA special-purpose ranges that Python 3.11's ipaddress still calls global.
_SPECIAL = tuple(map(ipaddress.IPv4Network, ("192.0.0.0/24", "192.88.99.0/24")))
_METADATA = ipaddress.IPv4Address("169.254.169.254")
_BROADCAST = ipaddress.IPv4Address("255.255.255.255")


def address_refusal(ip: IPAddress) -> str | None:
    """Say why ``ip`` must not be fetched from (``"a loopback address"`` …), or None if public.

    IPv6 forms that carry an IPv4 address are judged by that address: IPv4-mapped
    (``::ffff:a.b.c.d``, which a dual-stack socket *is* a.b.c.d), NAT64 ``64:ff9b::/96`` (the
    translator connects to a.b.c.d) and 6to4 ``2002::/16``. IPv4-compatible ``::a.b.c.d``,
    Teredo and site-local are refused outright: deprecated or tunnel forms with no use here.
    """
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            inner = address_refusal(ip.ipv4_mapped)
            return None if inner is None else f"an IPv4-mapped form of {inner}"
        if ip in _NAT64:
            inner = address_refusal(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
            return None if inner is None else f"a NAT64 form of {inner}"
        if ip.sixtofour is not None and (inner := address_refusal(ip.sixtofour)):
            return f"a 6to4 form of {inner}"
        if ip.teredo is not None:
            return "a Teredo tunnel address"
        if ip in _V4_COMPAT and not (ip.is_loopback or ip.is_unspecified):
            return "an IPv4-compatible address"
        if ip.is_site_local:
            return "a site-local address"
    return next((reason for test, reason in _CATEGORIES if test(ip)), None)


# Named categories first so the reason is useful; the last test catches every other
# special-purpose range (documentation, benchmarking, 0.0.0.0/8, 2001::/23 …).
_CATEGORIES: tuple[tuple[Callable[[IPAddress], bool], str], ...] = (
    (lambda ip: ip.is_unspecified, "the unspecified address"),
    (lambda ip: ip.is_loopback, "a loopback address"),
    (lambda ip: ip == _METADATA, "the link-local cloud metadata address"),
    (lambda ip: ip.is_link_local, "a link-local address"),
    # 224/4 counts as "global" in ipaddress, so multicast must be tested by name.
    (lambda ip: ip.is_multicast, "a multicast address"),
    (lambda ip: ip == _BROADCAST, "the broadcast address"),
    (lambda ip: ip in _CGNAT, "a shared (CGNAT) address"),
    (lambda ip: any(ip in net for net in _PRIVATE), "a private address"),
    (lambda ip: ip in _UNIQUE_LOCAL, "a unique-local (private) address"),
    (lambda ip: ip.is_reserved, "a reserved address"),
    (
        lambda ip: ip.is_private or not ip.is_global or any(ip in net for net in _SPECIAL),
        "a special-purpose, non-public address",
    ),
)


_NUMBER = re.compile(r"0x[0-9a-f]*|[0-9]+")
_HOSTNAME = re.compile(r"[a-z0-9_-]{1,63}(?:\.[a-z0-9_-]{1,63})*\.?")


def _c_number(text: str) -> int:
    """One part of an inet_aton address: ``0x`` hex, leading-zero octal or decimal."""
    if text.startswith("0x"):
        return int(text[2:] or "0", 16)
    if len(text) > 1 and text.startswith("0"):
        return int(text, 8)  # ValueError on "08": inet_aton fails too
    return int(text)


def parse_ip_literal(host: str) -> IPAddress | None:
    """Return the address ``host`` denotes if it is an IP literal, None if it is a name.

    IPv4 follows inet_aton / the WHATWG URL standard: 1 to 4 dot-separated parts, each decimal,
    octal (leading 0) or hex (0x); the last part fills the remaining bytes. A host whose last
    label is a number but is no valid address (``256.0.0.1``, ``1.2.3.4.5``, ``08.0.0.1``)
    raises :class:`UnsafeURL` instead of being treated as a name a resolver might still look up.
    IPv6 literals (bracketed or not) must be exact; zone ids (``%eth0``) are refused.
    """
    host = host.lower()
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    if ":" in host:
        if "%" in host:
            raise UnsafeURL("IPv6 zone ids are not accepted in URLs.")
        try:
            return ipaddress.IPv6Address(host)
        except ValueError:
            raise UnsafeURL(f"{host!r} is not a valid IPv6 address.") from None
    labels = host.split(".")
    if len(labels) > 1 and labels[-1] == "":
        labels.pop()  # one trailing dot: "127.0.0.1." is still 127.0.0.1
    if not _NUMBER.fullmatch(labels[-1]):
        return None
    invalid = UnsafeURL(f"{host!r} looks like an IP address but is not a valid one.")
    if len(labels) > 4 or not all(_NUMBER.fullmatch(label) for label in labels):
        raise invalid
    try:
        parts = [_c_number(label) for label in labels]
    except ValueError:
        raise invalid from None
    *head, last = parts
    if any(p > 255 for p in head) or last >= 256 ** (4 - len(head)):
        raise invalid
    return ipaddress.IPv4Address(sum(p << (8 * (3 - i)) for i, p in enumerate(head)) + last)


async def _system_resolver(host: str, port: int) -> list[str]:
    loop = asyncio.get_running_loop()
    infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
    return [str(info[4][0]) for info in infos]


def _decode_data_uri(url: str, max_bytes: int) -> bytes:
    meta, comma, payload = url[5:].partition(",")
    if not comma:
        raise FetchError("The data: URI has no ',' separating its media type from its data.")
    if meta.lower().endswith(";base64"):
        raw = bytes(b for b in urllib.parse.unquote_to_bytes(payload) if b not in b" \t\r\n")
        # Refuse before decoding: a huge payload must not cost the memory of decoding it.
        if len(raw) // 4 * 3 > max_bytes + 3:
            raise FetchError(f"The data: URI holds more than {max_bytes} bytes.")
        try:
            data = base64.b64decode(raw + b"=" * (-len(raw) % 4), validate=True)
        except (binascii.Error, ValueError):
            raise FetchError("The data: URI is not valid base64.") from None
    else:
        data = urllib.parse.unquote_to_bytes(payload)
    if len(data) > max_bytes:
        raise FetchError(f"The data: URI holds more than {max_bytes} bytes.")
    return data


@dataclass(frozen=True, slots=True)
class _Target:
    """One hop, checked: where to connect and what to tell the server."""

    urls: list[httpx.URL]  # the same request on each checked address, in resolver order
    host_header: str
    name: str  # normalised host: TLS SNI and certificate name, and for error messages


def _url_host(ip: IPAddress) -> str:
    if isinstance(ip, ipaddress.IPv6Address):
        return str(ip.ipv4_mapped) if ip.ipv4_mapped else f"[{ip}]"
    return str(ip)


_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_HEADERS = {"Accept": "*/*", "Accept-Encoding": "identity", "User-Agent": "wanstack-fetch"}
_HTTPX_ERRORS = (httpx.HTTPError, httpx.InvalidURL, httpx.StreamError)


class Fetcher:
    """Fetches http(s) and data: URLs under the rules in the module docstring.

    ``allowed_addresses`` is an explicit allow-list of ``(ip, port)`` pairs that pass the
    address rule even though they are not public (tests, intranet exceptions); every other
    rule still applies to them. ``resolver`` maps ``(host, port)`` to IP strings (default:
    the event loop's getaddrinfo). ``transport`` replaces httpx's; the fetcher closes it.
    """

    def __init__(
        self,
        *,
        allow_private: bool = False,
        resolver: Resolver | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        allowed_addresses: frozenset[tuple[str, int]] = frozenset(),
    ) -> None:
        self._allow_private = allow_private
        self._resolver = resolver or _system_resolver
        self._allowed = frozenset((str(ipaddress.ip_address(a)), p) for a, p in allowed_addresses)
        # No keep-alive (here and "Connection: close" on every request): httpcore pools by
        # (scheme, IP, port) and ignores SNI, so a pooled TLS connection verified for a.example
        # could otherwise carry b.example's request.
        self._transport = transport or httpx.AsyncHTTPTransport(
            retries=0, limits=httpx.Limits(max_keepalive_connections=0)
        )

    async def aclose(self) -> None:
        """Close the transport (and its connections)."""
        await self._transport.aclose()

    async def fetch(self, url: str, limits: FetchLimits = FetchLimits()) -> bytes:
        """Return the body of ``url``, or raise :class:`FetchError` / :class:`UnsafeURL`."""
        url = url.strip()
        if url[:5].lower() == "data:":
            return _decode_data_uri(url, limits.max_bytes)
        try:
            async with asyncio.timeout(limits.total_timeout):
                return await self._fetch_http(url, limits)
        except TimeoutError:
            raise FetchError(
                f"Fetching took longer than {limits.total_timeout:g} seconds."
            ) from None
        except (*_HTTPX_ERRORS, OSError) as exc:  # safety net: the hops convert their own
            raise FetchError(f"Fetching the URL failed: {exc}.") from exc

    async def _fetch_http(self, url: str, limits: FetchLimits) -> bytes:
        for hop in range(limits.max_redirects + 1):
            target = await self._check(url, redirect=hop > 0)
            response = await self._connect(target, limits)
            try:
                location = response.headers.get("location")
                if response.status_code in _REDIRECTS and location:
                    if hop == limits.max_redirects:
                        raise FetchError(f"The URL redirected more than {hop} times.")
                    url = urllib.parse.urljoin(url, location)
                    continue
                if not 200 <= response.status_code < 300:
                    status = response.status_code
                    raise FetchError(f"The server of {target.name} answered HTTP {status}.")
                return await self._read(response, target, limits)
            finally:
                await response.aclose()
        raise AssertionError("unreachable")  # pragma: no cover

    async def _check(self, url: str, *, redirect: bool) -> _Target:
        """Parse ``url``, resolve its host and check every address; no connection is made."""
        try:
            parts = urllib.parse.urlsplit(url)
            hostname = parts.hostname or ""
            port = parts.port
        except ValueError:
            raise UnsafeURL("The URL is not valid.") from None
        scheme = parts.scheme
        if scheme not in ("http", "https"):
            what = "A redirect to" if redirect else "The URL scheme"
            allowed = "http or https" if redirect else "http, https or data"
            raise UnsafeURL(f"{what} {scheme or '(none)'}: is not allowed; only {allowed} is.")
        if not hostname:
            raise UnsafeURL("The URL has no host.")
        port = port if port is not None else (443 if scheme == "https" else 80)
        if not 0 < port < 65536:
            raise UnsafeURL(f"Port {port} is not valid.")
        if not hostname.isascii():
            try:  # IDNA first: fullwidth "１２７.０.０.１" must be seen as the literal it becomes
                hostname = hostname.encode("idna").decode("ascii").lower()
            except UnicodeError:
                raise UnsafeURL(f"{hostname!r} is not a valid host name.") from None
        literal = parse_ip_literal(hostname)
        if literal is None and (len(hostname) > 254 or not _HOSTNAME.fullmatch(hostname)):
            raise UnsafeURL(f"{hostname!r} is not a valid host name.")
        name = hostname if literal is None else str(literal)
        addresses = [literal] if literal is not None else await self._resolve(hostname, port)
        for ip in addresses:
            problem = address_refusal(ip)
            if problem and not self._allow_private and (str(ip), port) not in self._allowed:
                # For names, say the category but not the resolved IP: users must not be able
                # to map the server's internal DNS through error messages.
                subject = f"{name} is" if literal is not None else f"{name} resolves to"
                raise UnsafeURL(f"{subject} {problem}, which this server does not fetch from.")
        host = f"[{name}]" if isinstance(literal, ipaddress.IPv6Address) else name
        if port != (443 if scheme == "https" else 80):
            host = f"{host}:{port}"
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        # Connect by IP: the addresses checked above are the addresses connected to.
        urls = [httpx.URL(f"{scheme}://{_url_host(ip)}:{port}{path}") for ip in addresses]
        return _Target(urls=urls, host_header=host, name=name)

    async def _resolve(self, hostname: str, port: int) -> list[IPAddress]:
        try:
            answers = await self._resolver(hostname, port)
        except (OSError, ValueError):  # socket.gaierror, or a name IDNA cannot encode
            raise FetchError(f"The host name {hostname} could not be resolved.") from None
        addresses: list[IPAddress] = []
        for answer in answers:
            try:  # a scope (fe80::1%eth0) is dropped: a link-local address is refused anyway
                ip = ipaddress.ip_address(answer.partition("%")[0])
            except ValueError:
                raise FetchError(f"The host name {hostname} did not resolve to an IP.") from None
            if ip not in addresses:
                addresses.append(ip)
        if not addresses:
            raise FetchError(f"The host name {hostname} could not be resolved.")
        return addresses

    async def _connect(self, target: _Target, limits: FetchLimits) -> httpx.Response:
        """Send the GET to the first checked address that accepts a connection."""
        timeout = httpx.Timeout(limits.total_timeout, connect=limits.connect_timeout)
        # Connection: close whatever the transport's pool settings (see __init__).
        headers = {"Host": target.host_header, "Connection": "close", **_HEADERS}
        extensions: dict[str, object] = {"timeout": timeout.as_dict()}
        if target.urls[0].scheme == "https":
            extensions["sni_hostname"] = target.name
        for i, url in enumerate(target.urls):
            request = httpx.Request("GET", url, headers=headers, extensions=extensions)
            try:
                # The transport, not httpx.AsyncClient: the client parses Location and builds a
                # next request even with follow_redirects=False (failing on hostile Locations),
                # and would add cookie and proxy state. Redirects are judged in _fetch_http.
                response = await self._transport.handle_async_request(request)
                response.request = request
                return response
            except httpx.ConnectError as exc:
                if i + 1 < len(target.urls):
                    continue  # another checked address of the same host may answer
                raise FetchError(f"Could not connect to {target.name} ({exc}).") from exc
            except httpx.TimeoutException as exc:
                what = "Connecting to" if isinstance(exc, httpx.ConnectTimeout) else "Waiting for"
                raise FetchError(f"{what} {target.name} timed out.") from exc
            except _HTTPX_ERRORS as exc:
                raise FetchError(f"Fetching from {target.name} failed: {exc}.") from exc
        raise AssertionError("unreachable")  # pragma: no cover

    @staticmethod
    async def _read(response: httpx.Response, target: _Target, limits: FetchLimits) -> bytes:
        too_large = FetchError(f"The file at {target.name} is over {limits.max_bytes} bytes.")
        declared = response.headers.get("content-length", "")
        if declared.isascii() and declared.isdigit() and int(declared[:15]) > limits.max_bytes:
            raise too_large
        body = bytearray()
        try:
            # Counts decoded bytes, so a compressed body cannot expand past the cap either.
            async for chunk in response.aiter_bytes():
                body += chunk
                if len(body) > limits.max_bytes:
                    raise too_large
        except _HTTPX_ERRORS as exc:
            raise FetchError(f"Reading from {target.name} failed: {exc!r}.") from exc
        return bytes(body)
