"""The event rule pages through Django's test client, htmx partials included."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from audit.models import AuditEvent
from core import crypto
from core.errors import LimitExceededException
from events import services
from events.forms import STARTERS
from events.models import DeliveryAttempt, DeliveryStatus, EventDelivery, EventRule, EventTarget
from events.pattern import MSG_INVALID, REASON_LEAF_NOT_ARRAY, REASON_NOT_JSON
from tests import factories
from tests.events.conftest import add_webhook, make_rule

HTMX = {"HTTP_HX_REQUEST": "true"}


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


def test_webhook_secret_is_shown_once(root_client, business_account) -> None:
    rule = make_rule(business_account, name="case-updates")
    url = reverse("events:target-create", args=[rule.name])
    rule_url = reverse("events:rule", args=[rule.name])
    response = root_client.post(url, {"kind": "webhook", "url": "https://hooks.example.com/in"})
    # Post/Redirect/Get: the secret is not in the POST's response.
    assert response.status_code == 302 and response["Location"] == rule_url
    target = EventTarget.objects.get()
    secret = crypto.decrypt(target.secret_encrypted)
    assert secret.startswith("whsec_")
    # The session holds it encrypted only, until the rule's page shows it.
    assert secret not in json.dumps(dict(root_client.session))
    shown = root_client.get(rule_url)
    assert shown["Cache-Control"] == "no-store"
    assert shown.content.decode().count(secret) == 1
    assert shown.context["new_secrets"] == [{"target_id": target.target_id, "secret": secret}]
    assert f"Target {target.target_id} added." in shown.content.decode()
    # Reloading the page shows it no more, and creates nothing.
    again = root_client.get(rule_url)
    assert secret not in again.content.decode() and "https://hooks.example.com/in" in (
        again.content.decode()
    )
    assert "no-store" not in again.get("Cache-Control", "")
    assert EventTarget.objects.count() == 1
    # Other kinds have no secret: back to the rule's page.
    email = root_client.post(url, {"kind": "email", "email": "ops@example.com"})
    assert email.status_code == 302
    bad = root_client.post(url, {"kind": "sqs", "arn": "not-an-arn"})
    assert bad.status_code == 400
    assert bad.context["target_form"].errors["arn"] == [services.MSG_SQS_ARN]
    assert AuditEvent.objects.filter(
        event_name="PutTargets", error_code="ValidationException"
    ).exists()
    removed = root_client.post(reverse("events:target-delete", args=[rule.name, target.target_id]))
    assert removed.status_code == 302 and removed["Location"] == rule_url
    assert list(EventTarget.objects.values_list("kind", flat=True)) == ["email"]


def test_delivery_log_and_replay(root_client, business_account, root) -> None:
    rule = make_rule(business_account, root, name="case-updates")
    target, _ = add_webhook(rule, "https://hooks.example.com/in", root)
    case = factories.make_case(business_account, root)
    delivery = EventDelivery.objects.get()
    EventDelivery.objects.filter(pk=delivery.pk).update(
        status=DeliveryStatus.FAILED, attempts=6, last_error="HTTP 500"
    )
    log_url = reverse("events:deliveries", args=[rule.name, target.target_id])
    page = root_client.get(log_url).content.decode()
    assert case.case_id in page and "HTTP 500" in page and "Replay" in page
    replay_url = reverse("events:replay", args=[rule.name, target.target_id, delivery.delivery_id])
    assert root_client.get(replay_url).status_code == 405
    response = root_client.post(replay_url)
    assert response.status_code == 302 and response["Location"] == log_url
    replay = EventDelivery.objects.exclude(pk=delivery.pk).get()
    assert replay.replay_of == delivery and replay.status == DeliveryStatus.PENDING
    partial = root_client.get(log_url, {"page": "1"}, **HTMX).content.decode()
    assert "<html" not in partial and "(replay)" in partial


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


@pytest.mark.parametrize("count", [3, 45])
def test_delivery_log_query_count_does_not_depend_on_size(
    root_client, business_account, root, count, django_assert_num_queries
) -> None:
    rule = make_rule(business_account, root, name="everything", pattern={"source": ["x"]})
    target, _ = add_webhook(rule, "https://hooks.example.com/in", root)
    for _ in range(count):
        services.event_publish(account=business_account, source="x", detail_type="t", detail={})
    DeliveryAttempt.objects.bulk_create(
        DeliveryAttempt(
            delivery=d,
            number=1,
            started_at=timezone.now(),
            duration_ms=5,
            succeeded=False,
            error="HTTP 500",
        )
        for d in EventDelivery.objects.all()
    )
    url = reverse("events:deliveries", args=[rule.name, target.target_id])
    second = root_client.get(url).context["next_token"] if count > 20 else ""
    # 1 session; 2 user with account; 3 the rule; 4 the target; 5 the page (keyset: no
    # count); 6 the page's attempts.
    with django_assert_num_queries(6):
        response = root_client.get(url, {"cursor": second} if second else {})
    assert response.status_code == 200
    assert len(response.context["deliveries"]) == min(count, 20)


def test_admin_lists_rules_and_deliveries(client, business_account, root) -> None:
    add_webhook(make_rule(business_account, root, name="mine"), "https://hooks.example.com/in")
    factories.make_case(business_account, root)
    operator = factories.make_engineer(email="admin@example.com")
    operator.is_superuser = True
    operator.save(update_fields=["is_superuser"])
    client.force_login(operator)
    for name in ("eventrule", "eventdelivery"):
        assert client.get(reverse(f"admin:events_{name}_changelist")).status_code == 200
    delivery = EventDelivery.objects.get()
    page = client.get(reverse("admin:events_eventdelivery_change", args=[delivery.pk]))
    assert page.status_code == 200


def test_replays_are_limited_per_account(
    root_client, business_account, other_account, root
) -> None:
    rule = make_rule(business_account, root, name="case-updates")
    target, _ = add_webhook(rule, "https://hooks.example.com/in", root)
    factories.make_case(business_account, root)
    original = EventDelivery.objects.get()
    EventDelivery.objects.filter(pk=original.pk).update(status=DeliveryStatus.DELIVERED)
    original.refresh_from_db()
    start = timezone.now()
    with time_machine.travel(start, tick=False) as traveller:
        for _ in range(services.MAX_REPLAYS_PER_HOUR - 1):
            services.delivery_replay(delivery=original, actor=root)
        traveller.shift(timedelta(minutes=30))
        services.delivery_replay(delivery=original, actor=root)
        with pytest.raises(LimitExceededException) as raised:
            services.delivery_replay(delivery=original, actor=root)
        assert raised.value.code == "LimitExceededException"
        assert raised.value.message == services.MSG_REPLAY_LIMIT.format(limit=30)
        # The console shows the refusal as a message (not an error page) and audits it.
        log_url = reverse("events:deliveries", args=[rule.name, target.target_id])
        replay_url = reverse(
            "events:replay", args=[rule.name, target.target_id, original.delivery_id]
        )
        response = root_client.post(replay_url, follow=True)
        assert response.redirect_chain == [(log_url, 302)]
        assert escape(services.MSG_REPLAY_LIMIT.format(limit=30)) in response.content.decode()
        failure = AuditEvent.objects.get(event_name="StartReplay", error_code__gt="")
        assert failure.error_code == "LimitExceededException"
        assert EventDelivery.objects.filter(replay_of=original).count() == 30
        # Another account has its own allowance.
        theirs = make_rule(other_account, name="theirs", pattern={"source": ["aws.support"]})
        add_webhook(theirs, "https://hooks.example.com/other")
        factories.make_case(other_account)
        their_delivery = EventDelivery.objects.get(target__rule=theirs)
        EventDelivery.objects.filter(pk=their_delivery.pk).update(status=DeliveryStatus.FAILED)
        their_delivery.refresh_from_db()
        services.delivery_replay(
            delivery=their_delivery, actor=factories.principal(factories.root_of(other_account))
        )
        # The first 29 are an hour old: room for 29 more.
        traveller.shift(timedelta(minutes=30, seconds=1))
        assert root_client.post(replay_url).status_code == 302
    assert EventDelivery.objects.filter(replay_of=original).count() == 31


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


def test_delivery_log_times_have_a_zone_and_replays_keep_the_event_time(
    root_client, business_account, root
) -> None:
    rule = make_rule(business_account, root, name="case-updates")
    target, _ = add_webhook(rule, "https://hooks.example.com/in", root)
    published = timezone.now().replace(microsecond=0)
    with time_machine.travel(published, tick=False) as traveller:
        factories.make_case(business_account, root)
        original = EventDelivery.objects.get()
        DeliveryAttempt.objects.create(
            delivery=original,
            number=1,
            started_at=published,
            duration_ms=5,
            succeeded=False,
            error="HTTP 500",
        )
        EventDelivery.objects.filter(pk=original.pk).update(
            status=DeliveryStatus.FAILED, attempts=1, last_error="HTTP 500"
        )
        original.refresh_from_db()
        traveller.shift(timedelta(hours=2))
        replay = services.delivery_replay(delivery=original, actor=root)
        retry_at = published + timedelta(hours=2, minutes=1)
        EventDelivery.objects.filter(pk=replay.pk).update(attempts=1, next_attempt_at=retry_at)
        response = root_client.get(reverse("events:deliveries", args=[rule.name, target.target_id]))
    page = response.content.decode()
    shown = {d.delivery_id: d for d in response.context["deliveries"]}
    # The replay shows its event's time; when it was queued is shown apart, and labelled.
    assert shown[replay.delivery_id].event_time == published
    assert shown[original.delivery_id].event_time == published
    assert f"{published:%Y-%m-%d %H:%M:%S} UTC" in page
    queued = published + timedelta(hours=2)
    assert f"replay queued {queued:%Y-%m-%d %H:%M:%S} UTC" in page
    assert f"next try {retry_at:%Y-%m-%d %H:%M:%S} UTC" in page
    assert ">Event time<" in page and ">Published<" not in page
    # Every time on the page names its zone: the event times (2) and the attempt's start.
    assert page.count(f"{published:%Y-%m-%d %H:%M:%S} UTC") == 3
