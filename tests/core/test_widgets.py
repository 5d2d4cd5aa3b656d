"""core.widgets.Select writes exactly what Django's Select writes through its templates."""

from __future__ import annotations

import pytest
from django import forms
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _
from django.utils.translation import override

from core.widgets import Select

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


@pytest.mark.parametrize(("choices", "value", "attrs"), CASES)
def test_the_same_html_as_djangos(choices, value, attrs) -> None:  # type: ignore[no-untyped-def]
    for language in ("en", "ja"):
        with override(language):
            expected = forms.Select(attrs=attrs, choices=choices).render("f", value)
            assert Select(attrs=attrs, choices=choices).render("f", value) == expected


def test_in_a_form_with_required_and_ids() -> None:
    class Form(forms.Form):
        ours = forms.ChoiceField(choices=[("", "Pick"), ("x", "X")], widget=Select)
        djangos = forms.ChoiceField(choices=[("", "Pick"), ("x", "X")])

    form = Form({"ours": "x", "djangos": "x"})
    assert str(form["ours"]).replace("ours", "djangos") == str(form["djangos"])
    assert 'required id="id_ours"' in str(form["ours"])


def test_a_subclass_with_its_own_templates_is_rendered_by_them() -> None:
    class Radios(Select):
        template_name = forms.RadioSelect.template_name
        option_template_name = forms.RadioSelect.option_template_name

    html = Radios(choices=[("a", "A")]).render("f", "a")
    assert "<select" not in html
    assert "<input" in html


def test_labels_are_localized_as_the_templates_localize_them(settings) -> None:
    settings.USE_THOUSAND_SEPARATOR = True
    choices = [(1000, 1000), ("Group", [(2, 12345.5)])]
    assert Select(choices=choices).render("f", 1000) == forms.Select(choices=choices).render(
        "f", 1000
    )
    assert ">1,000</option>" in Select(choices=choices).render("f", 1000)


def test_a_multiple_select_subclass_writes_what_djangos_writes() -> None:
    class Multiple(Select):
        allow_multiple_selected = True

    choices = [("a", "A"), ("b", "B")]
    expected = forms.SelectMultiple(choices=choices).render("f", ["a", "b"])
    assert Multiple(choices=choices).render("f", ["a", "b"]) == expected
