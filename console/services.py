"""Writes the console owns: engineers' presence on a case (the collision notice)."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Q
from django.utils import timezone

from accounts.models import User
from cases.models import Case
from console.models import VIEWING_WINDOW, CaseViewer


def presence_touch(
    *, case: Case, engineer: User, typing: bool, now: datetime | None = None
) -> None:
    """Record that `engineer` has `case` open (and is typing a reply, if `typing`); rows of
    engineers gone longer than the window are dropped on the way. Two queries (an update and a
    delete), three more the first time."""
    now = now or timezone.now()
    defaults: dict[str, object] = {"seen_at": now}
    if typing:
        defaults["typing_at"] = now
    # Only the columns this poll knows about: another request of the same engineer may have
    # just set typing_at.
    if not CaseViewer.objects.filter(case=case, engineer=engineer).update(**defaults):
        CaseViewer.objects.get_or_create(case=case, engineer=engineer, defaults=defaults)
    CaseViewer.objects.filter(Q(case=case) & Q(seen_at__lt=now - VIEWING_WINDOW)).delete()
