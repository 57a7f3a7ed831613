"""Text a client sends must be valid Unicode to be stored, logged and sent back."""

from __future__ import annotations


def encodable(text: str) -> bool:
    """True when ``text`` is valid Unicode (JSON's ``"\\ud800"`` escapes make lone surrogates,
    which cannot be encoded, stored or sent on)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
