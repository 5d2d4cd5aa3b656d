"""The service catalog DescribeServices returns: services and their categories."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.models import CaseType
from core.models import TimestampedModel


class Service(TimestampedModel):
    code = models.CharField(max_length=100, unique=True, help_text=_("AWS service code."))
    name = models.CharField(max_length=200)
    name_ja = models.CharField(_("name (Japanese)"), max_length=200, blank=True)
    case_type = models.CharField(
        max_length=32, choices=CaseType.choices, default=CaseType.TECHNICAL
    )
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]
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


class Category(TimestampedModel):
    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="categories")
    code = models.CharField(max_length=100)
    name = models.CharField(max_length=200)
    name_ja = models.CharField(_("name (Japanese)"), max_length=200, blank=True)
    # [{"title": ..., "url": ...}] shown under the category on the create-case form.
    help_links = models.JSONField(default=list, blank=True)
    # A field the form asks for with this category, e.g. "Instance ID(s)".
    extra_field_label = models.CharField(max_length=100, blank=True)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["service__name", "name"]
        verbose_name_plural = "categories"
        constraints = [
            models.UniqueConstraint(fields=["service", "code"], name="category_unique_in_service")
        ]

    def __str__(self) -> str:
        return f"{self.service.code}/{self.code}"
