"""``Signer``: HMAC signatures and expiring file signatures."""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Callable

import pytest

from wanstack.storage.signing import Signer

SECRET = b"test-secret"
KEY = "results/0f3c/1/abc.png"
EXPIRES_S = 1_767_312_000  # 2026-01-02 00:00:00 UTC
NOW_MS = 1_767_225_600_000  # one day earlier


@pytest.fixture
def signer() -> Signer:
    return Signer(SECRET)


def test_sign_is_unpadded_urlsafe_base64_of_hmac_sha256(signer: Signer) -> None:
    digest = hmac.new(SECRET, b"hello", hashlib.sha256).digest()
    expected = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
    assert signer.sign("hello") == expected
    assert len(expected) == 43
    assert not set(expected) & set("+/=")


def test_sign_is_deterministic_and_message_dependent(signer: Signer) -> None:
    assert signer.sign("a") == signer.sign("a")
    assert signer.sign("a") != signer.sign("b")
    assert signer.sign("a") != Signer(b"other").sign("a")


@pytest.mark.parametrize(
    ("message", "signed", "ok"),
    [
        ("policy\nabc", "policy\nabc", True),
        ("policy\nabc", "policy\nabd", False),
        ("policy\nabc", "policy\nab", False),
        ("", "", True),
        ("ünïcödé", "ünïcödé", True),
    ],
)
def test_verify(signer: Signer, message: str, signed: str, ok: bool) -> None:
    assert signer.verify(message, signer.sign(signed)) is ok


@pytest.mark.parametrize(
    "mangle",
    [
        lambda s: s[:-1],
        lambda s: s + "A",
        lambda s: s.upper(),
        lambda s: "",
        lambda s: s + "=",
    ],
    ids=["shorter", "longer", "case", "empty", "padded"],
)
def test_verify_rejects_altered_signatures(signer: Signer, mangle: Callable[[str], str]) -> None:
    signature = signer.sign("m")
    assert mangle(signature) != signature
    assert signer.verify("m", mangle(signature)) is False


def test_verify_rejects_another_secret(signer: Signer) -> None:
    assert Signer(b"other").verify("m", signer.sign("m")) is False


@pytest.mark.parametrize("signature", ["é", "Å" * 43], ids=["one-char", "signature-length"])
def test_verify_rejects_non_ascii_signatures_without_raising(
    signer: Signer, signature: str
) -> None:
    assert signer.verify("m", signature) is False


# --- files ------------------------------------------------------------------------------------


def test_sign_file_is_bound_to_key_and_expiry(signer: Signer) -> None:
    signature = signer.sign_file(KEY, EXPIRES_S)
    assert signature == signer.sign_file(KEY, EXPIRES_S)
    assert signature != signer.sign_file(KEY + "x", EXPIRES_S)
    assert signature != signer.sign_file(KEY, EXPIRES_S + 1)
    # Domain-separated from other signed messages (upload policies use the same secret).
    assert signature != signer.sign(f"{KEY}\n{EXPIRES_S}")


def test_a_fresh_file_signature_verifies(signer: Signer) -> None:
    signature = signer.sign_file(KEY, EXPIRES_S)
    assert signer.verify_file(KEY, EXPIRES_S, signature, NOW_MS) is True


@pytest.mark.parametrize(
    ("now_ms", "ok"),
    [
        (EXPIRES_S * 1000 - 1, True),
        (EXPIRES_S * 1000, False),
        (EXPIRES_S * 1000 + 1, False),
        (EXPIRES_S * 1000 + 86_400_000, False),
    ],
)
def test_file_signatures_expire(signer: Signer, now_ms: int, ok: bool) -> None:
    signature = signer.sign_file(KEY, EXPIRES_S)
    assert signer.verify_file(KEY, EXPIRES_S, signature, now_ms) is ok


@pytest.mark.parametrize(
    ("key", "expires_s"),
    [
        ("results/0f3c/1/abd.png", EXPIRES_S),  # another file
        ("results/0f3c/1/abc.png/", EXPIRES_S),
        ("RESULTS/0f3c/1/abc.png", EXPIRES_S),
        (KEY, EXPIRES_S + 3600),  # a later expiry than the one signed
        (KEY, EXPIRES_S - 1),
    ],
    ids=["other-key", "trailing-slash", "case", "extended-expiry", "shortened-expiry"],
)
def test_tampered_file_urls_fail(signer: Signer, key: str, expires_s: int) -> None:
    signature = signer.sign_file(KEY, EXPIRES_S)
    assert signer.verify_file(key, expires_s, signature, NOW_MS) is False


def test_a_file_signature_from_another_secret_fails(signer: Signer) -> None:
    foreign = Signer(b"someone-else").sign_file(KEY, EXPIRES_S)
    assert signer.verify_file(KEY, EXPIRES_S, foreign, NOW_MS) is False


def test_a_tampered_file_signature_fails(signer: Signer) -> None:
    signature = signer.sign_file(KEY, EXPIRES_S)
    flipped = ("B" if signature[0] == "A" else "A") + signature[1:]
    assert signer.verify_file(KEY, EXPIRES_S, flipped, NOW_MS) is False
    assert signer.verify_file(KEY, EXPIRES_S, "", NOW_MS) is False
