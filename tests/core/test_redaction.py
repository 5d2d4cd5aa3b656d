"""Redaction at ingest: the patterns from the notes, and hypothesis properties."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.redaction import REDACTED, _luhn_ok, redact

AWS_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
RSA_KEY = (
    "-----BEGIN RSA PRIVATE KEY-----\n"
    "MIIEowIBAAKCAQEA1c7+9z5Pad7OejecsQ0bu3aozN3tihPmljnnudb9G3HECdnH\n"
    "lWu2/a1gB9JW5TBQ+AVpum9Okx7KfqkfBKL9mcHgSL0yWMdjMfNOqNtrQqKlN4kE\n"
    "-----END RSA PRIVATE KEY-----"
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (f"my key is {AWS_SECRET} ok", f"my key is {REDACTED} ok"),
        (f"secret={AWS_SECRET}", f"secret={REDACTED}"),
        ("commit 3f786850e387550fdab836ed7e6dc881de23001b", None),  # git SHA kept
        ("AKIAIOSFODNN7EXAMPLE", None),  # access key ids are kept, as AWS keeps them
        ("card 4111 1111 1111 1111 thanks", f"card {REDACTED}-1111 thanks"),
        ("card 4111-1111-1111-1111", f"card {REDACTED}-1111"),
        ("card 4111111111111111.", f"card {REDACTED}-1111."),
        ("amex 3782 822463 10005", f"amex {REDACTED}-0005"),
        ("4111-1111-1111-1112 fails Luhn", None),
        ("order 1234567890123", None),
        ("card 4111111111111111 12/26", f"card {REDACTED}-1111 12/26"),
        ("4111 1111 1111 1111 123", f"{REDACTED}-1111 123"),
        ("amex 3782 822463 10005 1234", f"amex {REDACTED}-0005 1234"),
        ("phone +1 206 555 0100", None),
        (f"before\n{RSA_KEY}\nafter", f"before\n{REDACTED}\nafter"),
        ("-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAA", REDACTED),
        ("Instance i-0123456789abcdef0 is down", None),
        ("", None),
    ],
)
def test_redaction_examples(text: str, expected: str | None) -> None:
    assert redact(text) == (text if expected is None else expected)


def test_our_own_secret_format_is_redacted() -> None:
    from core.ids import secret_access_key_new

    secret = secret_access_key_new()
    assert redact(f"here: {secret}") == f"here: {REDACTED}"


def _luhn_complete(prefix: str) -> str:
    for check in "0123456789":
        if _luhn_ok(prefix + check):
            return prefix + check
    raise AssertionError("unreachable")


card_numbers = st.builds(
    lambda first, rest: _luhn_complete(first + rest),
    st.sampled_from(["4", "51", "37", "6011"]),
    st.text(alphabet="0123456789", min_size=11, max_size=14),
)
# Text that holds no secret-shaped token: short words and no digits.
plain_text = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Nd"), blacklist_characters="0123456789"),
    max_size=200,
).filter(lambda s: not re.search(r"[A-Za-z0-9+/]{40}", s) and "BEGIN" not in s and "PuTTY" not in s)


@settings(max_examples=200)
@given(st.text(max_size=300))
def test_redaction_is_idempotent(text: str) -> None:
    once = redact(text)
    assert redact(once) == once


@settings(max_examples=200)
@given(plain_text)
def test_non_secrets_are_untouched(text: str) -> None:
    assert redact(text) == text


@settings(max_examples=200)
@given(plain_text, card_numbers, plain_text)
def test_card_numbers_keep_their_last_four(before: str, card: str, after: str) -> None:
    text = f"{before} {card} {after}"
    result = redact(text)
    assert card not in result
    assert f"{REDACTED}-{card[-4:]}" in result
    assert redact(result) == result


@settings(max_examples=100)
@given(plain_text, plain_text)
def test_secret_keys_are_replaced_whole(before: str, after: str) -> None:
    result = redact(f"{before} {AWS_SECRET} {after}")
    assert AWS_SECRET not in result
    assert result == f"{before} {REDACTED} {after}"


@settings(max_examples=200)
@given(st.text(max_size=300))
def test_redaction_never_grows_by_more_than_the_tags(text: str) -> None:
    result = redact(text)
    # Only card numbers can grow (tag plus "-1234" replaces >= 13 digits).
    tags = result.count(REDACTED)
    assert len(result) <= len(text) + tags * (len(REDACTED) + 5)
