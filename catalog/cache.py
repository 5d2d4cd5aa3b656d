"""The catalog (services, categories, severities and the plans' cells) kept in each process.

Every case created reads its service, category and the plan's severity cell; loading them costs
more than the rest of the validation. They change only when an operator edits the catalog, so
each process keeps a snapshot and checks that it is current with one cheap statement: the row
count and the newest `updated_at` of each catalog table (every edit through the admin, the
reference-data loader or a service saves the row, which moves `updated_at`; an added or removed
row changes the count). A stale check loads the snapshot again.

Callers get copies of the cached instances, so nothing they set on them leaks into another
request.
"""

from __future__ import annotations

import copy
import functools
import threading
from dataclasses import dataclass, field
from typing import Any

from catalog.models import Category, PlanSeverity, Service, Severity, SupportPlan
from core import rawload

_TABLES = (Service, Category, Severity, PlanSeverity, SupportPlan)


@dataclass
class _Snapshot:
    stamp: tuple[Any, ...]
    # (service code, category code) -> active category of an active service, with its service
    categories: dict[tuple[str, str], Category] = field(default_factory=dict)
    # (plan id, severity code) -> the plan's cell, with its severity
    cells: dict[tuple[int, str], PlanSeverity] = field(default_factory=dict)
    severity_codes: frozenset[str] = frozenset()
    # Every row's code by id, inactive ones too (old cases keep their service and category).
    service_codes: dict[int, str] = field(default_factory=dict)
    category_codes: dict[int, str] = field(default_factory=dict)
    severity_codes_by_id: dict[int, str] = field(default_factory=dict)
    # Services whose cases go to the security contact too.
    security_service_ids: frozenset[int] = frozenset()

    def category_of_service(self, service_code: str, category_code: str) -> Category | None:
        """The active category `category_code` of the active service `service_code`, with its
        service loaded; None when either is unknown or inactive."""
        category = self.categories.get((service_code, category_code))
        if category is None:
            return None
        result = copy.copy(category)
        result.service = copy.copy(category.service)
        return result

    def plan_cell(self, plan: SupportPlan, severity_code: str) -> PlanSeverity | None:
        """The plan's cell for the severity, with the severity loaded; None if the plan does
        not offer it."""
        cell = self.cells.get((plan.pk, severity_code))
        if cell is None:
            return None
        result = copy.copy(cell)
        result.severity = copy.copy(cell.severity)
        return result

    def severity_exists(self, code: str) -> bool:
        return code in self.severity_codes


# A catalog with nothing in it, for code paths that need none.
NONE = _Snapshot(stamp=())
_lock = threading.Lock()
_current: _Snapshot | None = None


@functools.cache
def _stamp_sql() -> str:
    q = rawload.quote
    parts = []
    for model in _TABLES:
        table = q(model._meta.db_table)
        parts.append(f"(SELECT COUNT(*) FROM {table})")
        parts.append(f"(SELECT MAX({q('updated_at')}) FROM {table})")
    return "SELECT " + ", ".join(parts)


def _load(stamp: tuple[Any, ...]) -> _Snapshot:
    snapshot = _Snapshot(stamp=stamp)
    for category in Category.objects.select_related("service").filter(
        is_active=True, service__is_active=True
    ):
        snapshot.categories[(category.service.code, category.code)] = category
    for cell in PlanSeverity.objects.select_related("severity"):
        snapshot.cells[(cell.plan_id, cell.severity.code)] = cell
    snapshot.service_codes = dict(Service.objects.values_list("id", "code"))
    snapshot.security_service_ids = frozenset(
        Service.objects.filter(is_security=True).values_list("id", flat=True)
    )
    snapshot.category_codes = dict(Category.objects.values_list("id", "code"))
    snapshot.severity_codes_by_id = dict(Severity.objects.values_list("id", "code"))
    snapshot.severity_codes = frozenset(snapshot.severity_codes_by_id.values())
    return snapshot


def _snapshot() -> _Snapshot:
    global _current
    stamp = tuple(rawload.fetch_all(_stamp_sql(), [])[0])
    current = _current
    if current is not None and current.stamp == stamp:
        return current
    loaded = _load(stamp)
    with _lock:
        _current = loaded
    return loaded


def current() -> _Snapshot:
    """The catalog as it is now (one statement checks the process's snapshot; a stale one is
    loaded again). Read what a call needs from one snapshot."""
    return _snapshot()
