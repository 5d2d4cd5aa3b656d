"""Canned responses ("macros"): text operators keep in the admin, in English and optionally in
Japanese, that engineers insert into a reply with the case's details filled in
(`macros.placeholders`), optionally choosing the reply's next status too."""

from __future__ import annotations

from django.core.validators import MaxLengthValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from cases.models import CaseStatus
from core.models import TimestampedModel

# Room for what the engineer types around it: a reply holds 8,000 characters.
BODY_MAX_LENGTH = 4000


class NextStatus(models.TextChoices):
    """The statuses an engineer chooses with a reply (the console's reply form offers the same
    three; tests/macros/test_models.py keeps them in step)."""

    PENDING_CUSTOMER_ACTION = CaseStatus.PENDING_CUSTOMER_ACTION.value, _("Pending customer action")
    OPENED = CaseStatus.OPENED.value, _("Pending Amazon action")
    RESOLVED = CaseStatus.RESOLVED.value, _("Resolved")


class Macro(TimestampedModel):
    name = models.CharField(_("name"), max_length=100, unique=True)
    body = models.TextField(
        _("text (English)"),
        max_length=BODY_MAX_LENGTH,
        validators=[MaxLengthValidator(BODY_MAX_LENGTH)],
        help_text=_(
            "Placeholders: {customer_name}, {case_id}, {display_id}, {subject}, {engineer_name}."
        ),
    )
    body_ja = models.TextField(
        _("text (Japanese)"),
        max_length=BODY_MAX_LENGTH,
        validators=[MaxLengthValidator(BODY_MAX_LENGTH)],
        blank=True,
        help_text=_("For cases in Japanese; when empty, they get the English text."),
    )
    next_status = models.CharField(
        _("then set the case to"),
        max_length=32,
        choices=NextStatus.choices,
        blank=True,
        help_text=_("Chosen in the reply form with the text; empty leaves the choice as it is."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    position = models.PositiveSmallIntegerField(
        _("position"), default=0, help_text=_("Order in the engineers' list.")
    )

    class Meta:
        ordering = ["position", "name"]
        verbose_name = _("macro")
        verbose_name_plural = _("macros")
        constraints = [
            models.CheckConstraint(
                condition=Q(next_status__in=["", *NextStatus.values]),
                name="macro_next_status_valid",
            ),
        ]

    def __str__(self) -> str:
        return self.name
