"""Reference data: what the rest of Support Center is configured with, edited in the admin.

- `CaseType` and `ContactMethod`: the fixed choices of the case form and the API.
- `Severity`: the levels a case can have (`code` is the API's severityCode).
- `SupportPlan`: decides case types, severities (with first-response targets through
  `PlanSeverity`, the plan x severity matrix), contact methods, CC lists, API access and the
  Trusted Advisor set.
- `Service` and `Category`: the service catalog DescribeServices returns.
"""

from __future__ import annotations

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import translation
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from core.models import TimestampedModel


class CaseType(models.TextChoices):
    ACCOUNT_AND_BILLING = "account-and-billing", _("Account and billing")
    SERVICE_LIMIT_INCREASE = "service-limit-increase", _("Service limit increase")
    TECHNICAL = "technical", _("Technical")


class ContactMethod(models.TextChoices):
    WEB = "web", _("Web")
    CHAT = "chat", _("Chat")
    PHONE = "phone", _("Phone")


def localized(name: str, name_ja: str) -> str:
    """`name_ja` while Japanese is active and it is set, else `name`."""
    if name_ja and (translation.get_language() or "").startswith("ja"):
        return name_ja
    return name


def target_label(minutes: int) -> str:
    """A response time as AWS's plan pages write it: "24 hours", "1 hour", "15 minutes"."""
    if minutes % 60:
        return gettext("%(n)d minutes") % {"n": minutes}
    hours = minutes // 60
    return ngettext("%(n)d hour", "%(n)d hours", hours) % {"n": hours}


class LocalizedNameMixin:
    """`local_name`: the Japanese name while Japanese is active and one is set, else the name
    (pages render in the reader's language, emails in the case's)."""

    name: str
    name_ja: str

    @property
    def local_name(self) -> str:
        return localized(self.name, self.name_ja)


class Severity(LocalizedNameMixin, TimestampedModel):
    """A severity level; `code` is the API's severityCode."""

    code = models.CharField(_("code"), max_length=16, unique=True)
    name = models.CharField(_("name"), max_length=100)
    name_ja = models.CharField(_("name (Japanese)"), max_length=100, blank=True)
    # 1 = lowest; orders lists and the engineers' queue.
    level = models.PositiveSmallIntegerField(_("level"), unique=True)
    description = models.TextField(_("description"), blank=True)
    # When engineers are warned that a first response is due: this share of the target gone.
    sla_warning_percent = models.PositiveSmallIntegerField(
        _("warn engineers after this share of the response target (percent)"),
        default=50,
        validators=[MinValueValidator(1), MaxValueValidator(99)],
    )

    class Meta:
        ordering = ["level"]
        verbose_name = _("severity")
        verbose_name_plural = _("severities")

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


class SupportPlan(LocalizedNameMixin, TimestampedModel):
    code = models.SlugField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=100)
    name_ja = models.CharField(_("name (Japanese)"), max_length=100, blank=True)
    position = models.PositiveSmallIntegerField(
        _("position"), default=0, help_text=_("Order in lists.")
    )
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
        Severity,
        through="catalog.PlanSeverity",
        related_name="plans",
        blank=True,
        verbose_name=_("severities"),
    )

    class Meta:
        ordering = ["position", "code"]
        verbose_name = _("support plan")
        verbose_name_plural = _("support plans")

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


# The longest target a cell may set: a year. Longer ones would put a case's due time past what
# dates can hold (and a business-hours plan's past its calendar's reach), failing every case
# opened with the severity.
MAX_TARGET_MINUTES = 365 * 24 * 60
_TARGET_VALIDATORS = [MinValueValidator(1), MaxValueValidator(MAX_TARGET_MINUTES)]


