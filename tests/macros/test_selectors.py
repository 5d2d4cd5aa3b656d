"""A macro filled in for a case: the case's language picks the text, the placeholders take the
case's and the engineer's details."""

from __future__ import annotations

import pytest

from accounts.principals import SYSTEM
from accounts.services import user_update
from console.forms import NEXT_STATUSES
from macros import selectors
from macros.models import NextStatus
from macros.placeholders import PLACEHOLDERS
from tests import factories

EVERY_PLACEHOLDER = " | ".join("{" + name + "}" for name in PLACEHOLDERS)


def test_macros_offer_the_statuses_a_reply_offers() -> None:
    assert NextStatus.values == [value for value, _ in NEXT_STATUSES]


def test_every_placeholder_is_filled(business_account, root, engineer) -> None:
    case = factories.make_case(business_account, root, subject="Disk full")
    macro = factories.make_macro(body=EVERY_PLACEHOLDER, next_status="resolved")
    text, next_status = selectors.macro_render(macro, case, engineer.user)
    # Root users have no display name: the account's name addresses them.
    assert text == " | ".join(
        [
            business_account.name,
            case.case_id,
            str(case.display_id),
            "Disk full",
            engineer.user.email,
        ]
    )
    assert next_status == "resolved"


def test_the_submitters_display_name_comes_first(business_account, engineer) -> None:
    alice = factories.make_iam_user(business_account, user_name="alice")
    user_update(user=alice, display_name="Alice Liddell", actor=SYSTEM)
    user_update(user=engineer.user, display_name="Bob", actor=SYSTEM)
    case = factories.make_case(business_account, factories.principal(alice))
    macro = factories.make_macro(body="Dear {customer_name}, {engineer_name} here.")
    rendered = selectors.macro_render(macro, case, engineer.user)
    assert rendered.text == "Dear Alice Liddell, Bob here."
    assert rendered.next_status == ""


@pytest.mark.parametrize(
    ("language", "body_ja", "expected"),
    [
        ("ja", "{display_id} のケースについて", "{display_id} のケースについて"),
        ("ja", "", "About case {display_id}"),  # no Japanese text: the English one
        ("ja", "  \n", "About case {display_id}"),
        ("en", "{display_id} のケースについて", "About case {display_id}"),
    ],
)
def test_the_cases_language_picks_the_text(
    business_account, root, engineer, language, body_ja, expected
) -> None:
    case = factories.make_case(business_account, root, language=language)
    macro = factories.make_macro(body="About case {display_id}", body_ja=body_ja)
    text, _ = selectors.macro_render(macro, case, engineer.user)
    assert text == expected.format(display_id=case.display_id)


def test_the_active_macros_in_the_operators_order(reference_data) -> None:
    later = factories.make_macro("A later one", position=2)
    first = factories.make_macro("Z first", position=1)
    factories.make_macro("Retired", is_active=False)
    same = factories.make_macro("B same position", position=2)
    assert list(selectors.macro_list_active()) == [first, later, same]
