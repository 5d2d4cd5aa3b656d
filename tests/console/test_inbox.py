"""Engineers are told what needs them: new cases (to those who cover the service), customers'
replies and reopenings (to the assignee), assignments, and first responses about to be missed;
in the console's inbox and, by preference, by email; each event once."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from accounts.principals import SYSTEM
from cases import services
from cases.alerts import ASSIGNED, CUSTOMER_REPLY, KINDS, NEW_CASE, SLA_WARNING
from cases.services.maintenance import cases_purge, cases_sla_warn
from catalog.models import Service
from notifications.inbox import inbox_preference_set
from notifications.models import InboxItem, Notification
from tests import factories

EC2 = "amazon-elastic-compute-cloud-linux"


def _engineer(email: str, *, covers: str | None = None):
    user = factories.make_engineer(email=email)
    if covers:
        user.services.add(Service.objects.get(code=covers))
    return factories.principal(user)


def _items(user) -> list[tuple[str, str]]:
    return list(InboxItem.objects.filter(recipient=user).values_list("kind", "dedupe_key"))


def _emails_to(address: str) -> list[str]:
    return [
        n.kind for n in Notification.objects.filter(recipients=[address]).order_by("created_at")
    ]


def test_a_new_case_goes_to_the_engineers_who_cover_its_service(
    business_account, root, reference_data
) -> None:
    ec2 = _engineer("ec2@example.com", covers=EC2)
    billing = _engineer("billing@example.com", covers="billing")
    case = factories.make_case(business_account, root)
    assert _items(ec2.user) == [(NEW_CASE, f"{NEW_CASE}:{case.case_id}")]
    assert _items(billing.user) == []
    assert _emails_to("ec2@example.com") == [NEW_CASE]
    item = InboxItem.objects.get(recipient=ec2.user)
    assert item.url == reverse("console:case", args=[case.case_id])
    assert item.title == f"{case.display_id}: {case.subject}"


def test_nobody_covering_means_everyone_is_told(business_account, root, reference_data) -> None:
    first, second = _engineer("a@example.com"), _engineer("b@example.com")
    factories.make_case(business_account, root)
    assert [kind for kind, _ in _items(first.user)] == [NEW_CASE]
    assert [kind for kind, _ in _items(second.user)] == [NEW_CASE]


def test_email_follows_preferences_except_for_urgent_cases(
    reference_data, root, business_account
) -> None:
    engineer = _engineer("quiet@example.com", covers=EC2)
    inbox_preference_set(user=engineer.user, email_kinds=[ASSIGNED])
    factories.make_case(business_account, root, severity_code="low")
    assert _emails_to("quiet@example.com") == []  # in the inbox only
    factories.make_case(business_account, root, severity_code="urgent")
    assert _emails_to("quiet@example.com") == [NEW_CASE]  # urgent: always emailed
    assert [kind for kind, _ in _items(engineer.user)] == [NEW_CASE, NEW_CASE]


def test_replies_reopenings_and_assignments_reach_the_assignee(
    business_account, root, reference_data
) -> None:
    mine = _engineer("mine@example.com", covers=EC2)
    lead = _engineer("lead@example.com", covers="billing")
    case = factories.make_case(business_account, root)
    services.case_assign(case=case, engineer=mine.user, actor=mine)  # a claim: no alert
    assert ASSIGNED not in [kind for kind, _ in _items(mine.user)]
    services.case_support_reply(case=case, actor=mine, body="Logs?", next_status="opened")
    reply = services.case_add_communication(case=case, actor=root, body="Attached.")
    services.case_resolve(case=case, actor=root)
    services.case_reopen(case=case, actor=root)
    kinds = [(kind, key.split(":")[0]) for kind, key in _items(mine.user)]
    assert kinds.count((CUSTOMER_REPLY, CUSTOMER_REPLY)) == 2  # the reply and the reopening
    assert (CUSTOMER_REPLY, f"{CUSTOMER_REPLY}:{reply.communication_id}") in _items(mine.user)
    other = factories.make_case(business_account, root)
    services.case_assign(case=other, engineer=mine.user, actor=lead)
    assert (ASSIGNED, ASSIGNED) in [(k, key.split(":")[0]) for k, key in _items(mine.user)]
    assert [kind for kind, _ in _items(lead.user)] == []  # covers billing only


def test_the_sla_warning_goes_out_once(business_account, root, reference_data) -> None:
    engineer = _engineer("sla@example.com", covers=EC2)
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        case = factories.make_case(business_account, root, severity_code="urgent")
    assert case.first_response_warn_at == case.created_at + timedelta(minutes=30)  # half of 60
    with time_machine.travel(start + timedelta(minutes=29), tick=False):
        assert cases_sla_warn() == 0
    with time_machine.travel(start + timedelta(minutes=31), tick=False):
        assert cases_sla_warn() == 1
        assert cases_sla_warn() == 0
    assert (SLA_WARNING, f"{SLA_WARNING}:{case.case_id}") in _items(engineer.user)
    assert _emails_to("sla@example.com") == [NEW_CASE, SLA_WARNING]
    answered = factories.make_case(business_account, root, severity_code="urgent")
    services.case_support_reply(
        case=answered, actor=engineer, body="Which region?", next_status="pending-customer-action"
    )
    with time_machine.travel(start + timedelta(hours=2), tick=False):
        assert cases_sla_warn() == 0  # answered, and waiting for the customer


def test_purged_cases_take_their_notifications_along(
    business_account, root, settings, reference_data
) -> None:
    engineer = _engineer("purge@example.com")
    case = factories.make_case(business_account, root)
    services.case_resolve(case=case, actor=root)
    assert InboxItem.objects.filter(topic=case.case_id).exists()
    later = timezone.now() + timedelta(days=settings.SUPPORTCENTER_CASE_RETENTION_DAYS + 1)
    assert cases_purge(now=later) == 1
    assert not InboxItem.objects.filter(recipient=engineer.user).exists()


@pytest.fixture
def engineer_client(client, engineer):
    client.force_login(engineer.user)
    return client


@pytest.mark.parametrize("count", [2, 40])
def test_the_inbox_page_and_its_counter(
    engineer_client, engineer, business_account, root, count, django_assert_num_queries
) -> None:
    for _ in range(count):
        factories.make_case(business_account, root)
    # 1 session; 2 user; 3 one page of items (keyset: no count).
    with django_assert_num_queries(3):
        page = engineer_client.get(reverse("console:inbox"))
    assert page.status_code == 200
    assert len(page.context["items"]) == min(count, 30)
    # 1 session; 2 user; 3 the unread count.
    with django_assert_num_queries(3):
        counter = engineer_client.get(reverse("console:inbox-count"), HTTP_HX_REQUEST="true")
    assert f">{count}</span>" in counter.content.decode()


def test_the_counter_stops_counting_at_a_hundred(engineer_client, engineer) -> None:
    InboxItem.objects.bulk_create(
        InboxItem(recipient=engineer.user, kind=NEW_CASE, title="t", url="/", dedupe_key=f"k{n}")
        for n in range(120)
    )
    counter = engineer_client.get(reverse("console:inbox-count"), HTTP_HX_REQUEST="true")
    assert ">99+</span>" in counter.content.decode()


def test_opening_an_item_marks_it_read_and_goes_to_the_case(
    engineer_client, engineer, business_account, root
) -> None:
    other = _engineer("other@example.com")
    case = factories.make_case(business_account, root)
    item = InboxItem.objects.get(recipient=engineer.user)
    opened = engineer_client.post(reverse("console:inbox-open", args=[item.pk]))
    assert opened.status_code == 302
    assert opened["Location"] == reverse("console:case", args=[case.case_id])
    item.refresh_from_db()
    assert item.read_at is not None
    theirs = InboxItem.objects.get(recipient=other.user)
    assert engineer_client.post(reverse("console:inbox-open", args=[theirs.pk])).status_code == 404
    factories.make_case(business_account, root)
    engineer_client.post(reverse("console:inbox-read-all"))
    assert not InboxItem.objects.filter(recipient=engineer.user, read_at__isnull=True).exists()
    assert InboxItem.objects.filter(recipient=other.user, read_at__isnull=True).exists()


def test_engineers_choose_what_comes_by_email(engineer_client, engineer) -> None:
    url = reverse("console:settings")
    page = engineer_client.get(url).content.decode()
    assert page.count("checked") == len(KINDS)  # every kind, until the engineer chooses
    saved = engineer_client.post(url, {"email_kinds": [ASSIGNED, SLA_WARNING]})
    assert saved.status_code == 302
    assert engineer.user.inbox_preference.email_kinds == [ASSIGNED, SLA_WARNING]


def test_customers_have_no_inbox(client, business_account) -> None:
    client.force_login(factories.root_of(business_account))
    assert client.get(reverse("console:inbox")).status_code == 403
    assert SYSTEM.is_system  # alerts are written whoever acts, the system included
