from __future__ import annotations

import zoneinfo
from collections.abc import Collection, Iterable
from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from cases.alerts import KINDS
from cases.forms import attachments_field
from cases.lifecycle import OPEN_STATUSES
from cases.models import Case, CaseStatus
from catalog.selectors import (
    plan_choices,
    service_choices,
    service_list,
    severity_cells_for_plan,
    severity_choices,
)
from macros.models import Macro

NEXT_STATUSES = [
    (CaseStatus.PENDING_CUSTOMER_ACTION.value, _("Pending customer action (ask for information)")),
    (CaseStatus.OPENED.value, _("Pending Amazon action (we are investigating)")),
    (CaseStatus.RESOLVED.value, _("Resolved")),
]


class QueueFilterForm(forms.Form):
    plan = forms.ChoiceField(label=_("Plan"), required=False)
    severity = forms.ChoiceField(label=_("Severity"), required=False)
    service = forms.ChoiceField(label=_("Service"), required=False)
    # The queue lists open cases only (console.selectors.queue): "Resolved" would match nothing.
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[
            ("", _("Any open status")),
            *((status.value, status.label) for status in CaseStatus if status in OPEN_STATUSES),
        ],
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
        label=_("Reply to the customer"),
        max_length=8000,
        # data-typing-signal: typing here shows other engineers on the case that you are.
        widget=forms.Textarea(attrs={"rows": 6, "data-typing-signal": ""}),
    )
    next_status = forms.ChoiceField(label=_("Then set the case to"), choices=NEXT_STATUSES)
    attachments = attachments_field(_("Attachments for the customer"))
    # The newest message the engineer had on screen, and whether they chose to send over a
    # newer one (the collision check; see console.views.case).
    seen = forms.CharField(required=False, strip=False, widget=forms.HiddenInput)
    confirm = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, statuses: Collection[str] | None = None, **kwargs: Any) -> None:
        """`statuses`: the ones the case can be left in (`console.views.case.reply_statuses`);
        None offers all of NEXT_STATUSES."""
        super().__init__(*args, **kwargs)
        if statuses is not None:
            cast(forms.ChoiceField, self.fields["next_status"]).choices = [
                choice for choice in NEXT_STATUSES if choice[0] in statuses
            ]

    def clean_seen(self) -> int | None:
        """A hidden field nobody types into: a value that is not a message id (a page edited by
        hand, a broken proxy) counts as having seen none, so the check asks before sending
        rather than refusing the reply with an error the page cannot show beside a field."""
        value = self.cleaned_data["seen"]
        if value == "":
            return None
        # A message id fits in 18 digits (a 64-bit key).
        plain = value.isascii() and value.isdigit() and len(value) <= 18
        return int(value) if plain else 0


class StatusForm(forms.Form):
    """Change status without a reply. Offered: the lifecycle's edges (`statuses`); a posted
    status outside them (an old tab, a script) is the lifecycle's to refuse, so any status passes
    here and the refusal names the edge."""

    status = forms.ChoiceField(label=_("New status"))
    note = forms.CharField(
        label=_("Internal note (optional, never shown to the customer)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    # The status the page showed (see cases.services.case_status_update).
    seen = forms.CharField(widget=forms.HiddenInput)

    def __init__(self, *args: Any, statuses: Collection[str] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The posted one stays offered (and chosen) when the service refuses it.
        offered = {*statuses, self.data.get("status")} if self.is_bound else set(statuses)
        cast(forms.ChoiceField, self.fields["status"]).choices = [
            (status.value, status.label) for status in CaseStatus if status.value in offered
        ]


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


def _time_zones() -> list[tuple[str, str]]:
    return [("", "UTC"), *((zone, zone) for zone in sorted(zoneinfo.available_timezones()))]


class EngineerSettingsForm(forms.Form):
    time_zone = forms.ChoiceField(
        label=_("Time zone"),
        required=False,
        choices=_time_zones,
        help_text=_("Times in the console and in your emails are shown in it (UTC on hover)."),
    )
    email_kinds = forms.MultipleChoiceField(
        label=_("Also send me an email for"),
        required=False,
        choices=list(KINDS.items()),
        widget=forms.CheckboxSelectMultiple,
        help_text=_("New critical and urgent cases, and their SLA warnings, are always emailed."),
    )


class CallbackForm(forms.Form):
    reached = forms.TypedChoiceField(
        label=_("Outcome"),
        choices=[("yes", _("Reached the customer")), ("no", _("No answer"))],
        coerce=lambda value: value == "yes",
        widget=forms.RadioSelect,
    )
    outcome = forms.CharField(
        label=_("What was said or tried"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class ReclassifyForm(forms.Form):
    """A case's severity, service and category, as the account's plan offers them."""

    severity = forms.ChoiceField(label=_("Severity"))
    classification = forms.ChoiceField(label=_("Service and category"))
    reason = forms.CharField(label=_("Reason (the customer is told)"), max_length=500)

    def __init__(self, *args: Any, case: Case, **kwargs: Any) -> None:
        plan = case.account.plan
        kwargs.setdefault(
            "initial",
            {
                "severity": case.severity.code,
                "classification": f"{case.service.code}/{case.category.code}",
            },
        )
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["severity"]).choices = [
            (cell.severity.code, cell.severity.local_name) for cell in severity_cells_for_plan(plan)
        ]
        cast(forms.ChoiceField, self.fields["classification"]).choices = [
            (
                service.local_name,
                [
                    (f"{service.code}/{category.code}", category.local_name)
                    for category in service.active_categories
                ],
            )
            for service in service_list(case_types=plan.case_types())
        ]


class MacroPickForm(forms.Form):
    """The reply form's macro picker; `cleaned_data["macro"]` is the chosen `Macro`, one of
    `macros` (the active ones, read once for the page)."""

    macro = forms.TypedChoiceField(
        label=_("Canned response"),
        coerce=int,
        empty_value=None,
        # The only choice the picker sends that is not offered is one deactivated or deleted
        # since the page was loaded.
        error_messages={"invalid_choice": _("This canned response is no longer available.")},
    )

    def __init__(self, *args: Any, macros: Iterable[Macro] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.macros = {macro.pk: macro for macro in macros}
        cast(forms.ChoiceField, self.fields["macro"]).choices = [
            ("", _("Choose a canned response")),
            *((pk, macro.name) for pk, macro in self.macros.items()),
        ]

    def clean_macro(self) -> Macro:
        return self.macros[self.cleaned_data["macro"]]


SEARCH_MAX_LENGTH = 500


class CaseSearchForm(forms.Form):
    q = forms.CharField(
        label=_("Search cases"),
        max_length=SEARCH_MAX_LENGTH,
        required=False,
        help_text=_(
            "A case id or number, an account id, a submitter's email address, or words "
            "(end one with * to match its beginning)."
        ),
    )
    state = forms.ChoiceField(
        label=_("Cases"),
        required=False,
        choices=[("all", _("Open and resolved")), ("open", _("Open")), ("resolved", _("Resolved"))],
    )
    page = forms.IntegerField(required=False, min_value=1, max_value=40, widget=forms.HiddenInput)
