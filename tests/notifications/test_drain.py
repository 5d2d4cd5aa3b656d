"""A backlog of emails is drained by a few tasks over a few SMTP connections, each message once.

Changes that write emails queue the outbox's drain task only when none is waiting
(core.outbox.Outbox.request_drain); one drain claims the due messages a batch at a time and sends
them a few at once over a few connections, stamping each few with one write, so a thousand cases
created while the worker is busy cost the broker a handful of tasks, the mail server a handful of
connections and the database a few hundred writes, not a thousand of each.
"""

from __future__ import annotations

import socket

import pytest
from django.utils import timezone

from core import outbox
from core.models import OutboxDrain
from notifications import services
from notifications.models import Notification
from notifications.smtp import outbox_connection
from notifications.tasks import notifications_drain_task, notifications_sweep_task
from tests import factories

BACKLOG = 45  # more than two claims' worth (DRAIN_BATCH is 20)


@pytest.fixture
def published(monkeypatch) -> list[str]:
    """The tasks the outbox publishes (still published, to the test's own broker)."""
    names: list[str] = []
    publish = outbox._publish

    def spy(task, calls):
        names.extend(task.name for _ in calls)
        return publish(task, calls)

    monkeypatch.setattr(outbox, "_publish", spy)
    return names


def test_a_backlog_is_drained_by_one_task_over_a_few_connections(
    smtp,
    settings,
    business_account,
    root,
    published,
    django_capture_on_commit_callbacks,
    monkeypatch,
) -> None:
    for index in range(BACKLOG):
        # Each case commits its email and then asks for a drain.
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            factories.make_case(business_account, root, subject=f"backlog {index}")
        assert len(callbacks) == 1
    assert Notification.objects.filter(status="pending").count() == BACKLOG
    # One drain task for the whole backlog: the others saw it waiting.
    assert published == [notifications_drain_task.name]

    # What the worker runs: every message, in one run, over EMAIL_CONNECTIONS connections,
    # that many messages stamped with one write (claimed twenty at a time: 20, 20 and 5, so
    # 5 + 5 + 2 stamps), not one connection and one stamp per message.
    stamps = []
    hand_over = services.OUTBOX.hand_over

    def counted(keys, *, claimed_at):
        stamps.append(len(keys))
        return hand_over(keys, claimed_at=claimed_at)

    monkeypatch.setattr(services.OUTBOX, "hand_over", counted)
    assert settings.EMAIL_CONNECTIONS == 4
    assert notifications_drain_task() == BACKLOG
    assert len(smtp.messages) == BACKLOG
    assert len({message["Message-ID"] for _, message in smtp.messages}) == BACKLOG
    assert len(smtp.connections) == 4
    assert stamps == [4] * 5 + [4] * 5 + [4, 1]
    assert Notification.objects.filter(status="sent").count() == BACKLOG
    # Settled together, each as sent when the server got it (its hand-over stamp).
    stamps = Notification.objects.values_list("sent_at", "handed_over_at")
    assert all(sent_at is not None and sent_at == handed for sent_at, handed in stamps)
    # Run again (a duplicate task, the sweep): nothing is sent twice.
    assert notifications_drain_task() == 0
    assert notifications_sweep_task() == 0
    assert len(smtp.messages) == BACKLOG

    # The drain cleared the request: the next email asks for a new one.
    with django_capture_on_commit_callbacks(execute=True):
        factories.make_case(business_account, root, subject="after the drain")
    assert published == [notifications_drain_task.name] * 2


def test_a_drain_stops_at_its_limit_and_queues_the_next(
    smtp, business_account, root, published
) -> None:
    for index in range(BACKLOG):
        factories.make_case(business_account, root, subject=f"backlog {index}")
    # The first run sends its limit and hands the rest to a new drain task ...
    assert services.notifications_drain(limit=30) == 30
    assert published == [notifications_drain_task.name]
    # ... which sends them.
    assert notifications_drain_task() == BACKLOG - 30
    assert published == [notifications_drain_task.name]
    assert len({message["Message-ID"] for _, message in smtp.messages}) == BACKLOG
    assert len(smtp.messages) == BACKLOG


def test_a_lost_drain_request_is_made_again(
    smtp, business_account, root, published, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        factories.make_case(business_account, root, subject="first")
    assert len(published) == 1
    # The broker lost that task: after requeue_after the next email asks again.
    requeue_after = services.OUTBOX.policy.requeue_after
    assert requeue_after is not None
    OutboxDrain.objects.update(requested_at=timezone.now() - requeue_after * 2)
    with django_capture_on_commit_callbacks(execute=True):
        factories.make_case(business_account, root, subject="second")
    assert len(published) == 2


def test_two_drains_claim_different_messages(business_account, root) -> None:
    for index in range(BACKLOG):
        factories.make_case(business_account, root, subject=f"backlog {index}")
    now = timezone.now()
    first = services.OUTBOX.claim_batch(now, 20)
    second = services.OUTBOX.claim_batch(now, 20)
    assert len(first) == len(second) == 20
    assert not set(first) & set(second)
    claimed = Notification.objects.filter(status="sending", claimed_at=now, attempts=1)
    assert claimed.count() == 40


def test_an_unreachable_server_fails_the_batch_without_trying_each(
    settings, smtp_port, business_account, root, monkeypatch
) -> None:
    opened = []
    connection = services.outbox_connection

    def counted():
        opened.append(1)
        return connection()

    monkeypatch.setattr(services, "outbox_connection", counted)
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = smtp_port  # nothing listens
    for index in range(3):
        factories.make_case(business_account, root, subject=f"backlog {index}")
    assert notifications_drain_task() == 0
    assert len(opened) == 1
    rows = Notification.objects.all()
    assert {(n.status, n.attempts) for n in rows} == {("pending", 1)}
    assert all(n.last_error and n.next_attempt_at > timezone.now() for n in rows)


def test_the_end_of_a_message_is_not_held_back(smtp) -> None:
    # The message and its final "." are separate writes (the hand-over runs in between); with
    # Nagle's algorithm the "." waited for the server's delayed ACK, ~40 ms a message.
    backend = outbox_connection()
    backend.open()
    try:
        assert backend.connection.sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)
    finally:
        backend.close()
