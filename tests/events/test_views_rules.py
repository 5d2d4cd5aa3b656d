"""The event rule pages through Django's test client, htmx partials included."""

from __future__ import annotations

import json
import re

import pytest
from django.db import connection
from django.urls import reverse
from django.utils.html import escape

from audit.models import AuditEvent
from events import services
from events.forms import STARTERS
from events.models import EventDelivery, EventRule, EventTarget
from events.pattern import (
    MAX_PATTERN_DEPTH,
    MSG_INVALID,
    REASON_INVALID_TEXT,
    REASON_LEAF_NOT_ARRAY,
    REASON_NOT_JSON,
    REASON_TOO_DEEP,
)
from tests import factories
from tests.events.conftest import HTMX, add_webhook, make_rule


def rule_payload(**overrides: str) -> dict[str, str]:
    data = {
        "name": "case-updates",
        "description": "Everything about cases",
        "starter": "",
        "event_pattern": '{"source": ["aws.support"]}',
    }
    data.update(overrides)
    return data


def test_anonymous_users_are_sent_to_sign_in(client, reference_data) -> None:
    for url in (reverse("events:rules"), reverse("events:create")):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("accounts:sign-in"))


def test_engineers_have_no_rules(client, engineer) -> None:
    client.force_login(engineer.user)
    assert client.get(reverse("events:rules")).status_code == 403


def test_nav_links_to_the_rules(root_client) -> None:
    page = root_client.get(reverse("cases:list")).content.decode()
    assert f'href="{reverse("events:rules")}"' in page


def test_create_rule_end_to_end(root_client, business_account) -> None:
    page = root_client.get(reverse("events:create"))
    assert page.status_code == 200
    assert "Starter pattern" in page.content.decode()
    response = root_client.post(reverse("events:create"), rule_payload())
    assert response.status_code == 302
    assert response["Location"] == reverse("events:rule", args=["case-updates"])
    rule = EventRule.objects.get(account=business_account)
    assert rule.event_pattern == {"source": ["aws.support"]}
    assert rule.description == "Everything about cases"
    record = AuditEvent.objects.get(event_name="PutRule")
    assert record.event_source == "events.amazonaws.com"
    assert record.error_code == ""
    detail = root_client.get(response["Location"]).content.decode()
    assert "Rule case-updates created." in detail
    assert rule.arn in detail
    listing = root_client.get(reverse("events:rules")).content.decode()
    assert "case-updates" in listing and "Everything about cases" in listing


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        (
            '{"source": ["aws.support"',
            REASON_NOT_JSON.format(problem="Expecting ',' delimiter", line=1, column=26),
        ),
        ('{"source": "aws.support"}', REASON_LEAF_NOT_ARRAY.format(path="source")),
        # These used to answer 500 (RecursionError) or store what PostgreSQL refuses.
        (
            '{"detail":' * 1000 + '["x"]' + "}" * 1000,
            REASON_TOO_DEEP.format(limit=MAX_PATTERN_DEPTH),
        ),
        (
            '{"detail":' * MAX_PATTERN_DEPTH + '["x"]' + "}" * MAX_PATTERN_DEPTH,
            REASON_TOO_DEEP.format(limit=MAX_PATTERN_DEPTH),
        ),
        (
            '{"source": ["\\ud800"]}',
            REASON_INVALID_TEXT.format(problem="an unpaired UTF-16 surrogate"),
        ),
        (
            '{"source": ["a\\u0000"]}',
            REASON_INVALID_TEXT.format(problem="a NUL (\\u0000) character"),
        ),
        (
            '{"source": [1e400]}',
            REASON_NOT_JSON.format(problem="1e400 is out of range for a number", line=1, column=1),
        ),
    ],
)
def test_a_bad_pattern_keeps_the_text_and_shows_the_error(
    root_client, business_account, text, reason
) -> None:
    response = root_client.post(reverse("events:create"), rule_payload(event_pattern=text))
    assert response.status_code == 400
    page = response.content.decode()
    form = response.context["form"]
    assert form.errors["event_pattern"] == [MSG_INVALID.format(reason=reason)]
    assert form["event_pattern"].value() == text
    # The typed text is back in the textarea (escaped), next to the error.
    assert escape(text) in page
    assert escape(MSG_INVALID.format(reason=reason)) in page
    assert 'value="case-updates"' in page
    assert not EventRule.objects.exists()
    failure = AuditEvent.objects.get(event_name="PutRule")
    assert failure.error_code == "InvalidEventPatternException"
    assert failure.recipient_account_id == business_account.account_id


