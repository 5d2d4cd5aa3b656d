"""Helpers between forms and the service error hierarchy."""

from __future__ import annotations

from typing import Any

from django import forms

from core.errors import SupportApiError

# Service field names that differ from form field names.
FIELD_ALIASES = {
    "service_code": "service",
    "category_code": "category",
    "severity_code": "severity",
    "root_email": "email",
    "uploadIds": "attachments",
    "issue_type": "case_type",
    "cc_email_addresses": "cc",
}


def add_service_error(form: forms.BaseForm, error: SupportApiError) -> None:
    """Show a service's error next to its field (or at the top of the form)."""
    field = error.field
    if field not in form.fields:
        field = FIELD_ALIASES.get(field or "", field)
    if field and field in form.fields:
        form.add_error(field, error.display_message)
    else:
        form.add_error(None, error.display_message)


def applied_filters(form: forms.BaseForm) -> dict[str, Any]:
    """The filters a list applies: every field that passed, so one bad value (a mistyped date, a
    tampered choice) drops only itself and is shown beside its field
    (`components/filter_errors.html`), not every filter the reader chose."""
    if not form.is_bound:
        return {}
    form.is_valid()
    return dict(form.cleaned_data)
