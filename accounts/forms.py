"""Forms validate input only; services do the work."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from accounts.models import Policy


class RootSignInForm(forms.Form):
    email = forms.EmailField(label=_("Email address"))
    password = forms.CharField(label=_("Password"), widget=forms.PasswordInput, strip=False)


class IamSignInForm(forms.Form):
    user_name = forms.CharField(label=_("IAM user name"), max_length=64)
    password = forms.CharField(label=_("Password"), widget=forms.PasswordInput, strip=False)


class AccountIdForm(forms.Form):
    account_id = forms.RegexField(
        label=_("Account ID"),
        regex=r"^\d{12}$",
        error_messages={"invalid": _("An account ID is exactly 12 digits.")},
    )


POLICY_CHOICES = [
    ("AWSSupportAccess", _("AWSSupportAccess: full access to Support Center and the API")),
    ("SupportCenterReadOnlyAccess", _("SupportCenterReadOnlyAccess: read cases, change nothing")),
    ("", _("No policy (no access until one is attached)")),
]


class IamUserCreateForm(forms.Form):
    user_name = forms.CharField(label=_("User name"), max_length=64)
    email = forms.EmailField(label=_("Email address (for case notifications)"), required=False)
    password = forms.CharField(
        label=_("Console password (leave empty for API-only users)"),
        # Never sent back into the page: after an error the password is typed again.
        widget=forms.PasswordInput(),
        required=False,
        strip=False,
    )
    policy = forms.ChoiceField(label=_("Permissions"), choices=POLICY_CHOICES, required=False)


class PasswordForm(forms.Form):
    password = forms.CharField(
        label=_("New console password (empty removes console access)"),
        widget=forms.PasswordInput,
        required=False,
        strip=False,
    )


class PolicyCreateForm(forms.Form):
    name = forms.CharField(label=_("Policy name"), max_length=128)
    description = forms.CharField(label=_("Description"), max_length=1000, required=False)
    document = forms.CharField(
        label=_("Policy document (JSON)"),
        widget=forms.Textarea(attrs={"rows": 12, "spellcheck": "false"}),
        initial=(
            '{\n  "Version": "2012-10-17",\n  "Statement": [\n    {"Effect": "Allow", '
            '"Action": "support:Describe*", "Resource": "*"}\n  ]\n}'
        ),
    )


class AttachPolicyForm(forms.Form):
    policy = forms.ChoiceField(label=_("Policy"))

    def __init__(self, *args: Any, policies: Iterable[Policy] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["policy"]).choices = [
            (p.name, p.name) for p in policies
        ]


class GroupCreateForm(forms.Form):
    name = forms.CharField(label=_("Group name"), max_length=128)
