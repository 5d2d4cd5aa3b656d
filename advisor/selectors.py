"""Trusted Advisor reads. Every selector is scoped by the account it is given."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone, translation

from accounts.models import Account
from advisor.checks.base import REGISTRY, CheckSpec, catalog
from advisor.models import CheckResource, CheckResult, CheckState, CheckStatus
from core.paging import SortKey

CATEGORIES = ("cost_optimizing", "security", "fault_tolerance", "performance", "service_limits")


def check_states(account: Account, check_ids: Iterable[str]) -> dict[str, CheckState]:
    """The states (with their latest results) of the given checks, in one query."""
    states = CheckState.objects.filter(account=account, check_id__in=list(check_ids))
    return {s.check_id: s for s in states.select_related("latest_result")}


def check_state_get(account: Account, check_id: str) -> CheckState | None:
    """The account's state for one check with its latest result (one query), or None when the
    check was never refreshed."""
    return check_states(account, [check_id]).get(check_id)


# A result's rows in the check's order (position), the primary key breaking ties.
RESOURCE_ORDER = (SortKey("position"), SortKey("id"))


def check_resources(result: CheckResult | None) -> QuerySet[CheckResource]:
    if result is None:
        return CheckResource.objects.none()
    return result.resources.order_by("position")


def check_resource_values(result: CheckResult | None) -> QuerySet[CheckResource, tuple]:
    """The API's rows as plain tuples (status, region, resource_id, is_suppressed, metadata):
    a result can list thousands of resources, and model instances would double the cost."""
    return check_resources(result).values_list(
        "status", "region", "resource_id", "is_suppressed", "metadata"
    )


def check_status(state: CheckState | None) -> str:
    if state is None or state.latest_result is None:
        return CheckStatus.NOT_AVAILABLE
    return state.latest_result.status


# The dashboard's status for a check the account's plan does not include: never a result's.
LOCKED = "locked"


@dataclass
class CheckRow:
    """A check as the dashboard lists it. A locked one (outside the plan) has no state."""

    spec: CheckSpec
    state: CheckState | None
    locked: bool = False

    @property
    def status(self) -> str:
        return LOCKED if self.locked else check_status(self.state)

    @property
    def result(self) -> CheckResult | None:
        return self.state.latest_result if self.state is not None else None


def dashboard(
    account: Account, specs: list[CheckSpec], locked: Sequence[CheckSpec] = ()
) -> dict[str, Any]:
    """Checks grouped by category with red/yellow/green/not-available counts (one query).

    `locked` are the checks outside the account's plan: listed in their categories after the
    others, with their own count per category, but nothing of theirs is read (an account that
    was on a larger plan keeps its old results, which are not shown) and the totals and
    savings leave them out."""
    states = check_states(account, [s.id for s in specs])
    categories: dict[str, dict[str, Any]] = {
        c: {"code": c, "checks": [], "counts": defaultdict(int)} for c in CATEGORIES
    }
    totals: dict[str, int] = defaultdict(int)
    savings = 0.0
    for spec in specs:
        row = CheckRow(spec=spec, state=states.get(spec.id))
        category = categories[spec.category]
        category["checks"].append(row)
        category["counts"][row.status] += 1
        totals[row.status] += 1
        if row.result is not None:
            savings += row.result.estimated_monthly_savings
    for spec in locked:
        category = categories[spec.category]
        category["checks"].append(CheckRow(spec=spec, state=None, locked=True))
        category["counts"][LOCKED] += 1
    for category in categories.values():
        category["counts"] = dict(category["counts"])
        rank = {"error": 0, "warning": 1, "ok": 2, "not_available": 3, LOCKED: 4}
        category["checks"].sort(key=lambda r: (rank[r.status], str(r.spec.name)))
    return {
        "categories": [c for c in categories.values() if c["checks"]],
        "totals": dict(totals),
        "savings": round(savings, 2),
    }


@dataclass(frozen=True)
class CatalogCheck:
    """A check of AWS's catalog (`advisor/data/catalog.json`) that this installation does not
    compute: listed so customers know it exists, never given a result."""

    id: str
    name: str
    category: str
    # Japanese for the checks only listed here; computed checks' names are in the .po catalogue.
    name_ja: str = ""

    @property
    def local_name(self) -> str:
        if self.name_ja and (translation.get_language() or "").startswith("ja"):
            return self.name_ja
        return self.name


def checks_not_computed() -> list[CatalogCheck]:
    """The catalog's checks without an implementation in the registry, by category (in
    CATEGORIES order) and name. The API's DescribeTrustedAdvisorChecks leaves them out: it
    lists only checks that can be refreshed and read."""
    order = {code: index for index, code in enumerate(CATEGORIES)}
    missing = [
        CatalogCheck(
            id=facts["id"],
            name=facts["name"],
            category=facts["category"],
            name_ja=facts.get("name_ja", ""),
        )
        for facts in catalog().values()
        if facts["id"] not in REGISTRY
    ]
    return sorted(missing, key=lambda c: (order.get(c.category, len(order)), c.name))


def flagged_history(account: Account, check_ids: Iterable[str], days: int = 90) -> list[dict]:
    """Flagged resources over time: for each day with a run, the sum over checks of the flagged
    count of each check's newest result up to that day. One query."""
    since = timezone.now() - timedelta(days=days)
    rows = (
        CheckResult.objects.filter(
            account=account, check_id__in=list(check_ids), computed_at__gte=since
        )
        .order_by("computed_at")
        .values_list("check_id", "computed_at", "resources_flagged")
    )
    current: dict[str, int] = {}
    per_day: dict[date, int] = {}
    for check_id, computed_at, flagged in rows:
        current[check_id] = flagged
        per_day[timezone.localdate(computed_at)] = sum(current.values())
    return [{"date": d.isoformat(), "flagged": n} for d, n in per_day.items()]
