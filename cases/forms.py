"""Case forms: they validate input and hand `cleaned_data` to the case services."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, cast

from django import forms
from django.conf import settings
from django.urls import reverse_lazy
from django.utils.translation import gettext_lazy as _

from cases.models import CallbackWhen, CaseStatus, Language
from cases.services.validation import clean_cc_addresses
from catalog.models import CaseType, Category, ContactMethod, PlanSeverity, Service, SupportPlan
from core.errors import SupportApiError
from core.forms import drop_reversed_range

if TYPE_CHECKING:
    from django.core.files.uploadedfile import UploadedFile
    from django.utils.datastructures import MultiValueDict
    from django_stubs_ext import StrOrPromise

MAX_FILES = 3
_SPLIT = re.compile(r"[,;\s]+")


def split_addresses(value: str) -> list[str]:
    """CC addresses are separated by commas or semicolons (or spaces), as the spec's form says."""
    return [part for part in _SPLIT.split(value or "") if part]


def _chosen_files(files: MultiValueDict[str, UploadedFile]) -> str:
    return ", ".join(str(upload.name) for upload in files.getlist("attachments"))


def ask_for_files_again(form: forms.Form) -> None:
    """On a form sent back with errors, name beside its file field the files the user chose:
    a browser never refills a file input, so without this the case or reply would go out
    without them. Files refused for themselves (too many, too large) already say so."""
    names = _chosen_files(form.files)
    if names and not form.has_error("attachments"):
        form.add_error(
            "attachments",
            _(
                "Choose your files again (%(names)s): a form sent back with an error cannot "
                "keep them."
            )
            % {"names": names},
        )


