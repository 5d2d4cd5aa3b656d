"""Driving the admin site from tests: an operator (a superuser engineer), the form a browser
would post back, and the audit records an action left."""

from __future__ import annotations

from html.parser import HTMLParser
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


VOID_TAGS = frozenset({"area", "base", "br", "col", "hr", "img", "input", "link", "meta", "wbr"})


class _Labels(HTMLParser):
    """The texts an admin page writes itself (titles, breadcrumbs, section and column headers,
    field labels and help, filter titles, actions), apart from the rows' data."""

    TAGS = frozenset({"title", "h1", "h2", "h3", "caption", "label", "option"})

    def __init__(self) -> None:
        super().__init__()
        self.texts: set[str] = set()
        self._open: list[bool] = []
        self._thead = 0
        self._action_select = False

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        pass  # self-closing: holds no text

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in VOID_TAGS:
            return
        found = dict(attrs)
        classes = (found.get("class") or "").split()
        if tag == "thead":
            self._thead += 1
        if tag == "select":
            self._action_select = found.get("name") == "action"
        self._open.append(
            (tag in self.TAGS and (tag != "option" or self._action_select))
            or (tag == "th" and (self._thead > 0 or "scope" in found))
            or (tag == "div" and bool({"breadcrumbs", "help"} & set(classes)))
        )

    def handle_endtag(self, tag: str) -> None:
        if tag == "thead":
            self._thead -= 1
        if tag == "select":
            self._action_select = False
        if self._open:
            self._open.pop()

    def handle_data(self, data: str) -> None:
        if any(self._open):
            for part in data.split("›"):
                text = " ".join(part.split()).rstrip(":：")
                if text:
                    self.texts.add(text)


def page_labels(html: str) -> set[str]:
    parser = _Labels()
    parser.feed(html)
    return parser.texts