def test_duplicate_names_are_a_field_error(root_client, business_account) -> None:
    make_rule(business_account, name="case-updates")
    response = root_client.post(reverse("events:create"), rule_payload())
    assert response.status_code == 400
    assert response.context["form"].errors["name"] == [
        services.MSG_RULE_EXISTS.format(name="case-updates")
    ]


def test_starter_patterns_with_and_without_htmx(root_client) -> None:
    partial = root_client.get(reverse("events:starter"), {"starter": "trustedadvisor"}, **HTMX)
    assert partial.status_code == 200
    body = partial.content.decode()
    assert "<html" not in body and 'id="pattern-field"' in body
    assert "Trusted Advisor Check Item Refresh Notification" in body
    # "Write my own" has nothing to swap in: 204, so htmx leaves the typed pattern alone.
    mine = root_client.get(reverse("events:starter"), {"starter": ""}, **HTMX)
    assert mine.status_code == 204 and mine.content == b""
    # Without JavaScript the button posts the form back, keeping the name.
    posted = root_client.post(
        reverse("events:create"),
        rule_payload(starter="support", event_pattern="", use_starter="1"),
    )
    assert posted.status_code == 200
    assert posted.context["form"]["event_pattern"].value() == json.dumps(
        STARTERS["support"], indent=2
    )
    assert 'value="case-updates"' in posted.content.decode()
    assert not EventRule.objects.exists()
    redirect = root_client.get(reverse("events:starter"), {"starter": "support"})
    assert redirect.status_code == 302
    assert redirect["Location"] == reverse("events:create") + "?starter=support"
    prefilled = root_client.get(redirect["Location"]).content.decode()
    assert "Support Case Update" in prefilled


def test_edit_keeps_the_name(root_client, business_account) -> None:
    rule = make_rule(business_account, name="case-updates")
    url = reverse("events:edit", args=[rule.name])
    assert root_client.get(url).status_code == 200
    bad = root_client.post(url, {"name": "renamed", "description": "", "event_pattern": "[]"})
    assert bad.status_code == 400
    response = root_client.post(
        url,
        {
            "name": "renamed",
            "description": "new",
            "event_pattern": '{"detail": {"origin": ["AWS"]}}',
        },
    )
    assert response.status_code == 302
    rule.refresh_from_db()
    assert rule.name == "case-updates"
    assert rule.event_pattern == {"detail": {"origin": ["AWS"]}}
    assert rule.description == "new"


def test_enable_disable_and_delete(root_client, business_account) -> None:
    rule = make_rule(business_account, name="case-updates")
    state = reverse("events:state", args=[rule.name])
    partial = root_client.post(state, {"enabled": "0"}, **HTMX)
    assert partial.status_code == 200
    assert "<html" not in partial.content.decode() and "Disabled" in partial.content.decode()
    rule.refresh_from_db()
    assert not rule.enabled
    assert root_client.post(state, {"enabled": "1"}).status_code == 302
    rule.refresh_from_db()
    assert rule.enabled
    assert root_client.get(state).status_code == 405  # no state changes on GET
    assert root_client.post(reverse("events:delete", args=[rule.name])).status_code == 302
    assert not EventRule.objects.exists()
    # With htmx (after its confirm dialog) the page is sent to the list.
    again = make_rule(business_account, name="again")
    deleted = root_client.post(reverse("events:delete", args=[again.name]), **HTMX)
    assert deleted.status_code == 204
    assert deleted["HX-Redirect"] == reverse("events:rules")
    assert not EventRule.objects.exists()
    assert list(
        AuditEvent.objects.filter(event_source="events.amazonaws.com")
        .order_by("id")
        .values_list("event_name", flat=True)
    ) == ["PutRule", "DisableRule", "EnableRule", "DeleteRule", "PutRule", "DeleteRule"]


