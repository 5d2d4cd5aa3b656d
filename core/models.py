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
