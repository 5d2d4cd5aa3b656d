"""The event rule pages' refusals in the reader's language (the API keeps AWS's English)."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils.html import escape

from core.errors import InvalidEventPatternException
from events import services
from events.pattern import MSG_INVALID, REASON_WILDCARD, WILDCARD_CONSECUTIVE
from tests.events.conftest import make_rule

JA = {"HTTP_ACCEPT_LANGUAGE": "ja"}


def _rule(**overrides: str) -> dict[str, str]:
    return {
        "name": "case-updates",
        "description": "",
        "starter": "",
        "event_pattern": '{"source": ["aws.support"]}',
        **overrides,
    }


@pytest.mark.parametrize(
    ("payload", "field", "japanese"),
    [
        (
            _rule(name="a/b"),
            "name",
            "ルール名は英数字、ピリオド、ハイフン、アンダースコアを 1～64 文字で入力してください。",
        ),
        (_rule(), "name", "ルール case-updates はすでに存在します。"),
        (
            _rule(event_pattern='{"source": []}'),
            "event_pattern",
            "イベントパターンが無効です。理由: 「source」の配列が空です。"
            "照合する値を 1 つ以上指定してください。",
        ),
        # A reason that itself names a reason: both translated.
        (
            _rule(event_pattern='{"source": [{"wildcard": "a**"}]}'),
            "event_pattern",
            "イベントパターンが無効です。理由: 「source」のワイルドカード「a**」が無効です: "
            "* を連続して使用することはできません。",
        ),
        # The JSON parser's own words, translated too.
        (
            _rule(event_pattern='{"source": ["aws.support"],}'),
            "event_pattern",
            "イベントパターンが無効です。理由: テキストが有効な JSON ではありません: "
            "二重引用符で囲んだプロパティ名がありません (1 行目、28 列目)。",
        ),
        (
            _rule(event_pattern='{"n": [NaN]}'),
            "event_pattern",
            "イベントパターンが無効です。理由: テキストが有効な JSON ではありません: "
            "NaN は JSON の数値ではありません (1 行目、1 列目)。",
        ),
    ],
)
def test_rule_form_refusals_are_in_japanese(
    root_client, business_account, payload, field, japanese
) -> None:
    make_rule(business_account, name="case-updates")
    response = root_client.post(reverse("events:create"), payload, **JA)
    assert response.status_code == 400
    assert response.context["form"].errors[field] == [japanese]
    assert escape(japanese) in response.content.decode()


def test_the_api_message_stays_english(business_account, root) -> None:
    with pytest.raises(InvalidEventPatternException) as raised:
        services.rule_create(
            account=business_account,
            actor=root,
            name="r",
            event_pattern='{"source": [{"wildcard": "a**"}]}',
        )
    reason = REASON_WILDCARD.format(value="a**", path="source", problem=WILDCARD_CONSECUTIVE)
    assert raised.value.message == MSG_INVALID.format(reason=reason)


@pytest.mark.parametrize(
    ("payload", "field", "japanese"),
    [
        (
            {"kind": "webhook", "url": "nope"},
            "url",
            "有効な http または https の URL を入力してください。",
        ),
        (
            {"kind": "sqs", "arn": "x"},
            "arn",
            "SQS キューの ARN を入力してください "
            "(例: arn:aws:sqs:us-east-1:123456789012:my-queue)。",
        ),
    ],
)
def test_target_form_refusals_are_in_japanese(
    root_client, business_account, payload, field, japanese
) -> None:
    rule = make_rule(business_account)
    response = root_client.post(reverse("events:target-create", args=[rule.name]), payload, **JA)
    assert response.status_code == 400
    assert response.context["target_form"].errors[field] == [japanese]


def test_the_target_form_names_webhooks_in_japanese(root_client, business_account) -> None:
    rule = make_rule(business_account)
    page = root_client.get(reverse("events:rule", args=[rule.name]), **JA).content.decode()
    assert "ウェブフック (HTTPS POST)" in page
    assert "ウェブフック URL" in page
    assert "Webhook" not in page
