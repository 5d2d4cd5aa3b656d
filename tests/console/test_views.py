"""The engineers' console through the test client."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from cases.models import Case, InternalNote
from tests import factories


@pytest.fixture
def engineer_client(client, engineer):
    client.force_login(engineer.user)
    return client


def test_only_engineers_use_the_console(client, business_account) -> None:
    assert client.get(reverse("console:queue")).status_code == 302
    client.force_login(factories.root_of(business_account))
    for name in ("console:queue", "console:realtime", "console:dashboard"):
        assert client.get(reverse(name)).status_code == 403


def test_queue_orders_by_deadline_and_filters(
    engineer_client, business_account, root, reference_data
) -> None:
    enterprise = factories.make_account("enterprise")
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        low = factories.make_case(business_account, root, subject="low one", severity_code="low")
        critical = factories.make_case(enterprise, subject="critical one", severity_code="critical")
        chat = factories.make_case(
            enterprise, subject="chat one", severity_code="high", contact_method="chat"
        )
    with time_machine.travel(start + timedelta(minutes=20), tick=False):
        page = engineer_client.get(reverse("console:queue"))
    content = page.content.decode()
    assert content.index("critical one") < content.index("chat one") < content.index("low one")
    assert "Overdue by 5" in content.replace("\xa0", " ")  # 15-minute target, 20 minutes ago
    assert "minutes left" in content.replace("\xa0", " ")
    filtered = engineer_client.get(
        reverse("console:queue"), {"plan": "business"}, HTTP_HX_REQUEST="true"
    )
    assert b"low one" in filtered.content and b"critical one" not in filtered.content
    assert b"<html" not in filtered.content
    realtime = engineer_client.get(reverse("console:realtime"))
    assert b"chat one" in realtime.content and b"low one" not in realtime.content
    # A filter changed with JavaScript on: the real-time queue answers with its results region.
    narrowed = engineer_client.get(
        reverse("console:realtime"), {"plan": "business"}, HTTP_HX_REQUEST="true"
    )
    assert narrowed.status_code == 200
    assert b'id="results"' in narrowed.content and b"<html" not in narrowed.content
    assert b"low one" not in narrowed.content
    del low, critical, chat


@pytest.mark.parametrize("count", [3, 40])
def test_queue_query_count_is_constant(
    engineer_client, business_account, root, count, django_assert_num_queries
) -> None:
    for index in range(count):
        factories.make_case(business_account, root, subject=f"case {index}")
    # 1 session; 2 user; 3 engineers (assignee filter); 4 plans, 5 severities, 6 services
    # (filter choices); 7 the page (keyset: no count) with account, plan, severity, service and
    # assignee.
    with django_assert_num_queries(7):
        response = engineer_client.get(reverse("console:queue"))
    assert response.status_code == 200


def test_claim_reply_note_and_resolve(engineer_client, engineer, business_account, root) -> None:
    case = factories.make_case(business_account, root)
    url = reverse("console:case", args=[case.case_id])
    assert engineer_client.get(url).status_code == 200
    engineer_client.post(reverse("console:case-action", args=[case.case_id, "claim"]))
    case.refresh_from_db()
    assert (case.status, case.assignee_id) == ("work-in-progress", engineer.user.pk)
    engineer_client.post(
        reverse("console:case-action", args=[case.case_id, "note"]), {"body": "Customer is on v2."}
    )
    assert InternalNote.objects.get(case=case).body == "Customer is on v2."
    engineer_client.post(
        reverse("console:case-action", args=[case.case_id, "reply"]),
        {"body": "Which region?", "next_status": "pending-customer-action"},
    )
    case.refresh_from_db()
    assert case.status == "pending-customer-action"
    assert case.first_response_met is True
    bad = engineer_client.post(
        reverse("console:case-action", args=[case.case_id, "reply"]),
        {"body": "", "next_status": "resolved"},
    )
    assert bad.status_code == 400
    engineer_client.post(
        reverse("console:case-action", args=[case.case_id, "reply"]),
        {"body": "Fixed.", "next_status": "resolved"},
    )
    case.refresh_from_db()
    assert case.status == "resolved"
    # Customers never see internal notes.
    engineer_client.force_login(factories.root_of(business_account))
    page = engineer_client.get(reverse("cases:detail", args=[case.case_id]))
    assert b"Which region?" in page.content
    assert b"Customer is on v2." not in page.content


def test_dashboard_figures(engineer_client, engineer, business_account, root) -> None:
    case = factories.make_case(business_account, root, severity_code="urgent")
    from cases.services import case_support_reply

    case_support_reply(case=case, actor=engineer, body="On it.", next_status="opened")
    factories.make_case(business_account, root, severity_code="urgent")
    from console.selectors import dashboard

    data = dashboard()
    assert data["open_total"] == 2
    assert data["by_severity"]["values"] == [100.0]
    assert sum(data["new_cases"]["values"]) == 2
    response = engineer_client.get(reverse("console:dashboard"))
    assert response.status_code == 200
    assert b"chart.umd.min" in response.content and b'id="data-backlog"' in response.content
    assert Case.objects.count() == 2


def test_engineers_can_narrow_the_queue_to_their_services(
    engineer_client, engineer, business_account, root
) -> None:
    from catalog.models import Service

    factories.make_case(business_account, root, subject="ec2 case")
    factories.make_case(
        business_account,
        root,
        subject="billing case",
        service_code="billing",
        category_code="charge-inquiry",
    )
    engineer.user.services.add(Service.objects.get(code="billing"))
    page = engineer_client.get(reverse("console:queue"), {"mine": "on"})
    assert b"billing case" in page.content and b"ec2 case" not in page.content
    everything = engineer_client.get(reverse("console:queue"))
    assert b"billing case" in everything.content and b"ec2 case" in everything.content


def test_the_queue_offers_only_the_statuses_it_lists(engineer_client) -> None:
    # The queue holds open cases: a "Resolved" choice would always show an empty queue.
    page = engineer_client.get(reverse("console:queue")).content.decode()
    select = page[page.index('name="status"') :]
    select = select[: select.index("</select>")]
    assert 'value="pending-customer-action"' in select and 'value="reopened"' in select
    assert 'value="resolved"' not in select


def test_severities_are_named_in_the_readers_language(
    engineer_client, engineer, business_account, root
) -> None:
    from cases.services import case_support_reply

    case = factories.make_case(business_account, root, severity_code="low")
    case_support_reply(case=case, actor=engineer, body="On it.", next_status="opened")
    ja = {"HTTP_ACCEPT_LANGUAGE": "ja"}
    # The queue's severity filter, and the dashboard's attainment by severity.
    queue = engineer_client.get(reverse("console:queue"), **ja).content.decode()
    assert '<option value="low">一般的なガイダンス</option>' in queue
    dashboard = engineer_client.get(reverse("console:dashboard"), **ja).content.decode()
    assert '<th scope="row">一般的なガイダンス</th>' in dashboard
    assert "General guidance" not in dashboard
    english = engineer_client.get(reverse("console:dashboard")).content.decode()
    assert '<th scope="row">General guidance</th>' in english


def test_the_wrong_side_is_told_whose_page_it_is(client, business_account, root) -> None:
    """A customer at the console and an engineer at a customer's page are not told to ask for an
    IAM policy (none opens it, and an engineer has no account): the page says whose side it is
    on and leads to their own, an engineer to the same case in the console."""
    case = factories.make_case(business_account, root)
    client.force_login(root.user)
    page = client.get(reverse("console:queue"))
    assert page.status_code == 403
    text = page.content.decode()
    assert "This page is for support engineers." in text
    assert f'href="{reverse("cases:list")}"' in text
    assert "attach a policy" not in text and "<code>console</code>" not in text

    client.force_login(factories.make_engineer())
    page = client.get(reverse("cases:detail", args=[case.case_id]), HTTP_ACCEPT_LANGUAGE="ja")
    assert page.status_code == 403
    text = page.content.decode()
    assert "このページはお客様向けです。" in text
    assert f'href="{reverse("console:case", args=[case.case_id])}"' in text
    assert "ポリシー" not in text
    page = client.get(reverse("cases:list"))
    assert f'href="{reverse("console:queue")}"' in page.content.decode()
    assert "attach a policy" not in page.content.decode()
