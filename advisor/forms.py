"""Trusted Advisor console forms: they validate input only; advisor.services does the work (and
its mode-specific rules, reported back on the field they concern)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, cast

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from advisor.console_selectors import (
    FILTER_ALL,
    FILTER_ERROR,
    FILTER_EXCLUDED,
    FILTER_WARNING,
)
from connections.models import ConnectionMode

RESOURCE_ID_RE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
MAX_SELECTED = 1000

FILTER_CHOICES = [
    (FILTER_ALL, _("All items")),
    (FILTER_ERROR, _("Action recommended")),
    (FILTER_WARNING, _("Investigation recommended")),
    (FILTER_EXCLUDED, _("Excluded items")),
]


class ResourceFilterForm(forms.Form):
    """The check page's status filter and the page's cursor (`core.paging`; also carried by the
    exclusion form, so the page comes back as it was)."""

    status = forms.ChoiceField(label=_("Show"), choices=FILTER_CHOICES, required=False)
    cursor = forms.CharField(max_length=2000, required=False, widget=forms.HiddenInput)


class ResourceIdsField(forms.Field):
    """A list of the API's opaque resource ids (43 base64url characters in practice)."""

    widget = forms.MultipleHiddenInput
    default_error_messages = {
        "required": _("Select at least one resource."),
        "invalid": _("That selection is not valid; reload the page and try again."),
        "too_many": _("Select at most %(limit)s resources at a time."),
    }

    def to_python(self, value: Any) -> list[str]:
        if not value:
            return []
        if not isinstance(value, list | tuple):
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        return [str(item) for item in value]

    def validate(self, value: list[str]) -> None:
        super().validate(value)
        if len(value) > MAX_SELECTED:
            raise ValidationError(
                self.error_messages["too_many"], code="too_many", params={"limit": MAX_SELECTED}
            )
        if any(not RESOURCE_ID_RE.match(item) for item in value):
            raise ValidationError(self.error_messages["invalid"], code="invalid")


class ResourceSelectionForm(forms.Form):
    resource_ids = ResourceIdsField(label=_("Resources"))


class ConnectionForm(forms.Form):
    mode = forms.ChoiceField(
        label=_("How Support Center reaches your AWS environment"),
        choices=ConnectionMode.choices,
        widget=forms.RadioSelect,
    )
    access_key_id = forms.CharField(label=_("Access key ID"), max_length=128, required=False)
    secret_access_key = forms.CharField(
        label=_("Secret access key"),
        # Never rendered back: the stored secret stays on the server.
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        max_length=256,
        required=False,
        strip=False,
        help_text=_("Leave blank to keep the stored secret for the same access key ID."),
    )
    role_arn = forms.CharField(
        label=_("Role ARN"),
        max_length=2048,
        required=False,
        help_text=_("For example arn:aws:iam::123456789012:role/SupportCenterAdvisor."),
    )
    regions = forms.MultipleChoiceField(
        label=_("Regions to check"),
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )

    def __init__(
        self, *args: Any, regions: Sequence[str] = (), sample: bool = False, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.MultipleChoiceField, self.fields["regions"]).choices = [(r, r) for r in regions]
        if not sample:  # the sample environment is a demo and test feature (a setting)
            cast(forms.ChoiceField, self.fields["mode"]).choices = [
                c for c in ConnectionMode.choices if c[0] != ConnectionMode.SAMPLE
            ]


class WeeklyReportForm(forms.Form):
    """A person's own choice about the weekly email."""

    receives = forms.BooleanField(
        label=_("Email me the weekly Trusted Advisor summary"),
        required=False,
        help_text=_(
            "Every Monday: the checks that need action or investigation and the estimated "
            "monthly savings, each compared with the week before."
        ),
    )
