"""Writes for accounts, IAM principals, policies and access keys: accounts, users and access
keys here; IAM policies and groups in `iam`; what operators change in the admin (an account's plan
and settings, users' flags, the services an engineer covers) in `operators`; input checks shared
with the admin's forms in `validation`.

Every function is one transaction with its audit record (`audit.services.record`).
"""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_noop

from accounts.managed_policies import MANAGED_POLICIES
from accounts.models import (
    AccessKey,
    AccessKeyStatus,
    Account,
    Policy,
    PolicyVersion,
    User,
    UserKind,
    user_name_validator,
)
from accounts.principals import Principal
from accounts.services.account import (
    account_contact_update,
    alternate_contact_delete,
    alternate_contact_put,
)
from accounts.services.iam import (
    MSG_GROUP_OTHER_ACCOUNT,
    MSG_POLICY_OTHER_ACCOUNT,
    check_member_account,
    check_policy_account,
    group_add_user,
    group_attach_policy,
    group_create,
    group_delete,
    group_detach_policy,
    group_remove_user,
    policy_attach_to_user,
    policy_create,
    policy_delete,
    policy_detach_from_user,
)
from accounts.services.operators import (
    account_set_plan,
    account_update,
    engineer_set_services,
    user_update,
)
from accounts.services.policy_versions import (
    policy_version_create,
    policy_version_delete,
    policy_version_set_default,
)
from accounts.services.validation import clean_email, validate_account_fields
from audit import services as audit
from audit.names import IAM_SOURCE, SIGNIN_SOURCE, AuditEventName
from catalog.models import SupportPlan
from core import crypto, ids
from core.errors import EntityAlreadyExists, InvalidParameterValueException, LimitExceeded

__all__ = [
    "user_event_record",
    "MAX_ACCESS_KEYS_PER_USER",
    "MSG_GROUP_OTHER_ACCOUNT",
    "MSG_POLICY_OTHER_ACCOUNT",
    "access_key_create",
    "access_key_delete",
    "access_key_secret",
    "access_key_set_status",
    "access_key_touch",
    "account_create",
    "account_contact_update",
    "alternate_contact_delete",
    "alternate_contact_put",
    "account_set_plan",
    "account_update",
    "check_member_account",
    "check_policy_account",
    "console_sign_in_record",
    "engineer_create",
    "engineer_set_services",
    "group_add_user",
    "group_attach_policy",
    "group_create",
    "group_delete",
    "group_detach_policy",
    "group_remove_user",
    "iam_user_create",
    "iam_user_delete",
    "iam_user_set_password",
    "managed_policies_load",
    "policy_attach_to_user",
    "policy_create",
    "policy_delete",
    "policy_detach_from_user",
    "policy_version_create",
    "policy_version_delete",
    "policy_version_set_default",
    "user_update",
]

MAX_ACCESS_KEYS_PER_USER = 2
# IAM's quota of users per account.
MAX_IAM_USERS_PER_ACCOUNT = 5000

MSG_ACCOUNT_EXISTS = "Account {account_id} already exists."
# Marked for translation: pages show them in the reader's language (display_message).
MSG_EMAIL_TAKEN = gettext_noop("A user with this email address already exists.")
MSG_USER_EXISTS = gettext_noop("User with name {user_name} already exists.")
MSG_ACCESS_KEY_LIMIT = gettext_noop("Cannot exceed quota for AccessKeysPerUser: {limit}.")
MSG_USER_LIMIT = gettext_noop("Cannot exceed quota for UsersPerAccount: {limit}.")


@transaction.atomic
def account_create(
    *,
    account_id: str,
    name: str,
    plan: SupportPlan,
    root_email: str,
    root_password: str | None,
    actor: Principal,
    country: str = "US",
    time_zone: str = "UTC",
    contact_email: str = "",
) -> Account:
    """Create an account with its root user.

    Raises `InvalidParameterValueException` for a malformed id, country, time zone or email and
    `EntityAlreadyExists` when the id or the root email is taken. Writes an audit record.
    """
    validate_account_fields(account_id, country, time_zone)
    root_email = clean_email(root_email, "root_email")
    if Account.objects.filter(account_id=account_id).exists():
        raise EntityAlreadyExists(MSG_ACCOUNT_EXISTS.format(account_id=account_id))
    if User.objects.filter(login=root_email.lower()).exists():
        raise EntityAlreadyExists(MSG_EMAIL_TAKEN, field="root_email")
    account = Account.objects.create(
        account_id=account_id,
        name=name.strip() or account_id,
        plan=plan,
        country=country.upper(),
        time_zone=time_zone,
        contact_email=contact_email or root_email,
    )
    root = User(
        login=root_email.lower(),
        kind=UserKind.ROOT,
        account=account,
        email=root_email,
        display_name=name.strip(),
        principal_id=account_id,
    )
    root.set_password(root_password) if root_password else root.set_unusable_password()
    root.save()
    audit.record(
        actor=actor,
        event_name=AuditEventName.CREATE_ACCOUNT,
        event_source=IAM_SOURCE,
        account=account,
        request_parameters={"accountId": account_id, "plan": plan.code},
    )
    return account


