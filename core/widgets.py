"""Django's `Select`, its HTML written in Python rather than by the form templates.

Django renders a select through its template engine, including one template per option: a
filter form with the catalog's services cost about 4 ms to render, a quarter of the engineers'
queue page. This writes the same characters as Django's templates
(`django/forms/widgets/select.html`, `select_option.html`, `attrs.html`; a test compares the two)
with the same escaping, from the same context (`get_context`, so choices, selection, `required`
and ids are Django's). A subclass with templates of its own is rendered by them; a
FORM_RENDERER overriding Django's select templates would not be (the project has none).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import formats
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe


def _attrs(attrs: dict[str, Any]) -> str:
    # attrs.html: a False value leaves the attribute out, True writes it bare.
    out = []
    for name, value in attrs.items():
        if value is False:
            continue
        if value is True:
            out.append(f" {conditional_escape(name)}")
        else:
            out.append(f' {conditional_escape(name)}="{conditional_escape(str(value))}"')
    return "".join(out)


def _text(value: Any) -> str:
    # What the templates' {{ }} does with a label: localized (a number, a date), then escaped.
    value = formats.localize(value)
    return conditional_escape(value if isinstance(value, str) else str(value))


class Select(forms.Select):
    def render(
        self,
        name: str,
        value: Any,
        attrs: dict[str, Any] | None = None,
        renderer: Any = None,
    ) -> SafeString:
        if (
            self.template_name != forms.Select.template_name
            or self.option_template_name != forms.Select.option_template_name
        ):
            return super().render(name, value, attrs, renderer)
        widget = self.get_context(name, value, attrs)["widget"]
        parts = [f'<select name="{conditional_escape(widget["name"])}"{_attrs(widget["attrs"])}>']
        for group_name, group_choices, _index in widget["optgroups"]:
            if group_name:
                parts.append(f'\n  <optgroup label="{_text(group_name)}">')
            for option in group_choices:
                parts.append(
                    f'\n  <option value="{conditional_escape(str(option["value"]))}"'
                    f"{_attrs(option['attrs'])}>{_text(option['label'])}</option>\n"
                )
            if group_name:
                parts.append("\n  </optgroup>")
        parts.append("\n</select>")
        return mark_safe("".join(parts))  # noqa: S308 - every value above is escaped
