"""Domain-free base models."""

from __future__ import annotations

from django.db import models
from django.utils import timezone


class TimestampedModel(models.Model):
    created_at = models.DateTimeField(default=timezone.now, db_index=True, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


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
