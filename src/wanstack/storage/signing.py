"""HMAC-signed, expiring URLs for stored files: wanstack's own answer to presigned URLs, used by
the local backend and by the S3 backend in its ``proxy`` mode (``/files/…`` served by the API)."""

from __future__ import annotations

import base64
import hashlib
import hmac
from urllib.parse import quote

from wanstack.errors import AccessDenied

#: longest ``Expires`` accepted: 12 ASCII digits of epoch seconds (int() of thousands of digits
#: is slow, and no real expiry is that far away)
MAX_EXPIRES_DIGITS = 12


class Signer:
    """Signs ``(path, expires)`` pairs with a server secret; constant-time verification."""

    def __init__(self, secret: bytes) -> None:
        self._secret = secret

    def sign(self, message: str) -> str:
        digest = hmac.new(self._secret, message.encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()

    def verify(self, message: str, signature: str) -> bool:
        # compare_digest refuses non-ASCII str; such a signature is simply wrong.
        return signature.isascii() and hmac.compare_digest(self.sign(message), signature)

    def sign_file(self, key: str, expires_s: int) -> str:
        return self.sign(f"file\n{key}\n{expires_s}")

    def verify_file(self, key: str, expires_s: int, signature: str, now_ms: int) -> bool:
        """True when the signature matches and ``expires_s`` (epoch seconds) is not past."""
        return expires_s * 1000 > now_ms and self.verify(f"file\n{key}\n{expires_s}", signature)

    def file_url(self, key: str, expires_ms: int, base_url: str) -> str:
        """``<base_url>/files/<key>?Expires=…&Signature=…``, served until ``expires_ms``."""
        expires_s = expires_ms // 1000
        signature = self.sign_file(key, expires_s)
        return (
            f"{base_url.rstrip('/')}/files/{quote(key)}?Expires={expires_s}&Signature={signature}"
        )

    def check_file(self, key: str, expires: str, signature: str, now_ms: int) -> None:
        """Accept the query of a :meth:`file_url` (as received, unparsed) or raise
        :class:`AccessDenied`: a malformed, wrong or expired signature."""
        well_formed = expires.isascii() and expires.isdigit() and len(expires) <= MAX_EXPIRES_DIGITS
        if not well_formed or not self.verify_file(key, int(expires), signature, now_ms):
            raise AccessDenied("Request has expired or its signature does not match.")
