"""`add_service_error` puts a service's refusal beside the field it names."""

from __future__ import annotations

from django import forms

from core.errors import InvalidParameterValueException
from core.forms import add_service_error


class _Form(forms.Form):
    root_email = forms.CharField()
    email = forms.CharField()
    service = forms.CharField()


def test_a_field_the_form_has_wins_over_its_alias() -> None:
    form = _Form({"root_email": "a", "email": "b", "service": "c"})
    form.is_valid()
    add_service_error(form, InvalidParameterValueException("Taken.", field="root_email"))
    add_service_error(form, InvalidParameterValueException("Unknown.", field="service_code"))
    add_service_error(form, InvalidParameterValueException("Odd.", field="nowhere"))
    assert form.errors == {
        "root_email": ["Taken."],
        "service": ["Unknown."],
        "__all__": ["Odd."],
    }
