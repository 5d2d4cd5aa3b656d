"""The admin's forms for accounts, users and IAM (accounts/admin.py). They run the services'
checks first, so a refusal shows next to its field before anything is written; the admin then
saves through the services."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib.auth.password_validation import validate_password
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts import policy as policy_eval
from accounts import selectors, services
from accounts.models import Account, IamGroup, Policy, User
from accounts.services.validation import clean_country, clean_email, clean_time_zone
from core import safejson
from core.errors import SupportApiError
from core.forms import add_service_error


def _checked(check: Callable[[str], str], value: str) -> str:
    try:
        return check(value)
    except SupportApiError as error:
        raise forms.ValidationError(error.display_message) from None


class AccountForm(forms.ModelForm):
    class Meta:
        model = Account
        fields = ("name", "plan", "country", "time_zone", "contact_email", "is_active")

    def clean_country(self) -> str:
        return _checked(clean_country, self.cleaned_data["country"])

    def clean_time_zone(self) -> str:
        return _checked(clean_time_zone, self.cleaned_data["time_zone"])


class AccountCreateForm(AccountForm):
    """A new account and its root user, who signs in with this password (and may reset it by
    email: an account without one could never sign in). The service's refusals are asked
    first, so they show beside their fields."""

    root_email = forms.EmailField(label=_("Root user's email address"), max_length=254)
    root_password = forms.CharField(
        label=_("Root user's password"),
        strip=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text=_("Give it to the account's owner; they can change it after signing in."),
    )

    class Meta(AccountForm.Meta):
        fields = ("account_id", "name", "plan", "country", "time_zone", "contact_email")

    def clean_root_email(self) -> str:
        email = _checked(clean_email, self.cleaned_data["root_email"])
        if selectors.user_by_login(email.lower()) is not None:
            raise forms.ValidationError(gettext(services.MSG_EMAIL_TAKEN))
        return email

    def clean_root_password(self) -> str:
        password: str = self.cleaned_data["root_password"]
        validate_password(password)
        return password


class UserForm(forms.ModelForm):
    class Meta:
        model = User
        fields = ("display_name", "is_active", "is_staff", "is_superuser", "services", "policies")

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        try:
            for policy in cleaned.get("policies", ()):
                services.check_policy_account(account=self.instance.account, policy=policy)
        except SupportApiError as error:
            add_service_error(self, error)
        return cleaned


class EngineerCreateForm(forms.ModelForm):
    """A new support engineer: the users an operator adds here are engineers (customers come
    with their accounts, IAM users from their root user). The password is checked by Django's
    validators beside its field; the engineer changes it after signing in."""

    email = forms.EmailField(
        label=_("Email address (the engineer signs in with it)"), max_length=254
    )
    password = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
    )

    class Meta:
        model = User
        fields = ("display_name", "is_superuser", "services")

    def clean_email(self) -> str:
        email = _checked(clean_email, self.cleaned_data["email"])
        if selectors.user_by_login(email.lower()) is not None:
            raise forms.ValidationError(gettext(services.MSG_EMAIL_TAKEN))
        return email

    def clean_password(self) -> str:
        password: str = self.cleaned_data["password"]
        validate_password(password)
        return password


class PolicyForm(forms.ModelForm):
    # Parsed strictly (no NaN, lone surrogates or unbounded nesting), so bad text is a form
    # error rather than a crash or a row the database refuses.
    document = forms.JSONField(
        label=_("Document"),
        widget=forms.Textarea(attrs={"rows": 14, "cols": 80}),
        decoder=safejson.StrictDecoder,
    )

    class Meta:
        model = Policy
        fields = ("account", "name", "description", "document")

    def clean_document(self) -> Any:
        document = self.cleaned_data["document"]
        errors = policy_eval.validate_document(document)
        if errors:
            raise forms.ValidationError([error.translated() for error in errors])
        return document


class IamGroupForm(forms.ModelForm):
    class Meta:
        model = IamGroup
        fields = ("account", "name", "members", "policies")

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        # On a new group the account comes from the form; an existing group keeps its own.
        account = cleaned.get("account") if self.instance.pk is None else self.instance.account
        if account is None:
            return cleaned
        checks: list[tuple[Callable[..., None], str, str]] = [
            (services.check_member_account, "members", "user"),
            (services.check_policy_account, "policies", "policy"),
        ]
        for check, field, argument in checks:
            try:
                for item in cleaned.get(field, ()):
                    check(account=account, **{argument: item})
            except SupportApiError as error:
                add_service_error(self, error)
        return cleaned
