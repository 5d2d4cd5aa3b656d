"""CloudWatch conventions shared by the Trusted Advisor checks that read daily metrics and the
sample environment that writes them."""

from __future__ import annotations

from datetime import datetime, timedelta

DAY = timedelta(days=1)


def window_end(now: datetime) -> datetime:
    # CloudWatch rounds a start time within the last 15 days down to five minutes; a window that
    # starts on the hour is not moved, so day i of the series is exactly [start + i, start + i + 1).
    return now.replace(minute=0, second=0, microsecond=0)
