"""Acceptance tier fixtures: REAL ``wanstack serve`` processes, and a real HTTP server for input
media. The machinery lives in :mod:`tests.support.processes` and :mod:`tests.support.media`.

* ``wanstack_launcher`` (function scope) and ``wanstack_module_launcher`` (module scope) hand out
  a :class:`~tests.support.processes.Launcher` whose servers are stopped at teardown, where each
  one must exit 0 within 20 s of SIGTERM.
* ``media_server`` (session scope): a ``ThreadingHTTPServer`` on 127.0.0.1 serving a folder;
  ``media_server.put(name, data)`` publishes a file and returns its URL.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.media import MediaServer, serving
from tests.support.processes import Launcher, launched


@pytest.fixture
def wanstack_launcher(tmp_path: Path) -> Iterator[Launcher]:
    """Servers that live for one test."""
    with launched(tmp_path / "wanstack") as launcher:
        yield launcher


@pytest.fixture(scope="module")
def wanstack_module_launcher(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Launcher]:
    """Servers shared by the tests of one module."""
    with launched(tmp_path_factory.mktemp("wanstack")) as launcher:
        yield launcher


@pytest.fixture(scope="session")
def media_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MediaServer]:
    with serving(tmp_path_factory.mktemp("media")) as server:
        yield server
