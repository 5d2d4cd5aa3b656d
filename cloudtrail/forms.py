from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from audit.selectors import LOOKUP_ATTRIBUTES
from core.forms import drop_reversed_range


class UtcDateTimeField(forms.DateTimeField):
    """A date and time typed in UTC, as CloudTrail's own lookups take them, whatever zone the
    page shows times in (a form field would otherwise read them in the viewer's zone)."""

    widget = forms.DateTimeInput(attrs={"type": "datetime-local"})

    def to_python(self, value: Any) -> datetime | None:
        with timezone.override(UTC):
            return super().to_python(value)

    def prepare_value(self, value: Any) -> Any:
        with timezone.override(UTC):
            return super().prepare_value(value)


class LookupForm(forms.Form):
    attribute = forms.ChoiceField(
        label=_("Lookup attribute"),
        required=False,
        choices=[("", _("No filter"))] + [(key, key) for key in LOOKUP_ATTRIBUTES],
    )
    value = forms.CharField(label=_("Value"), required=False, max_length=2000)
    # The zone is in the label, beside the input, so nobody has to guess it.
    start = UtcDateTimeField(label=_("From (UTC)"), required=False)
    end = UtcDateTimeField(label=_("Until (UTC)"), required=False)

    def clean(self) -> dict[str, Any]:
        # A filter that cannot apply is said beside its field rather than silently ignored (a
        # value with no attribute showed every event) or silently matching nothing (a range
        # ending before it starts), which look like "there are no such events".
        data = super().clean() or {}
        attribute, value = data.get("attribute"), data.get("value")
        if value and not attribute and "attribute" not in self.errors:
            self.add_error("attribute", _("Choose the attribute this value is looked up in."))
        elif attribute and not value:
            self.add_error("value", _("Enter a value to look up."))
        elif attribute == "ReadOnly" and value and value.lower() not in ("true", "false"):
            self.add_error("value", _("ReadOnly is looked up as true or false."))
        drop_reversed_range(
            self, "start", "end", _("Choose a time on or after the “From (UTC)” time.")
        )
        return self.cleaned_data


class TrailForm(forms.Form):
    name = forms.CharField(label=_("Trail name"), max_length=128)
    destination = forms.ChoiceField(
        label=_("Deliver to"),
        choices=[
            ("local", _("A folder in Support Center's data directory")),
            ("s3", _("An S3 bucket")),
        ],
    )
    folder = forms.CharField(label=_("Folder"), required=False, max_length=128)
    s3_bucket = forms.CharField(label=_("S3 bucket"), required=False, max_length=63)
    s3_prefix = forms.CharField(label=_("S3 key prefix"), required=False, max_length=200)
    s3_region = forms.CharField(
        label=_("S3 region"), required=False, max_length=32, initial="us-east-1"
    )
    s3_endpoint_url = forms.URLField(
        label=_("S3 endpoint URL (for S3-compatible stores)"),
        required=False,
        assume_scheme="https",
        max_length=300,
        help_text=_("Leave empty for AWS. It must be a public internet host, reached over https."),
    )
