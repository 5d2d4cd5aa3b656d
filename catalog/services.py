"""Writes for the service catalog and the reference data."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction

from catalog import reference
from catalog.models import Category, PlanSeverity, Service, Severity, SupportPlan


@dataclass
class LoadResult:
    created: int = 0

    def add(self, created: bool) -> None:
        self.created += int(created)


@transaction.atomic
def reference_data_load() -> LoadResult:
    """Create the severities, plans, response-time matrix and service catalog that are missing.
    Existing rows are left as they are (operators edit them in the admin), so running it twice
    changes nothing. The managed IAM policies are accounts' (`managed_policies_load`).
    """
    result = LoadResult()
    severities: dict[str, Severity] = {}
    for row in reference.SEVERITIES:
        severity, created = Severity.objects.get_or_create(
            code=row["code"],
            defaults={k: row[k] for k in ("name", "name_ja", "level", "description")},
        )
        severities[severity.code] = severity
        result.add(created)
    for row in reference.PLANS:
        fields = {k: v for k, v in row.items() if k not in ("code", "severities")}
        plan, created = SupportPlan.objects.get_or_create(code=row["code"], defaults=fields)
        result.add(created)
        if created:
            for code in row["severities"]:
                _, cell_created = PlanSeverity.objects.get_or_create(
                    plan=plan,
                    severity=severities[code],
                    defaults={"response_minutes": reference.TARGETS[code]},
                )
                result.add(cell_created)
    for row in reference.services():
        service, created = Service.objects.get_or_create(
            code=row["code"],
            defaults={
                "name": row["name"],
                "name_ja": row.get("name_ja", ""),
                "case_type": row.get("case_type", "technical"),
            },
        )
        result.add(created)
        for cat in row["categories"]:
            extra = cat.get("extra_field") or {}
            _, created = Category.objects.get_or_create(
                service=service,
                code=cat["code"],
                defaults={
                    "name": cat["name"],
                    "name_ja": cat.get("name_ja", ""),
                    "help_links": cat.get("help_links", []),
                    "extra_field_label": extra.get("label", ""),
                },
            )
            result.add(created)
    return result
