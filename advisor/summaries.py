"""An account's Trusted Advisor at a glance: red, yellow and green checks per category, the
estimated monthly savings and when a check last ran. Read for many accounts at once (the weekly
report), for one (the engineers' account panel), now or as it stood at an earlier moment (last
week's figures, from the results' history), each in one query whatever the number of checks.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db.models import OuterRef, Subquery
from django.utils.translation import gettext_lazy

from accounts.models import Account
from advisor.checks.base import CheckSpec
from advisor.models import CheckResult, CheckState, CheckStatus
from advisor.selectors import CATEGORIES

CATEGORY_LABELS = {
    "cost_optimizing": gettext_lazy("Cost optimization"),
    "security": gettext_lazy("Security"),
    "fault_tolerance": gettext_lazy("Fault tolerance"),
    "performance": gettext_lazy("Performance"),
    "service_limits": gettext_lazy("Service limits"),
}
STATUSES = (CheckStatus.ERROR, CheckStatus.WARNING, CheckStatus.OK, CheckStatus.NOT_AVAILABLE)


def _no_counts() -> dict[str, int]:
    return {str(status): 0 for status in STATUSES}


@dataclass
class Summary:
    """Checks per status in each category (those the plan includes), the savings the latest
    results estimate, and the newest result's time (None: nothing has run)."""

    categories: dict[str, dict[str, int]] = field(default_factory=dict)
    totals: dict[str, int] = field(default_factory=_no_counts)
    savings: float = 0.0
    last_refreshed: datetime | None = None

    @property
    def computed(self) -> int:
        """How many checks have a result."""
        return sum(self.totals.values()) - self.totals[CheckStatus.NOT_AVAILABLE]

    def rows(self) -> list[dict[str, Any]]:
        """The categories in the console's order, with their labels, for templates."""
        return [
            {"code": code, "label": CATEGORY_LABELS.get(code, code), "counts": counts}
            for code, counts in sorted(
                self.categories.items(),
                key=lambda item: CATEGORIES.index(item[0]) if item[0] in CATEGORIES else 99,
            )
        ]

    def figures(self) -> dict[str, Any]:
        """The numbers only, as JSON (what a weekly report keeps)."""
        return {
            "categories": self.categories,
            "totals": self.totals,
            "savings": self.savings,
            "computed": self.computed,
        }


def _summarise(specs: Iterable[CheckSpec], results: dict[str, CheckResult | None]) -> Summary:
    summary = Summary()
    savings = 0.0
    for spec in specs:
        result = results.get(spec.id)
        status = result.status if result is not None else CheckStatus.NOT_AVAILABLE
        counts = summary.categories.setdefault(spec.category, _no_counts())
        counts[status] += 1
        summary.totals[status] += 1
        if result is None:
            continue
        savings += result.estimated_monthly_savings
        if summary.last_refreshed is None or result.computed_at > summary.last_refreshed:
            summary.last_refreshed = result.computed_at
    summary.savings = round(savings, 2)
    return summary


def account_summaries(
    accounts: Sequence[tuple[Account, Sequence[CheckSpec]]], *, as_of: datetime | None = None
) -> dict[int, Summary]:
    """Each account's summary over its given checks (by account pk), in one query: the latest
    results, or with `as_of` the newest result of each check computed at or before then."""
    by_pk = {account.pk: specs for account, specs in accounts}
    if not by_pk:
        return {}
    found: dict[int, dict[str, CheckResult | None]] = {pk: {} for pk in by_pk}
    if as_of is None:
        states = CheckState.objects.filter(
            account_id__in=list(by_pk), latest_result__isnull=False
        ).select_related("latest_result")
        for state in states:
            found[state.account_id][state.check_id] = state.latest_result
    else:
        # Every check that ever ran has a state: its newest result up to `as_of` (the history
        # index, account + check + time, answers each in one step).
        newest = (
            CheckResult.objects.filter(
                account_id=OuterRef("account_id"),
                check_id=OuterRef("check_id"),
                computed_at__lte=as_of,
            )
            .order_by("-computed_at", "-pk")
            .values("pk")[:1]
        )
        wanted = (
            CheckState.objects.filter(account_id__in=list(by_pk))
            .annotate(result_pk=Subquery(newest))
            .exclude(result_pk=None)
            .values("result_pk")
        )
        for result in CheckResult.objects.filter(pk__in=wanted):
            found[result.account_id][result.check_id] = result
    return {pk: _summarise(specs, found[pk]) for pk, specs in by_pk.items()}


def account_summary(account: Account, specs: Sequence[CheckSpec]) -> Summary:
    """One account's summary of its latest results (one query)."""
    return account_summaries([(account, specs)])[account.pk]
