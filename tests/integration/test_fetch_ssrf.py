"""The safe fetcher against real HTTP servers on 127.0.0.1.

Every refused case asserts two things: the fetch raised, and the loopback server that the trick
aims at received no request at all (and the HTTP transport was never even asked to send one).
"""

from __future__ import annotations

import asyncio
import datetime
import socket
import ssl
import threading
import time
import urllib.parse
from collections.abc import AsyncIterator, Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from wanstack.fetch import Fetcher, FetchError, FetchLimits, UnsafeURL

BODY = b"hello from the loopback server"


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _RecordingServer

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        self.server.requests.append((self.path, self.headers.get("Host", "")))
        url = urllib.parse.urlsplit(self.path)
        query = dict(urllib.parse.parse_qsl(url.query))
        if url.path == "/redirect":
            self._send(int(query.get("status", "302")), b"", location=query["to"])
        elif url.path.startswith("/chain/"):
            left = int(url.path.rsplit("/", 1)[1])
            if left == 0:
                self._send(200, BODY)
            else:
                self._send(302, b"", location=f"/chain/{left - 1}")
        elif url.path == "/big":
            self._send(200, b"x" * int(query["n"]))
        elif url.path == "/chunked":
            self.send_response(200)
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for _ in range(int(query["n"]) // 1000):
                self.wfile.write(b"3e8\r\n" + b"y" * 1000 + b"\r\n")
            self.wfile.write(b"0\r\n\r\n")
        elif url.path == "/slow":
            time.sleep(float(query["s"]))
            self._send(200, BODY)
        elif url.path == "/drop":
            self.close_connection = True  # no status line at all
        elif url.path == "/missing":
            self._send(404, b"not here")
        else:
            self._send(200, BODY)

    def _send(self, status: int, body: bytes, *, location: str | None = None) -> None:
        self.send_response(status)
        if location is not None:
            self.send_header("Location", location)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class _RecordingServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.requests: list[tuple[str, str]] = []

    @property
    def port(self) -> int:
        return int(self.server_address[1])

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # the fetcher aborting a body mid-stream is expected here


@pytest.fixture
def start_server() -> Iterator[Callable[..., _RecordingServer]]:
    servers: list[_RecordingServer] = []

    def start(tls: ssl.SSLContext | None = None) -> _RecordingServer:
        server = _RecordingServer()
        if tls is not None:
            server.socket = tls.wrap_socket(server.socket, server_side=True)
        threading.Thread(target=server.serve_forever, args=(0.01,), daemon=True).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


@pytest.fixture
def server(start_server: Callable[..., _RecordingServer]) -> _RecordingServer:
    return start_server()


class _CountingTransport(httpx.AsyncBaseTransport):
    """The real transport, plus a record of every request it was asked to send."""

    def __init__(self) -> None:
        self.inner = httpx.AsyncHTTPTransport(retries=0)
        self.sent: list[httpx.Request] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.sent.append(request)
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


FAKE_DNS = {
    "evil.test": ["127.0.0.1"],
    "127.0.0.1.localtest.me": ["127.0.0.1"],
    "sub.localtest.me": ["127.0.0.1", "::1"],
    "metadata.test": ["169.254.169.254"],
    "mixed.test": ["93.184.216.34", "127.0.0.1"],
    "mixed6.test": ["2606:2800:220:1:248:1893:25c8:1946", "fd00::1"],
    "mapped.test": ["::ffff:127.0.0.1"],
    "images.test": ["127.0.0.1"],
    "other.test": ["127.0.0.1"],
}


async def _resolver(host: str, port: int) -> list[str]:
    """Names in FAKE_DNS answer from it; anything else goes to the system resolver."""
    if host in FAKE_DNS:
        return FAKE_DNS[host]
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


@pytest.fixture
def transport() -> _CountingTransport:
    return _CountingTransport()


@pytest.fixture
async def strict(transport: _CountingTransport) -> AsyncIterator[Fetcher]:
    fetcher = Fetcher(resolver=_resolver, transport=transport)
    yield fetcher
    await fetcher.aclose()


@pytest.fixture
async def lenient() -> AsyncIterator[Fetcher]:
    fetcher = Fetcher(allow_private=True, resolver=_resolver)
    yield fetcher
    await fetcher.aclose()


SSRF_URLS = [
    "http://127.0.0.1:{port}/",
    "http://localhost:{port}/",  # the system resolver: 127.0.0.1 and/or ::1
    "http://LOCALHOST:{port}/",
    "http://2130706433:{port}/",
    "http://0177.0.0.1:{port}/",
    "http://017700000001:{port}/",
    "http://0x7f000001:{port}/",
    "http://0x7f.0.0.1:{port}/",
    "http://127.1:{port}/",
    "http://127.0.1:{port}/",
    "http://127.0.0.1.:{port}/",
    "http://0.0.0.0:{port}/",
    "http://0:{port}/",
    "http://[::]:{port}/",
    "http://[::1]:{port}/",
    "http://[::ffff:127.0.0.1]:{port}/",
    "http://[::ffff:7f00:1]:{port}/",
    "http://[0:0:0:0:0:ffff:127.0.0.1]:{port}/",
    "http://[::127.0.0.1]:{port}/",
    "http://[64:ff9b::127.0.0.1]:{port}/",
    "http://[2002:7f00:1::1]:{port}/",
    "http://169.254.169.254/latest/meta-data/",
    "http://2852039166/latest/meta-data/",
    "http://[::ffff:169.254.169.254]/latest/meta-data/",
    "http://metadata.test/latest/meta-data/",
    "http://[fe80::1]/",
    "http://10.0.0.1/",
    "http://192.168.1.1/",
    "http://172.16.0.1/",
    "http://100.64.0.1/",
    "http://224.0.0.1/",
    "http://255.255.255.255/",
    "http://[fd00::1]/",
    "http://user@127.0.0.1:{port}/",
    "http://user:pass@127.0.0.1:{port}/",
    "http://example.com@127.0.0.1:{port}/",
    "http://example.com:80@127.0.0.1:{port}/",
    "http://example.com\\@127.0.0.1:{port}/",
    "http://１２７.０.０.１:{port}/",  # fullwidth digits: IDNA turns them into 127.0.0.1
    "http://evil.test:{port}/",
    "http://127.0.0.1.localtest.me:{port}/",
    "http://sub.localtest.me:{port}/",
    "http://mixed.test:{port}/",  # one public and one loopback answer
    "http://mixed6.test:{port}/",  # one public and one unique-local answer
    "http://mapped.test:{port}/",
    "https://127.0.0.1:{port}/",
    "HTTP://127.0.0.1:{port}/",
    "http://256.0.0.1:{port}/",  # number-like but invalid: never handed to DNS
    "http://08.0.0.1:{port}/",
    "http://[::1%25lo]:{port}/",
    "file:///etc/passwd",
    "file://127.0.0.1/etc/passwd",
    "ftp://127.0.0.1:{port}/",
    "gopher://127.0.0.1:{port}/_GET%20/%20HTTP/1.0%0D%0A%0D%0A",
    "dict://127.0.0.1:{port}/info",
    "oss://bucket/key.png",
    "jar:http://127.0.0.1:{port}/x.jar!/",
    "//127.0.0.1:{port}/",
    "127.0.0.1:{port}/",
]


@pytest.mark.parametrize("template", SSRF_URLS)
async def test_ssrf_tricks_are_refused_before_any_connection(
    template: str, server: _RecordingServer, strict: Fetcher, transport: _CountingTransport
) -> None:
    url = template.format(port=server.port)
    with pytest.raises(UnsafeURL) as caught:
        await strict.fetch(url)
    assert caught.value.reason
    assert server.requests == []
    assert transport.sent == []


def test_enough_ssrf_cases() -> None:
    assert len(SSRF_URLS) >= 22


@pytest.mark.parametrize(
    "target",
    [
        "http://127.0.0.1:{port2}/",
        "http://localhost:{port2}/",
        "http://2130706433:{port2}/",
        "http://[::1]:{port2}/",
        "http://[::ffff:127.0.0.1]:{port2}/",
        "http://evil.test:{port2}/",
        "//127.0.0.1:{port2}/",  # scheme-relative
        "http://0x7f.1:{port2}/",
        "http://169.254.169.254/latest/meta-data/",
        "file:///etc/passwd",
        "gopher://127.0.0.1:{port2}/",
        "data:text/plain,hi",
    ],
)
@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
async def test_redirects_to_forbidden_targets_are_refused(
    target: str, status: int, start_server: Callable[..., _RecordingServer]
) -> None:
    redirector, victim = start_server(), start_server()
    location = target.format(port2=victim.port)
    fetcher = Fetcher(
        resolver=_resolver, allowed_addresses=frozenset({("127.0.0.1", redirector.port)})
    )
    try:
        query = urllib.parse.urlencode({"to": location, "status": status})
        with pytest.raises(UnsafeURL):
            await fetcher.fetch(f"http://127.0.0.1:{redirector.port}/redirect?{query}")
    finally:
        await fetcher.aclose()
    assert [path for path, _ in redirector.requests] == [f"/redirect?{query}"]
    assert victim.requests == []


async def test_allow_list_admits_exactly_its_pair(
    start_server: Callable[..., _RecordingServer],
) -> None:
    allowed, other = start_server(), start_server()
    fetcher = Fetcher(allowed_addresses=frozenset({("127.0.0.1", allowed.port)}))
    try:
        assert await fetcher.fetch(f"http://127.0.0.1:{allowed.port}/") == BODY
        with pytest.raises(UnsafeURL):
            await fetcher.fetch(f"http://127.0.0.1:{other.port}/")
        with pytest.raises(UnsafeURL):  # same port, other loopback address
            await fetcher.fetch(f"http://127.0.0.2:{allowed.port}/")
    finally:
        await fetcher.aclose()
    assert other.requests == []


# ------------------------------------------------------------------ allow_private=True


async def test_fetches_from_loopback_when_private_is_allowed(
    server: _RecordingServer, lenient: Fetcher
) -> None:
    assert await lenient.fetch(f"http://127.0.0.1:{server.port}/img.png?x=1") == BODY
    assert server.requests == [("/img.png?x=1", f"127.0.0.1:{server.port}")]


async def test_connects_to_the_checked_ip_and_keeps_the_host_header(
    server: _RecordingServer, lenient: Fetcher
) -> None:
    assert await lenient.fetch(f"http://images.test:{server.port}/a.png") == BODY
    assert server.requests == [("/a.png", f"images.test:{server.port}")]


async def test_odd_notation_reaches_the_normalised_address(
    server: _RecordingServer, lenient: Fetcher
) -> None:
    assert await lenient.fetch(f"http://0x7f.1:{server.port}/") == BODY
    assert await lenient.fetch(f"http://2130706433:{server.port}/") == BODY
    assert len(server.requests) == 2


async def test_https_sends_the_host_name_as_sni(
    server: _RecordingServer, transport: _CountingTransport
) -> None:
    fetcher = Fetcher(allow_private=True, resolver=_resolver, transport=transport)
    try:
        with pytest.raises(FetchError):  # the server speaks plain HTTP, so TLS fails
            await fetcher.fetch(f"https://images.test:{server.port}/a.png")
    finally:
        await fetcher.aclose()
    (request,) = transport.sent
    assert request.url.host == "127.0.0.1"
    assert request.headers["Host"] == f"images.test:{server.port}"
    assert request.extensions["sni_hostname"] == "images.test"


def _tls_pair(name: str, folder: Path) -> tuple[ssl.SSLContext, ssl.SSLContext]:
    """A server context with a certificate for ``name`` and a client context trusting its CA."""
    pytest.importorskip("cryptography")
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "wanstack test CA")])
    ca_key, leaf_key = (
        ec.generate_private_key(ec.SECP256R1()),
        ec.generate_private_key(ec.SECP256R1()),
    )
    now = datetime.datetime.now(datetime.UTC)

    def builder(
        subject: x509.Name, key: ec.EllipticCurvePrivateKey, ca: bool
    ) -> x509.CertificateBuilder:
        return (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(ca_name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(hours=1))
            .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        )

    ca_cert = builder(ca_name, ca_key, True).sign(ca_key, hashes.SHA256())
    leaf_subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    leaf_cert = (
        builder(leaf_subject, leaf_key, False)
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    pem = serialization.Encoding.PEM
    (folder / "cert.pem").write_bytes(leaf_cert.public_bytes(pem))
    (folder / "key.pem").write_bytes(
        leaf_key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server.load_cert_chain(folder / "cert.pem", folder / "key.pem")
    client = ssl.create_default_context(cadata=ca_cert.public_bytes(pem).decode())
    return server, client


async def test_tls_uses_the_host_name_for_sni_and_certificate(
    start_server: Callable[..., _RecordingServer], tmp_path: Path
) -> None:
    server_ctx, client_ctx = _tls_pair("images.test", tmp_path)
    seen_sni: list[str | None] = []
    server_ctx.sni_callback = lambda _sock, name, _ctx: seen_sni.append(name)
    server = start_server(server_ctx)
    fetcher = Fetcher(
        allow_private=True,
        resolver=_resolver,
        transport=httpx.AsyncHTTPTransport(verify=client_ctx, retries=0),
    )
    try:
        assert await fetcher.fetch(f"https://images.test:{server.port}/tls") == BODY
        assert seen_sni == ["images.test"]
        assert server.requests == [("/tls", f"images.test:{server.port}")]
        # Same IP, other names: the certificate is checked against the name, not the IP, and
        # the connection verified for images.test is not reused for them (a keep-alive pool
        # in this transport would otherwise hand it over).
        for url in (f"https://other.test:{server.port}/", f"https://127.0.0.1:{server.port}/"):
            with pytest.raises(FetchError):
                await fetcher.fetch(url)
        assert len(server.requests) == 1
    finally:
        await fetcher.aclose()


@pytest.mark.parametrize("hops", [1, 3, 5])
async def test_redirects_are_followed(
    server: _RecordingServer, lenient: Fetcher, hops: int
) -> None:
    assert await lenient.fetch(f"http://127.0.0.1:{server.port}/chain/{hops}") == BODY
    assert len(server.requests) == hops + 1


async def test_redirects_are_capped(server: _RecordingServer, lenient: Fetcher) -> None:
    with pytest.raises(FetchError, match="redirected more than 5"):
        await lenient.fetch(f"http://127.0.0.1:{server.port}/chain/6")
    assert len(server.requests) == 6
    with pytest.raises(FetchError, match="redirected more than 1"):
        await lenient.fetch(f"http://127.0.0.1:{server.port}/chain/2", FetchLimits(max_redirects=1))


async def test_absolute_redirect_is_followed(server: _RecordingServer, lenient: Fetcher) -> None:
    to = urllib.parse.quote(f"http://images.test:{server.port}/final", safe="")
    assert await lenient.fetch(f"http://127.0.0.1:{server.port}/redirect?to={to}") == BODY
    assert server.requests[-1] == ("/final", f"images.test:{server.port}")


async def test_allow_private_still_refuses_other_schemes(
    server: _RecordingServer, lenient: Fetcher
) -> None:
    with pytest.raises(UnsafeURL):
        await lenient.fetch("file:///etc/passwd")
    to = urllib.parse.quote("file:///etc/passwd", safe="")
    with pytest.raises(UnsafeURL):
        await lenient.fetch(f"http://127.0.0.1:{server.port}/redirect?to={to}")


@pytest.mark.parametrize("path", ["/big?n={n}", "/chunked?n={n}"])
async def test_size_cap(server: _RecordingServer, lenient: Fetcher, path: str) -> None:
    limits = FetchLimits(max_bytes=5000)
    url = f"http://127.0.0.1:{server.port}" + path
    assert len(await lenient.fetch(url.format(n=5000), limits)) == 5000
    with pytest.raises(FetchError, match="over 5000 bytes"):
        await lenient.fetch(url.format(n=6000), limits)
    with pytest.raises(FetchError, match="over 5000 bytes"):
        await lenient.fetch(url.format(n=2_000_000), limits)


async def test_total_timeout(server: _RecordingServer, lenient: Fetcher) -> None:
    started = time.monotonic()
    url = f"http://127.0.0.1:{server.port}/slow?s=3"
    with pytest.raises(FetchError, match=r"longer than 0\.5 seconds"):
        await lenient.fetch(url, FetchLimits(total_timeout=0.5))
    assert time.monotonic() - started < 2


async def test_http_error_status(server: _RecordingServer, lenient: Fetcher) -> None:
    with pytest.raises(FetchError, match="404"):
        await lenient.fetch(f"http://127.0.0.1:{server.port}/missing")


async def test_connection_failures_become_fetch_errors(
    server: _RecordingServer, lenient: Fetcher
) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed_port = sock.getsockname()[1]
    with pytest.raises(FetchError, match="Could not connect"):
        await lenient.fetch(f"http://127.0.0.1:{closed_port}/")
    with pytest.raises(FetchError):
        await lenient.fetch(f"http://127.0.0.1:{server.port}/drop")
    with pytest.raises(FetchError, match="could not be resolved"):
        await lenient.fetch("http://no-such-host.invalid/")


# ------------------------------------------------------------------ data: URIs


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("data:image/png;base64,iVBORw0KGgo=", b"\x89PNG\r\n\x1a\n"),
        ("data:image/png;base64,iVBORw0KGgo", b"\x89PNG\r\n\x1a\n"),  # padding left off
        ("DATA:image/png;BASE64,iVBO%52w0KGgo=", b"\x89PNG\r\n\x1a\n"),
        ("data:;base64,aGVs\nbG8=", b"hello"),
        ("data:text/plain,hello%20world%21", b"hello world!"),
        ("data:,", b""),
    ],
)
async def test_data_uris(lenient: Fetcher, strict: Fetcher, url: str, expected: bytes) -> None:
    assert await strict.fetch(url) == expected
    assert await lenient.fetch(url) == expected


@pytest.mark.parametrize(
    "url",
    ["data:image/png;base64,iVBO*w0KGgo=", "data:image/png;base64,a", "data:image/png;base64"],
)
async def test_malformed_data_uris(strict: Fetcher, url: str) -> None:
    with pytest.raises(FetchError):
        await strict.fetch(url)


async def test_oversized_data_uris(strict: Fetcher) -> None:
    limits = FetchLimits(max_bytes=100)
    assert len(await strict.fetch("data:;base64," + "QUJD" * 33, limits)) == 99
    with pytest.raises(FetchError, match="more than 100 bytes"):
        await strict.fetch("data:;base64," + "QUJD" * 34, limits)
    with pytest.raises(FetchError, match="more than 100 bytes"):
        await strict.fetch("data:;base64," + "QUJD" * 100_000, limits)
    with pytest.raises(FetchError, match="more than 100 bytes"):
        await strict.fetch("data:text/plain," + "%41" * 101, limits)
