"""Passwords: every signed-in user changes their own; a root user who forgot theirs resets it by
email (Django's tokens), throttled, audited, and telling nobody whether an address exists."""

from __future__ import annotations

import io
import re

import pytest
from django.core import mail
from django.core.cache import cache
from django.core.management import call_command
from django.urls import reverse

from accounts.models import User
from audit.models import AuditEvent
from notifications.models import Notification
from notifications.services import notifications_drain
from tests import factories


@pytest.fixture(autouse=True)
def _fresh_throttle():
    # The reset throttle counts in the cache, per hour: each test starts with none used.
    cache.clear()
    yield
    cache.clear()


def test_an_iam_user_changes_their_password(client, reference_data) -> None:
    account = factories.make_account("business")
    user = factories.make_iam_user(account)
    client.force_login(user)
    # The header's name leads to the sign-in settings, which lead to the password form.
    assert reverse("accounts:mfa") in client.get(reverse("cases:list")).content.decode()
    settings_page = client.get(reverse("accounts:mfa")).content.decode()
    assert reverse("accounts:password-change") in settings_page
    wrong = client.post(
        reverse("accounts:password-change"),
        {
            "old_password": "nope",
            "new_password1": "Fresh-pass-771",
            "new_password2": "Fresh-pass-771",
        },
    )
    assert "incorrect" in wrong.content.decode()
    client.post(
        reverse("accounts:password-change"),
        {
            "old_password": factories.PASSWORD,
            "new_password1": "Fresh-pass-771",
            "new_password2": "Fresh-pass-771",
        },
    )
    user.refresh_from_db()
    assert user.check_password("Fresh-pass-771")
    assert AuditEvent.objects.filter(event_name="ChangePassword").count() == 1


def test_a_root_user_resets_a_forgotten_password_by_email(client, reference_data) -> None:
    account = factories.make_account("business")
    root = factories.root_of(account)
    page = client.get(reverse("accounts:sign-in")).content.decode()
    assert reverse("accounts:password-reset") in page
    response = client.post(reverse("accounts:password-reset"), {"email": root.email})
    assert response.status_code == 302
    # Queued in the outbox, the link not in it: it is made when the message is sent.
    queued = Notification.objects.get(kind="password-reset")
    assert "reset" not in str(queued.context) and not queued.body_text
    assert mail.outbox == []
    notifications_drain()
    assert len(mail.outbox) == 1 and mail.outbox[0].to == [root.email]
    link = re.search(r"https?://[^/]+(/signin/reset/\S+)", mail.outbox[0].body).group(1)
    form = client.get(link, follow=True)
    assert "Choose a new password" in form.content.decode()
    client.post(
        form.redirect_chain[-1][0],
        {"new_password1": "Recovered-pass-55", "new_password2": "Recovered-pass-55"},
    )
    root.refresh_from_db()
    assert root.check_password("Recovered-pass-55")
    names = set(AuditEvent.objects.values_list("event_name", flat=True))
    assert {"PasswordRecoveryRequested", "PasswordRecoveryCompleted"} <= names
    # The link works once.
    assert "no longer valid" in client.get(link, follow=True).content.decode()


def test_reset_sends_nothing_for_iam_users_or_unknown_addresses_and_is_throttled(
    client, reference_data
) -> None:
    account = factories.make_account("business")
    factories.make_iam_user(account, email="iam-person@example.com")
    for address in ("iam-person@example.com", "nobody@example.com"):
        response = client.post(reverse("accounts:password-reset"), {"email": address})
        assert response.status_code == 302  # the same answer either way
    assert mail.outbox == []
    root = factories.root_of(account)
    for _ in range(8):
        client.post(reverse("accounts:password-reset"), {"email": root.email})
    notifications_drain()
    assert 0 < len(mail.outbox) <= 5


def test_a_reset_request_is_answered_while_the_mail_server_is_down(
    client, reference_data, settings
) -> None:
    # Nothing listens on port 9: the request is answered and the message waits in the outbox.
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", 9
    root = factories.root_of(factories.make_account("business"))
    response = client.post(reverse("accounts:password-reset"), {"email": root.email})
    assert response.status_code == 302
    assert Notification.objects.filter(kind="password-reset", recipients=[root.email]).exists()


def test_the_recovery_email_is_in_the_language_the_user_asked_in(client, reference_data) -> None:
    root = factories.root_of(factories.make_account("business"))
    client.post(
        reverse("accounts:password-reset"), {"email": root.email}, HTTP_ACCEPT_LANGUAGE="ja"
    )
    notifications_drain()
    assert "パスワード" in mail.outbox[0].subject


def test_a_root_user_made_without_a_password_sets_one_by_email(client, reference_data) -> None:
    # The README's create_api_user makes an account whose root user has no password yet.
    call_command(
        "create_api_user",
        "--account-id",
        "111122223333",
        "--plan",
        "business",
        "--email",
        "owner@example.com",
        stdout=io.StringIO(),
    )
    root = User.objects.get(kind="root", account__account_id="111122223333")
    assert not root.has_usable_password()
    client.post(reverse("accounts:password-reset"), {"email": "Owner@Example.com"})
    notifications_drain()
    assert [message.to for message in mail.outbox] == [["owner@example.com"]]
    link = re.search(r"https?://[^/]+(/signin/reset/\S+)", mail.outbox[0].body).group(1)
    form = client.get(link, follow=True)
    client.post(
        form.redirect_chain[-1][0],
        {"new_password1": "First-pass-8812", "new_password2": "First-pass-8812"},
    )
    signed_in = client.post(
        reverse("accounts:sign-in"), {"email": "owner@example.com", "password": "First-pass-8812"}
    )
    assert signed_in.status_code == 302 and signed_in["Location"] == reverse("cases:list")


def test_a_support_engineer_resets_a_forgotten_password_by_email(client, reference_data) -> None:
    # An operator (superuser) is not sent a link: a mailbox alone never opens the admin.
    operator = factories.make_engineer(is_superuser=True)
    client.post(reverse("accounts:password-reset"), {"email": operator.email})
    notifications_drain()
    assert mail.outbox == []
    cache.clear()
    engineer = factories.make_engineer()
    client.post(reverse("accounts:password-reset"), {"email": engineer.email.upper()})
    notifications_drain()
    assert [message.to for message in mail.outbox] == [[engineer.email]]
    link = re.search(r"https?://[^/]+(/signin/reset/\S+)", mail.outbox[0].body).group(1)
    form = client.get(link, follow=True)
    client.post(
        form.redirect_chain[-1][0],
        {"new_password1": "Engineer-pass-4471", "new_password2": "Engineer-pass-4471"},
    )
    engineer.refresh_from_db()
    assert engineer.check_password("Engineer-pass-4471")
    names = set(AuditEvent.objects.values_list("event_name", flat=True))
    assert {"PasswordRecoveryRequested", "PasswordRecoveryCompleted"} <= names
