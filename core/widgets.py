"""The project's form renderer: Django's, with selects written in Python rather than by the
form templates (FORM_RENDERER).

Django renders a select through its template engine, including one template per option: a
filter form with the catalog's services cost about 4 ms to render, a quarter of the engineers'
queue page. For Django's own select templates (`django/forms/widgets/select.html` with
`select_option.html` options, which `Select`, `SelectMultiple` and `NullBooleanSelect` use,
the admin's included) this writes the same characters, with the same escaping and
localization, from the context the widget built (`get_context`: choices, selection,
`required`, ids); a test compares the two. Any other template, or an option template of a
widget's own, goes through the templates.
"""

from __future__ import annotations

from typing import Any

from django.forms.renderers import DjangoTemplates
from django.utils import formats
from django.utils.html import conditional_escape

SELECT = "django/forms/widgets/select.html"
SELECT_OPTION = "django/forms/widgets/select_option.html"


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


def select_html(widget: dict[str, Any]) -> str | None:
    """select.html's output for a widget's context; None if an option has its own template."""
    parts = [f'<select name="{conditional_escape(widget["name"])}"{_attrs(widget["attrs"])}>']
    for group_name, group_choices, _index in widget["optgroups"]:
        if group_name:
            parts.append(f'\n  <optgroup label="{_text(group_name)}">')
        for option in group_choices:
            if option["template_name"] != SELECT_OPTION:
                return None
            parts.append(
                f'\n  <option value="{conditional_escape(str(option["value"]))}"'
                f"{_attrs(option['attrs'])}>{_text(option['label'])}</option>\n"
            )
        if group_name:
            parts.append("\n  </optgroup>")
    parts.append("\n</select>")
    return "".join(parts)


class FormRenderer(DjangoTemplates):
    def render(self, template_name: str, context: dict[str, Any], request: Any = None) -> str:
        if template_name == SELECT:
            html = select_html(context["widget"])
            if html is not None:
                return html  # the widget marks it safe, as it does the templates' output
        return super().render(template_name, context, request)
