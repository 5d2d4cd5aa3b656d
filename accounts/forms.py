"""Forms validate input only; services do the work."""

from __future__ import annotations

import unicodedata
import zoneinfo
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any, cast

from django import forms
from django.contrib.auth.forms import PasswordResetForm
from django.utils.translation import gettext_lazy as _

from accounts.countries import country_choices
from accounts.models import User, UserKind

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


class PolicyEditForm(forms.Form):
    """A customer policy's document, saved as a new version (its name and description never
    change, as in IAM). The document is validated by the service
    (`accounts.policy.parse_document`), whose problems are shown beside the field with the text
    kept."""

    document = forms.CharField(
        label=_("Policy document (JSON)"),
        widget=forms.Textarea(attrs={"rows": 16, "spellcheck": "false"}),
        # Kept as typed: the service parses it, and a refused text is shown back unchanged.
        strip=False,
    )
    set_as_default = forms.BooleanField(
        label=_("Set this new version as the default"),
        required=False,
        help_text=_("The default version is the one that decides what users may do."),
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


def _time_zone_choices() -> list[tuple[str, str]]:
    return [(name, name) for name in sorted(zoneinfo.available_timezones())]


class AccountContactForm(forms.Form):
    name = forms.CharField(label=_("Account name"), max_length=200)
    contact_email = forms.EmailField(
        label=_("Contact email"),
        required=False,
        help_text=_("Receives a copy of every case email of the account."),
    )
    contact_phone = forms.CharField(label=_("Contact phone"), max_length=32, required=False)
    country = forms.ChoiceField(
        label=_("Country"),
        help_text=_("Its public holidays are not business days (Developer plan targets)."),
    )
    time_zone = forms.ChoiceField(
        label=_("Time zone"),
        help_text=_("Business hours and every time your users see follow it."),
    )
    language = forms.ChoiceField(
        label=_("Default language"),
        choices=[("en", _("English")), ("ja", _("Japanese"))],
        help_text=_("For the account's emails when a case does not say otherwise."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        current = str(self.initial.get("country") or "")
        cast(forms.ChoiceField, self.fields["country"]).choices = country_choices(current)
        cast(forms.ChoiceField, self.fields["time_zone"]).choices = _time_zone_choices()


class AlternateContactForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=64)
    title = forms.CharField(label=_("Title"), max_length=50, required=False)
    email = forms.EmailField(label=_("Email address"))
    phone = forms.CharField(label=_("Phone number"), max_length=25, required=False)


class RootPasswordResetForm(PasswordResetForm):
    """Django's reset form, for root users and support engineers: IAM users' passwords are
    their root user's to set. Throttled per address and per client (accounts.views).

    Unlike Django's, it also answers a root user who has no password yet (an account made by
    `create_api_user` or the API): the link is how they set their first one, as the owner of an
    AWS account's root email can. An IAM user without one is API-only on purpose and is never
    sent a link, and operators (superusers) recover theirs on the server (`manage.py
    changepassword`): a mailbox alone never opens the admin."""

    def get_users(self, email: str) -> Iterator[User]:
        wanted = unicodedata.normalize("NFKC", email).casefold()
        users = User.objects.filter(
            email__iexact=email,
            kind__in=(UserKind.ROOT, UserKind.ENGINEER),
            is_active=True,
            is_superuser=False,
        )
        return (
            user for user in users if unicodedata.normalize("NFKC", user.email).casefold() == wanted
        )


class MfaCodeForm(forms.Form):
    token = forms.CharField(
        label=_("Code"),
        max_length=16,
        # Not inputmode="numeric": a phone's digits-only keypad cannot type a recovery code.
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "autocapitalize": "none", "spellcheck": "false"}
        ),
        help_text=_("The six digits your authenticator app shows, or one of your recovery codes."),
    )
