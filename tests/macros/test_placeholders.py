"""A macro's placeholders: plain substitution, so operators' text never becomes code."""

from __future__ import annotations

from macros.placeholders import PLACEHOLDERS, fill, unknown

VALUES = {name: f"<{name}>" for name in PLACEHOLDERS}


def test_known_placeholders_are_filled_and_other_braces_are_text() -> None:
    text = 'Hi {customer_name}, case {case_id} ({display_id}). JSON: {"retries": 3} {}'
    assert fill(text, VALUES) == (
        'Hi <customer_name>, case <case_id> (<display_id>). JSON: {"retries": 3} {}'
    )
    assert unknown(text) == []


def test_a_value_is_not_filled_in_turn() -> None:
    # A customer's subject may contain a placeholder: it is sent as the customer wrote it.
    assert fill("Re: {subject}", {"subject": "{case_id} broke"}) == "Re: {case_id} broke"


def test_template_code_is_never_evaluated() -> None:
    text = "{% load static %}{{ request.user.password }} {case_id.__class__} {customer_name}"
    assert fill(text, VALUES) == (
        "{% load static %}{{ request.user.password }} {case_id.__class__} <customer_name>"
    )


def test_unknown_and_malformed_placeholders_are_found() -> None:
    text = "{customer} {{ customer_name }} { case_id } {case_id}} {Subject} {case_id} {customer}"
    assert unknown(text) == [
        "{customer}",
        "{{ customer_name }}",
        "{ case_id }",
        "{case_id}}",
        "{Subject}",
    ]
    # Left as they are when a macro that skipped the check is filled.
    assert fill("{customer} {{ case_id }}", VALUES) == "{customer} {{ case_id }}"
