"""Writes for the service catalog and the reference data: the loader that seeds it, and the
edits operators make in the admin (validated as the models validate, each with its audit record;
reference data belongs to no account, so the records have none)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.db.models import Model
from django.utils.translation import gettext_noop

from audit import services as audit
from audit.actors import Actor
from audit.names import AuditEventName
from catalog import reference
from catalog.models import (
    MAX_TARGET_MINUTES,
    Category,
    PlanSeverity,
    Service,
    Severity,
    SupportPlan,
)
from core.errors import InvalidParameterValueException


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
                    defaults={
                        "response_minutes": reference.TARGETS[code],
                        "next_reply_minutes": reference.NEXT_REPLY_TARGETS[code],
                    },
                )
                result.add(cell_created)
    for row in reference.services():
        service, created = Service.objects.get_or_create(
            code=row["code"],
            defaults={
                "name": row["name"],
                "name_ja": row.get("name_ja", ""),
                "case_type": row.get("case_type", "technical"),
                "is_security": row.get("is_security", False),
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
                    "extra_field_label_ja": extra.get("label_ja", ""),
                },
            )
            result.add(created)
    return result


# --- Operators' edits (the admin) ----------------------------------------------------------------

MSG_UNKNOWN_FIELDS = "{model} has no editable field(s) {fields}."
# Marked for translation: operators may read the admin in Japanese (display_message).
MSG_TARGET_MINUTES = gettext_noop(
    "A response-time target is a whole number of minutes from 1 to {limit} (a year)."
)
MSG_HELP_LINKS = gettext_noop(
    'Help links are a list of {"title": ..., "url": ...} with an http or https URL each, and '
    'optionally "title_ja", the title in Japanese.'
)
MSG_HELP_LINK_TITLE_JA = gettext_noop(
    'A help link\'s "title_ja" is its title in Japanese: text of at most {limit} characters, '
    "or left out."
)
# As long as a category's Japanese name may be: a title is a line under the category.
MAX_HELP_LINK_TITLE_JA = 200

PLAN_FIELDS = frozenset(
    {
        "code",
        "name",
        "position",
        "allows_account_and_billing",
        "allows_service_limit_increase",
        "allows_technical",
        "allows_web",
        "allows_chat",
        "allows_phone",
        "allows_cc",
        "api_access",
        "full_trusted_advisor",
        "business_hours_only",
    }
)
SEVERITY_FIELDS = frozenset(
    {"code", "name", "name_ja", "level", "description", "sla_warning_percent"}
)
SERVICE_FIELDS = frozenset({"code", "name", "name_ja", "case_type", "is_security", "is_active"})
# In the order the admin's category form shows them.
CATEGORY_FIELD_ORDER = (
    "service",
    "code",
    "name",
    "name_ja",
    "help_links",
    "extra_field_label",
    "extra_field_label_ja",
    "is_active",
)
CATEGORY_FIELDS = frozenset(CATEGORY_FIELD_ORDER)

_http_url = URLValidator(schemes=["http", "https"])
_HELP_LINK_KEYS = frozenset({"title", "title_ja", "url"})


def _apply(instance: Model, values: Mapping[str, Any], allowed: frozenset[str]) -> dict[str, Any]:
    """Set `values` on `instance`, validate it as the model does (field rules, uniqueness,
    constraints) and save it; returns what changed (everything for a new row)."""
    unknown = sorted(set(values) - allowed)
    if unknown:
        raise InvalidParameterValueException(
            MSG_UNKNOWN_FIELDS.format(model=type(instance).__name__, fields=", ".join(unknown)),
            field=unknown[0],
        )
    creating = instance._state.adding
    changed = {}
    for field, value in values.items():
        if creating or getattr(instance, field) != value:
            setattr(instance, field, value)
            changed[field] = value
    if not changed:
        return changed
    try:
        instance.full_clean()
    except ValidationError as exc:
        field, messages = next(iter(exc.message_dict.items()))
        raise InvalidParameterValueException(
            " ".join(messages), field=None if field == NON_FIELD_ERRORS else field
        ) from None
    instance.save()
    return changed


def _record_put(
    *,
    actor: Actor,
    event_name: AuditEventName,
    key: dict[str, str],
    created: bool,
    changed: dict[str, Any],
) -> None:
    # Reference data belongs to no account; model instances are named by their code.
    changes = {
        field: getattr(value, "code", str(value)) if isinstance(value, Model) else value
        for field, value in changed.items()
    }
    audit.record(
        actor=actor,
        event_name=event_name,
        account=None,
        request_parameters={**key, "created": created, "changes": changes},
    )


@transaction.atomic
def support_plan_save(
    *, plan: SupportPlan | None, values: Mapping[str, Any], actor: Actor
) -> SupportPlan:
    """Create a support plan (`plan=None`) or change one; `values` holds fields of
    `PLAN_FIELDS`. What a plan allows applies to every account on it from the next request.

    Raises `InvalidParameterValueException` for an unknown field, a malformed or taken code, or
    any other value the model refuses. Writes a PutSupportPlan audit record with what changed,
    and nothing when nothing did.
    """
    target = plan if plan is not None else SupportPlan()
    created = target._state.adding
    changed = _apply(target, values, PLAN_FIELDS)
    if changed:
        _record_put(
            actor=actor,
            event_name=AuditEventName.PUT_SUPPORT_PLAN,
            key={"planCode": target.code},
            created=created,
            changed=changed,
        )
    return target


def _minutes(value: object, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidParameterValueException(
            MSG_TARGET_MINUTES, params={"limit": MAX_TARGET_MINUTES}, field=field
        )
    if not 1 <= value <= MAX_TARGET_MINUTES:
        raise InvalidParameterValueException(
            MSG_TARGET_MINUTES, params={"limit": MAX_TARGET_MINUTES}, field=field
        )
    return value


@transaction.atomic
def plan_severity_set(
    *,
    plan: SupportPlan,
    severity: Severity,
    response_minutes: int,
    next_reply_minutes: int | None = None,
    actor: Actor,
) -> PlanSeverity:
    """Offer `severity` on `plan` with these targets, or change them: the first response, and
    each reply after it while the case waits for Support (`next_reply_minutes`; when not given,
    a new cell takes our default for the severity, or the first-response target, and an existing
    one keeps its own). Targets apply to clocks started from now on (open cases keep the due
    times they were given).

    Raises `InvalidParameterValueException` unless each target is a whole number of minutes
    above zero. Writes a PutResponseTimeTarget audit record with the previous targets, and
    nothing when they are unchanged.
    """
    _minutes(response_minutes, "response_minutes")
    if next_reply_minutes is not None:
        _minutes(next_reply_minutes, "next_reply_minutes")
    cell = PlanSeverity.objects.select_for_update().filter(plan=plan, severity=severity).first()
    previous = (cell.response_minutes, cell.next_reply_minutes) if cell is not None else None
    if cell is None:
        cell = PlanSeverity.objects.create(
            plan=plan,
            severity=severity,
            response_minutes=response_minutes,
            next_reply_minutes=next_reply_minutes
            or reference.NEXT_REPLY_TARGETS.get(severity.code, response_minutes),
        )
    else:
        wanted = (response_minutes, next_reply_minutes or cell.next_reply_minutes)
        if wanted == previous:
            return cell
        cell.response_minutes, cell.next_reply_minutes = wanted
        cell.save(update_fields=["response_minutes", "next_reply_minutes", "updated_at"])
    audit.record(
        actor=actor,
        event_name=AuditEventName.PUT_RESPONSE_TIME_TARGET,
        account=None,
        request_parameters={
            "planCode": plan.code,
            "severityCode": severity.code,
            "responseMinutes": cell.response_minutes,
            "nextReplyMinutes": cell.next_reply_minutes,
            "previousResponseMinutes": previous[0] if previous else None,
            "previousNextReplyMinutes": previous[1] if previous else None,
        },
    )
    return cell


@transaction.atomic
def plan_severity_remove(*, plan: SupportPlan, severity: Severity, actor: Actor) -> None:
    """Stop offering `severity` on `plan` (open cases keep theirs). Writes a
    DeleteResponseTimeTarget audit record; nothing happens if the plan did not offer it."""
    cell = PlanSeverity.objects.select_for_update().filter(plan=plan, severity=severity).first()
    if cell is None:
        return
    previous = cell.response_minutes
    cell.delete()
    audit.record(
        actor=actor,
        event_name=AuditEventName.DELETE_RESPONSE_TIME_TARGET,
        account=None,
        request_parameters={
            "planCode": plan.code,
            "severityCode": severity.code,
            "previousResponseMinutes": previous,
        },
    )


# What apps above the catalog do when a severity's level changes: cases keep a copy of the
# level beside each case, for an indexed order (`cases.services.severities`). Registered from
# their `ready()` (the catalog may not import them), called inside `severity_save`'s
# transaction, so the copies change with the level or not at all.
LEVEL_FOLLOWERS: list[Callable[[Severity], object]] = []


def severity_level_follow(follower: Callable[[Severity], object]) -> None:
    """Have `follower(severity)` called whenever an existing severity's level changes."""
    if follower not in LEVEL_FOLLOWERS:
        LEVEL_FOLLOWERS.append(follower)


