"""HMAC-signed, expiring URLs for stored files (the local backend's answer to presigned URLs)."""

from __future__ import annotations

import base64
import hashlib
import hmac


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
