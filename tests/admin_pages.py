"""Driving the admin site from tests: an operator (a superuser engineer), the form a browser
would post back, and the audit records an action left."""

from __future__ import annotations

from typing import Any

from django.forms import CheckboxInput
from django.urls import reverse

from accounts.models import Account, Policy, User
from accounts.principals import SYSTEM
from accounts.services import policy_create
from audit.models import AuditEvent
from tests import factories

OPERATOR_EMAIL = "admin@example.com"
OPERATOR_ARN = f"arn:aws:iam::support:engineer/{OPERATOR_EMAIL}"
SUPPORT_POLICY = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "support:*", "Resource": "*"}],
}


def make_operator() -> User:
    user = factories.make_engineer(email=OPERATOR_EMAIL)
    user.is_superuser = True
    user.save(update_fields=["is_superuser"])
    return user


def change_url(obj: Any) -> str:
    return reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_change", args=[obj.pk])


def delete_url(obj: Any) -> str:
    return reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_delete", args=[obj.pk])


def form_data(page: Any) -> dict[str, Any]:
    """What the browser would post back unchanged: the admin form and its inlines."""
    data: dict[str, Any] = {"_save": "Save"}

    def add(form: Any) -> None:
        for name, field in form.fields.items():
            value = form[name].value()
            key = form.add_prefix(name)
            if isinstance(field.widget, CheckboxInput):
                if value:
                    data[key] = "on"
            elif isinstance(value, list | tuple):
                data[key] = [str(item) for item in value]
            else:
                data[key] = "" if value is None else value

    add(page.context["adminform"].form)
    for inline in page.context["inline_admin_formsets"]:
        add(inline.formset.management_form)
        for form in inline.formset.forms:
            add(form)
    return data


def post_change(client: Any, obj: Any, **changes: Any) -> Any:
    """Post `obj`'s change form back with `changes` (False unticks a checkbox)."""
    page = client.get(change_url(obj))
    assert page.status_code == 200
    data = form_data(page)
    for key, value in changes.items():
        if value is False:
            data.pop(key, None)
        else:
            data[key] = value
    return client.post(change_url(obj), data)


def records(name: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(event_name=name).order_by("pk"))


def customer_policy(account: Account, name: str) -> Policy:
    return policy_create(account=account, name=name, document=SUPPORT_POLICY, actor=SYSTEM)