class PlanSeverity(TimestampedModel):
    """One cell of the plan x severity matrix: the severity is offered with this target."""

    plan = models.ForeignKey(
        SupportPlan,
        on_delete=models.CASCADE,
        related_name="plan_severities",
        verbose_name=_("plan"),
    )
    severity = models.ForeignKey(
        Severity,
        on_delete=models.PROTECT,
        related_name="plan_severities",
        verbose_name=_("severity"),
    )
    response_minutes = models.PositiveIntegerField(
        _("response minutes"),
        help_text=_("First-response target in minutes (business minutes on business-hours plans)."),
        validators=_TARGET_VALIDATORS,
    )
    # Once Support has answered, how long a customer waits for each further reply: the clock
    # runs while the case waits for Support and stops while it waits for the customer.
    next_reply_minutes = models.PositiveIntegerField(
        _("next reply minutes"),
        help_text=_(
            "Next-reply target in minutes, after the first response, while the case waits for "
            "Support (business minutes on business-hours plans)."
        ),
        validators=_TARGET_VALIDATORS,
    )

    class Meta:
        ordering = ["plan__position", "severity__level"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "severity"], name="plan_severity_unique"),
            models.CheckConstraint(
                condition=Q(response_minutes__gt=0), name="plan_severity_positive_target"
            ),
            models.CheckConstraint(
                condition=Q(next_reply_minutes__gt=0), name="plan_severity_positive_next_reply"
            ),
        ]
        verbose_name = _("response-time target")
        verbose_name_plural = _("response-time targets")

    @property
    def response_time(self) -> str:
        """The first-response target in the reader's language ("24 hours")."""
        return target_label(self.response_minutes)

    def __str__(self) -> str:
        return (
            f"{self.plan.code}/{self.severity.code}: {self.response_minutes} min, "
            f"then {self.next_reply_minutes} min"
        )


class Service(LocalizedNameMixin, TimestampedModel):
    code = models.CharField(
        _("code"), max_length=100, unique=True, help_text=_("AWS service code.")
    )
    name = models.CharField(_("name"), max_length=200)
    name_ja = models.CharField(_("name (Japanese)"), max_length=200, blank=True)
    case_type = models.CharField(
        _("case type"), max_length=32, choices=CaseType.choices, default=CaseType.TECHNICAL
    )
    # Cases about it are copied to the account's security contact (accounts.AlternateContact).
    is_security = models.BooleanField(
        _("security service"),
        default=False,
        help_text=_("Copy its cases' emails to the account's security contact."),
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("service")
        verbose_name_plural = _("services")
        constraints = [
            models.CheckConstraint(
                condition=Q(
                    case_type__in=["account-and-billing", "service-limit-increase", "technical"]
                ),
                name="service_case_type_valid",
            )
        ]

    def __str__(self) -> str:
        return self.name


class Category(LocalizedNameMixin, TimestampedModel):
    service = models.ForeignKey(
        Service, on_delete=models.CASCADE, related_name="categories", verbose_name=_("service")
    )
    code = models.CharField(_("code"), max_length=100)
    name = models.CharField(_("name"), max_length=200)
    name_ja = models.CharField(_("name (Japanese)"), max_length=200, blank=True)
    # [{"title": ..., "title_ja": ..., "url": ...}] shown under the category on the create-case
    # form ("title_ja" optional; `catalog.services.check_help_links`).
    help_links = models.JSONField(_("help links"), default=list, blank=True)
    # A field the form asks for with this category, e.g. "Instance ID(s)".
    extra_field_label = models.CharField(_("extra field label"), max_length=100, blank=True)
    extra_field_label_ja = models.CharField(
        _("extra field label (Japanese)"), max_length=100, blank=True
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["service__name", "name"]
        verbose_name = _("category")
        verbose_name_plural = _("categories")
        constraints = [
            models.UniqueConstraint(fields=["service", "code"], name="category_unique_in_service")
        ]

    def __str__(self) -> str:
        return f"{self.service.code}/{self.code}"

    @property
    def local_extra_field_label(self) -> str:
        """`extra_field_label` in the reader's language, as `local_name` is."""
        return localized(self.extra_field_label, self.extra_field_label_ja)

    @property
    def local_help_links(self) -> list[dict[str, str]]:
        """`help_links` with each title in the reader's language, as `local_name` is."""
        return [
            {"title": localized(link["title"], link.get("title_ja", "")), "url": link["url"]}
            for link in self.help_links
        ]
