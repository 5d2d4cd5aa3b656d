"""Changing an account's support plan from My Account: effective at once for cases opened from
then on, audited (UpdateSupportPlan) and confirmed by email."""

from __future__ import annotations

from django.db import transaction
from django.template.loader import render_to_string
from django.utils import translation

from accounts.models import Account, UserKind
from accounts.principals import Principal
from accounts.services import account_set_plan
from catalog.models import SupportPlan
from notifications.services import notification_enqueue


@transaction.atomic
def support_plan_change(*, account: Account, plan: SupportPlan, actor: Principal) -> Account:
    """Move `account` to `plan` and email the root user and the account's contact address, in
    the account's language. Choosing the current plan changes nothing."""
    if account.plan_id == plan.pk:
        return account
    previous = account.plan
    account_set_plan(account=account, plan=plan, actor=actor)
    recipients: list[str] = []
    root = account.users.filter(kind=UserKind.ROOT).exclude(email="").first()
    for address in (root.email if root else "", account.contact_email):
        if address and address.lower() not in {r.lower() for r in recipients}:
            recipients.append(address)
    with translation.override(account.language or "en"):
        context = {"account": account, "previous": previous, "plan": plan}
        subject = render_to_string("cases/email/plan_changed_subject.txt", context)
        text = render_to_string("cases/email/plan_changed.txt", context)
    notification_enqueue(
        recipients=recipients, subject=subject, body_text=text, kind="plan-changed", account=account
    )
    return account