@transaction.atomic
def severity_save(
    *, severity: Severity | None, values: Mapping[str, Any], actor: Actor
) -> Severity:
    """Create a severity (`severity=None`) or change one; `values` holds fields of
    `SEVERITY_FIELDS`. Raises `InvalidParameterValueException` for an unknown field, a taken
    code or level, or any other value the model refuses. Writes a PutSeverity audit record with
    what changed. A changed level is copied to the cases that have the severity
    (`LEVEL_FOLLOWERS`), in the same transaction."""
    target = severity if severity is not None else Severity()
    created = target._state.adding
    changed = _apply(target, values, SEVERITY_FIELDS)
    if "level" in changed and not created:
        for follower in LEVEL_FOLLOWERS:
            follower(target)
    if changed:
        _record_put(
            actor=actor,
            event_name=AuditEventName.PUT_SEVERITY,
            key={"severityCode": target.code},
            created=created,
            changed=changed,
        )
    return target


@transaction.atomic
def service_save(*, service: Service | None, values: Mapping[str, Any], actor: Actor) -> Service:
    """Create a service (`service=None`) or change one; `values` holds fields of
    `SERVICE_FIELDS`. An inactive service is no longer offered to new cases. Raises
    `InvalidParameterValueException` for an unknown field, a taken code, an unknown case type or
    any other value the model refuses. Writes a PutService audit record with what changed."""
    target = service if service is not None else Service()
    created = target._state.adding
    changed = _apply(target, values, SERVICE_FIELDS)
    if changed:
        _record_put(
            actor=actor,
            event_name=AuditEventName.PUT_SERVICE,
            key={"serviceCode": target.code},
            created=created,
            changed=changed,
        )
    return target


