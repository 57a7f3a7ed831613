"""The browser tier: the playground in a REAL headless Chromium against a REAL ``wanstack serve``.

* ``chromium_path``: Debian's ``/usr/bin/chromium`` (or ``WANSTACK_TEST_CHROMIUM``); Playwright
  drives it through ``executable_path``, so no browser is ever downloaded. ``make test`` installs
  the package when it is missing. Without it the tier is skipped locally, but under CI
  (``CI=true``) it fails with the reason: CI must never silently skip it.
* ``browser`` (module scope): one Chromium per module; ``page`` gives each test a fresh context
  (empty local storage) at a desktop size.
* ``playground`` (session scope): one server for the tier. x-painting, background generation
  and wan2.6-t2v run on the ``classic`` engines (what a user sees); every other model on the
  ``fake`` family, and ``wanx2.1-t2i-turbo`` takes 60 s a task there, so tests can hold the
  workers busy and watch a task wait in the queue.
* ``WANSTACK_SCREENSHOTS=DIR`` makes the tests that show a result save a screenshot of the page
  there (``docs/playground`` holds the committed ones); unset, nothing is written.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.processes import Server, launched
from wanstack.catalog.registry import MODELS

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
CLASSIC = ("wanx-x-painting", "wanx-background-generation-v2", "wan2.6-t2v")
#: the model whose fake tasks take a minute: queue tests hold the workers with it
SLOW_MODEL = "wanx2.1-t2i-turbo"
DESKTOP = {"width": 1440, "height": 1000}


def _find_chromium() -> str | None:
    named = os.environ.get("WANSTACK_TEST_CHROMIUM")
    for candidate in (named, "/usr/bin/chromium", shutil.which("chromium")):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    return None


@pytest.fixture(scope="session")
def chromium_path() -> str:
    found = _find_chromium()
    if found is None:
        why = (
            "the browser tests need Debian's chromium at /usr/bin/chromium "
            "(`apt-get install chromium`; `make test` installs it) or WANSTACK_TEST_CHROMIUM"
        )
        if IN_CI:
            pytest.fail(why)
        pytest.skip(why)
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        why = (
            "the browser tests need the playwright package (the dev extra: pip install -e '.[dev]')"
        )
        if IN_CI:
            pytest.fail(why)
        pytest.skip(why)
    return found


# Module scope, not session: Playwright's sync API marks its event loop as running in this
# thread until it stops, which would break every asyncio test collected after this tier.
@pytest.fixture(scope="module")
def browser(chromium_path: str) -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(
            executable_path=chromium_path,
            headless=True,
            # a container without user namespaces cannot start Chromium's sandbox
            args=["--no-sandbox", "--autoplay-policy=no-user-gesture-required"],
        )
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def page(browser: object) -> Iterator[object]:
    context = browser.new_context(viewport=DESKTOP, locale="en-US")  # type: ignore[attr-defined]
    pg = context.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        yield pg
    finally:
        context.close()
    assert not errors, f"JavaScript errors on the page: {errors}"


@pytest.fixture(scope="session")
def playground(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    engines = {model: ("classic" if model in CLASSIC else "fake") for model in MODELS}
    env = {
        "WANSTACK_ENGINES": json.dumps(engines),
        "WANSTACK_ENGINE_OPTIONS": json.dumps({SLOW_MODEL: {"delay": 60}}),
        "WANSTACK_WORKERS": "2",
        "WANSTACK_DRAIN_SECONDS": "2",
        "WANSTACK_LOG_LEVEL": "WARNING",
    }
    with launched(tmp_path_factory.mktemp("playground")) as launcher:
        server = launcher.start("serve", env)
        assert server.ready(), server.log_text()[-3000:]
        yield server


@pytest.fixture
def screenshots() -> Path | None:
    """Where to save screenshots (``WANSTACK_SCREENSHOTS``), or None: do not."""
    folder = os.environ.get("WANSTACK_SCREENSHOTS")
    if not folder:
        return None
    path = Path(folder)
    path.mkdir(parents=True, exist_ok=True)
    return path
