"""Accounts, support plans and the people who act in them.

- `SupportPlan` decides case types, severities (with first-response targets through
  `PlanSeverity`, the plan x severity matrix), contact methods, CC lists, API access and the
  Trusted Advisor set. Editable in the admin.
- `Account`: a customer, identified by a 12-digit id.
- `User`: one model for every person who signs in: an account's root user (email), its IAM users
  (user name unique in the account) and support engineers (staff, no account).
- IAM: `IamGroup`, `Policy` (JSON documents; managed ones have no account), `AccessKey`.
"""

from __future__ import annotations

from typing import cast

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.models import TimestampedModel

account_id_validator = RegexValidator(r"^\d{12}$", _("An account id is exactly 12 digits."))
user_name_validator = RegexValidator(
    r"^[A-Za-z0-9+=,.@_-]{1,64}$",
    _("Use 1-64 letters, digits and + = , . @ _ - (as IAM does)."),
)


class CaseType(models.TextChoices):
    ACCOUNT_AND_BILLING = "account-and-billing", _("Account and billing")
    SERVICE_LIMIT_INCREASE = "service-limit-increase", _("Service limit increase")
    TECHNICAL = "technical", _("Technical")


class ContactMethod(models.TextChoices):
    WEB = "web", _("Web")
    CHAT = "chat", _("Chat")
    PHONE = "phone", _("Phone")


class Severity(TimestampedModel):
    """A severity level; `code` is the API's severityCode."""

    code = models.CharField(max_length=16, unique=True)
    name = models.CharField(max_length=100)
    name_ja = models.CharField(_("name (Japanese)"), max_length=100, blank=True)
    # 1 = lowest; orders lists and the engineers' queue.
    level = models.PositiveSmallIntegerField(unique=True)
    description = models.TextField(blank=True)

    class Meta:
        ordering = ["level"]
        verbose_name_plural = "severities"

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


class SupportPlan(TimestampedModel):
    code = models.SlugField(max_length=32, unique=True)
    name = models.CharField(max_length=100)
    position = models.PositiveSmallIntegerField(default=0, help_text=_("Order in lists."))
    allows_account_and_billing = models.BooleanField(_("account and billing cases"), default=True)
    allows_service_limit_increase = models.BooleanField(
        _("service limit increase cases"), default=True
    )
    allows_technical = models.BooleanField(_("technical cases"), default=False)
    allows_web = models.BooleanField(_("web contact"), default=True)
    allows_chat = models.BooleanField(_("chat contact"), default=False)
    allows_phone = models.BooleanField(_("phone contact"), default=False)
    allows_cc = models.BooleanField(_("CC lists (additional contacts)"), default=False)
    api_access = models.BooleanField(_("AWS Support API access"), default=False)
    full_trusted_advisor = models.BooleanField(_("all Trusted Advisor checks"), default=False)
    business_hours_only = models.BooleanField(
        _("response targets count business hours"),
        default=False,
        help_text=_("Weekdays 08:00-18:00 in the account's time zone, without public holidays."),
    )
    severities = models.ManyToManyField(
        Severity, through="accounts.PlanSeverity", related_name="plans", blank=True
    )

    class Meta:
        ordering = ["position", "code"]

    def __str__(self) -> str:
        return self.name

    def case_types(self) -> list[str]:
        allowed = {
            CaseType.ACCOUNT_AND_BILLING: self.allows_account_and_billing,
            CaseType.SERVICE_LIMIT_INCREASE: self.allows_service_limit_increase,
            CaseType.TECHNICAL: self.allows_technical,
        }
        return [str(t) for t, ok in allowed.items() if ok]

    def contact_methods(self) -> list[str]:
        allowed = {
            ContactMethod.WEB: self.allows_web,
            ContactMethod.CHAT: self.allows_chat,
            ContactMethod.PHONE: self.allows_phone,
        }
        return [str(m) for m, ok in allowed.items() if ok]


