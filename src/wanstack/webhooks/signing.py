"""Standard Webhooks signatures (https://www.standardwebhooks.com/, "Signature scheme").

A secret is ``whsec_`` + base64 of a random key of :data:`KEY_BYTES` bytes (the spec asks 24 to
64). Each attempt is signed anew (its timestamp changes; receivers reject old ones) over
``"{webhook-id}.{webhook-timestamp}.{body}"`` with HMAC-SHA256, and sent as
``webhook-signature: v1,<base64 signature>``. Any Standard Webhooks library verifies it with
the same secret; the test suite checks that with the reference one (``standardwebhooks``).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac

from wanstack.ident import random_bytes

SECRET_PREFIX = "whsec_"
KEY_BYTES = 32


def new_secret() -> str:
    """A fresh signing secret, ``whsec_<base64 of 32 random bytes>``."""
    return SECRET_PREFIX + base64.b64encode(random_bytes(KEY_BYTES)).decode("ascii")


def _key(secret: str) -> bytes:
    if not secret.startswith(SECRET_PREFIX):
        raise ValueError("a webhook secret starts with whsec_")
    try:
        return base64.b64decode(secret[len(SECRET_PREFIX) :], validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("a webhook secret is whsec_ followed by base64") from None


def signature(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    """The ``webhook-signature`` value: ``v1,`` + base64 HMAC-SHA256 of
    ``"{message_id}.{timestamp}."`` followed by the body's bytes as sent."""
    signed = f"{message_id}.{timestamp}.".encode() + body
    digest = hmac.new(_key(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode("ascii")


def signed_headers(secret: str, message_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    """The three headers of one attempt (``timestamp`` in whole seconds since the epoch)."""
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signature(secret, message_id, timestamp, body),
    }
