"""Multi-factor sign-in with django-otp: a TOTP authenticator app and ten one-time recovery
codes per user, and the root user's requirement for the account's IAM users. Set up, removal
and the requirement are audited under IAM's names."""

from __future__ import annotations

import base64

from django.db import transaction
from django.utils.translation import gettext_noop
from django_otp import devices_for_user, match_token, user_has_device
from django_otp.models import Device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import Account, User
from accounts.principals import Principal
from accounts.services import user_event_record
from audit import services as audit
from audit.names import IAM_SOURCE, AuditEventName
from core.errors import InvalidParameterValueException

RECOVERY_CODES = 10
MSG_BAD_CODE = gettext_noop(
    "That code is not right. Enter the current code from your authenticator app."
)
APP_DEVICE = "authenticator app"
RECOVERY_DEVICE = "recovery codes"


def mfa_enabled(user: User) -> bool:
    return user_has_device(user, confirmed=True)


def mfa_required(user: User) -> bool:
    """Whether `user` must set up a second factor before anything else (an IAM user of an
    account whose root user requires it)."""
    return bool(
        user.is_iam and user.account is not None and user.account.require_mfa_for_iam
    ) and not mfa_enabled(user)


def mfa_setup_device(user: User) -> TOTPDevice:
    """The user's authenticator app being set up (unconfirmed; a new secret each time)."""
    TOTPDevice.objects.filter(user=user, confirmed=False).delete()
    return TOTPDevice.objects.create(user=user, name=APP_DEVICE, confirmed=False)


def mfa_setup_secret(device: TOTPDevice) -> str:
    """The secret as authenticator apps take it typed in (base32)."""
    return base64.b32encode(device.bin_key).decode().rstrip("=")


def mfa_pending_device(user: User) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=False).first()


@transaction.atomic
def mfa_confirm(*, user: User, token: str, actor: Principal) -> list[str]:
    """Confirm the pending authenticator app with a code it shows; returns the ten recovery
    codes (shown once). Raises `InvalidParameterValueException` for a wrong code."""
    device = mfa_pending_device(user)
    if device is None or not device.verify_token(token.strip()):
        raise InvalidParameterValueException(MSG_BAD_CODE, field="token")
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    StaticDevice.objects.filter(user=user).delete()
    recovery = StaticDevice.objects.create(user=user, name=RECOVERY_DEVICE, confirmed=True)
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODES)]
    StaticToken.objects.bulk_create([StaticToken(device=recovery, token=c) for c in codes])
    user_event_record(user=user, actor=actor, event_name=AuditEventName.ENABLE_MFA_DEVICE)
    return codes


def mfa_app_device(user: User) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


def mfa_verify(user: User, token: str) -> Device | None:
    """The device that accepts `token` (an app's current code, or an unused recovery code,
    which it uses up); None when none does. Spaces and letter case do not matter: recovery
    codes are stored in lower case, and phones capitalise what is typed."""
    return match_token(user, token.strip().replace(" ", "").lower())


@transaction.atomic
def mfa_remove(*, user: User, token: str, actor: Principal) -> None:
    """Turn multi-factor sign-in off for `user`, proven by a current code or a recovery code.
    Raises `InvalidParameterValueException` for a wrong code."""
    if mfa_verify(user, token) is None:
        raise InvalidParameterValueException(MSG_BAD_CODE, field="token")
    for device in devices_for_user(user, confirmed=None):
        device.delete()
    user_event_record(user=user, actor=actor, event_name=AuditEventName.DEACTIVATE_MFA_DEVICE)


@transaction.atomic
def mfa_require_for_iam(*, account: Account, required: bool, actor: Principal) -> Account:
    """The root user's choice: the account's IAM users sign in with a second factor."""
    if account.require_mfa_for_iam == required:
        return account
    account.require_mfa_for_iam = required
    account.save(update_fields=["require_mfa_for_iam", "updated_at"])
    audit.record(
        actor=actor,
        event_name=AuditEventName.UPDATE_ACCOUNT,
        event_source=IAM_SOURCE,
        account=account,
        request_parameters={"accountId": account.account_id, "requireMfaForIam": required},
    )
    return account
