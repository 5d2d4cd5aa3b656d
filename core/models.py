"""Domain-free base models."""

from __future__ import annotations

import functools
from typing import Any

from django.db import models
from django.utils import timezone
from django.utils.encoding import force_str
from django.utils.translation import gettext_lazy as _


class TimestampedModel(models.Model):
    created_at = models.DateTimeField(
        _("created at"), default=timezone.now, db_index=True, editable=False
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        abstract = True

    def _get_FIELD_display(self, field: models.Field) -> Any:  # noqa: N802
        # Django's builds a dict of the field's every choice on each call, hashing (so
        # translating) each label: on a list of cases, a tenth of the page went to the status
        # column. The value's label is looked up in a map kept per field, and only it is
        # translated.
        labels = _choice_labels(field)
        if labels is None:
            return super()._get_FIELD_display(field)  # type: ignore[misc]
        value = getattr(self, field.attname)
        try:
            label = labels.get(value, value)
        except TypeError:  # an unhashable value: Django's own way
            return super()._get_FIELD_display(field)  # type: ignore[misc]
        return force_str(label, strings_only=True)


@functools.cache
def _choice_labels(field: models.Field) -> dict[Any, Any] | None:
    """Each choice's value and label, the label untranslated (lazy); None for choices that can
    change (a callable's) or whose values cannot be keys (a JSON field's), which Django's own
    lookup handles. Kept for the field's life: code that reassigns a model field's `choices`
    at run time (none here) would need `_choice_labels.cache_clear()`."""
    if not isinstance(field.choices, list | tuple):
        return None
    try:
        return {value: label for value, label in field.flatchoices}
    except TypeError:
        return None


class Sequence(models.Model):
    """A named counter for human-facing numbers (case display ids).

    Incrementing with a single UPDATE takes the row lock on PostgreSQL and the write lock on
    SQLite, so two transactions can never read the same value.
    """

    name = models.CharField(max_length=64, primary_key=True)
    value = models.BigIntegerField()

    def __str__(self) -> str:
        return f"{self.name}={self.value}"


class OutboxDrain(models.Model):
    """Whether a draining outbox's task is waiting in the broker (core.outbox).

    A change that writes outbox rows queues the outbox's drain task after commit only when none
    has been requested since the last run started (`requested_at` empty or older than the
    outbox's `requeue_after`, when the broker is taken to have lost it), so a backlog of a
    thousand messages costs the broker a handful of tasks, not a thousand.
    """

    # The outbox's model label ("notifications.Notification").
    name = models.CharField(max_length=100, primary_key=True)
    requested_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.name}: {self.requested_at or 'idle'}"
