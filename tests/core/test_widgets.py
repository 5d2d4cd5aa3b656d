"""core.widgets.FormRenderer writes exactly what Django's renderer writes through its select
templates."""

from __future__ import annotations

import pytest
from django import forms
from django.forms.renderers import DjangoTemplates, get_default_renderer
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _
from django.utils.translation import override

from core.widgets import FormRenderer

OURS, DJANGOS = FormRenderer(), DjangoTemplates()

CASES = [
    # Escaping of values and labels, a label already safe, numbers and None.
    (
        [("", "Any"), ("a", "A & B"), ("b<", mark_safe("<b>safe</b>")), (3, 3), (None, "none")],
        "a",
        {},
    ),
    # Groups, a lazy label, several attributes (a quote, True, False).
    (
        [("x", _("Resolved")), ("Group 1", [("g1", "G one"), ("g2", 'G "two"')])],
        "g2",
        {"id": "id_x", "required": True, "data-x": '1"2', "disabled": False},
    ),
    ([], None, {}),
    ([("1", "one")], 1, {"class": "c", "autofocus": True}),
]


def test_the_project_renders_forms_with_it() -> None:
    assert isinstance(get_default_renderer(), FormRenderer)


@pytest.mark.parametrize(("choices", "value", "attrs"), CASES)
def test_the_same_html_as_djangos(choices, value, attrs) -> None:  # type: ignore[no-untyped-def]
    for language in ("en", "ja"):
        with override(language):
            widget = forms.Select(attrs=attrs, choices=choices)
            expected = widget.render("f", value, renderer=DJANGOS)
            assert widget.render("f", value, renderer=OURS) == expected


def test_in_a_form_with_required_and_ids() -> None:
    class Form(forms.Form):
        field = forms.ChoiceField(choices=[("", "Pick"), ("x", "X")])

    ours = str(Form({"field": "x"}, renderer=OURS)["field"])
    assert ours == str(Form({"field": "x"}, renderer=DJANGOS)["field"])
    assert 'required id="id_field"' in ours


def test_an_option_template_of_a_widgets_own_is_rendered_by_it() -> None:
    class Radios(forms.Select):
        option_template_name = forms.RadioSelect.option_template_name

    html = Radios(choices=[("a", "A")]).render("f", "a", renderer=OURS)
    assert html == Radios(choices=[("a", "A")]).render("f", "a", renderer=DJANGOS)
    assert "<input" in html


def test_labels_are_localized_as_the_templates_localize_them(settings) -> None:
    settings.USE_THOUSAND_SEPARATOR = True
    widget = forms.Select(choices=[(1000, 1000), ("Group", [(2, 12345.5)])])
    assert widget.render("f", 1000, renderer=OURS) == widget.render("f", 1000, renderer=DJANGOS)
    assert ">1,000</option>" in widget.render("f", 1000, renderer=OURS)


def test_multiple_and_null_boolean_selects_write_what_djangos_write() -> None:
    multiple = forms.SelectMultiple(choices=[("a", "A"), ("b", "B")])
    expected = multiple.render("f", ["a", "b"], renderer=DJANGOS)
    assert multiple.render("f", ["a", "b"], renderer=OURS) == expected
    null_boolean = forms.NullBooleanSelect()
    expected = null_boolean.render("f", True, renderer=DJANGOS)
    assert null_boolean.render("f", True, renderer=OURS) == expected
