"""Legal holds: a case on hold is kept from the retention purge and from auto-resolve (both jobs
leave it out with a condition of their queries, `cases.services.maintenance`) until the hold is
released.

Support (an operator, in the admin or the console) and the account's root user (on the case
page) place holds. Who placed a hold decides who may release it: Support releases any hold, the
root user only the account's own; a hold Support placed for a legal matter is not the
customer's to lift.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_noop

from accounts.principals import Principal
from audit import services as audit
from audit.names import AuditEventName
from audit.refusals import audit_refusals
from cases.models import Case, CaseEvent, CaseEventKind, LegalHoldBy
from cases.services.validation import _describe_case
from core.errors import AccessDeniedException, InvalidParameterValueException

MSG_NOT_ALLOWED = gettext_noop(
    "Only Support and the account's root user can place or release a legal hold."
)
MSG_ALREADY_HELD = gettext_noop("This case is already on legal hold.")
MSG_NOT_HELD = gettext_noop("This case is not on legal hold.")
MSG_SUPPORT_HOLD = gettext_noop("Support placed this legal hold; only Support can release it.")


def holder(actor: Principal, case: Case) -> LegalHoldBy | None:
    """On whose behalf `actor` may place or release holds on `case`: Support for engineers, the
    customer for the root user of the case's account; None for anyone else."""
    user = actor.user
    if user is None:
        return None
    if user.is_engineer:
        return LegalHoldBy.SUPPORT
    if user.is_root and user.account_id == case.account_id:
        return LegalHoldBy.CUSTOMER
    return None


def can_release(actor: Principal, case: Case) -> bool:
    """Whether `actor` may release `case`'s hold (for buttons and the check alike)."""
    by = holder(actor, case)
    if by is None or case.legal_hold_at is None:
        return False
    return by == LegalHoldBy.SUPPORT or case.legal_hold_by == LegalHoldBy.CUSTOMER


def _require_holder(actor: Principal, case: Case) -> LegalHoldBy:
    by = holder(actor, case)
    if by is None:
        raise AccessDeniedException(MSG_NOT_ALLOWED)
    return by


@audit_refusals(AuditEventName.PLACE_LEGAL_HOLD, describe=_describe_case)
@transaction.atomic
def case_legal_hold_place(*, case: Case, actor: Principal) -> Case:
    """Place a legal hold on `case`.

    Preconditions: `case` was loaded with an access function for `actor` (an engineer, or the
    root user of its account).
    The change is conditional on the case not being held, so of two concurrent holds one wins.
    Side effects: a `CaseEvent` (legal-hold) and an audit record (PlaceLegalHold).
    Raises `AccessDeniedException` (anyone else), `InvalidParameterValueException` (already held).
    """
    by = _require_holder(actor, case)
    now = timezone.now()
    placed = Case.objects.filter(pk=case.pk, legal_hold_at__isnull=True).update(
        legal_hold_at=now, legal_hold_by=by, updated_at=now
    )
    if not placed:
        raise InvalidParameterValueException(MSG_ALREADY_HELD)
    case.legal_hold_at, case.legal_hold_by, case.updated_at = now, by, now
    CaseEvent.objects.create(
        case=case,
        kind=CaseEventKind.LEGAL_HOLD,
        actor=actor.user,
        actor_arn=actor.arn,
        data={"by": by.value},
    )
    audit.record(
        actor=actor,
        event_name=AuditEventName.PLACE_LEGAL_HOLD,
        account=case.account,
        request_parameters={"caseId": case.case_id, "placedBy": by.value},
    )
    return case


@audit_refusals(AuditEventName.RELEASE_LEGAL_HOLD, describe=_describe_case)
@transaction.atomic
def case_legal_hold_release(*, case: Case, actor: Principal) -> Case:
    """Release `case`'s legal hold: from then on the purge and auto-resolve treat it as any
    other case.

    Preconditions: as `case_legal_hold_place`. Support releases any hold; the root user only
    one the customer placed. Conditional on the hold the caller saw.
    Side effects: a `CaseEvent` (legal-hold-released) and an audit record (ReleaseLegalHold).
    Raises `AccessDeniedException` (anyone else, or Support's hold for the root user),
    `InvalidParameterValueException` (not held).
    """
    by = _require_holder(actor, case)
    if case.legal_hold_at is None:
        raise InvalidParameterValueException(MSG_NOT_HELD)
    if not can_release(actor, case):
        raise AccessDeniedException(MSG_SUPPORT_HOLD)
    placed_by = case.legal_hold_by
    now = timezone.now()
    released = Case.objects.filter(
        pk=case.pk, legal_hold_at=case.legal_hold_at, legal_hold_by=placed_by
    ).update(legal_hold_at=None, legal_hold_by="", updated_at=now)
    if not released:
        raise InvalidParameterValueException(MSG_NOT_HELD)
    case.legal_hold_at, case.legal_hold_by, case.updated_at = None, "", now
    CaseEvent.objects.create(
        case=case,
        kind=CaseEventKind.LEGAL_HOLD_RELEASED,
        actor=actor.user,
        actor_arn=actor.arn,
        data={"by": by.value, "placedBy": placed_by},
    )
    audit.record(
        actor=actor,
        event_name=AuditEventName.RELEASE_LEGAL_HOLD,
        account=case.account,
        request_parameters={"caseId": case.case_id, "releasedBy": by.value},
    )
    return case