def test_other_accounts_rules_are_not_found(client, business_account, other_account, root) -> None:
    rule = make_rule(business_account, root, name="mine")
    target, _ = add_webhook(rule, "https://hooks.example.com/in", root)
    factories.make_case(business_account, root)
    delivery = EventDelivery.objects.get()
    client.force_login(factories.root_of(other_account))
    gets = [
        reverse("events:rule", args=["mine"]),
        reverse("events:edit", args=["mine"]),
        reverse("events:deliveries", args=["mine", target.target_id]),
        # The confirmation pages of a delete.
        reverse("events:delete", args=["mine"]),
        reverse("events:target-delete", args=["mine", target.target_id]),
    ]
    posts = [
        reverse("events:state", args=["mine"]),
        reverse("events:delete", args=["mine"]),
        reverse("events:edit", args=["mine"]),
        reverse("events:target-create", args=["mine"]),
        reverse("events:target-delete", args=["mine", target.target_id]),
        reverse("events:replay", args=["mine", target.target_id, delivery.delivery_id]),
    ]
    for url in gets:
        assert client.get(url).status_code == 404, url
    for url in posts:
        assert (
            client.post(
                url, {"enabled": "0", "kind": "email", "email": "x@example.com"}
            ).status_code
            == 404
        ), url
    # Missing answers exactly like not-yours.
    assert client.get(reverse("events:rule", args=["nope"])).status_code == 404
    assert "mine" not in client.get(reverse("events:rules")).content.decode()
    rule.refresh_from_db()
    assert rule.enabled and EventTarget.objects.count() == 1
    assert EventDelivery.objects.count() == 1
    # The owner still can.
    client.force_login(factories.root_of(business_account))
    assert client.get(reverse("events:rule", args=["mine"])).status_code == 200


def test_iam_users_need_an_events_policy(client, business_account) -> None:
    make_rule(business_account, name="case-updates")
    support_only = factories.make_iam_user(business_account)
    client.force_login(support_only)
    assert client.get(reverse("events:rules")).status_code == 403
    reader = factories.make_iam_user(business_account, policy="AmazonEventBridgeReadOnlyAccess")
    client.force_login(reader)
    assert client.get(reverse("events:rules")).status_code == 200
    detail = client.get(reverse("events:rule", args=["case-updates"]))
    assert detail.status_code == 200
    assert detail.context["can_edit"] is False and detail.context["can_delete"] is False
    assert client.get(reverse("events:create")).status_code == 403
    assert (
        client.post(reverse("events:state", args=["case-updates"]), {"enabled": "0"}).status_code
        == 403
    )
    assert client.post(reverse("events:delete", args=["case-updates"])).status_code == 403
    assert client.get(reverse("events:delete", args=["case-updates"])).status_code == 403
    assert EventRule.objects.get().enabled
    writer = factories.make_iam_user(business_account, policy="AmazonEventBridgeFullAccess")
    client.force_login(writer)
    assert client.post(reverse("events:create"), rule_payload(name="second")).status_code == 302


@pytest.mark.parametrize("count", [2, 30])
def test_rule_list_query_count_does_not_depend_on_size(
    root_client, business_account, root, count, django_assert_num_queries
) -> None:
    for index in range(count):
        rule = make_rule(business_account, root, name=f"rule-{index}")
        services.target_create(rule=rule, actor=root, kind="email", email="ops@example.com")
    # 1 session; 2 user with account; 3 the rules with their target counts.
    with django_assert_num_queries(3):
        response = root_client.get(reverse("events:rules"))
    assert response.status_code == 200
    assert len(response.context["rules"]) == count


@pytest.mark.parametrize("count", [1, 5])
def test_rule_page_query_count_does_not_depend_on_targets(
    root_client, business_account, root, count, django_assert_num_queries
) -> None:
    rule = make_rule(business_account, root, name="everything")
    for index in range(count):
        if index % 2:
            add_webhook(rule, f"https://hooks.example.com/{index}", root)
        else:
            services.target_create(rule=rule, actor=root, kind="email", email="a@example.com")
    url = reverse("events:rule", args=[rule.name])
    # 1 session; 2 user with account; 3 the rule; 4 the targets with their delivery counts.
    with django_assert_num_queries(4):
        response = root_client.get(url)
    assert response.status_code == 200
    assert len(response.context["targets"]) == count


