"""Times are shown in the viewer's time zone, with UTC on hover: engineers choose theirs,
customers read their account's; engineers' alert emails follow their zone too."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import time_machine
from django.urls import reverse

from accounts.principals import SYSTEM
from accounts.services import user_update
from audit.models import AuditEvent
from cases.alerts import NEW_CASE
from core.errors import InvalidParameterValueException
from notifications.models import Notification
from notifications.services import notifications_drain
from tests import factories

OPENED = datetime(2026, 12, 14, 23, 30, tzinfo=UTC)
UTC_TITLE = 'title="2026-12-14 23:30:00 UTC"'


@pytest.fixture
def tokyo_case(reference_data):
    account = factories.make_account(time_zone="America/New_York")
    with time_machine.travel(OPENED, tick=False):
        case = factories.make_case(account)
    return case


def test_an_engineer_reads_times_in_the_zone_they_chose(client, engineer, tokyo_case) -> None:
    client.force_login(engineer.user)
    url = reverse("console:case", args=[tokyo_case.case_id])
    assert "2026-12-14 23:30 UTC" in client.get(url).content.decode()  # until they choose
    saved = client.post(reverse("console:settings"), {"time_zone": "Asia/Tokyo"})
    assert saved.status_code == 302
    page = client.get(url).content.decode()
    assert "2026-12-15 08:30 JST" in page and UTC_TITLE in page
    assert 'datetime="2026-12-14T23:30:00+00:00"' in page
    record = AuditEvent.objects.get(event_name="UpdateUser")
    assert record.request_parameters["timeZone"] == "Asia/Tokyo"


def test_an_unknown_zone_is_a_form_error_that_keeps_the_choices(client, engineer) -> None:
    client.force_login(engineer.user)
    page = client.post(
        reverse("console:settings"), {"time_zone": "Mars/Olympus", "email_kinds": [NEW_CASE]}
    )
    assert page.status_code == 200
    assert "Select a valid choice" in page.content.decode()
    assert page.context["form"]["email_kinds"].value() == [NEW_CASE]
    engineer.user.refresh_from_db()
    assert engineer.user.time_zone == ""


def test_customers_read_their_accounts_zone(client, tokyo_case) -> None:
    client.force_login(factories.root_of(tokyo_case.account))
    for url in (reverse("cases:list"), reverse("cases:detail", args=[tokyo_case.case_id])):
        page = client.get(url).content.decode()
        assert "2026-12-14 18:30 EST" in page and UTC_TITLE in page
    with pytest.raises(InvalidParameterValueException, match="account's time zone"):
        user_update(user=factories.root_of(tokyo_case.account), actor=SYSTEM, time_zone="UTC")


def test_alert_emails_follow_the_engineers_zone(reference_data) -> None:
    engineer = factories.make_engineer(email="tokyo@example.com")
    user_update(user=engineer, actor=SYSTEM, time_zone="Asia/Tokyo")
    account = factories.make_account()
    with time_machine.travel(OPENED, tick=False):
        factories.make_case(account, severity_code="urgent")
        # A new case's alerts are composed by the sender.
        assert notifications_drain() == 2
    email = Notification.objects.get(recipients=["tokyo@example.com"], kind=NEW_CASE)
    assert "2026-12-15 09:30 JST" in email.body_text  # due an hour after opening


@pytest.mark.parametrize(
    ("zone", "opened", "due"),
    [
        # At UTC's offset the label is UTC, whatever the zone database calls it (GMT here).
        ("Europe/London", "2026-12-14 23:30", "2026-12-15 00:30 UTC"),
        ("Atlantic/Reykjavik", "2026-12-14 23:30", "2026-12-15 00:30 UTC"),
        ("Etc/GMT", "2026-12-14 23:30", "2026-12-15 00:30 UTC"),
        # A zone without an abbreviation ("+04") gives its offset from UTC.
        ("Asia/Dubai", "2026-12-15 03:30", "2026-12-15 04:30 UTC+04:00"),
        ("Asia/Kolkata", "2026-12-15 05:00", "2026-12-15 06:00 IST"),
    ],
)
def test_one_label_for_utc_on_customer_and_console_pages_and_in_emails(
    client, reference_data, zone, opened, due
) -> None:
    """A time at UTC's offset reads "UTC" on the customer's pages (the case list and page, the
    event history), the engineers' console and their alert emails alike, never "GMT"."""
    label = due.split(" ", 2)[2]
    account = factories.make_account(time_zone=zone)
    engineer = factories.make_engineer(email="alerts@example.com")
    user_update(user=engineer, actor=SYSTEM, time_zone=zone)
    with time_machine.travel(OPENED, tick=False):
        case = factories.make_case(account, severity_code="urgent")
    client.force_login(factories.root_of(account))
    for url, shown in (
        (reverse("cases:list"), f"{opened} {label}"),
        (reverse("cases:detail", args=[case.case_id]), f"{opened} {label}"),
        (reverse("cloudtrail:history"), f"{opened}:00 {label}"),
    ):
        page = client.get(url).content.decode()
        assert shown in page and " GMT" not in page, url
    client.force_login(engineer)
    page = client.get(reverse("console:case", args=[case.case_id])).content.decode()
    assert f"{opened} {label}" in page and " GMT" not in page and UTC_TITLE in page
    # The alert is composed by the sender (queued at the case's moment).
    with time_machine.travel(OPENED, tick=False):
        notifications_drain()
    email = Notification.objects.get(recipients=["alerts@example.com"], kind=NEW_CASE)
    assert f"First response due: {due}\n" in email.body_text
    assert f"<td>{due}</td>" in email.body_html
    assert " GMT" not in email.body_text + email.body_html


def test_summer_time_keeps_its_own_name(client, reference_data) -> None:
    account = factories.make_account(time_zone="Europe/London")
    with time_machine.travel(datetime(2026, 7, 1, 9, 0, tzinfo=UTC), tick=False):
        case = factories.make_case(account)
    client.force_login(factories.root_of(account))
    page = client.get(reverse("cases:detail", args=[case.case_id])).content.decode()
    assert "2026-07-01 10:00 BST" in page
