"""Writes for accounts, IAM principals, policies and access keys."""

from __future__ import annotations

import json
import zoneinfo
from collections.abc import Iterable
from typing import Any

import holidays
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts import policy as policy_eval
from accounts.managed_policies import MANAGED_POLICIES
from accounts.models import (
    AccessKey,
    AccessKeyStatus,
    Account,
    IamGroup,
    Policy,
    User,
    UserKind,
    user_name_validator,
)
from accounts.principals import Principal
from audit import services as audit
from audit.services import IAM_SOURCE, AuditEventName
from catalog.models import SupportPlan
from core import crypto, ids
from core.errors import (
    EntityAlreadyExists,
    InvalidParameterValueException,
    LimitExceeded,
    MalformedPolicyDocument,
)

MAX_ACCESS_KEYS_PER_USER = 2

MSG_ACCOUNT_ID = "An account id is exactly 12 digits."
MSG_ACCOUNT_EXISTS = "Account {account_id} already exists."
MSG_COUNTRY = "Unknown country code {country!r}; use an ISO 3166 code such as US or JP."
MSG_TIME_ZONE = "Unknown time zone {time_zone!r}; use an IANA name such as Asia/Tokyo."
MSG_EMAIL = "Enter a valid email address."
MSG_EMAIL_TAKEN = "A user with this email address already exists."
MSG_USER_EXISTS = "User with name {user_name} already exists."
MSG_ACCESS_KEY_LIMIT = "Cannot exceed quota for AccessKeysPerUser: {limit}."


def _validate_email(value: str, field: str = "email") -> str:
    value = value.strip()
    try:
        validate_email(value)
    except ValidationError:
        raise InvalidParameterValueException(MSG_EMAIL, field=field) from None
    return value


