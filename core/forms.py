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
    """Show a service's error next to its field (or at the top of the form), and the other
    fields' errors raised with it next to theirs."""
    for each in error.errors:
        field = each.field
        if field not in form.fields:
            field = FIELD_ALIASES.get(field or "", field)
        if field and field in form.fields:
            form.add_error(field, each.display_message)
        else:
            form.add_error(None, each.display_message)


def applied_filters(form: forms.BaseForm) -> dict[str, Any]:
    """The filters a list applies: every field that passed, so one bad value (a mistyped date, a
    tampered choice) drops only itself and is shown beside its field
    (`components/filter_errors.html`), not every filter the reader chose."""
    if not form.is_bound:
        return {}
    form.is_valid()
    return dict(form.cleaned_data)


def drop_reversed_range(form: forms.BaseForm, start: str, end: str, message: Any) -> None:
    """For a form's `clean()`: a range whose start is after its end matches nothing, so the end
    gets `message` beside it and is dropped (`applied_filters` then applies the start alone),
    rather than the list answering "nothing matches" with no reason."""
    first, last = form.cleaned_data.get(start), form.cleaned_data.get(end)
    if first is not None and last is not None and first > last:
        form.add_error(end, message)