@transaction.atomic
def iam_user_create(
    *,
    account: Account,
    user_name: str,
    actor: Principal,
    password: str | None = None,
    email: str = "",
    policies: Iterable[Policy] = (),
) -> User:
    """Create an IAM user in `account`, optionally with a console password and policies.

    Raises `InvalidParameterValueException` for a malformed name or email,
    `EntityAlreadyExists` when the name is taken in the account and `LimitExceeded` past IAM's
    quota of users per account.
    """
    try:
        user_name_validator(user_name)
    except ValidationError as exc:
        raise InvalidParameterValueException(str(exc.messages[0]), field="user_name") from None
    if email:
        email = clean_email(email)
    login = f"{account.account_id}/{user_name}".lower()
    if User.objects.filter(login=login).exists():
        raise EntityAlreadyExists(
            MSG_USER_EXISTS, params={"user_name": user_name}, field="user_name"
        )
    # The account's row locked: two creations at once cannot both take the last place.
    Account.objects.select_for_update().filter(pk=account.pk).exists()
    if User.objects.filter(account=account, kind=UserKind.IAM).count() >= MAX_IAM_USERS_PER_ACCOUNT:
        raise LimitExceeded(MSG_USER_LIMIT, params={"limit": MAX_IAM_USERS_PER_ACCOUNT})
    user = User(
        login=login,
        kind=UserKind.IAM,
        account=account,
        user_name=user_name,
        email=email,
        principal_id=ids.principal_id_new("AIDS"),
    )
    user.set_password(password) if password else user.set_unusable_password()
    user.save()
    attached = list(policies)
    if attached:
        user.policies.add(*attached)
    audit.record(
        actor=actor,
        event_name=AuditEventName.CREATE_USER,
        event_source=IAM_SOURCE,
        account=account,
        request_parameters={"userName": user_name},
        response_elements={"user": {"userName": user_name, "arn": user.arn}},
    )
    for item in attached:
        audit.record(
            actor=actor,
            event_name=AuditEventName.ATTACH_USER_POLICY,
            event_source=IAM_SOURCE,
            account=account,
            request_parameters={"userName": user_name, "policyArn": item.arn},
        )
    return user


@transaction.atomic
def engineer_create(
    *,
    email: str,
    actor: Principal,
    password: str | None = None,
    display_name: str = "",
    is_superuser: bool = False,
) -> User:
    """Create a support engineer (staff, not a customer of any account)."""
    email = clean_email(email)
    if User.objects.filter(login=email.lower()).exists():
        raise EntityAlreadyExists(MSG_EMAIL_TAKEN, field="email")
    user = User(
        login=email.lower(),
        kind=UserKind.ENGINEER,
        email=email,
        display_name=display_name,
        principal_id=ids.principal_id_new("AIDE"),
        is_staff=True,
        is_superuser=is_superuser,
    )
    user.set_password(password) if password else user.set_unusable_password()
    user.save()
    audit.record(
        actor=actor,
        event_name=AuditEventName.CREATE_USER,
        event_source=IAM_SOURCE,
        account=None,
        request_parameters={"userName": email, "kind": "engineer"},
    )
    return user


@transaction.atomic
def access_key_create(*, user: User, actor: Principal) -> tuple[AccessKey, str]:
    """Issue an access key for `user`; returns the key and its secret (shown once).

    Raises `LimitExceeded` past two keys per user, as IAM does. Engineers get no keys.
    """
    if user.is_engineer:
        raise InvalidParameterValueException("Support engineers do not use API access keys.")
    # Lock the user row so two concurrent requests cannot both pass the limit check.
    User.objects.select_for_update().filter(pk=user.pk).first()
    if AccessKey.objects.filter(user=user).count() >= MAX_ACCESS_KEYS_PER_USER:
        raise LimitExceeded(MSG_ACCESS_KEY_LIMIT, params={"limit": MAX_ACCESS_KEYS_PER_USER})
    secret = ids.secret_access_key_new()
    key = AccessKey.objects.create(
        access_key_id=ids.access_key_id_new(),
        user=user,
        secret_encrypted=crypto.encrypt(secret),
    )
    audit.record(
        actor=actor,
        event_name=AuditEventName.CREATE_ACCESS_KEY,
        event_source=IAM_SOURCE,
        account=user.account,
        request_parameters={"userName": user.identity_name},
        response_elements={
            "accessKey": {
                "accessKeyId": key.access_key_id,
                "status": key.status,
                "userName": user.identity_name,
            }
        },
    )
    return key, secret


