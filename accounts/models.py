"""Accounts and the people who act in them: the identity store every layer above reads.

- `Account`: a customer, identified by a 12-digit id, on a support plan (`catalog.SupportPlan`).
- `User`: one model for every person who signs in: an account's root user (email), its IAM users
  (user name unique in the account) and support engineers (staff, no account).
- IAM: `IamGroup`, `Policy` (JSON documents; managed ones have no account), `AccessKey`.
"""

from __future__ import annotations

from typing import cast

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.principals import principal_for_cli
from catalog.models import SupportPlan
from core.errors import SupportApiError
from core.models import TimestampedModel

account_id_validator = RegexValidator(r"^\d{12}$", _("An account id is exactly 12 digits."))
user_name_validator = RegexValidator(
    r"^[A-Za-z0-9+=,.@_-]{1,64}$",
    _("Use 1-64 letters, digits and + = , . @ _ - (as IAM does)."),
)


class Account(TimestampedModel):
    account_id = models.CharField(
        _("account ID"), max_length=12, unique=True, validators=[account_id_validator]
    )
    name = models.CharField(_("name"), max_length=200)
    plan = models.ForeignKey(
        SupportPlan, on_delete=models.PROTECT, related_name="accounts", verbose_name=_("plan")
    )
    country = models.CharField(
        _("country"),
        max_length=2,
        default="US",
        help_text=_("ISO 3166 code; decides public holidays."),
    )
    time_zone = models.CharField(_("time zone"), max_length=64, default="UTC")
    contact_email = models.EmailField(_("contact email"), blank=True)
    contact_phone = models.CharField(max_length=32, blank=True)
    # The root user's choice: IAM users sign in with a second factor (they set one up first).
    require_mfa_for_iam = models.BooleanField(default=False)
    # The language new users of the account start with and its emails use by default.
    language = models.CharField(
        max_length=8, choices=[("en", _("English")), ("ja", _("Japanese"))], default="en"
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["account_id"]
        verbose_name = _("account")
        verbose_name_plural = _("accounts")
        constraints = [
            models.CheckConstraint(
                condition=Q(account_id__regex=r"^[0-9]{12}$"), name="account_id_12_digits"
            )
        ]

    def __str__(self) -> str:
        return f"{self.account_id} ({self.name})"


class AlternateContactType(models.TextChoices):
    """AWS's alternate contacts; each receives copies of the matching case emails."""

    BILLING = "BILLING", _("Billing")
    OPERATIONS = "OPERATIONS", _("Operations")
    SECURITY = "SECURITY", _("Security")


class AlternateContact(TimestampedModel):
    account = models.ForeignKey(
        Account, on_delete=models.CASCADE, related_name="alternate_contacts"
    )
    contact_type = models.CharField(max_length=16, choices=AlternateContactType.choices)
    name = models.CharField(max_length=64)
    title = models.CharField(max_length=50, blank=True)
    email = models.EmailField(max_length=254)
    phone = models.CharField(max_length=25, blank=True)

    class Meta:
        ordering = ["contact_type"]
        constraints = [
            models.UniqueConstraint(
                fields=["account", "contact_type"], name="one_alternate_contact_per_type"
            )
        ]

    def __str__(self) -> str:
        return f"{self.contact_type}: {self.name} <{self.email}>"


class UserKind(models.TextChoices):
    ROOT = "root", _("Root user")
    IAM = "iam", _("IAM user")
    ENGINEER = "engineer", _("Support engineer")


MSG_OPERATOR_LOGIN = (
    "An operator signs in with their email address: give the same address as login and email "
    "(or leave the email empty)."
)


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_superuser(self, login: str, password: str | None = None, **extra: object) -> User:
        """For `createsuperuser`: an operator with the admin site (a staff engineer), made by
        `accounts.services.engineer_create` like every engineer (its own principal id, the
        audit record). Its login is its email address, as for every engineer. Problems are
        `ValidationError`s, which the command shows as its error (exit status 1).
        """
        # The services import this module, so they can only be imported once it has loaded.
        from accounts.services import engineer_create

        email = str(extra.get("email") or login).strip()
        if email.lower() != login.strip().lower():
            raise ValidationError(MSG_OPERATOR_LOGIN)
        try:
            return engineer_create(
                email=email,
                password=password,
                actor=principal_for_cli(None),
                is_superuser=True,
            )
        except SupportApiError as error:
            raise ValidationError(error.message) from None


class User(AbstractBaseUser, PermissionsMixin):
    """Everyone who signs in.

    `login` is the unique sign-in key: the email for root users and engineers, and
    "<account id>/<user name>" for IAM users (who sign in on their account's page).
    """

    login = models.CharField(_("login"), max_length=200, unique=True)
    kind = models.CharField(_("kind"), max_length=16, choices=UserKind.choices)
    account = models.ForeignKey(
        Account,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="users",
        verbose_name=_("account"),
    )
    user_name = models.CharField(
        _("user name"), max_length=64, blank=True, validators=[user_name_validator]
    )
    # Named: Django's password-similarity check quotes it ("too similar to the email address").
    email = models.EmailField(_("email address"), blank=True)
    display_name = models.CharField(_("display name"), max_length=200, blank=True)
    # IAM-style unique id (AIDA... on AWS); stable, never reused.
    principal_id = models.CharField(_("principal ID"), max_length=32, unique=True)
    is_active = models.BooleanField(_("active"), default=True)
    is_staff = models.BooleanField(_("staff status"), default=False)
    # Services an engineer covers (empty: all); used by the engineers' queue.
    services = models.ManyToManyField(
        "catalog.Service", blank=True, related_name="engineers", verbose_name=_("services")
    )
    policies = models.ManyToManyField(
        "accounts.Policy", blank=True, related_name="users", verbose_name=_("policies")
    )
    language = models.CharField(max_length=8, blank=True)
    # An engineer's own time zone for the pages and emails they read (blank: UTC); customers
    # read their account's.
    time_zone = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    USERNAME_FIELD = "login"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["email"]

    objects = UserManager()

    @property
    def viewing_time_zone(self) -> str:
        """The zone this person reads times in: the account's for customers, their own (or
        UTC) for engineers and operators."""
        if self.account is not None:
            return self.account.time_zone
        return self.time_zone or "UTC"

    class Meta:
        ordering = ["login"]
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=["root", "iam", "engineer"]), name="user_kind_valid"
            ),
            models.CheckConstraint(
                condition=(Q(kind="engineer", account__isnull=True))
                | (Q(kind__in=["root", "iam"], account__isnull=False)),
                name="user_account_matches_kind",
            ),
            models.UniqueConstraint(
                fields=["account"], condition=Q(kind="root"), name="one_root_per_account"
            ),
            models.UniqueConstraint(
                fields=["account", "user_name"],
                condition=Q(kind="iam"),
                name="iam_user_name_unique_in_account",
            ),
        ]

    def __str__(self) -> str:
        if self.kind == UserKind.IAM:
            # IAM users always have an account (user_account_matches_kind).
            account_id = self.account_id and cast(Account, self.account).account_id
            return f"{self.user_name} ({account_id})"
        return self.email or self.login

    @property
    def is_root(self) -> bool:
        return self.kind == UserKind.ROOT

    @property
    def is_iam(self) -> bool:
        return self.kind == UserKind.IAM

    @property
    def is_engineer(self) -> bool:
        return self.kind == UserKind.ENGINEER

    @property
    def arn(self) -> str:
        # Root and IAM users always have an account (user_account_matches_kind).
        if self.kind == UserKind.ROOT:
            return f"arn:aws:iam::{cast(Account, self.account).account_id}:root"
        if self.kind == UserKind.IAM:
            return f"arn:aws:iam::{cast(Account, self.account).account_id}:user/{self.user_name}"
        return f"arn:aws:iam::support:engineer/{self.login}"

    @property
    def identity_name(self) -> str:
        """The name shown in CloudTrail's `userName` and the case's `submittedBy`."""
        if self.kind == UserKind.IAM:
            return self.user_name
        return self.email or self.login