def check_help_links(links: Any) -> None:
    """Raise `InvalidParameterValueException` unless `links` is a list of
    {"title": ..., "url": ...} with an http or https URL each, and optionally "title_ja" (shown
    to Japanese readers instead of "title": text, not only spaces, of at most
    `MAX_HELP_LINK_TITLE_JA` characters, or empty for none). The admin's form asks first."""
    # The links become hrefs on the create-case page: only web URLs, never javascript: or data:.
    if not isinstance(links, list):
        raise InvalidParameterValueException(MSG_HELP_LINKS, field="help_links")
    for link in links:
        if not isinstance(link, dict) or not {"title", "url"} <= set(link) <= _HELP_LINK_KEYS:
            raise InvalidParameterValueException(MSG_HELP_LINKS, field="help_links")
        if not isinstance(link["title"], str) or not isinstance(link["url"], str):
            raise InvalidParameterValueException(MSG_HELP_LINKS, field="help_links")
        try:
            _http_url(link["url"])
        except ValidationError:
            raise InvalidParameterValueException(MSG_HELP_LINKS, field="help_links") from None
        title_ja = link.get("title_ja", "")
        # A title of spaces would be a link no one can see or click.
        if (
            not isinstance(title_ja, str)
            or len(title_ja) > MAX_HELP_LINK_TITLE_JA
            or (title_ja and not title_ja.strip())
        ):
            raise InvalidParameterValueException(
                MSG_HELP_LINK_TITLE_JA,
                params={"limit": MAX_HELP_LINK_TITLE_JA},
                field="help_links",
            )


@transaction.atomic
def category_save(
    *, category: Category | None, values: Mapping[str, Any], actor: Actor
) -> Category:
    """Create a category (`category=None`, with `service` among the values) or change one;
    `values` holds fields of `CATEGORY_FIELDS`. An inactive category is no longer offered to new
    cases. Raises `InvalidParameterValueException` for an unknown field, a code taken in the
    service, help links that are not web links, or any other value the model refuses. Writes a
    PutCategory audit record with what changed."""
    if "help_links" in values:
        check_help_links(values["help_links"])
    target = category if category is not None else Category()
    created = target._state.adding
    changed = _apply(target, values, CATEGORY_FIELDS)
    if changed:
        _record_put(
            actor=actor,
            event_name=AuditEventName.PUT_CATEGORY,
            key={"serviceCode": target.service.code, "categoryCode": target.code},
            created=created,
            changed=changed,
        )
    return target
