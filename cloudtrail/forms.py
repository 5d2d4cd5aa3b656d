from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from audit.selectors import LOOKUP_ATTRIBUTES


class LookupForm(forms.Form):
    attribute = forms.ChoiceField(
        label=_("Lookup attribute"),
        required=False,
        choices=[("", _("No filter"))] + [(key, key) for key in LOOKUP_ATTRIBUTES],
    )
    value = forms.CharField(label=_("Value"), required=False, max_length=2000)
    start = forms.DateTimeField(
        label=_("From"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )
    end = forms.DateTimeField(
        label=_("Until"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )


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
