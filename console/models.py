"""Who has a case open in the console right now, so that two engineers on one case see each
other (the collision notice). Rows are refreshed by the case page's presence poll and go with
their case."""

from __future__ import annotations

from datetime import timedelta

from django.db import models

from accounts.models import User
from cases.models import Case

# An engineer is "viewing" while their page has polled within this window (it polls every 10 s)
# and "typing" while they typed within the shorter one.
VIEWING_WINDOW = timedelta(seconds=30)
TYPING_WINDOW = timedelta(seconds=12)


class CaseViewer(models.Model):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="+")
    engineer = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    seen_at = models.DateTimeField()
    # When the engineer last typed in the reply box; None when they have not.
    typing_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["case", "engineer"], name="case_viewer_unique")
        ]
        indexes = [models.Index(fields=["case", "seen_at"], name="case_viewer_recent")]

    def __str__(self) -> str:
        return f"{self.engineer_id} on {self.case_id}"
