"""Multi-factor sign-in: set up with an authenticator app (TOTP, as the app computes it),
signing in asks for the code, recovery codes work once, and a root user can require it of the
account's IAM users."""

from __future__ import annotations

import re
from datetime import timedelta

import time_machine
from django.urls import reverse
from django.utils import timezone
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from audit.models import AuditEvent
from tests import factories


def _code(user) -> str:
    device = TOTPDevice.objects.get(user=user)
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{totp.token():0{device.digits}d}"


def _set_up(client, user) -> list[str]:
    client.post(reverse("accounts:mfa"), {"action": "start"})
    page = client.get(reverse("accounts:mfa")).content.decode()
    assert "<svg" in page and 'id="mfa-secret"' in page
    done = client.post(reverse("accounts:mfa"), {"action": "confirm", "token": _code(user)})
    return re.findall(r"<li><code>(\w+)</code></li>", done.content.decode())


def _sign_in(client, email: str) -> object:
    return client.post(
        reverse("accounts:sign-in"), {"email": email, "password": factories.PASSWORD}
    )


def test_a_root_user_turns_it_on_and_then_signs_in_with_a_code(client, reference_data) -> None:
    account = factories.make_account("business")
    root = factories.root_of(account)
    client.force_login(root)
    wrong = client.post(reverse("accounts:mfa"), {"action": "start"})
    assert wrong.status_code == 200
    bad = client.post(reverse("accounts:mfa"), {"action": "confirm", "token": "000000"})
    assert "That code is not right" in bad.content.decode()
    codes = _set_up(client, root)
    assert len(codes) == 10
    assert AuditEvent.objects.filter(event_name="EnableMFADevice").exists()

    client.logout()
    response = _sign_in(client, root.email)
    assert response["Location"] == reverse("accounts:mfa-verify")
    # Half-way is not signed in.
    assert client.get(reverse("cases:list")).status_code == 302
    bad = client.post(reverse("accounts:mfa-verify"), {"token": "123456"})
    assert "That code is not right" in bad.content.decode()
    # The code set-up used is spent (a code works once); the app's next one signs in.
    assert client.post(reverse("accounts:mfa-verify"), {"token": _code(root)}).status_code == 200
    with time_machine.travel(timezone.now() + timedelta(seconds=60)):
        done = client.post(reverse("accounts:mfa-verify"), {"token": _code(root)})
    assert done.status_code == 302
    assert client.get(reverse("cases:list")).status_code == 200

    # A recovery code signs in once. (Wrong codes slow a device down for a while, as
    # django-otp throttles failures, so these attempts come a few minutes later.)
    with time_machine.travel(timezone.now() + timedelta(minutes=5)):
        client.logout()
        _sign_in(client, root.email)
        first = client.post(reverse("accounts:mfa-verify"), {"token": codes[0]})
        assert first.status_code == 302
        client.logout()
        _sign_in(client, root.email)
        again = client.post(reverse("accounts:mfa-verify"), {"token": codes[0]})
        assert "That code is not right" in again.content.decode()


def test_five_wrong_codes_end_the_attempt(client, reference_data) -> None:
    account = factories.make_account("business")
    root = factories.root_of(account)
    client.force_login(root)
    _set_up(client, root)
    client.logout()
    _sign_in(client, root.email)
    for _ in range(5):
        response = client.post(reverse("accounts:mfa-verify"), {"token": "999999"})
    assert response["Location"] == reverse("accounts:sign-in")
    # The right code no longer helps: the attempt is over.
    with time_machine.travel(timezone.now() + timedelta(seconds=60)):
        late = client.post(reverse("accounts:mfa-verify"), {"token": _code(root)})
    assert late["Location"] == reverse("accounts:sign-in")


def test_the_root_user_requires_it_of_iam_users(client, reference_data) -> None:
    account = factories.make_account("business")
    root = factories.root_of(account)
    client.force_login(root)
    client.post(reverse("accounts:my-account"), {"action": "require-mfa", "required": "1"})
    account.refresh_from_db()
    assert account.require_mfa_for_iam
    iam = factories.make_iam_user(account)
    client.force_login(iam)
    # Every page but the set-up page sends the IAM user there first.
    assert client.get(reverse("cases:list"))["Location"] == reverse("accounts:mfa")
    assert "requires multi-factor sign-in" in client.get(reverse("accounts:mfa")).content.decode()
    _set_up(client, iam)
    assert client.get(reverse("cases:list")).status_code == 200


def test_a_recovery_code_can_be_typed_on_a_phone(client, reference_data) -> None:
    """The code field asked phones for a digits-only keypad, on which a recovery code (letters
    and digits) cannot be typed, and a code a phone capitalised ("Abcd efgh") was not right."""
    account = factories.make_account("business")
    root = factories.root_of(account)
    client.force_login(root)
    codes = _set_up(client, root)
    client.logout()
    _sign_in(client, root.email)
    page = client.get(reverse("accounts:mfa-verify")).content.decode()
    [field] = re.findall(r"<input[^>]*name=\"token\"[^>]*>", page)
    assert 'inputmode="numeric"' not in field
    assert 'autocapitalize="none"' in field
    typed = f"{codes[0][:4].capitalize()} {codes[0][4:].upper()}"
    done = client.post(reverse("accounts:mfa-verify"), {"token": typed})
    assert done.status_code == 302
    assert client.get(reverse("cases:list")).status_code == 200


def test_the_weekly_email_link_shows_only_to_users_who_may_open_it(client, reference_data) -> None:
    """The sign-in settings page links to the Trusted Advisor preferences only for a user whose
    policies open them; an IAM user with AWSSupportAccess alone would get a 403 there."""
    account = factories.make_account("business")
    link = f'href="{reverse("advisor:preferences")}"'
    client.force_login(factories.make_iam_user(account, policy="AWSSupportAccess"))
    assert link not in client.get(reverse("accounts:mfa")).content.decode()
    assert client.get(reverse("advisor:preferences")).status_code == 403
    client.force_login(
        factories.make_iam_user(account, user_name="advisor", policy="SupportCenterReadOnlyAccess")
    )
    assert link in client.get(reverse("accounts:mfa")).content.decode()
    assert client.get(reverse("advisor:preferences")).status_code == 200
    client.force_login(factories.root_of(account))
    assert link in client.get(reverse("accounts:mfa")).content.decode()
