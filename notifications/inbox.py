"""The support console's inbox: what engineers are told about (`inbox_notify`, each event once
per person, in the inbox and by email through the notifications outbox), whom a change tells
(`inbox_audience`, readable before the change's transaction), read marks and preferences.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.db import models
from django.db.models import Exists, OuterRef, Subquery
from django.utils import timezone

from accounts.models import Account, User
from core.bulk import insert_rows
from notifications.models import InboxItem, InboxPreference
from notifications.services import Email, Queued, notification_enqueue, notifications_enqueue

# A preference of "every kind" (the default without a row): also the kinds added later.
EVERY_KIND = ["*"]


@dataclass(frozen=True)
class Audience:
    """Who is to be told about one event (`inbox_audience`): the recipients not yet told about
    its dedupe key, and which of them also get it by email."""

    dedupe_key: str
    inbox: list[User]
    email: list[User]


def inbox_audience(
    *, recipients: Iterable[User], kind: str, dedupe_key: str, always_email: bool = False
) -> Audience:
    """Read who `inbox_notify` tells about `dedupe_key` (the active recipients not told yet)
    and whom it emails (those with an address who get `kind` by email: everyone, unless they
    turned it off; `always_email` overrides that): one query. A change may read it before its
    transaction, so the write lock is not held for it, when nothing can tell the same people
    about the same key in between (a key naming what the change itself creates)."""
    people = {user.pk: user for user in recipients if user.is_active}
    if not people:
        return Audience(dedupe_key, [], [])
    rows = User.objects.filter(pk__in=people).values_list(
        "pk",
        Exists(InboxItem.objects.filter(recipient_id=OuterRef("pk"), dedupe_key=dedupe_key)),
        Subquery(
            InboxPreference.objects.filter(user_id=OuterRef("pk")).values("email_kinds"),
            output_field=models.JSONField(),
        ),
    )
    found = {pk: (bool(told), wanted) for pk, told, wanted in rows}
    return audience_of(
        [(user, *found.get(pk, (False, None))) for pk, user in people.items()],
        kind=kind,
        dedupe_key=dedupe_key,
        always_email=always_email,
    )


def audience_of(
    people: Iterable[tuple[User, bool, list[str] | None]],
    *,
    kind: str,
    dedupe_key: str,
    always_email: bool = False,
) -> Audience:
    """`inbox_audience` from what a caller read in a query of its own: each recipient with
    whether it was told about `dedupe_key` already and its preference's email kinds (None
    without a preference). Inactive recipients are left out."""
    new = [(user, wanted) for user, told, wanted in people if user.is_active and not told]
    emailed = [
        user
        for user, wanted in new
        if user.email and (always_email or wanted is None or wanted == EVERY_KIND or kind in wanted)
    ]
    return Audience(dedupe_key, [user for user, _ in new], emailed)


def inbox_notify(
    *,
    recipients: Iterable[User],
    kind: str,
    topic: str,
    title: str,
    url: str,
    dedupe_key: str,
    email: Callable[[User], Email | Queued],
    always_email: bool = False,
    account: Account | None = None,
    audience: Audience | None = None,
) -> int:
    """Tell `recipients` about one event, in their inbox and, for those who get `kind` by email
    (everyone, unless they turned it off; `always_email` overrides that), by email through the
    outbox. Call it inside the transaction of the change. A recipient already told about
    `dedupe_key` is not told again, so a retried change or job never notifies twice.
    `email(recipient)` writes the message (in the recipient's language), or names the renderer
    the sender writes it with (a `Queued` to the recipient). `audience`, when the
    change read it before its transaction (`inbox_audience`), saves the reads. Returns how
    many recipients it told (one told in between by another change is counted, and skipped
    by the INSERT).
    """
    if audience is None:
        audience = inbox_audience(
            recipients=recipients, kind=kind, dedupe_key=dedupe_key, always_email=always_email
        )
    if not audience.inbox:
        return 0
    # Built from the fields' metadata (`core.bulk.insert_rows`), not by the ORM's compiler,
    # whose work on this INSERT cost more than running it, on every new case.
    insert_rows(
        InboxItem,
        [
            {
                "recipient_id": user.pk,
                "kind": kind,
                "topic": topic,
                "title": title[:300],
                "url": url[:500],
                "dedupe_key": dedupe_key[:200],
            }
            for user in audience.inbox
        ],
        ignore_conflicts=True,
    )
    queued = []
    for user in audience.email:
        message = email(user)
        if isinstance(message, Queued):
            queued.append(message)
            continue
        notification_enqueue(
            recipients=[user.email],
            subject=message.subject,
            body_text=message.body_text,
            body_html=message.body_html,
            kind=kind,
            topic=topic,
            account=account,
        )
    if queued:
        notifications_enqueue(queued)
    return len(audience.inbox)


def inbox_mark_read(*, user: User, item_ids: Iterable[int] | None = None) -> int:
    """Mark `user`'s items read: the given ones (others' ids are ignored), or all. Returns how
    many changed."""
    unread = InboxItem.objects.filter(recipient=user, read_at__isnull=True)
    if item_ids is not None:
        unread = unread.filter(pk__in=list(item_ids))
    return unread.update(read_at=timezone.now(), updated_at=timezone.now())


def inbox_preference_set(*, user: User, email_kinds: Iterable[str]) -> InboxPreference:
    """Which kinds `user` gets by email from now on."""
    preference, _ = InboxPreference.objects.update_or_create(
        user=user, defaults={"email_kinds": sorted(set(email_kinds))}
    )
    return preference