def _validate_account_fields(account_id: str, country: str, time_zone: str) -> None:
    if not ids.ACCOUNT_ID_RE.match(account_id or ""):
        raise InvalidParameterValueException(MSG_ACCOUNT_ID, field="account_id")
    if country.upper() not in holidays.list_supported_countries():
        raise InvalidParameterValueException(MSG_COUNTRY.format(country=country), field="country")
    if time_zone not in zoneinfo.available_timezones():
        raise InvalidParameterValueException(
            MSG_TIME_ZONE.format(time_zone=time_zone), field="time_zone"
        )


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
    _validate_account_fields(account_id, country, time_zone)
    root_email = _validate_email(root_email, "root_email")
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
def account_set_plan(*, account: Account, plan: SupportPlan, actor: Principal) -> Account:
    account.plan = plan
    account.save(update_fields=["plan", "updated_at"])
    audit.record(
        actor=actor,
        event_name="UpdateSupportPlan",
        account=account,
        request_parameters={"plan": plan.code},
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

    Raises `InvalidParameterValueException` for a malformed name or email and
    `EntityAlreadyExists` when the name is taken in the account.
    """
    try:
        user_name_validator(user_name)
    except ValidationError as exc:
        raise InvalidParameterValueException(str(exc.messages[0]), field="user_name") from None
    if email:
        email = _validate_email(email)
    login = f"{account.account_id}/{user_name}".lower()
    if User.objects.filter(login=login).exists():
        raise EntityAlreadyExists(MSG_USER_EXISTS.format(user_name=user_name), field="user_name")
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
    email = _validate_email(email)
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


def _parse_document(document: str | dict[str, Any]) -> dict[str, Any]:
    errors = policy_eval.validate_document(document)
    if errors:
        raise MalformedPolicyDocument(" ".join(errors), field="document")
    return json.loads(document) if isinstance(document, str) else document


@transaction.atomic
def policy_create(
    *,
    account: Account | None,
    name: str,
    document: str | dict[str, Any],
    actor: Principal,
    description: str = "",
) -> Policy:
    """Create a customer policy (or a managed one with `account=None`), validated on save.

    Raises `MalformedPolicyDocument` with every problem found, `EntityAlreadyExists` on a name
    clash.
    """
    parsed = _parse_document(document)
    name = name.strip()
    if not name:
        raise InvalidParameterValueException("A policy needs a name.", field="name")
    if account is not None and Policy.objects.filter(account__isnull=True, name=name).exists():
        raise EntityAlreadyExists(
            f"{name} is the name of a managed policy; choose another name.", field="name"
        )
    if Policy.objects.filter(account=account, name=name).exists():
        raise EntityAlreadyExists(f"A policy called {name} already exists.", field="name")
    created = Policy.objects.create(
        account=account, name=name, document=parsed, description=description
    )
    audit.record(
        actor=actor,
        event_name=AuditEventName.CREATE_POLICY,
        event_source=IAM_SOURCE,
        account=account,
        request_parameters={"policyName": name},
        response_elements={"policy": {"arn": created.arn}},
    )
    return created


@transaction.atomic
def policy_attach_to_user(*, user: User, policy: Policy, actor: Principal) -> None:
    user.policies.add(policy)
    audit.record(
        actor=actor,
        event_name=AuditEventName.ATTACH_USER_POLICY,
        event_source=IAM_SOURCE,
        account=user.account,
        request_parameters={"userName": user.user_name, "policyArn": policy.arn},
    )


@transaction.atomic
def group_create(*, account: Account, name: str, actor: Principal) -> IamGroup:
    try:
        user_name_validator(name)
    except ValidationError as exc:
        raise InvalidParameterValueException(str(exc.messages[0]), field="name") from None
    try:
        with transaction.atomic():
            group = IamGroup.objects.create(account=account, name=name)
    except IntegrityError:
        raise EntityAlreadyExists(f"Group with name {name} already exists.", field="name") from None
    audit.record(
        actor=actor,
        event_name=AuditEventName.CREATE_GROUP,
        event_source=IAM_SOURCE,
        account=account,
        request_parameters={"groupName": name},
    )
    return group


@transaction.atomic
def group_add_user(*, group: IamGroup, user: User, actor: Principal) -> None:
    if user.account_id != group.account_id:
        raise InvalidParameterValueException("The user and the group are in different accounts.")
    group.members.add(user)
    audit.record(
        actor=actor,
        event_name=AuditEventName.ADD_USER_TO_GROUP,
        event_source=IAM_SOURCE,
        account=group.account,
        request_parameters={"groupName": group.name, "userName": user.user_name},
    )


@transaction.atomic
def group_attach_policy(*, group: IamGroup, policy: Policy, actor: Principal) -> None:
    group.policies.add(policy)
    audit.record(
        actor=actor,
        event_name=AuditEventName.ATTACH_GROUP_POLICY,
        event_source=IAM_SOURCE,
        account=group.account,
        request_parameters={"groupName": group.name, "policyArn": policy.arn},
    )


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
        raise LimitExceeded(MSG_ACCESS_KEY_LIMIT.format(limit=MAX_ACCESS_KEYS_PER_USER))
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
        from django.contrib.auth.password_validation import validate_password

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
        event_name="UpdateLoginProfile" if password else "DeleteLoginProfile",
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
        event_name="DeleteUser",
        event_source=IAM_SOURCE,
        account=account,
        request_parameters={"userName": name},
    )


@transaction.atomic
def policy_detach_from_user(*, user: User, policy: Policy, actor: Principal) -> None:
    user.policies.remove(policy)
    audit.record(
        actor=actor,
        event_name="DetachUserPolicy",
        event_source=IAM_SOURCE,
        account=user.account,
        request_parameters={"userName": user.user_name, "policyArn": policy.arn},
    )


@transaction.atomic
def console_sign_in_record(*, user: User, actor: Principal, success: bool) -> None:
    """CloudTrail's ConsoleLogin record for a sign-in attempt on a known user."""
    audit.record(
        actor=actor,
        event_name="ConsoleLogin",
        event_source="signin.amazonaws.com",
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
        _, was_created = Policy.objects.get_or_create(
            account=None,
            name=row["name"],
            defaults={"document": row["document"], "description": row["description"]},
        )
        created += int(was_created)
    return created
