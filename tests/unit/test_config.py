"""``Settings``: environment parsing, the SQLite default, the generated secret, rate modes."""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Literal

import pytest
from pydantic import ValidationError
from pydantic_settings import SettingsError

from wanstack.config import Settings


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """No WANSTACK_* variable of the machine running the tests leaks in."""
    for name in list(os.environ):
        if name.upper().startswith("WANSTACK_"):
            monkeypatch.delenv(name)


# --- the environment --------------------------------------------------------------------------


def test_engines_json_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WANSTACK_ENGINES", '{"wanx-x-painting": "fake"}')
    monkeypatch.setenv("WANSTACK_ENGINE_OPTIONS", '{"fake": {"delay": 3, "fail_items": [1]}}')
    settings = Settings()
    assert settings.engines == {"wanx-x-painting": "fake"}
    assert settings.engine_options == {"fake": {"delay": 3, "fail_items": [1]}}


def test_engines_default_to_empty() -> None:
    settings = Settings()
    assert settings.engines == {}
    assert settings.engine_options == {}


@pytest.mark.parametrize("text", ["", "   "])
def test_engines_empty_string_passed_directly(text: str) -> None:
    assert Settings(engines=text).engines == {}


def test_an_empty_engines_variable_means_none(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WANSTACK_ENGINES", "")
    assert Settings().engines == {}


@pytest.mark.parametrize("text", ["{not json", '["classic"]', '{"wanx-x-painting": 1}'])
def test_bad_engines_json_is_refused(monkeypatch: pytest.MonkeyPatch, text: str) -> None:
    monkeypatch.setenv("WANSTACK_ENGINES", text)
    with pytest.raises((SettingsError, ValidationError)):
        Settings()


@pytest.mark.parametrize(
    ("name", "value", "attribute", "expected"),
    [
        ("WANSTACK_WORKERS", "5", "workers", 5),
        ("WANSTACK_WORKERS", "0", "workers", 0),
        ("WANSTACK_RETENTION_HOURS", "0.5", "retention_hours", 0.5),
        ("WANSTACK_ALLOW_PRIVATE_URLS", "1", "allow_private_urls", True),
        ("WANSTACK_ALLOW_PRIVATE_URLS", "yes", "allow_private_urls", True),
        ("WANSTACK_ALLOW_PRIVATE_URLS", "false", "allow_private_urls", False),
        ("WANSTACK_LOG_JSON", "true", "log_json", True),
        ("WANSTACK_RATE_LIMITS", "dashscope", "rate_limits", "dashscope"),
        ("wanstack_workers", "7", "workers", 7),
        ("WANSTACK_PUBLIC_URL", "https://gen.example.com", "public_url", "https://gen.example.com"),
    ],
)
def test_values_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str, attribute: str, expected: object
) -> None:
    monkeypatch.setenv(name, value)
    assert getattr(Settings(), attribute) == expected


def test_unknown_variables_are_ignored(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WANSTACK_NO_SUCH_SETTING", "x")
    assert Settings().workers == 2


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("WANSTACK_WORKERS", "-1"),
        ("WANSTACK_WORKER_CONCURRENCY", "0"),
        ("WANSTACK_RETENTION_HOURS", "0"),
        ("WANSTACK_LEASE_SECONDS", "0"),
        ("WANSTACK_MAX_ATTEMPTS", "0"),
        ("WANSTACK_ACCOUNT_CONCURRENCY", "-1"),
        ("WANSTACK_RATE_LIMITS", "strict"),
        ("WANSTACK_WORKERS", "two"),
    ],
)
def test_invalid_values_are_refused(monkeypatch: pytest.MonkeyPatch, name: str, value: str) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ValidationError):
        Settings()


# --- database URL -----------------------------------------------------------------------------


def test_the_database_defaults_to_sqlite_under_the_data_dir(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data")
    expected = f"sqlite:///{(tmp_path / 'data').resolve()}/wanstack.db"
    assert settings.resolved_database_url() == expected
    assert not (tmp_path / "data").exists()  # computing the URL creates nothing


def test_a_relative_data_dir_gives_an_absolute_sqlite_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    url = Settings().resolved_database_url()
    assert url == f"sqlite:///{tmp_path.resolve()}/.wanstack/wanstack.db"
    assert Path(url.removeprefix("sqlite:///")).is_absolute()


def test_an_explicit_database_url_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WANSTACK_DATABASE_URL", "postgresql+psycopg://u:p@db/wan")
    assert Settings().resolved_database_url() == "postgresql+psycopg://u:p@db/wan"


# --- secret key -------------------------------------------------------------------------------


def test_the_secret_is_generated_once_and_persisted(tmp_path: Path) -> None:
    data_dir = tmp_path / "nested" / "data"
    first = Settings(data_dir=data_dir)
    secret = first.resolved_secret()
    assert len(secret) >= 32
    path = data_dir / "secret.key"
    assert path.read_text().strip().encode() == secret
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert first.resolved_secret() == secret
    assert Settings(data_dir=data_dir).resolved_secret() == secret
    assert sorted(p.name for p in data_dir.iterdir()) == ["secret.key"]  # no temporary left


def test_each_data_dir_gets_its_own_secret(tmp_path: Path) -> None:
    a = Settings(data_dir=tmp_path / "a").resolved_secret()
    b = Settings(data_dir=tmp_path / "b").resolved_secret()
    assert a != b


def test_an_existing_secret_file_is_used(tmp_path: Path) -> None:
    (tmp_path / "secret.key").write_text("kept-from-before\n")
    assert Settings(data_dir=tmp_path).resolved_secret() == b"kept-from-before"


def test_a_configured_secret_touches_no_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WANSTACK_SECRET_KEY", "shared-secret")
    settings = Settings(data_dir=tmp_path / "data")
    assert settings.resolved_secret() == b"shared-secret"
    assert not (tmp_path / "data").exists()
    assert "shared-secret" not in repr(settings)


# --- derived values ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rate_limits", "account_concurrency", "effective"),
    [("off", 0, 0), ("off", 3, 3), ("dashscope", 0, 1), ("dashscope", 1, 1), ("dashscope", 4, 4)],
)
def test_effective_account_concurrency(
    rate_limits: Literal["off", "dashscope"], account_concurrency: int, effective: int
) -> None:
    settings = Settings(rate_limits=rate_limits, account_concurrency=account_concurrency)
    assert settings.effective_account_concurrency == effective


def test_durations_in_milliseconds() -> None:
    settings = Settings(retention_hours=1.5, upload_retention_hours=48, lease_seconds=0.25)
    assert settings.retention_ms == 5_400_000
    assert settings.upload_retention_ms == 172_800_000
    assert settings.lease_ms == 250


def test_documented_defaults() -> None:
    settings = Settings()
    assert settings.data_dir == Path(".wanstack")
    assert (settings.workers, settings.worker_concurrency) == (2, 2)
    assert (settings.retention_hours, settings.upload_retention_hours) == (24.0, 48.0)
    assert (settings.lease_seconds, settings.max_attempts) == (30.0, 3)
    assert (settings.rate_limits, settings.account_concurrency) == ("off", 0)
    assert settings.allow_private_urls is False
    assert settings.secret_key is None