def files_to_choose_again(files: MultiValueDict[str, UploadedFile]) -> str:
    """The notice for a create form shown again before it is sent (the no-JS "Show categories"
    button), which is not validated: a notice of its own rather than `ask_for_files_again`'s
    error, which would flag every field the user has not reached yet. Empty without files."""
    names = _chosen_files(files)
    if not names:
        return ""
    return _("Choose your files again (%(names)s): showing the categories cannot keep them.") % {
        "names": names
    }


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Up to three files of at most 5 MB each (checked in the browser too, by static/js/app.js)."""

    widget = MultipleFileInput

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        files = data if isinstance(data, list | tuple) else ([data] if data else [])
        files = [f for f in files if f]
        if len(files) > MAX_FILES:
            raise forms.ValidationError(_("Attach at most 3 files."))
        limit = settings.SUPPORTCENTER_ATTACHMENT_MAX_BYTES
        for upload in files:
            if upload.size > limit:
                raise forms.ValidationError(
                    _("%(name)s is larger than 5 MB.") % {"name": upload.name}
                )
        return files


def attachments_field(label: StrOrPromise) -> MultipleFileField:
    return MultipleFileField(
        label=label,
        required=False,
        help_text=_("Up to 3 files, at most 5 MB each."),
        widget=MultipleFileInput(
            attrs={
                "data-max-files": MAX_FILES,
                "data-max-bytes": settings.SUPPORTCENTER_ATTACHMENT_MAX_BYTES,
            }
        ),
    )


class CaseCreateForm(forms.Form):
    case_type = forms.ChoiceField(label=_("Regarding"), widget=forms.RadioSelect)
    service = forms.ChoiceField(label=_("Service"))
    category = forms.ChoiceField(label=_("Category"))
    extra_field_value = forms.CharField(label=_("Resource IDs"), max_length=1000, required=False)
    severity = forms.ChoiceField(label=_("Severity"), widget=forms.RadioSelect)
    subject = forms.CharField(
        label=_("Subject"),
        max_length=250,
        # Similar resolved cases are suggested as the subject is typed (cases.views_suggest).
        widget=forms.TextInput(
            attrs={
                "hx-get": reverse_lazy("cases:similar"),
                "hx-trigger": "input changed delay:400ms, search",
                "hx-target": "#similar-cases",
                "hx-sync": "this:replace",
                "autocomplete": "off",
            }
        ),
    )
    related_case = forms.CharField(
        label=_("Related case"),
        max_length=100,
        required=False,
        help_text=_("The case ID of an earlier case of your account this one follows up, if any."),
    )
    description = forms.CharField(
        label=_("Description"),
        max_length=8000,
        widget=forms.Textarea(attrs={"rows": 10}),
        help_text=_(
            "If you are receiving an error, give the detailed error message and describe any "
            "changes you made recently. Include the date, time and time zone when you first "
            "observed the issue."
        ),
    )
    cc = forms.CharField(
        label=_("CC"),
        required=False,
        help_text=_("Use commas or semicolons to separate email addresses (at most 10)."),
    )
    attachments = attachments_field(_("Attachments"))
    language = forms.ChoiceField(label=_("Contact language"), choices=Language.choices)
    contact_method = forms.ChoiceField(label=_("Contact method"), widget=forms.RadioSelect)
    callback_number = forms.CharField(
        label=_("Callback number"),
        max_length=32,
        required=False,
        help_text=_("In international format, e.g. +1 206 555 0100."),
    )
    callback_when = forms.ChoiceField(
        label=_("Call me"),
        choices=[("", "—"), *CallbackWhen.choices],
        required=False,
    )

    def __init__(self, *args: Any, plan: SupportPlan, cc_required: bool, **kwargs: Any) -> None:
        """`cc_required`: for IAM users with an email address, who must copy themselves (an IAM
        user without one gets the account's contacts copied instead)."""
        super().__init__(*args, **kwargs)
        self.plan = plan
        case_types = plan.case_types()
        cast(forms.ChoiceField, self.fields["case_type"]).choices = [
            (value, label) for value, label in CaseType.choices if value in case_types
        ]
        chosen_type = self.data.get("case_type") or self.initial.get("case_type") or case_types[0]
        services = Service.objects.filter(is_active=True, case_type=chosen_type).order_by("name")
        cast(forms.ChoiceField, self.fields["service"]).choices = [("", _("Choose a service"))] + [
            (s.code, s.local_name) for s in services
        ]
        service_code = self.data.get("service") or self.initial.get("service")
        categories = Category.objects.filter(service__code=service_code, is_active=True).order_by(
            "name"
        )
        self.categories = list(categories)
        cast(forms.ChoiceField, self.fields["category"]).choices = [
            ("", _("Choose a category"))
        ] + [(c.code, c.local_name) for c in self.categories]
        cells = (
            PlanSeverity.objects.filter(plan=plan)
            .select_related("severity")
            .order_by("severity__level")
        )
        cast(forms.ChoiceField, self.fields["severity"]).choices = [
            (
                cell.severity.code,
                _("%(name)s (first response within %(time)s%(hours)s)")
                % {
                    "name": cell.severity.local_name,
                    "time": cell.response_time,
                    "hours": _(", business hours") if plan.business_hours_only else "",
                },
            )
            for cell in cells
        ]
        methods = plan.contact_methods()
        cast(forms.ChoiceField, self.fields["contact_method"]).choices = [
            (value, label) for value, label in ContactMethod.choices if value in methods
        ]
        self.fields["contact_method"].initial = ContactMethod.WEB
        # What the plan allows is what the form offers: without CC lists, only an IAM user's
        # own address (which AWS asks them for) is left to give, and nobody else sees the field.
        self.cc_note = ""
        if not plan.allows_cc:
            self.cc_note = _(
                "The %(plan)s plan does not include CC lists: updates on this case are emailed "
                "to you and to your account's contact address."
            ) % {"plan": plan.local_name}
        if cc_required:
            self.fields["cc"].required = True
            self.fields["cc"].help_text = (
                _(
                    "Required for IAM users: include your own email address. Use commas or "
                    "semicolons to separate addresses (at most 10)."
                )
                if plan.allows_cc
                else _("Required for IAM users: your own email address.")
            )
        elif not plan.allows_cc:
            del self.fields["cc"]
        self.offers_phone = ContactMethod.PHONE in methods
        if not self.offers_phone:
            del self.fields["callback_number"]
            del self.fields["callback_when"]

    def clean_cc(self) -> str:
        """The service's own check, run with the form's so every mistake shows at once."""
        value: str = self.cleaned_data.get("cc", "")
        try:
            clean_cc_addresses(split_addresses(value))
        except SupportApiError as error:
            raise forms.ValidationError(error.display_message) from None
        return value

    def selected_category(self) -> Category | None:
        code = self.data.get("category") or self.initial.get("category")
        return next((c for c in self.categories if c.code == code), None)

    def clean(self) -> dict[str, Any]:
        # Form.clean() returns cleaned_data (typed Optional for overrides that return None).
        data = cast(dict[str, Any], super().clean())
        # A field refused already (too long, not a choice) keeps its own error: "Enter the
        # number" under a number just entered would contradict it.
        if data.get("contact_method") == ContactMethod.PHONE:
            if not data.get("callback_number") and "callback_number" not in self.errors:
                self.add_error("callback_number", _("Enter the number we should call."))
            if not data.get("callback_when") and "callback_when" not in self.errors:
                self.add_error("callback_when", _("Choose when we should call."))
        return data


class ReplyForm(forms.Form):
    body = forms.CharField(
        label=_("Reply"), max_length=8000, widget=forms.Textarea(attrs={"rows": 5})
    )
    attachments = attachments_field(_("Attachments"))


class ReopenForm(forms.Form):
    body = forms.CharField(
        label=_("What still needs attention?"),
        max_length=8000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Reopening sends this message to Support with the case."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # A resolved case's page shows this form beside the reply form, whose field is also
        # `body`: ids of their own keep each label (and its errors) on its own textarea.
        kwargs.setdefault("auto_id", "id_reopen_%s")
        super().__init__(*args, **kwargs)


class CcForm(forms.Form):
    # Adding addresses is an action the reader may skip, so the field is not marked required;
    # submitting it empty is still an error.
    cc = forms.CharField(
        label=_("Add CC addresses"),
        help_text=_("Separate addresses with commas or semicolons."),
        required=False,
    )

    def clean_cc(self) -> str:
        value: str = self.cleaned_data.get("cc", "")
        if not value.strip():
            raise forms.ValidationError(_("Enter the addresses to add."))
        return value


# The case list's sort choices; their orders are cases.selectors.CASE_LIST_ORDERS.
SORTS = {
    "newest": _("Newest first"),
    "oldest": _("Oldest first"),
    "severity": _("Highest severity first"),
    "subject": _("Subject A-Z"),
    "updated": _("Recently updated"),
}


class CaseFilterForm(forms.Form):
    q = forms.CharField(
        label=_("Search subject and correspondence"), required=False, max_length=200
    )
    state = forms.ChoiceField(
        label=_("Show"),
        required=False,
        choices=[
            ("open", _("Open cases")),
            ("resolved", _("Resolved cases")),
            ("all", _("All cases")),
        ],
    )
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("Any status")), *CaseStatus.choices],
    )
    severity = forms.ChoiceField(label=_("Severity"), required=False)
    created_after = forms.DateField(
        label=_("Created from"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    created_before = forms.DateField(
        label=_("Created until"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    sort = forms.ChoiceField(label=_("Sort by"), required=False, choices=list(SORTS.items()))

    def __init__(
        self,
        *args: Any,
        severities: list[tuple[str, str]],
        subjects_only: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        if subjects_only:
            # Without support:DescribeCommunications the search skips the correspondence
            # (cases.selectors); the label says what it really looks at.
            self.fields["q"].label = _("Search subject")
        cast(forms.ChoiceField, self.fields["severity"]).choices = [
            ("", _("Any severity")),
            *severities,
        ]

    def _plausible(self, name: str) -> Any:
        value = self.cleaned_data.get(name)
        if value is not None and not 1900 <= value.year <= 9000:
            raise forms.ValidationError(_("Enter a date between 1900 and 9000."))
        return value

    def clean_created_after(self) -> Any:
        return self._plausible("created_after")

    def clean_created_before(self) -> Any:
        return self._plausible("created_before")

    def clean(self) -> dict[str, Any]:
        drop_reversed_range(
            self,
            "created_after",
            "created_before",
            _("Choose a date on or after the “Created from” date."),
        )
        return self.cleaned_data
