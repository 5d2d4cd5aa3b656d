"""First-response deadlines: wall clock, business hours, weekends, holidays and DST."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from cases.sla import add_business_minutes, business_hours_open, first_response_deadline
from tests import factories

UTC = ZoneInfo("UTC")
NY = ZoneInfo("America/New_York")
TOKYO = ZoneInfo("Asia/Tokyo")
LONDON = ZoneInfo("Europe/London")


def at(tz, *args):
    return datetime(*args, tzinfo=tz)


@pytest.mark.parametrize(
    ("start", "minutes", "tz", "country", "expected"),
    [
        # Inside one business day.
        (at(NY, 2026, 11, 23, 9, 0), 120, "America/New_York", "US", at(NY, 2026, 11, 23, 11, 0)),
        # Before opening: the clock starts at 08:00.
        (at(NY, 2026, 11, 23, 6, 0), 60, "America/New_York", "US", at(NY, 2026, 11, 23, 9, 0)),
        # After closing: the next business morning.
        (at(NY, 2026, 11, 23, 19, 0), 60, "America/New_York", "US", at(NY, 2026, 11, 24, 9, 0)),
        # Across a weekend: Friday 17:00 + 12 h = 1 h Friday, 10 h Monday, 1 h Tuesday.
        (at(NY, 2026, 11, 13, 17, 0), 720, "America/New_York", "US", at(NY, 2026, 11, 17, 9, 0)),
        # Saturday start: Monday morning.
        (at(NY, 2026, 11, 14, 12, 0), 30, "America/New_York", "US", at(NY, 2026, 11, 16, 8, 30)),
        # Thanksgiving (Thursday 26 Nov 2026) is skipped.
        (at(NY, 2026, 11, 25, 17, 0), 120, "America/New_York", "US", at(NY, 2026, 11, 27, 9, 0)),
        # Japanese New Year holidays (1 Jan is a public holiday; 2 Jan 2027 is a Saturday).
        (at(TOKYO, 2026, 12, 31, 17, 0), 120, "Asia/Tokyo", "JP", at(TOKYO, 2027, 1, 4, 9, 0)),
        # But the US does not observe Japan's holidays.
        (at(NY, 2027, 1, 4, 17, 0), 60, "America/New_York", "US", at(NY, 2027, 1, 4, 18, 0)),
        # DST starts in the US on Sunday 8 March 2026: Monday's 08:00 is 12:00 UTC, not 13:00.
        (at(NY, 2026, 3, 6, 17, 0), 120, "America/New_York", "US", at(UTC, 2026, 3, 9, 13, 0)),
        # DST ends in the UK on Sunday 25 October 2026: Monday's 08:00 is 08:00 UTC.
        (at(LONDON, 2026, 10, 23, 17, 30), 60, "Europe/London", "GB", at(UTC, 2026, 10, 26, 8, 30)),
        # A start given in UTC is read in the account's zone.
        (at(UTC, 2026, 11, 23, 23, 30), 60, "Asia/Tokyo", "JP", at(TOKYO, 2026, 11, 24, 9, 30)),
        # Exactly at closing time the deadline is that moment, not the next morning.
        (at(NY, 2026, 11, 23, 17, 0), 60, "America/New_York", "US", at(NY, 2026, 11, 23, 18, 0)),
    ],
)
def test_business_hours_deadline(start, minutes, tz, country, expected) -> None:
    assert add_business_minutes(start, minutes, time_zone=tz, country=country) == expected


def test_wall_clock_plans_ignore_weekends_and_holidays() -> None:
    start = at(NY, 2026, 11, 25, 17, 0)
    deadline = first_response_deadline(
        start, 240, business_hours_only=False, time_zone="America/New_York", country="US"
    )
    assert deadline == start + timedelta(hours=4)


def test_business_hours_open() -> None:
    kw = {"time_zone": "America/New_York", "country": "US"}
    assert business_hours_open(at(NY, 2026, 11, 23, 8, 0), **kw)
    assert not business_hours_open(at(NY, 2026, 11, 23, 18, 0), **kw)
    assert not business_hours_open(at(NY, 2026, 11, 26, 12, 0), **kw)  # Thanksgiving
    assert not business_hours_open(at(NY, 2026, 11, 28, 12, 0), **kw)  # Saturday


def test_case_stores_deadline_by_plan(reference_data) -> None:
    developer = factories.make_account("developer", country="US", time_zone="America/New_York")
    business = factories.make_account("business", country="US", time_zone="America/New_York")
    # Friday 20 November 2026, 17:00 in New York.
    with time_machine.travel(at(NY, 2026, 11, 20, 17, 0), tick=False):
        dev_case = factories.make_case(developer, severity_code="normal")
        biz_case = factories.make_case(business, severity_code="normal")
    # Developer: 12 business hours = 1 h Friday + 10 h Monday + 1 h Tuesday (Nov 24, 09:00).
    assert dev_case.first_response_due_at == at(NY, 2026, 11, 24, 9, 0)
    # Business: 12 wall-clock hours.
    assert biz_case.first_response_due_at == at(NY, 2026, 11, 21, 5, 0)


def test_first_engineer_response_records_met_or_breached(reference_data, engineer) -> None:
    account = factories.make_account("business")
    start = at(UTC, 2026, 11, 23, 10, 0)
    with time_machine.travel(start, tick=False):
        on_time = factories.make_case(account, severity_code="urgent")  # 1 hour
        late = factories.make_case(account, severity_code="urgent")
    from cases.services import case_support_reply

    with time_machine.travel(start + timedelta(minutes=59), tick=False):
        case_support_reply(case=on_time, actor=engineer, body="Looking.", next_status="opened")
    with time_machine.travel(start + timedelta(minutes=61), tick=False):
        case_support_reply(case=late, actor=engineer, body="Looking.", next_status="opened")
    on_time.refresh_from_db()
    late.refresh_from_db()
    assert on_time.first_response_met is True
    assert late.first_response_met is False
    # A second reply does not move the first-response record.
    with time_machine.travel(start + timedelta(hours=3), tick=False):
        case_support_reply(
            case=on_time, actor=engineer, body="More.", next_status="pending-customer-action"
        )
    on_time.refresh_from_db()
    assert on_time.first_responded_at == start + timedelta(minutes=59)
    assert on_time.first_response_met is True
