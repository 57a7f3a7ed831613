"""The playground's files, read once from the package: bytes, content type, ETag, version.

Everything the page needs ships in ``wanstack/web/static/`` as package data (plain HTML, CSS and
JavaScript modules: nothing to build). :func:`load` reads the folder and fingerprints it:

* :attr:`Bundle.version` is a digest of every file, so asset URLs
  (``/playground/assets/<version>/…``) change whenever any file does and can be cached for a year;
  the modules import each other by relative paths, so they all share that prefix.
* :attr:`Bundle.page` is ``index.html`` with ``{{version}}`` filled in.
* The CJK fallback face comes from the ``pylopdf-fonts-zh-cn`` package that the title renderer
  already uses, read on first request (8 MB): browsers fetch it only for Chinese text on a
  device without a Chinese font of its own (``unicode-range`` in ``app.css``).
"""

from __future__ import annotations

import hashlib
import importlib.resources
import threading
from dataclasses import dataclass
from importlib.resources.abc import Traversable

#: Content types by suffix; a file of another suffix is not served.
CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".json": "application/json",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".otf": "font/otf",
}
PAGE = "index.html"
#: The asset name under which the packaged Chinese face is served.
CJK_FONT = "fonts/NotoSansSC-Regular.otf"
_FONT_PACKAGE = "pylopdf_fonts_zh_cn"
_FONT_FILE = "NotoSansSC-Regular.otf"


@dataclass(frozen=True, slots=True)
class Asset:
    """One file as it is sent."""

    body: bytes
    content_type: str
    etag: str  #: a strong validator: the quoted digest of ``body``


def _asset(body: bytes, name: str) -> Asset:
    suffix = name[name.rfind(".") :]
    digest = hashlib.sha256(body).hexdigest()[:20]
    return Asset(body=body, content_type=CONTENT_TYPES[suffix], etag=f'"{digest}"')


class Bundle:
    """The page and its assets; safe to share between requests (read-only after load, the
    font read once under a lock)."""

    def __init__(self, files: dict[str, bytes]) -> None:
        hasher = hashlib.sha256()
        for name in sorted(files):
            hasher.update(name.encode() + b"\0" + files[name] + b"\0")
        #: changes whenever any file does: the cache-busting part of every asset URL
        self.version = hasher.hexdigest()[:12]
        page = files[PAGE].replace(b"{{version}}", self.version.encode())
        self.page = _asset(page, PAGE)
        self._assets = {name: _asset(body, name) for name, body in files.items() if name != PAGE}
        self._font: Asset | None = None
        self._font_lock = threading.Lock()

    def asset(self, name: str) -> Asset | None:
        """The asset called ``name`` (a path such as ``js/main.js``), or None."""
        if name == CJK_FONT:
            return self._cjk_font()
        return self._assets.get(name)

    def names(self) -> list[str]:
        """Every asset name, sorted (the font included)."""
        return sorted([*self._assets, CJK_FONT])

    def _cjk_font(self) -> Asset:
        with self._font_lock:
            if self._font is None:
                resource = importlib.resources.files(_FONT_PACKAGE) / _FONT_FILE
                self._font = _asset(resource.read_bytes(), CJK_FONT)
            return self._font


def _walk(folder: Traversable, prefix: str = "") -> dict[str, bytes]:
    files: dict[str, bytes] = {}
    for entry in folder.iterdir():
        name = prefix + entry.name
        if entry.is_dir():
            files.update(_walk(entry, name + "/"))
        elif entry.is_file() and name[name.rfind(".") :] in CONTENT_TYPES:
            files[name] = entry.read_bytes()
    return files


def load() -> Bundle:
    """Read ``wanstack/web/static`` (``FileNotFoundError`` when the package was installed
    without it: a broken build, refused at start)."""
    static = importlib.resources.files("wanstack.web") / "static"
    files = _walk(static)
    if PAGE not in files:
        raise FileNotFoundError(f"the playground's {PAGE} is missing from wanstack/web/static")
    return Bundle(files)
