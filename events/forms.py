"""Forms for the event rule pages: they only check the input's shape; the services validate
names, patterns and destinations."""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from events.kinds import CASE_DETAIL_TYPE, CASE_SOURCE, TA_DETAIL_TYPE, TA_SOURCE
from events.models import TargetKind
from events.pattern import MAX_PATTERN_TEXT

# Patterns to start from, one per kind of event Support Center publishes.
STARTERS: dict[str, dict[str, object]] = {
    "support": {
        "source": [CASE_SOURCE],
        "detail-type": [CASE_DETAIL_TYPE],
        "detail": {
            "event-name": [
                "CreateCase",
                "AddCommunicationToCase",
                "ResolveCase",
                "ReopenCase",
            ]
        },
    },
    "trustedadvisor": {
        "source": [TA_SOURCE],
        "detail-type": [TA_DETAIL_TYPE],
        "detail": {"status": ["WARN", "ERROR"]},
    },
    # A finding resolved: the item was yellow or red and is green now.
    "trustedadvisor-green": {
        "source": [TA_SOURCE],
        "detail-type": [TA_DETAIL_TYPE],
        "detail": {"status": ["OK"], "previous-status": ["WARN", "ERROR"]},
    },
}
STARTER_CHOICES = [
    ("", _("Write my own")),
    ("support", _("Support case updates (created, replied, resolved, reopened)")),
    ("trustedadvisor", _("Trusted Advisor check items that turn yellow or red")),
    ("trustedadvisor-green", _("Trusted Advisor check items that turn green again")),
]


def starter_text(key: str) -> str:
    return json.dumps(STARTERS[key], indent=2) if key in STARTERS else ""


class ServiceCheckedField(forms.CharField):
    """Marked required, but an empty value still goes to the service, whose rule (and message)
    it is: the service checks every field before it refuses, so a missing name is reported
    together with the pattern's mistakes rather than hiding them until it is filled in."""

    def validate(self, value: Any) -> None:
        pass


class RuleForm(forms.Form):
    # The name's and the description's rules (length included) are the service's: lengths are
    # only hints to the browser here, so a long value is reported with the other mistakes.
    name = ServiceCheckedField(
        label=_("Name"),
        help_text=_("Up to 64 letters, digits, periods, hyphens and underscores."),
        widget=forms.TextInput(attrs={"maxlength": "64"}),
    )
    description = forms.CharField(
        label=_("Description"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "maxlength": "512"}),
    )
    starter = forms.ChoiceField(label=_("Starter pattern"), choices=STARTER_CHOICES, required=False)
    event_pattern = forms.CharField(
        label=_("Event pattern (JSON)"),
        strip=False,
        max_length=MAX_PATTERN_TEXT,
        help_text=_(
            'Fields to match, each with an array of values, e.g. {"source": ["aws.support"]}. '
            "Operators: prefix, suffix, anything-but, numeric, exists, equals-ignore-case, "
            "wildcard, cidr and $or."
        ),
        widget=forms.Textarea(attrs={"rows": 14, "spellcheck": "false", "class": "code"}),
    )

    def __init__(self, *args: Any, editing: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if editing:
            # Rule names cannot change (as in EventBridge): shown, not submitted.
            self.fields["name"].disabled = True
            self.fields["name"].required = False


class TargetForm(forms.Form):
    kind = forms.ChoiceField(label=_("Target type"), choices=TargetKind.choices)
    url = forms.CharField(
        label=_("Webhook URL"),
        required=False,
        max_length=2000,
        help_text=_("For webhooks: an https URL that accepts POST requests."),
    )
    email = forms.CharField(
        label=_("Email address"), required=False, max_length=254, help_text=_("For email.")
    )
    arn = forms.CharField(
        label=_("Topic or queue ARN"),
        required=False,
        max_length=300,
        help_text=_(
            "For SNS and SQS, in the AWS environment connected to Trusted Advisor, e.g. "
            "arn:aws:sqs:us-east-1:123456789012:support-events."
        ),
    )
