"""CloudWatch series at periods shorter than a day, for the checks whose criteria look inside a
day: hourly CPU of Redshift clusters, hourly IOPS of magnetic volumes, five-minute throughput of
the volumes behind an instance.

`helpers.period_metrics` reads them (`helpers.daily_metrics` is the same by the day); this
module keeps the periods' boundaries.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from advisor.checks.helpers import period_metrics

__all__ = ["FIVE_MINUTES", "HOUR", "day_start", "hour_start", "period_metrics"]

HOUR = timedelta(hours=1)
FIVE_MINUTES = timedelta(minutes=5)


def hour_start(moment: datetime) -> datetime:
    return moment.replace(minute=0, second=0, microsecond=0)


def day_start(moment: datetime) -> datetime:
    """Midnight UTC of `moment`'s day."""
    return moment.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
