from __future__ import annotations

from collections.abc import Iterable
from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from cases.forms import attachments_field
from cases.models import CaseStatus
from catalog.selectors import plan_choices, service_choices, severity_choices

NEXT_STATUSES = [
    (CaseStatus.PENDING_CUSTOMER_ACTION.value, _("Pending customer action (ask for information)")),
    (CaseStatus.OPENED.value, _("Pending Amazon action (we are investigating)")),
    (CaseStatus.RESOLVED.value, _("Resolved")),
]


class QueueFilterForm(forms.Form):
    plan = forms.ChoiceField(label=_("Plan"), required=False)
    severity = forms.ChoiceField(label=_("Severity"), required=False)
    service = forms.ChoiceField(label=_("Service"), required=False)
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("Any open status")), *CaseStatus.choices]
    )
    assignee = forms.ChoiceField(label=_("Assignee"), required=False)
    breached = forms.BooleanField(label=_("Breached only"), required=False)
    mine = forms.BooleanField(label=_("Only the services I cover"), required=False)

    def __init__(self, *args: Any, engineers: Iterable[User] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["plan"]).choices = [
            ("", _("Any plan")),
            *plan_choices(),
        ]
        cast(forms.ChoiceField, self.fields["severity"]).choices = [
            ("", _("Any severity")),
            *severity_choices(),
        ]
        cast(forms.ChoiceField, self.fields["service"]).choices = [
            ("", _("Any service")),
            *service_choices(),
        ]
        cast(forms.ChoiceField, self.fields["assignee"]).choices = [
            ("", _("Anyone")),
            ("none", _("Nobody")),
        ] + [(e.login, e.display_name or e.email) for e in engineers]


class EngineerReplyForm(forms.Form):
    body = forms.CharField(
        label=_("Reply to the customer"), max_length=8000, widget=forms.Textarea(attrs={"rows": 6})
    )
    next_status = forms.ChoiceField(label=_("Then set the case to"), choices=NEXT_STATUSES)
    attachments = attachments_field(_("Attachments for the customer"))


class NoteForm(forms.Form):
    body = forms.CharField(
        label=_("Internal note (never shown to the customer)"),
        max_length=8000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    attachments = attachments_field(_("Attachments (engineers only)"))


class AssignForm(forms.Form):
    engineer = forms.ChoiceField(label=_("Assign to"))

    def __init__(self, *args: Any, engineers: Iterable[User] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["engineer"]).choices = [
            (e.login, e.display_name or e.email) for e in engineers
        ]