class PlanSeverity(TimestampedModel):
    """One cell of the plan x severity matrix: the severity is offered with this target."""

    plan = models.ForeignKey(SupportPlan, on_delete=models.CASCADE, related_name="plan_severities")
    severity = models.ForeignKey(Severity, on_delete=models.PROTECT, related_name="plan_severities")
    response_minutes = models.PositiveIntegerField(
        help_text=_("First-response target in minutes (business minutes on business-hours plans).")
    )

    class Meta:
        ordering = ["plan__position", "severity__level"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "severity"], name="plan_severity_unique"),
            models.CheckConstraint(
                condition=Q(response_minutes__gt=0), name="plan_severity_positive_target"
            ),
        ]
        verbose_name = "response-time target"

    def __str__(self) -> str:
        return f"{self.plan.code}/{self.severity.code}: {self.response_minutes} min"


class Account(TimestampedModel):
    account_id = models.CharField(max_length=12, unique=True, validators=[account_id_validator])
    name = models.CharField(max_length=200)
    plan = models.ForeignKey(SupportPlan, on_delete=models.PROTECT, related_name="accounts")
    country = models.CharField(
        max_length=2, default="US", help_text=_("ISO 3166 code; decides public holidays.")
    )
    time_zone = models.CharField(max_length=64, default="UTC")
    contact_email = models.EmailField(blank=True)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["account_id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(account_id__regex=r"^[0-9]{12}$"), name="account_id_12_digits"
            )
        ]

    def __str__(self) -> str:
        return f"{self.account_id} ({self.name})"


class UserKind(models.TextChoices):
    ROOT = "root", _("Root user")
    IAM = "iam", _("IAM user")
    ENGINEER = "engineer", _("Support engineer")


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_superuser(self, login: str, password: str | None = None, **extra: object) -> User:
        """For `createsuperuser`: an operator with the admin site (a staff engineer)."""
        user = self.model(
            login=login.lower(),
            email=str(extra.get("email") or ""),
            kind=UserKind.ENGINEER,
            is_staff=True,
            is_superuser=True,
        )
        user.set_password(password)
        user.save(using=self._db)
        return user


class User(AbstractBaseUser, PermissionsMixin):
    """Everyone who signs in.

    `login` is the unique sign-in key: the email for root users and engineers, and
    "<account id>/<user name>" for IAM users (who sign in on their account's page).
    """

    login = models.CharField(max_length=200, unique=True)
    kind = models.CharField(max_length=16, choices=UserKind.choices)
    account = models.ForeignKey(
        Account, null=True, blank=True, on_delete=models.CASCADE, related_name="users"
    )
    user_name = models.CharField(max_length=64, blank=True, validators=[user_name_validator])
    email = models.EmailField(blank=True)
    display_name = models.CharField(max_length=200, blank=True)
    # IAM-style unique id (AIDA... on AWS); stable, never reused.
    principal_id = models.CharField(max_length=32, unique=True)
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False)
    # Services an engineer covers (empty: all); used by the engineers' queue.
    services = models.ManyToManyField("catalog.Service", blank=True, related_name="engineers")
    policies = models.ManyToManyField("accounts.Policy", blank=True, related_name="users")
    language = models.CharField(max_length=8, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    USERNAME_FIELD = "login"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["email"]

    objects = UserManager()

    class Meta:
        ordering = ["login"]
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
    """A JSON policy document. Managed policies (no account) are shared by every account."""

    account = models.ForeignKey(
        Account, null=True, blank=True, on_delete=models.CASCADE, related_name="policies"
    )
    name = models.CharField(max_length=128)
    description = models.CharField(max_length=1000, blank=True)
    document = models.JSONField()

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "policies"
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


class IamGroup(TimestampedModel):
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="groups")
    name = models.CharField(max_length=128, validators=[user_name_validator])
    members = models.ManyToManyField(User, blank=True, related_name="iam_groups")
    policies = models.ManyToManyField(Policy, blank=True, related_name="groups")

    class Meta:
        ordering = ["name"]
        verbose_name = "IAM group"
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

    access_key_id = models.CharField(max_length=32, unique=True)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="access_keys")
    secret_encrypted = models.TextField()
    status = models.CharField(
        max_length=8, choices=AccessKeyStatus.choices, default=AccessKeyStatus.ACTIVE
    )
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["Active", "Inactive"]), name="access_key_status_valid"
            )
        ]

    def __str__(self) -> str:
        return self.access_key_id
