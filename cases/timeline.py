"""A case's timeline for the engineers' console: its events, oldest first, with each
reclassification's codes named in the reader's language."""

from __future__ import annotations

from collections.abc import Sequence

from django.utils.translation import gettext_lazy

from cases.models import Case, CaseEvent, CaseEventKind
from catalog.models import Category, Service, Severity


def case_timeline(case: Case) -> list[CaseEvent]:
    """A case's history, oldest first, with who did what (one query): creation, status changes,
    assignments, correspondence, CC additions, first response, reclassifications, callbacks.
    Reclassifications get `changes` (`_name_reclassifications`)."""
    events = list(CaseEvent.objects.filter(case=case).select_related("actor").order_by("id"))
    _name_reclassifications(case, events)
    return events


_RECLASSIFIED_FIELDS = {
    "severity": gettext_lazy("Severity"),
    "service": gettext_lazy("Service"),
    "category": gettext_lazy("Category"),
}


def _name_reclassifications(case: Case, events: Sequence[CaseEvent]) -> None:
    """Sets `changes` on each reclassification: (field, old name, new name) in the reader's
    language, from the codes the event keeps (inactive entries included; a code no longer in the
    catalog is shown as it is). At most three queries, only when the case was reclassified."""
    reclassified = [e for e in events if e.kind == CaseEventKind.RECLASSIFIED]
    if not reclassified:
        return
    # A category code belongs to a service: the one the case had at the time, found by walking
    # back from the case's service through the service changes.
    service_code = case.service.code
    services_at: dict[int, tuple[str, str]] = {}
    for event in reversed(reclassified):
        after = service_code
        change = event.data.get("service") if isinstance(event.data, dict) else None
        if isinstance(change, dict) and isinstance(change.get("from"), str):
            service_code = change["from"]
        services_at[event.pk] = (service_code, after)
    codes: dict[str, set[str]] = {name: set() for name in _RECLASSIFIED_FIELDS}
    for event in reclassified:
        for name, change in _changes_of(event):
            codes[name].update(change)
    severities = (
        {s.code: s.local_name for s in Severity.objects.filter(code__in=codes["severity"])}
        if codes["severity"]
        else {}
    )
    services = (
        {s.code: s.local_name for s in Service.objects.filter(code__in=codes["service"])}
        if codes["service"]
        else {}
    )
    categories = (
        {
            (c.service.code, c.code): c.local_name
            for c in Category.objects.filter(
                code__in=codes["category"],
                service__code__in={code for pair in services_at.values() for code in pair},
            ).select_related("service")
        }
        if codes["category"]
        else {}
    )
    for event in reclassified:
        before_service, after_service = services_at[event.pk]
        changes = []
        for name, (old, new) in _changes_of(event):
            if name == "severity":
                names = severities.get(old, old), severities.get(new, new)
            elif name == "service":
                names = services.get(old, old), services.get(new, new)
            else:
                names = (
                    categories.get((before_service, old), old),
                    categories.get((after_service, new), new),
                )
            changes.append((_RECLASSIFIED_FIELDS[name], *names))
        event.changes = changes  # type: ignore[attr-defined]


def _changes_of(event: CaseEvent) -> list[tuple[str, tuple[str, str]]]:
    """The (field, (old code, new code)) pairs a reclassification keeps, in the fields' order."""
    data = event.data if isinstance(event.data, dict) else {}
    pairs = []
    for name in _RECLASSIFIED_FIELDS:
        change = data.get(name)
        if isinstance(change, dict):
            pairs.append((name, (str(change.get("from", "")), str(change.get("to", "")))))
    return pairs
