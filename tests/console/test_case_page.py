"""The console's case page: everything the customer gave, the timeline, the account panel, and
the engineers' actions beyond replying (reclassify, callback, reopen, CC)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.urls import reverse

from accounts.models import Account
from audit.models import AuditEvent
from cases import services
from cases.models import Case, CaseEvent
from catalog.models import Category
from events.models import EventDelivery
from notifications.models import Notification
from tests import factories
from tests.advisor import console_data as advisor_data
from tests.events.conftest import add_webhook, make_rule


@pytest.fixture
def engineer_client(client, engineer):
    client.force_login(engineer.user)
    return client


def _action(case: Case, name: str) -> str:
    return reverse("console:case-action", args=[case.case_id, name])


def test_the_page_shows_what_the_customer_gave_and_the_account(
    engineer_client, engineer, business_account, root
) -> None:
    phone = factories.make_case(
        business_account,
        root,
        contact_method="phone",
        callback_number="+1 206 555 0100",
        callback_when="now",
        cc_email_addresses=["ops@example.com"],
        language="ja",
        extra_field_value="i-0123456789abcdef0",
    )
    factories.make_case(business_account, root, subject="Second open case")
    services.case_assign(case=phone, engineer=engineer.user, actor=engineer)
    page = engineer_client.get(reverse("console:case", args=[phone.case_id])).content.decode()
    assert "ops@example.com" in page
    assert 'href="tel:+1 206 555 0100"' in page
    assert "Japanese" in page
    assert "i-0123456789abcdef0" in page
    assert "Record the call" in page  # a phone case offers the callback form
    # The timeline, oldest first: created, then the assignment's status change and assignment.
    timeline = page[page.index('id="timeline-heading"') :]
    assert timeline.index("Case created") < timeline.index("Status changed")
    assert timeline.index("Status changed") < timeline.index("Assigned")
    # The account panel: plan, other open cases, Trusted Advisor not connected.
    panel = page[page.index('id="account-heading"') : page.index('id="timeline-heading"')]
    assert "Business" in panel and business_account.account_id in panel
    assert "1 other open case" in panel and "Second open case" in panel
    assert "has not connected an AWS environment" in panel
    japanese = engineer_client.get(
        reverse("console:case", args=[phone.case_id]), HTTP_ACCEPT_LANGUAGE="ja"
    ).content.decode()
    assert "タイムライン" in japanese and "ほかに未解決のケースが 1 件" in japanese


def _panel(page: str) -> str:
    return page[page.index('id="account-heading"') : page.index('id="timeline-heading"')]


def test_the_account_panel_sums_up_trusted_advisor(engineer_client, business_account, root) -> None:
    advisor_data.seed(business_account)
    advisor_data.connect_sample(business_account)
    case = factories.make_case(business_account, root)
    page = engineer_client.get(reverse("console:case", args=[case.case_id])).content.decode()
    panel = _panel(page)
    # SG and MFA red (security), EIP yellow (cost optimization); every other check of the
    # plan has never run.
    assert "Action recommended: 2 · Investigation recommended: 1 · No problems: 0" in panel
    assert "Estimated monthly savings: $7.20" in panel
    assert "Last refreshed" in panel and "No check has been refreshed yet" not in panel
    security = panel[panel.index('id="advisor-security"') :]
    assert security.startswith(
        'id="advisor-security"><th scope="row">Security</th><td>2</td><td>0</td><td>0</td>'
    )
    cost = panel[panel.index('id="advisor-cost_optimizing"') :]
    assert "<td>0</td><td>1</td><td>0</td>" in cost[: cost.index("</tr>")]
    japanese = _panel(
        engineer_client.get(
            reverse("console:case", args=[case.case_id]), HTTP_ACCEPT_LANGUAGE="ja"
        ).content.decode()
    )
    assert 'id="advisor-security"' in japanese and "$7.20" in japanese


def test_the_account_panel_before_any_refresh(engineer_client, business_account, root) -> None:
    advisor_data.connect_sample(business_account)
    case = factories.make_case(business_account, root)
    panel = _panel(
        engineer_client.get(reverse("console:case", args=[case.case_id])).content.decode()
    )
    assert "Action recommended: 0 · Investigation recommended: 0 · No problems: 0" in panel
    assert "No check has been refreshed yet." in panel


@pytest.mark.parametrize("many", [False, True])
def test_the_account_panel_costs_one_query_whatever_the_checks(
    engineer_client, business_account, root, many, django_assert_num_queries
) -> None:
    advisor_data.connect_sample(business_account)
    if many:  # three checks with results, and a history of four runs each
        for _ in range(4):
            advisor_data.seed(business_account)
    else:  # one check, one run
        advisor_data.store(business_account, advisor_data.EIP, [advisor_data.eip_row("1.2.3.4")])
    case = factories.make_case(business_account, root)
    factories.make_macro("Need logs")
    # The 14 of the page without a connection (below), plus 15 the checks' states with their
    # latest results, in one query for every check.
    with django_assert_num_queries(15):
        response = engineer_client.get(reverse("console:case", args=[case.case_id]))
    red = 2 if many else 0
    assert f"Action recommended: {red} · Investigation recommended: 1" in response.content.decode()


@pytest.mark.parametrize("replies", [1, 15])
def test_the_case_page_query_count_is_constant(
    engineer_client, engineer, business_account, root, replies, django_assert_num_queries
) -> None:
    case = factories.make_case(business_account, root)
    for index in range(replies):
        services.case_support_reply(
            case=case, actor=engineer, body=f"Reply {index}", next_status="opened"
        )
    # 1 session; 2 user; 3 the case with account, plan, service, category, severity and
    # assignee; 4 correspondence with authors (their attachments: none here, no query);
    # 5 notes; 6 timeline with actors; 7-8 other open cases and their count; 9 the AWS
    # connection; 10 the plan's severities and 11-12 services with their categories (the
    # reclassify form); 13 engineers (the assign form); 14 the active macros (the reply form's
    # picker).
    factories.make_macro("Need logs")
    with django_assert_num_queries(14):
        response = engineer_client.get(reverse("console:case", args=[case.case_id]))
    assert response.status_code == 200


def test_engineers_reclassify_a_case_with_a_reason(
    engineer_client, engineer, business_account, root
) -> None:
    case = factories.make_case(business_account, root, severity_code="low")
    response = engineer_client.post(
        _action(case, "reclassify"),
        {
            "severity": "urgent",
            "classification": "amazon-elastic-compute-cloud-linux/instance-issue",
            "reason": "The production site is down.",
        },
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.severity.code == "urgent"
    # Not answered yet: the deadline follows the new target (Business, urgent: one hour).
    assert case.first_response_due_at == case.created_at + timedelta(minutes=60)
    event = CaseEvent.objects.get(case=case, kind="reclassified")
    assert event.data == {"severity": {"from": "low", "to": "urgent"}}
    assert event.reason == "The production site is down."
    record = AuditEvent.objects.get(event_name="UpdateCaseClassification")
    assert record.principal_arn == engineer.arn
    assert record.request_parameters == {"caseId": case.case_id, "severityCode": "urgent"}
    email = Notification.objects.get(topic=case.case_id, kind="changed")
    assert "Reason: The production site is down." in email.body_text
    assert "Production system down" in email.body_text


def test_a_refused_reclassification_keeps_the_form(engineer_client, business_account, root) -> None:
    case = factories.make_case(business_account, root, severity_code="low")
    # Business offers no "critical" severity; and a reason is required.
    response = engineer_client.post(
        _action(case, "reclassify"),
        {
            "severity": "critical",
            "classification": "amazon-elastic-compute-cloud-linux/instance-issue",
            "reason": "Kept text",
        },
    )
    assert response.status_code == 400
    assert "Kept text" in response.content.decode()
    unchanged = engineer_client.post(
        _action(case, "reclassify"),
        {
            "severity": "low",
            "classification": "amazon-elastic-compute-cloud-linux/instance-issue",
            "reason": "No change",
        },
    )
    assert unchanged.status_code == 400
    assert "Nothing to change" in unchanged.content.decode()
    case.refresh_from_db()
    assert case.severity.code == "low"
    assert not CaseEvent.objects.filter(case=case, kind="reclassified").exists()
    assert AuditEvent.objects.filter(
        event_name="UpdateCaseClassification", error_code="InvalidParameterValueException"
    ).exists()


def test_a_callback_that_reached_the_customer_is_the_first_response(
    engineer_client, engineer, business_account, root
) -> None:
    case = factories.make_case(
        business_account,
        root,
        contact_method="phone",
        callback_number="+1 206 555 0100",
        callback_when="now",
    )
    response = engineer_client.post(
        _action(case, "callback"), {"reached": "yes", "outcome": "Walked through the restart."}
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.first_responded_at is not None and case.first_response_met is True
    callback = CaseEvent.objects.get(case=case, kind="callback")
    assert callback.data == {"reached": True, "outcome": "Walked through the restart."}
    assert AuditEvent.objects.filter(event_name="RecordCallback").count() == 1
    web = factories.make_case(business_account, root)
    refused = engineer_client.post(_action(web, "callback"), {"reached": "no", "outcome": "x"})
    assert refused.status_code == 400
    assert "Only phone cases have callbacks." in refused.content.decode()


def test_a_callback_on_a_chat_case_is_refused_at_the_top_of_the_page(
    engineer_client, business_account, root
) -> None:
    """No page offers a chat case's callback form, but a post of one (an old tab, a script) is
    answered with the case page, the refusal at its top in the reader's language (there is no
    callback form to show it beside), the typed outcome kept in the note form, and nothing
    recorded."""
    chat = factories.make_case(business_account, root, contact_method="chat", body="Help.")
    page = engineer_client.get(reverse("console:case", args=[chat.case_id])).content.decode()
    assert "Record the call" not in page
    for language, message in (
        ("en", "Only phone cases have callbacks."),
        ("ja", "折り返し電話は電話のケースだけにあります。"),
    ):
        refused = engineer_client.post(
            _action(chat, "callback"),
            {"reached": "yes", "outcome": "Rang twice."},
            HTTP_ACCEPT_LANGUAGE=language,
        )
        assert refused.status_code == 400
        page = refused.content.decode()
        top = page[page.index('id="messages"') : page.index("<h1>")]
        assert message in top
        if language == "en":
            assert "What you typed is in the internal note form below." in top
        assert "Record the call" not in page
        notes = page[page.index('action="' + _action(chat, "note")) :]
        assert "Rang twice." in notes[: notes.index("</form>")]
    assert not CaseEvent.objects.filter(case=chat, kind="callback").exists()
    empty = engineer_client.post(_action(chat, "callback"), {}).content.decode()
    assert "Only phone cases have callbacks." in empty


def test_engineers_reopen_resolved_cases_and_add_cc(
    engineer_client, business_account, root
) -> None:
    rule = make_rule(business_account, root, pattern={"source": ["aws.support"]})
    add_webhook(rule, "https://hooks.example.com/in", root)
    case = factories.make_case(business_account, root)
    services.case_resolve(case=case, actor=root)
    assert b"Reopen" in engineer_client.get(reverse("console:case", args=[case.case_id])).content
    assert engineer_client.post(_action(case, "reopen")).status_code == 302
    case.refresh_from_db()
    assert case.status == "reopened"
    names = [d.event["detail"]["event-name"] for d in EventDelivery.objects.order_by("id")]
    assert names[-1] == "ReopenCase"
    added = engineer_client.post(_action(case, "cc"), {"cc": "boss@example.com"})
    assert added.status_code == 302
    case.refresh_from_db()
    assert case.cc_email_addresses == ["boss@example.com"]


def test_the_timeline_names_statuses_as_people_read_them(
    engineer_client, engineer, business_account, root
) -> None:
    # A CaseEvent keeps the API's status values and the lifecycle's cause; the timeline shows
    # the statuses' labels and the cause in the reader's language, as the rest of the page does.
    case = factories.make_case(business_account, root)
    services.case_support_reply(
        case=case, actor=engineer, body="Which region?", next_status="pending-customer-action"
    )
    url = reverse("console:case", args=[case.case_id])
    timeline = engineer_client.get(url).content.decode().split('id="timeline-heading"')[1]
    assert "Unassigned → Pending customer action (support reply)" in timeline
    japanese = engineer_client.get(url, HTTP_ACCEPT_LANGUAGE="ja").content.decode()
    assert "未割り当て → お客様の対応待ち (サポートの返信)" in japanese


def test_the_timeline_names_reclassifications(engineer_client, business_account, root) -> None:
    # A reclassification keeps codes; the timeline shows the catalog's names in the reader's
    # language, a category under the service the case had at the time.
    Category.objects.filter(
        service__code="amazon-elastic-compute-cloud-windows", code="other"
    ).update(name="Other (Windows)")
    case = factories.make_case(business_account, root, severity_code="low")
    for severity, classification in (
        ("urgent", "amazon-elastic-compute-cloud-linux/other"),
        ("urgent", "amazon-elastic-compute-cloud-windows/instance-issue"),
    ):
        response = engineer_client.post(
            _action(case, "reclassify"),
            {"severity": severity, "classification": classification, "reason": "Triage."},
        )
        assert response.status_code == 302
    url = reverse("console:case", args=[case.case_id])
    timeline = engineer_client.get(url).content.decode().split('id="timeline-heading"')[1]
    assert (
        "Severity: General guidance → Production system down, "
        "Category: Instance Issue → Other (Triage.)"
    ) in timeline
    assert (
        "Service: Elastic Compute Cloud (EC2 - Linux) → Elastic Compute Cloud (EC2 - Windows), "
        "Category: Other → Instance Issue (Triage.)"
    ) in timeline
    assert "amazon-elastic" not in timeline and "Other (Windows)" not in timeline
    japanese = engineer_client.get(url, HTTP_ACCEPT_LANGUAGE="ja").content.decode()
    assert "重要度: 一般的なガイダンス → 本番システムのダウン" in japanese


def _reply_statuses(page: str) -> list[str]:
    select = page[page.index('name="next_status"') :]
    return re.findall(r'<option value="([^"]+)"', select[: select.index("</select>")])


def test_the_reply_offers_only_the_statuses_the_case_can_take(
    engineer_client, business_account, root
) -> None:
    """A resolved case only reopens (the Reopen button): replying to it keeps it resolved, so
    the reply offers no status the service would refuse after the engineer wrote the reply."""
    case = factories.make_case(business_account, root)
    url = reverse("console:case", args=[case.case_id])
    assert _reply_statuses(engineer_client.get(url).content.decode()) == [
        "pending-customer-action",
        "opened",
        "resolved",
    ]
    services.case_resolve(case=case, actor=root)
    page = engineer_client.get(url).content.decode()
    assert _reply_statuses(page) == ["resolved"]
    # A status the page did not offer (an old tab) is refused beside the field, the text kept.
    refused = engineer_client.post(
        _action(case, "reply"), {"body": "One more thing.", "next_status": "opened"}
    )
    assert refused.status_code == 400
    page = refused.content.decode()
    assert "Select a valid choice. opened is not one of the available choices." in page
    assert "One more thing." in page
    services.case_reopen(case=case, actor=root)
    assert _reply_statuses(engineer_client.get(url).content.decode()) == [
        "pending-customer-action",
        "opened",
        "resolved",
    ]


def test_the_account_panel_names_the_country_in_the_readers_language(
    engineer_client, business_account, root
) -> None:
    # Test set-up only: the country as an account's settings page would have saved it.
    Account.objects.filter(pk=business_account.pk).update(country="JP")
    case = factories.make_case(business_account, root)
    url = reverse("console:case", args=[case.case_id])
    for language, name in (("en", "Japan (JP)"), ("ja", "日本 (JP)")):
        page = engineer_client.get(url, HTTP_ACCEPT_LANGUAGE=language).content.decode()
        panel = page[page.index('id="account-heading"') : page.index('id="timeline-heading"')]
        assert name in panel, language
