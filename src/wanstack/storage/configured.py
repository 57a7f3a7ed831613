"""Which storage a process uses: ``WANSTACK_STORAGE_URL``, checked before the process starts.

``file://`` (or unset) is the local folder, ``s3://BUCKET/PREFIX`` a bucket. Everything that can
be checked at start is: the URL's shape, the endpoint URLs, and for S3 that the bucket exists and
the credentials may use it. A mistake is a :class:`~wanstack.errors.ConfigError` naming the
setting, so a misconfigured process refuses to run instead of failing every upload later.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote, urlsplit

from wanstack.clock import Clock
from wanstack.config import Settings
from wanstack.errors import ConfigError, StorageUnavailable
from wanstack.storage.base import Storage
from wanstack.storage.local import LocalStorage
from wanstack.storage.s3 import S3Location, S3Storage
from wanstack.storage.signing import Signer


def storage_for(settings: Settings, signer: Signer, clock: Clock) -> Storage:
    """The storage ``settings`` name, checked (raises :class:`ConfigError`)."""
    url = (settings.storage_url or "").strip()
    if not url or url.startswith("file:"):
        return LocalStorage(_folder(url, settings.data_dir), signer)
    if not url.startswith("s3:"):
        raise ConfigError(
            f"WANSTACK_STORAGE_URL={url!r}: expected file:///FOLDER or s3://BUCKET/PREFIX"
        )
    try:
        location = S3Location.parse(url)
    except ValueError as exc:
        raise ConfigError(f"WANSTACK_STORAGE_URL={url!r}: {exc}") from None
    for name, value in (
        ("WANSTACK_S3_ENDPOINT_URL", settings.s3_endpoint_url),
        ("WANSTACK_S3_PUBLIC_ENDPOINT_URL", settings.s3_public_endpoint_url),
    ):
        if value is not None:
            _check_endpoint(name, value)
    storage = S3Storage(
        location,
        signer=signer,
        clock=clock,
        endpoint_url=settings.s3_endpoint_url,
        public_endpoint_url=settings.s3_public_endpoint_url,
        urls=settings.s3_urls,
        addressing_style=settings.s3_addressing_style,
        timeout_s=settings.s3_timeout_seconds,
    )
    where = settings.s3_endpoint_url or "AWS S3"
    try:
        storage.check_bucket()
    except LookupError as exc:
        raise ConfigError(f"WANSTACK_STORAGE_URL={url!r}: {exc} at {where}") from None
    except PermissionError as exc:
        raise ConfigError(
            f"WANSTACK_STORAGE_URL={url!r}: {exc} (credentials come from AWS_ACCESS_KEY_ID and "
            "AWS_SECRET_ACCESS_KEY, AWS_PROFILE, ~/.aws or an instance role)"
        ) from None
    except StorageUnavailable as exc:
        raise ConfigError(
            f"WANSTACK_STORAGE_URL={url!r}: the store at {where} did not answer "
            f"(WANSTACK_S3_ENDPOINT_URL; start it first): {exc}"
        ) from None
    return storage


def _folder(url: str, data_dir: Path) -> Path:
    """The folder of a ``file:`` URL: ``file:///srv/files``, or ``<data_dir>/files`` for an
    empty one (``file://``, or the setting unset)."""
    if not url:
        return data_dir / "files"
    parts = urlsplit(url)
    if parts.netloc not in ("", "localhost") or parts.query or parts.fragment:
        raise ConfigError(
            f"WANSTACK_STORAGE_URL={url!r}: a file URL names a local folder, file:///FOLDER"
        )
    path = unquote(parts.path)
    if not path:
        return data_dir / "files"
    return Path(path)


def _check_endpoint(name: str, value: str) -> None:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"{name}={value!r}: expected http(s)://HOST[:PORT]")
    try:
        parts.port  # noqa: B018 (raises ValueError for a port that is not a number)
    except ValueError:
        raise ConfigError(f"{name}={value!r}: the port is not a number") from None
