"""Settings: one object, built once from ``WANSTACK_*`` environment variables and passed in.

No other module reads the environment. Tests build ``Settings(...)`` directly. Every field is
documented in ``docs/configuration.md`` (one table); keep the two in step.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Everything a wanstack process can be configured with."""

    model_config = SettingsConfigDict(env_prefix="WANSTACK_", extra="ignore", env_ignore_empty=True)

    data_dir: Path = Field(default=Path(".wanstack"))
    """Folder for the SQLite file, the local storage and the generated secret key."""

    database_url: str | None = None
    """SQLAlchemy URL; unset means SQLite at ``<data_dir>/wanstack.db``.
    PostgreSQL: ``postgresql+psycopg://user:pass@host/db``."""

    public_url: str | None = None
    """Base URL clients reach the server at (``https://gen.example.com``) when behind a proxy;
    unset means the URL of each request."""

    secret_key: SecretStr | None = None
    """HMAC key for result URLs and upload policies; unset means a random key kept in the data
    folder. Set the same value on every process of a multi-machine deployment."""

    allow_private_urls: bool = False
    """Let the fetcher reach private, loopback and link-local addresses (intranet, tests)."""

    retention_hours: float = Field(default=24.0, gt=0)
    """How long tasks and their result files live; purged tasks read ``UNKNOWN``."""

    upload_retention_hours: float = Field(default=48.0, gt=0)
    """How long files uploaded through ``/uploads`` live (DashScope: 48 h)."""

    workers: int = Field(default=2, ge=0)
    """Tasks run at once by ``wanstack serve``'s embedded worker pool (0: API only)."""

    worker_concurrency: int = Field(default=2, ge=1)
    """Tasks run at once by a ``wanstack worker`` process."""

    worker_models: tuple[str, ...] | None = None
    """Models a worker claims, comma-separated (``wan2.6-t2v,wan2.6-i2v``); aliases count as
    their model. Unset: every model. Applies to ``wanstack worker`` (``--models`` overrides)
    and to ``wanstack serve``'s embedded workers."""

    model_concurrency: dict[str, int] = Field(default_factory=dict)
    """JSON, most tasks of a model one worker runs at once, within its overall concurrency:
    ``{"wan2.6-t2v": 1, "wanx-x-painting": 4}``; unnamed models: no cap of their own."""

    worker_heartbeat_seconds: float = Field(default=5.0, gt=0, le=300)
    """How often each worker process renews its row in the worker registry; a worker silent
    for three of these is shown as dead and serves no model."""

    database_timeout_seconds: float = Field(default=5.0, gt=0, le=300)
    """Longest wait for a database connection (connecting, or a free one in the pool); past it
    a request is answered ``503 ServiceUnavailable`` instead of hanging."""

    lease_seconds: float = Field(default=30.0, gt=0)
    """How long a claim lasts without a heartbeat; a dead worker's task runs again after it."""

    max_attempts: int = Field(default=3, ge=1)
    """Attempts a task gets when its workers keep dying; then it is FAILED."""

    poll_seconds: float = Field(default=1.0, gt=0)
    """Longest an idle worker waits before looking for work without a wake-up signal."""

    drain_seconds: float = Field(default=60.0, ge=0)
    """On SIGTERM, how long running tasks may finish before the worker gives up on them."""

    account_concurrency: int = Field(default=0, ge=0)
    """Running tasks per account (0: unlimited). The ``dashscope`` rate mode sets 1."""

    rate_limits: Literal["off", "dashscope"] = "off"
    """``dashscope`` emulates DashScope's per-account limits: 2 submits/s, 20 task queries/s
    and 1 running task; shared across API processes through the database."""

    engines: dict[str, str] = Field(default_factory=dict)
    """Engine per model, JSON: ``{"wanx-x-painting": "classic"}``; unset models use ``classic``."""

    engine_options: dict[str, dict[str, object]] = Field(default_factory=dict)
    """Options per engine name, JSON (e.g. weights folder of a diffusers engine)."""

    upload_quota_mb: int = Field(default=10_240, ge=0)
    """Live upload storage per account, in MB (0: unlimited); an upload that would pass it is
    refused with ``Throttling.AllocationQuota``."""

    http_max_header_kb: int = Field(default=16, ge=1, le=1024)
    """Largest request header block ``wanstack serve`` reads, in KiB."""

    http_header_timeout: float = Field(default=10.0, gt=0)
    """Seconds a client has to send a request's headers (slow or half-open requests are
    answered 408 and closed)."""

    http_body_timeout: float = Field(default=15.0, gt=0)
    """Seconds a request body may stall between two pieces before the request is closed."""

    http_max_connections: int = Field(default=0, ge=0)
    """Open client connections ``wanstack serve`` keeps (0: derived from the file-descriptor
    limit); beyond it the oldest idle or half-open connections are closed first."""

    sse_keepalive_seconds: float = Field(default=15.0, gt=0)
    """Seconds between SSE comments while a streamed answer waits for its next image."""

    metrics_token: SecretStr | None = None
    """When set, ``/metrics`` answers only ``Authorization: Bearer <token>``."""

    min_free_disk_mb: int = Field(default=256, ge=0)
    """Below this much free space in the data folder, ``/readyz`` reports not ready and
    submits are refused with ``503 ServiceUnavailable`` (nothing is half-stored)."""

    storage_url: str | None = None
    """Where result and upload files live. Unset or ``file://`` (empty path): local files
    under ``<data_dir>/files``; ``file:///srv/files``: that folder; ``s3://BUCKET/PREFIX``: an
    S3-compatible bucket (credentials and region from the standard ``AWS_*`` variables and
    config files). Checked at start: a malformed URL or a missing bucket is refused."""

    s3_endpoint_url: str | None = None
    """The S3 API endpoint for non-AWS stores (``http://seaweedfs:8333``, MinIO, OSS, R2);
    unset: AWS S3 of the configured region."""

    s3_public_endpoint_url: str | None = None
    """The endpoint clients reach the bucket at, when it differs from ``s3_endpoint_url``
    (presigned URLs are signed for it; a proxy in front must keep the ``Host`` header)."""

    s3_urls: Literal["presigned", "proxy"] = "presigned"
    """Result URLs on S3: ``presigned`` (time-limited URLs of the bucket, like DashScope's OSS
    URLs) or ``proxy`` (wanstack's own signed ``/files/…`` URLs, streamed from the bucket by
    the API, for buckets clients cannot reach)."""

    s3_addressing_style: Literal["auto", "path", "virtual"] = "auto"
    """``path`` (``endpoint/bucket/key``) or ``virtual`` (``bucket.endpoint/key``); ``auto``:
    path style with ``s3_endpoint_url``, virtual-hosted on AWS."""

    s3_timeout_seconds: float = Field(default=5.0, gt=0, le=300)
    """Longest wait for the S3 store to answer (each read of an answer, each send of a part; a
    connection waits at most 2 s). Each call has 3 tries; then it is a ``503``."""

    webhook_retry_schedule: tuple[float, ...] | None = None
    """Seconds to wait between a webhook's attempts, e.g. ``5,30,120`` or JSON ``[5, 30, 120]``;
    unset: the default schedule of 16 attempts over more than 24 h (``webhooks/schedule.py``)."""

    webhook_timeout_seconds: float = Field(default=10.0, gt=0, le=300)
    """How long one webhook attempt may take (connect, send, answer) before it counts as failed."""

    log_level: str = "INFO"
    log_json: bool = False
    """Write logs as one JSON object per line instead of plain text."""

    @field_validator("engines", "engine_options", "model_concurrency", mode="before")
    @classmethod
    def _parse_json(cls, value: object) -> object:
        if isinstance(value, str):
            return json.loads(value) if value.strip() else {}
        return value

    @field_validator("worker_models", "webhook_retry_schedule", mode="before")
    @classmethod
    def _parse_list(cls, value: object) -> object:
        """A JSON list, or comma-separated values (empty: unset)."""
        if isinstance(value, str):
            text = value.strip()
            if text.startswith("["):
                return json.loads(text)
            return [part.strip() for part in text.split(",") if part.strip()] or None
        return value

    @field_validator("model_concurrency")
    @classmethod
    def _check_caps(cls, value: dict[str, int]) -> dict[str, int]:
        for model, cap in value.items():
            if cap < 1:
                raise ValueError(
                    f"{model}: {cap} is below 1 (leave a model out of WANSTACK_WORKER_MODELS "
                    "to stop a worker running it)"
                )
        return value

    @field_validator("webhook_retry_schedule")
    @classmethod
    def _check_schedule(cls, value: tuple[float, ...] | None) -> tuple[float, ...] | None:
        if value is not None and (not 0 < len(value) <= 100 or any(d <= 0 for d in value)):
            raise ValueError("give 1 to 100 waits, each over 0 seconds")
        return value

    def resolved_database_url(self) -> str:
        """The database URL, with the SQLite default filled in."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'wanstack.db').resolve()}"

    def resolved_secret(self) -> bytes:
        """The HMAC key; generated once and kept in ``<data_dir>/secret.key`` when not set."""
        if self.secret_key is not None:
            return self.secret_key.get_secret_value().encode()
        path = self.data_dir / "secret.key"
        if not path.exists():
            self.data_dir.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(f".{secrets.token_hex(4)}.tmp")
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)  # never world-readable
            with os.fdopen(fd, "w") as f:
                f.write(secrets.token_urlsafe(32))
            # link() fails when another process won the race; everyone then reads the winner's key.
            with contextlib.suppress(FileExistsError):
                os.link(tmp, path)
            tmp.unlink()
        return path.read_text().strip().encode()

    @property
    def retention_ms(self) -> int:
        return round(self.retention_hours * 3_600_000)

    @property
    def upload_retention_ms(self) -> int:
        return round(self.upload_retention_hours * 3_600_000)

    @property
    def lease_ms(self) -> int:
        return round(self.lease_seconds * 1000)

    @property
    def effective_account_concurrency(self) -> int:
        if self.rate_limits == "dashscope":
            return 1 if self.account_concurrency == 0 else self.account_concurrency
        return self.account_concurrency