@transaction.atomic
def access_key_set_status(*, access_key: AccessKey, status: str, actor: Principal) -> AccessKey:
    if status not in AccessKeyStatus.values:
        raise InvalidParameterValueException("Status must be Active or Inactive.", field="status")
    access_key.status = status
    access_key.save(update_fields=["status", "updated_at"])
    audit.record(
        actor=actor,
        event_name=AuditEventName.UPDATE_ACCESS_KEY,
        event_source=IAM_SOURCE,
        account=access_key.user.account,
        request_parameters={"accessKeyId": access_key.access_key_id, "status": status},
    )
    return access_key


@transaction.atomic
def access_key_delete(*, access_key: AccessKey, actor: Principal) -> None:
    account = access_key.user.account
    key_id = access_key.access_key_id
    access_key.delete()
    audit.record(
        actor=actor,
        event_name=AuditEventName.DELETE_ACCESS_KEY,
        event_source=IAM_SOURCE,
        account=account,
        request_parameters={"accessKeyId": key_id},
    )


def access_key_secret(access_key: AccessKey) -> str:
    """The plaintext secret, for SigV4 verification only."""
    return crypto.decrypt(access_key.secret_encrypted)


def access_key_touch(*, access_key: AccessKey) -> None:
    """Record use; at most once a minute per key to keep the hot path write-free."""
    now = timezone.now()
    last = access_key.last_used_at
    if last is None or (now - last).total_seconds() > 60:
        AccessKey.objects.filter(pk=access_key.pk).update(last_used_at=now)
        access_key.last_used_at = now


@transaction.atomic
def iam_user_set_password(*, user: User, password: str | None, actor: Principal) -> User:
    """Set (or with None remove) an IAM user's console password, checked by Django's
    password validators. Raises `InvalidParameterValueException`."""
    if password:
        try:
            validate_password(password, user)
        except ValidationError as exc:
            raise InvalidParameterValueException(" ".join(exc.messages), field="password") from None
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.save(update_fields=["password", "updated_at"])
    audit.record(
        actor=actor,
        event_name=(
            AuditEventName.UPDATE_LOGIN_PROFILE if password else AuditEventName.DELETE_LOGIN_PROFILE
        ),
        event_source=IAM_SOURCE,
        account=user.account,
        request_parameters={"userName": user.user_name},
    )
    return user


@transaction.atomic
def iam_user_delete(*, user: User, actor: Principal) -> None:
    """Delete an IAM user with its access keys (never a root user or an engineer)."""
    if not user.is_iam:
        raise InvalidParameterValueException("Only IAM users can be deleted.")
    account, name = user.account, user.user_name
    user.delete()
    audit.record(
        actor=actor,
        event_name=AuditEventName.DELETE_USER,
        event_source=IAM_SOURCE,
        account=account,
        request_parameters={"userName": name},
    )


@transaction.atomic
def console_sign_in_record(*, user: User, actor: Principal, success: bool) -> None:
    """CloudTrail's ConsoleLogin record for a sign-in attempt on a known user."""
    audit.record(
        actor=actor,
        event_name=AuditEventName.CONSOLE_LOGIN,
        event_source=SIGNIN_SOURCE,
        account=user.account,
        request_parameters=None,
        response_elements={"ConsoleLogin": "Success" if success else "Failure"},
        error_message="" if success else "Failed authentication",
    )


@transaction.atomic
def managed_policies_load() -> int:
    """Create the managed policies that are missing; returns how many. Existing ones are left as
    operators edited them, so running it twice changes nothing."""
    created = 0
    for row in MANAGED_POLICIES:
        policy, was_created = Policy.objects.get_or_create(
            account=None,
            name=row["name"],
            defaults={"document": row["document"], "description": row["description"]},
        )
        if was_created:
            PolicyVersion.objects.create(policy=policy, number=1, document=policy.document)
            created += 1
    return created


def user_event_record(
    *, user: User, actor: Principal, event_name: AuditEventName, event_source: str = IAM_SOURCE
) -> None:
    """An audit record of something about one user's sign-in (password, recovery, multi-factor
    device), in the user's own account's trail."""
    audit.record(
        actor=actor,
        event_name=event_name,
        event_source=event_source,
        account=user.account,
        request_parameters={"userName": user.identity_name},
    )