def test_deleting_asks_first_and_get_changes_nothing(root_client, business_account, root) -> None:
    rule = make_rule(business_account, root, name="case-updates")
    first, _ = add_webhook(rule, "https://hooks.example.com/1", root)
    add_webhook(rule, "https://hooks.example.com/2", root)
    rule_url = reverse("events:rule", args=[rule.name])
    delete_url = reverse("events:delete", args=[rule.name])
    remove_url = reverse("events:target-delete", args=[rule.name, first.target_id])
    question = "Delete rule case-updates? This removes its 2 targets and their delivery logs."
    remove_question = f"Remove target {first.target_id}? This removes its delivery log."
    # The buttons open the confirmation pages (a GET form); with htmx, a dialog, then a POST.
    detail = root_client.get(rule_url).content.decode()
    for url, asked in ((delete_url, question), (remove_url, remove_question)):
        button = (
            rf'<form method="get" action="{re.escape(url)}" class="inline">\s*'
            rf'<button type="submit" hx-post="{re.escape(url)}" hx-confirm="{re.escape(asked)}">'
        )
        assert re.search(button, detail), url
    # Without JavaScript: a page that says what goes, with a POST button.
    page = root_client.get(delete_url)
    assert page.status_code == 200
    assert question in page.content.decode()
    assert f'<form method="post" action="{delete_url}">' in page.content.decode()
    target_page = root_client.get(remove_url)
    assert target_page.status_code == 200
    assert remove_question in target_page.content.decode()
    assert f'<form method="post" action="{remove_url}">' in target_page.content.decode()
    # Neither GET changed anything.
    assert EventRule.objects.count() == 1 and EventTarget.objects.count() == 2
    assert not AuditEvent.objects.filter(event_name__in=["DeleteRule", "RemoveTargets"]).exists()
    # htmx posts after its dialog: the whole rule page comes back (not a fragment).
    removed = root_client.post(remove_url, **HTMX)
    assert removed.status_code == 204 and removed["HX-Redirect"] == rule_url
    assert EventTarget.objects.count() == 1
    singular = root_client.get(delete_url).content.decode()
    assert "Delete rule case-updates? This removes its 1 target and its delivery log." in singular
    # The page's own button deletes.
    deleted = root_client.post(delete_url)
    assert deleted.status_code == 302 and deleted["Location"] == reverse("events:rules")
    assert not EventRule.objects.exists() and not EventTarget.objects.exists()


def test_choosing_a_starter_never_replaces_the_typed_pattern(root_client, business_account) -> None:
    rule = make_rule(business_account, name="case-updates")
    edit_url = reverse("events:edit", args=[rule.name])
    starter_url = reverse("events:starter")
    for url in (reverse("events:create"), edit_url):
        page = root_client.get(url).content.decode()
        # Nothing listens to the select; only the button fetches a starter (the choice alone).
        assert 'hx-trigger="change"' not in page
        assert (
            f'name="use_starter" value="1" hx-get="{starter_url}" hx-include="#id_starter" '
            'hx-target="#pattern-field"'
        ) in page
    typed = '{"mine": ["typed"]}'
    # Without JavaScript, the button with "Write my own" on the edit page keeps the text...
    kept = root_client.post(
        edit_url, {"starter": "", "event_pattern": typed, "description": "", "use_starter": "1"}
    )
    assert kept.status_code == 200
    assert kept.context["form"]["event_pattern"].value() == typed
    # ...a chosen starter replaces it, and nothing is saved until "Save rule".
    replaced = root_client.post(
        edit_url,
        {
            "starter": "trustedadvisor",
            "event_pattern": typed,
            "description": "",
            "use_starter": "1",
        },
    )
    assert replaced.context["form"]["event_pattern"].value() == json.dumps(
        STARTERS["trustedadvisor"], indent=2
    )
    rule.refresh_from_db()
    assert rule.event_pattern == STARTERS["support"]


@pytest.mark.skipif(
    connection.vendor == "postgresql", reason="PostgreSQL refuses lone surrogates in JSON"
)
def test_a_stored_pattern_with_a_lone_surrogate_still_shows(client, business_account) -> None:
    # Input is refused at the edge now; a rule stored before that must not break its pages.
    rule = make_rule(business_account)
    rule.event_pattern = {"source": ["aws.support"], "detail": {"note": ["\ud800"]}}
    rule.save(update_fields=["event_pattern"])
    client.force_login(factories.root_of(business_account))
    for name in ("events:rule", "events:edit"):
        response = client.get(reverse(name, args=[rule.name]))
        assert response.status_code == 200
        assert "\ufffd" in response.content.decode()
