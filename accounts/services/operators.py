"""What operators change on accounts and users: an account's plan and settings, a user's flags,
the services an engineer covers.

The admin site calls these with the operator as actor, so each change is audited like any
other. Every function records only what actually changed, and nothing when nothing did.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import transaction

from accounts.models import Account, User
from accounts.principals import Principal
from accounts.services.validation import (
    clean_country,
    clean_email,
    clean_phone,
    clean_time_zone,
)
from audit import services as audit
from audit.names import ACCOUNT_SOURCE, IAM_SOURCE, AuditEventName
from catalog.models import Service, SupportPlan
from core.errors import InvalidParameterValueException

MSG_ACCOUNT_NAME_EMPTY = "An account needs a name."
MSG_STAFF_ENGINEERS_ONLY = "Only support engineers can be staff or superusers."
MSG_CUSTOMER_TIME_ZONE = "Customers see times in their account's time zone."
MSG_SERVICES_ENGINEERS_ONLY = "Only support engineers cover services."
MSG_LANGUAGE = "The language must be en or ja."
LANGUAGES = ("en", "ja")
MSG_SELF_LOCKOUT = "You cannot deactivate yourself or take away your own staff or superuser flag."


@transaction.atomic
def account_set_plan(*, account: Account, plan: SupportPlan, actor: Principal) -> Account:
    """Move `account` to `plan`; the new plan's case types, severities and targets apply to
    cases opened from now on. Writes an UpdateSupportPlan audit record."""
    account.plan = plan
    account.save(update_fields=["plan", "updated_at"])
    audit.record(
        actor=actor,
        event_name=AuditEventName.UPDATE_SUPPORT_PLAN,
        account=account,
        request_parameters={"plan": plan.code},
    )
    return account


@transaction.atomic
def account_update(
    *,
    account: Account,
    actor: Principal,
    name: str | None = None,
    contact_email: str | None = None,
    contact_phone: str | None = None,
    country: str | None = None,
    time_zone: str | None = None,
    language: str | None = None,
    is_active: bool | None = None,
    event_name: AuditEventName = AuditEventName.UPDATE_ACCOUNT,
) -> Account:
    """Change an account's settings (None leaves a setting as it is; the plan has
    `account_set_plan`). A deactivated account's users can no longer act.

    Raises `InvalidParameterValueException` for an empty name, a malformed contact email, an
    unknown country or time zone. Writes an UpdateAccount audit record with what changed.
    """
    wanted: dict[str, Any] = {}
    if name is not None:
        wanted["name"] = name.strip()
        if not wanted["name"]:
            raise InvalidParameterValueException(MSG_ACCOUNT_NAME_EMPTY, field="name")
    if contact_email is not None:
        # The contact email is optional; only a non-empty one must be an address.
        wanted["contact_email"] = contact_email and clean_email(contact_email, "contact_email")
    if contact_phone is not None:
        wanted["contact_phone"] = clean_phone(contact_phone, "contact_phone")
    if language is not None:
        if language not in LANGUAGES:
            raise InvalidParameterValueException(MSG_LANGUAGE, field="language")
        wanted["language"] = language
    if country is not None:
        wanted["country"] = clean_country(country)
    if time_zone is not None:
        wanted["time_zone"] = clean_time_zone(time_zone)
    if is_active is not None:
        wanted["is_active"] = is_active
    changed = {field: value for field, value in wanted.items() if getattr(account, field) != value}
    if not changed:
        return account
    for field, value in changed.items():
        setattr(account, field, value)
    account.save(update_fields=[*changed, "updated_at"])
    audit.record(
        actor=actor,
        event_name=event_name,
        event_source=(
            IAM_SOURCE if event_name == AuditEventName.UPDATE_ACCOUNT else ACCOUNT_SOURCE
        ),
        account=account,
        request_parameters={"accountId": account.account_id, **_camel(changed)},
    )
    return account


@transaction.atomic
def user_update(
    *,
    user: User,
    actor: Principal,
    display_name: str | None = None,
    is_active: bool | None = None,
    is_staff: bool | None = None,
    is_superuser: bool | None = None,
    time_zone: str | None = None,
) -> User:
    """Change a user's display name, flags and (engineers) time zone; None leaves one as it is,
    a blank time zone means UTC. An inactive user can no longer sign in or act; staff engineers
    open the engineers' console, superusers this admin.

    Raises `InvalidParameterValueException` for an unknown time zone or one given to a customer
    (customers read their account's), when a customer would become staff or superuser
    (they must never reach the engineers' pages), and when operators would deactivate themselves
    or drop their own staff or superuser flag (locking themselves out). Writes an UpdateUser
    audit record with what changed.
    """
    wanted: dict[str, Any] = {}
    if display_name is not None:
        wanted["display_name"] = display_name.strip()
    if is_active is not None:
        wanted["is_active"] = is_active
    if is_staff is not None:
        wanted["is_staff"] = is_staff
    if is_superuser is not None:
        wanted["is_superuser"] = is_superuser
    if time_zone is not None:
        if time_zone and not user.is_engineer:
            raise InvalidParameterValueException(MSG_CUSTOMER_TIME_ZONE, field="time_zone")
        wanted["time_zone"] = clean_time_zone(time_zone) if time_zone else ""
    changed = {field: value for field, value in wanted.items() if getattr(user, field) != value}
    if not changed:
        return user
    if not user.is_engineer and (changed.get("is_staff") or changed.get("is_superuser")):
        raise InvalidParameterValueException(MSG_STAFF_ENGINEERS_ONLY, field="is_staff")
    flags = ("is_active", "is_staff", "is_superuser")
    dropped = [flag for flag in flags if changed.get(flag) is False]
    if dropped and actor.user is not None and actor.user.pk == user.pk:
        raise InvalidParameterValueException(MSG_SELF_LOCKOUT)
    for field, value in changed.items():
        setattr(user, field, value)
    user.save(update_fields=[*changed, "updated_at"])
    audit.record(
        actor=actor,
        event_name=AuditEventName.UPDATE_USER,
        event_source=IAM_SOURCE,
        account=user.account,
        request_parameters={"userName": user.identity_name, **_camel(changed)},
    )
    return user


@transaction.atomic
def engineer_set_services(*, user: User, services: Iterable[Service], actor: Principal) -> User:
    """Set the services an engineer covers (none: all of them), which decides the engineers'
    queue. Raises `InvalidParameterValueException` for a customer. Writes an
    UpdateEngineerServices audit record when the set changed."""
    if not user.is_engineer:
        raise InvalidParameterValueException(MSG_SERVICES_ENGINEERS_ONLY, field="services")
    wanted = {service.pk: service for service in services}
    current = set(user.services.values_list("pk", flat=True))
    if current == set(wanted):
        return user
    user.services.set(wanted.values())
    audit.record(
        actor=actor,
        event_name=AuditEventName.UPDATE_ENGINEER_SERVICES,
        event_source=IAM_SOURCE,
        account=None,
        request_parameters={
            "userName": user.identity_name,
            "serviceCodes": sorted(service.code for service in wanted.values()),
        },
    )
    return user


def _camel(fields: dict[str, Any]) -> dict[str, Any]:
    # The audit trail spells request parameters as AWS does (userName, accountId).
    def camel(name: str) -> str:
        head, *rest = name.split("_")
        return head + "".join(part.title() for part in rest)

    return {camel(name): value for name, value in fields.items()}
