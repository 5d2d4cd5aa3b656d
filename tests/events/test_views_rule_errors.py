"""The rule form reports every mistake of a submission at once, each beside its field.

Before, the service checked the name first and raised, so a bad name hid the pattern's error
(and a long description, refused by the form alone, hid everything the service checks) until it
was fixed. The service still validates alone and still records one refused PutRule.
"""

from __future__ import annotations

from django.urls import reverse
from django.utils.html import escape

from audit.models import AuditEvent
from events import services
from events.models import EventRule
from events.pattern import MSG_INVALID, REASON_LEAF_NOT_ARRAY
from tests.events.conftest import make_rule

BAD_PATTERN = '{"source": "aws.support"}'
PATTERN_ERROR = MSG_INVALID.format(reason=REASON_LEAF_NOT_ARRAY.format(path="source"))
NAME_ERROR_JA = (
    "ルール名は英数字、ピリオド、ハイフン、アンダースコアを 1～64 文字で入力してください。"
)
PATTERN_ERROR_JA = (
    "イベントパターンが無効です。理由: 「source」の値は、照合する値の配列 "
    '(例: ["value"]) かオブジェクトにしてください。'
)


def _rule(**overrides: str) -> dict[str, str]:
    return {
        "name": "case-updates",
        "description": "",
        "starter": "",
        "event_pattern": '{"source": ["aws.support"]}',
        **overrides,
    }


def test_a_bad_name_and_a_bad_pattern_are_shown_together(root_client, business_account) -> None:
    response = root_client.post(
        reverse("events:create"), _rule(name="case updates!", event_pattern=BAD_PATTERN)
    )
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert errors["name"] == [services.MSG_RULE_NAME]
    assert errors["event_pattern"] == [PATTERN_ERROR]
    page = response.content.decode()
    assert escape(services.MSG_RULE_NAME) in page and escape(PATTERN_ERROR) in page
    # What was typed is kept.
    assert 'value="case updates!"' in page and escape(BAD_PATTERN) in page
    assert not EventRule.objects.exists()
    # One refused PutRule, recorded with the first error, as before.
    refusal = AuditEvent.objects.get(event_name="PutRule")
    assert (refusal.error_code, refusal.error_message) == (
        "ValidationException",
        services.MSG_RULE_NAME,
    )
    assert refusal.recipient_account_id == business_account.account_id


def test_a_missing_name_does_not_hide_the_patterns_error(root_client, business_account) -> None:
    response = root_client.post(reverse("events:create"), _rule(name="", event_pattern=BAD_PATTERN))
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert errors["name"] == [services.MSG_RULE_NAME]
    assert errors["event_pattern"] == [PATTERN_ERROR]
    # Still marked required on the page.
    assert 'Name <span aria-hidden="true">*</span>' in response.content.decode()


def test_a_taken_name_a_long_description_and_a_bad_pattern_at_once(
    root_client, business_account
) -> None:
    make_rule(business_account, name="case-updates")
    long = "d" * 513
    response = root_client.post(
        reverse("events:create"), _rule(description=long, event_pattern=BAD_PATTERN)
    )
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert errors["name"] == [services.MSG_RULE_EXISTS.format(name="case-updates")]
    assert errors["description"] == [services.MSG_DESCRIPTION]
    assert errors["event_pattern"] == [PATTERN_ERROR]
    assert long in response.content.decode()
    assert EventRule.objects.count() == 1


def test_both_errors_in_japanese(root_client, business_account) -> None:
    response = root_client.post(
        reverse("events:create"),
        _rule(name="a/b", event_pattern=BAD_PATTERN),
        HTTP_ACCEPT_LANGUAGE="ja",
    )
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert errors["name"] == [NAME_ERROR_JA]
    assert errors["event_pattern"] == [PATTERN_ERROR_JA]
    page = response.content.decode()
    assert escape(NAME_ERROR_JA) in page and escape(PATTERN_ERROR_JA) in page


def test_editing_shows_the_descriptions_and_the_patterns_errors_together(
    root_client, business_account
) -> None:
    rule = make_rule(business_account, name="case-updates")
    before = rule.event_pattern
    response = root_client.post(
        reverse("events:edit", args=[rule.name]),
        {"description": "d" * 513, "event_pattern": BAD_PATTERN},
    )
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert errors["description"] == [services.MSG_DESCRIPTION]
    assert errors["event_pattern"] == [PATTERN_ERROR]
    rule.refresh_from_db()
    assert (rule.description, rule.event_pattern) == ("", before)
    refusal = AuditEvent.objects.get(event_name="PutRule", error_code="ValidationException")
    assert refusal.error_message == services.MSG_DESCRIPTION
