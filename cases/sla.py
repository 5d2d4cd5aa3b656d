"""First-response deadlines.

Most plans count wall-clock time. Plans with `business_hours_only` (Developer) count business
hours: 08:00-18:00 on weekdays in the account's time zone, without that country's public holidays
(the `holidays` package). Windows are built in local time and converted to UTC, so a DST change
makes a business day shorter or longer in UTC exactly as it does on the wall clock.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays
from django.conf import settings

from cases.models import Case, CaseStatus

UTC = ZoneInfo("UTC")
# Never loop for ever on a misconfigured calendar (e.g. every day a holiday).
_MAX_DAYS = 3660


@lru_cache(maxsize=256)
def _holiday_calendar(country: str, year: int) -> holidays.HolidayBase | dict:
    try:
        return holidays.country_holidays(country, years=year)
    except NotImplementedError:
        return {}


def is_holiday(country: str, day: date) -> bool:
    return day in _holiday_calendar(country.upper(), day.year)


def is_business_day(country: str, day: date) -> bool:
    return day.weekday() < 5 and not is_holiday(country, day)


def business_window(day: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """The business hours of `day` as aware UTC datetimes."""
    start = datetime.combine(day, time(settings.SUPPORTCENTER_BUSINESS_HOURS_START), tzinfo=tz)
    end = datetime.combine(day, time(settings.SUPPORTCENTER_BUSINESS_HOURS_END), tzinfo=tz)
    return start.astimezone(UTC), end.astimezone(UTC)


def add_business_minutes(
    start: datetime, minutes: int, *, time_zone: str, country: str
) -> datetime:
    """The moment `minutes` business minutes after `start` (an aware datetime)."""
    tz = ZoneInfo(time_zone)
    remaining = timedelta(minutes=minutes)
    cursor = start.astimezone(UTC)
    day = cursor.astimezone(tz).date()
    for _ in range(_MAX_DAYS):
        if is_business_day(country, day):
            open_at, close_at = business_window(day, tz)
            begin = max(cursor, open_at)
            if begin < close_at:
                available = close_at - begin
                if remaining <= available:
                    return begin + remaining
                remaining -= available
        day += timedelta(days=1)
    raise ValueError(f"No business hours within {_MAX_DAYS} days for country {country!r}.")


def first_response_deadline(
    start: datetime,
    response_minutes: int,
    *,
    business_hours_only: bool,
    time_zone: str,
    country: str,
) -> datetime:
    if not business_hours_only:
        return start + timedelta(minutes=response_minutes)
    return add_business_minutes(start, response_minutes, time_zone=time_zone, country=country)


def business_hours_open(moment: datetime, *, time_zone: str, country: str) -> bool:
    tz = ZoneInfo(time_zone)
    day = moment.astimezone(tz).date()
    if not is_business_day(country, day):
        return False
    open_at, close_at = business_window(day, tz)
    return open_at <= moment.astimezone(UTC) < close_at


def first_response_clock(
    start: datetime,
    response_minutes: int,
    *,
    warning_percent: int,
    business_hours_only: bool,
    time_zone: str,
    country: str,
) -> tuple[datetime, datetime]:
    """(deadline, warning time): when the first response is due, and when engineers are warned
    that it soon will be (`warning_percent` of the target gone, counted the same way)."""
    warning_minutes = max(1, response_minutes * warning_percent // 100)
    due, warn = (
        first_response_deadline(
            start,
            minutes,
            business_hours_only=business_hours_only,
            time_zone=time_zone,
            country=country,
        )
        for minutes in (response_minutes, warning_minutes)
    )
    return due, warn


@dataclass(frozen=True)
class FirstResponseSla:
    """A case's first-response SLA as data (DescribeCases' `sla*` members, the Support Case
    Update event's `sla-*` fields), read the way the case page and the console read it."""

    # When the first response is due; None when the plan sets no target for the severity.
    deadline: datetime | None
    # Whole seconds until the deadline while the case is open and unanswered, negative once it
    # has passed; None once answered, resolved, or without a deadline.
    seconds_to_breach: int | None
    # True or False once decided (answered in time or late; or the deadline passed without an
    # answer); None while it may still be met, or without a deadline.
    met: bool | None


def first_response_sla(case: Case, now: datetime) -> FirstResponseSla:
    """`case`'s first-response SLA at `now` (its own columns only: no query)."""
    due = case.first_response_due_at
    if case.first_responded_at is not None:
        return FirstResponseSla(due, None, case.first_response_met)
    if due is None:
        return FirstResponseSla(None, None, None)
    if case.status == CaseStatus.RESOLVED:
        # Resolved without an answer: the clock stopped when the case was resolved.
        ended = case.resolved_at or now
        return FirstResponseSla(due, None, False if ended > due else None)
    seconds = math.floor((due - now).total_seconds())
    return FirstResponseSla(due, seconds, False if seconds < 0 else None)
