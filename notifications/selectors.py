"""Reads of the console inbox."""

from __future__ import annotations

from django.db.models import QuerySet

from accounts.models import User
from core.paging import SortKey
from notifications.models import InboxItem, InboxPreference

# A person's inbox, newest first (the inbox_recent index).
INBOX_ORDER = (SortKey("created_at", descending=True), SortKey("id", descending=True))


def inbox_for(user: User, *, unread_only: bool = False) -> QuerySet[InboxItem]:
    """`user`'s items, to page in `INBOX_ORDER` (`core.paging`): one query a page."""
    items = InboxItem.objects.filter(recipient=user)
    return items.filter(read_at__isnull=True) if unread_only else items


# The header shows "99+" beyond this: counting further would cost time for nothing.
UNREAD_CAP = 100


def unread_count(user: User) -> int:
    """How many of `user`'s items are unread, up to `UNREAD_CAP` (one query that reads at most
    that many entries of the inbox_unread index, however full the inbox)."""
    return InboxItem.objects.filter(recipient=user, read_at__isnull=True)[:UNREAD_CAP].count()


def inbox_item_get(user: User, item_id: int) -> InboxItem | None:
    """One of `user`'s own items (None for another's, as for a missing one)."""
    return InboxItem.objects.filter(recipient=user, pk=item_id).first()


def email_kinds_of(user: User) -> list[str] | None:
    """The kinds `user` gets by email, or None when they never chose (every kind)."""
    preference = InboxPreference.objects.filter(user=user).first()
    return None if preference is None else list(preference.email_kinds)