class Policy(TimestampedModel):
    """A JSON policy document. Managed policies (no account) are shared by every account.

    As in IAM, a policy keeps up to five versions of its document (`PolicyVersion`), one of them
    the default; `document` is the default version's, the one authorization reads."""

    account = models.ForeignKey(
        Account,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="policies",
        verbose_name=_("account"),
    )
    name = models.CharField(_("name"), max_length=128)
    description = models.CharField(_("description"), max_length=1000, blank=True)
    document = models.JSONField(_("document"))
    default_version = models.PositiveIntegerField(_("default version"), default=1)
    # The highest version number given so far: IAM never gives a deleted version's id again.
    last_version = models.PositiveIntegerField(_("last version"), default=1)

    class Meta:
        ordering = ["name"]
        verbose_name = _("policy")
        verbose_name_plural = _("policies")
        constraints = [
            models.UniqueConstraint(
                fields=["account", "name"], name="policy_name_unique_in_account"
            ),
            models.UniqueConstraint(
                fields=["name"], condition=Q(account__isnull=True), name="managed_policy_unique"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_managed(self) -> bool:
        return self.account_id is None

    @property
    def arn(self) -> str:
        if self.account_id is None:
            return f"arn:aws:iam::aws:policy/{self.name}"
        return f"arn:aws:iam::{cast(Account, self.account).account_id}:policy/{self.name}"


class PolicyVersion(TimestampedModel):
    """One version of a policy's document: v1 when the policy is created, then one per change."""

    policy = models.ForeignKey(
        Policy, on_delete=models.CASCADE, related_name="versions", verbose_name=_("policy")
    )
    number = models.PositiveIntegerField(_("version"))
    document = models.JSONField(_("document"))

    class Meta:
        verbose_name = _("policy version")
        verbose_name_plural = _("policy versions")
        ordering = ["policy", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["policy", "number"], name="policy_version_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.policy.name} {self.version_id}"

    @property
    def version_id(self) -> str:
        return f"v{self.number}"


class IamGroup(TimestampedModel):
    account = models.ForeignKey(
        Account, on_delete=models.CASCADE, related_name="groups", verbose_name=_("account")
    )
    name = models.CharField(_("name"), max_length=128, validators=[user_name_validator])
    members = models.ManyToManyField(
        User, blank=True, related_name="iam_groups", verbose_name=_("members")
    )
    policies = models.ManyToManyField(
        Policy, blank=True, related_name="groups", verbose_name=_("policies")
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("IAM group")
        verbose_name_plural = _("IAM groups")
        constraints = [
            models.UniqueConstraint(fields=["account", "name"], name="group_name_unique_in_account")
        ]

    def __str__(self) -> str:
        return self.name


class AccessKeyStatus(models.TextChoices):
    ACTIVE = "Active", _("Active")
    INACTIVE = "Inactive", _("Inactive")


class AccessKey(TimestampedModel):
    """An access key for the AWS Support API. The secret is stored encrypted (core.crypto)."""

    access_key_id = models.CharField(_("access key ID"), max_length=32, unique=True)
    user = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="access_keys", verbose_name=_("user")
    )
    secret_encrypted = models.TextField()
    status = models.CharField(
        _("status"), max_length=8, choices=AccessKeyStatus.choices, default=AccessKeyStatus.ACTIVE
    )
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("access key")
        verbose_name_plural = _("access keys")
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["Active", "Inactive"]), name="access_key_status_valid"
            )
        ]

    def __str__(self) -> str:
        return self.access_key_id


# django-otp's devices as the admin lists them (accounts/admin.py). Proxies, because its models'
# names are plain English strings that no catalogue can translate.
class AuthenticatorApp(TOTPDevice):
    class Meta:
        proxy = True
        verbose_name = _("authenticator app")
        verbose_name_plural = _("authenticator apps")


class RecoveryCodes(StaticDevice):
    class Meta:
        proxy = True
        verbose_name = _("recovery codes")
        verbose_name_plural = _("recovery codes")
