"""Writes for IAM policies and groups.

A principal only ever holds what its own account owns: a group's members are users of the
group's account, and a customer policy is attached only to users and groups of the account that
owns it (managed policies, which have no account, go anywhere). `check_member_account` and
`check_policy_account` state these rules once; the services enforce them, and the admin's forms
call them to show the refusal next to the field. Deleting a policy or a group that is still in
use is refused, as IAM refuses it (`DeleteConflict`). A customer changes and deletes only its own
account's policies (`check_policy_owner`); managed policies are the operators', in the admin.
"""

from __future__ import annotations

import re
from typing import Any, cast

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext_noop

from accounts import policy as policy_eval
from accounts.models import (
    Account,
    IamGroup,
    Policy,
    PolicyVersion,
    User,
    user_name_validator,
)
from accounts.principals import Principal
from audit import services as audit
from audit.names import IAM_SOURCE, AuditEventName
from core.errors import (
    AccessDeniedException,
    DeleteConflict,
    EntityAlreadyExists,
    InvalidParameterValueException,
    MalformedPolicyDocument,
)

# Marked for translation: pages show them in the reader's language (display_message).
MSG_POLICY_NAME_EMPTY = gettext_noop("A policy needs a name.")
# IAM's rule for policy names. A name is also a path segment of the policy's page, so one made
# of dots only ("..", which browsers resolve away) is refused too.
POLICY_NAME_RE = re.compile(r"^(?!\.+$)[A-Za-z0-9+=,.@_-]{1,128}$")
MSG_POLICY_NAME = gettext_noop("Use 1-128 letters, digits and + = , . @ _ - (as IAM does).")
MSG_POLICY_NAME_MANAGED = gettext_noop(
    "{name} is the name of a managed policy; choose another name."
)
MSG_POLICY_EXISTS = gettext_noop("A policy called {name} already exists.")
MSG_POLICY_OTHER_ACCOUNT = gettext_noop("Policy {name} belongs to another account.")
MSG_POLICY_IN_USE = gettext_noop(
    "Policy {name} is attached to {users} user(s) and {groups} group(s); detach it first."
)
# IAM's AccessDenied reason for a managed policy (or, here, another account's).
MSG_POLICY_NOT_OWN = gettext_noop("Cannot change or delete policies outside your own account.")
MSG_GROUP_EXISTS = gettext_noop("Group with name {name} already exists.")
MSG_GROUP_OTHER_ACCOUNT = gettext_noop("The user and the group are in different accounts.")
MSG_GROUP_MEMBER_KIND = gettext_noop("Only IAM users can be members of a group.")
MSG_GROUP_IN_USE = gettext_noop(
    "Group {name} has {members} member(s) and {policies} attached policy(ies); remove them first."
)


def check_member_account(*, account: Account | None, user: User) -> None:
    """Raise `InvalidParameterValueException` unless `user` is an IAM user of `account` (the
    group's)."""
    if account is None or user.account_id != account.pk:
        raise InvalidParameterValueException(MSG_GROUP_OTHER_ACCOUNT, field="members")
    if not user.is_iam:
        raise InvalidParameterValueException(MSG_GROUP_MEMBER_KIND, field="members")


def check_policy_account(*, account: Account | None, policy: Policy) -> None:
    """Raise `InvalidParameterValueException` unless `policy` is managed or owned by `account`
    (the account of the user or group it is attached to; None for an engineer)."""
    if policy.account_id is None:
        return
    if account is None or policy.account_id != account.pk:
        raise InvalidParameterValueException(
            MSG_POLICY_OTHER_ACCOUNT, params={"name": policy.name}, field="policies"
        )


def check_policy_owner(*, policy: Policy, actor: Principal, action: str) -> None:
    """Raise `AccessDeniedException` when a customer would change or delete a managed policy or
    another account's. The pages load policies with `accounts.access.access_customer_policy`,
    which never returns those; this keeps every other caller to the same rule. Operators (in
    the admin), the system and commands without a customer may change any policy."""
    if not actor.is_customer:
        return
    owner = cast(User, actor.user).account_id
    if policy.account_id is None or policy.account_id != owner:
        raise AccessDeniedException(MSG_POLICY_NOT_OWN, action=action)


def parse_policy_document(document: str | dict[str, Any]) -> dict[str, Any]:
    parsed, errors = policy_eval.parse_document(document)
    if errors:
        # The problems side by side, each translated on pages (`Phrase`).
        template = " ".join(f"{{p{index}}}" for index in range(len(errors)))
        params = {f"p{index}": error for index, error in enumerate(errors)}
        raise MalformedPolicyDocument(template, params=params, field="document")
    return cast(dict[str, Any], parsed)


@transaction.atomic
def policy_create(
    *,
    account: Account | None,
    name: str,
    document: str | dict[str, Any],
    actor: Principal,
    description: str = "",
) -> Policy:
    """Create a customer policy (or a managed one with `account=None`), validated on save; its
    document is v1, the default version. The description never changes afterwards (as in IAM).

    Raises `MalformedPolicyDocument` with every problem found, `EntityAlreadyExists` on a name
    clash. Writes a CreatePolicy audit record.
    """
    parsed = parse_policy_document(document)
    name = name.strip()
    if not name:
        raise InvalidParameterValueException(MSG_POLICY_NAME_EMPTY, field="name")
    if not POLICY_NAME_RE.match(name):
        raise InvalidParameterValueException(MSG_POLICY_NAME, field="name")
    if account is not None and Policy.objects.filter(account__isnull=True, name=name).exists():
        raise EntityAlreadyExists(MSG_POLICY_NAME_MANAGED, params={"name": name}, field="name")
    if Policy.objects.filter(account=account, name=name).exists():
        raise EntityAlreadyExists(MSG_POLICY_EXISTS, params={"name": name}, field="name")
    created = Policy.objects.create(
        account=account, name=name, document=parsed, description=description
    )
    PolicyVersion.objects.create(policy=created, number=1, document=parsed)
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
def policy_delete(*, policy: Policy, actor: Principal) -> None:
    """Delete a policy that nothing uses.

    Raises `AccessDeniedException` when a customer `actor` would delete a managed policy or
    another account's (`check_policy_owner`), `DeleteConflict` while it is attached to a user or
    a group (deleting it would silently change what they may do). Writes a DeletePolicy audit
    record.
    """
    check_policy_owner(policy=policy, actor=actor, action="iam:DeletePolicy")
    users, groups = policy.users.count(), policy.groups.count()
    if users or groups:
        raise DeleteConflict(
            MSG_POLICY_IN_USE, params={"name": policy.name, "users": users, "groups": groups}
        )
    account, name, arn = policy.account, policy.name, policy.arn
    policy.delete()
    audit.record(
        actor=actor,
        event_name=AuditEventName.DELETE_POLICY,
        event_source=IAM_SOURCE,
        account=account,
        request_parameters={"policyName": name, "policyArn": arn},
    )


@transaction.atomic
def policy_attach_to_user(*, user: User, policy: Policy, actor: Principal) -> None:
    """Attach `policy` to `user`. Raises `InvalidParameterValueException` for another account's
    customer policy. Writes an AttachUserPolicy audit record."""
    check_policy_account(account=user.account, policy=policy)
    user.policies.add(policy)
    audit.record(
        actor=actor,
        event_name=AuditEventName.ATTACH_USER_POLICY,
        event_source=IAM_SOURCE,
        account=user.account,
        request_parameters={"userName": user.user_name, "policyArn": policy.arn},
    )


@transaction.atomic
def policy_detach_from_user(*, user: User, policy: Policy, actor: Principal) -> None:
    """Detach `policy` from `user`. Writes a DetachUserPolicy audit record."""
    user.policies.remove(policy)
    audit.record(
        actor=actor,
        event_name=AuditEventName.DETACH_USER_POLICY,
        event_source=IAM_SOURCE,
        account=user.account,
        request_parameters={"userName": user.user_name, "policyArn": policy.arn},
    )


@transaction.atomic
def group_create(*, account: Account, name: str, actor: Principal) -> IamGroup:
    """Create an empty group. Raises `InvalidParameterValueException` for a malformed name and
    `EntityAlreadyExists` when the account has a group of that name. Writes a CreateGroup
    audit record."""
    try:
        user_name_validator(name)
    except ValidationError as exc:
        raise InvalidParameterValueException(str(exc.messages[0]), field="name") from None
    try:
        with transaction.atomic():
            group = IamGroup.objects.create(account=account, name=name)
    except IntegrityError:
        raise EntityAlreadyExists(MSG_GROUP_EXISTS, params={"name": name}, field="name") from None
    audit.record(
        actor=actor,
        event_name=AuditEventName.CREATE_GROUP,
        event_source=IAM_SOURCE,
        account=account,
        request_parameters={"groupName": name},
    )
    return group


@transaction.atomic
def group_delete(*, group: IamGroup, actor: Principal) -> None:
    """Delete an empty group. Raises `DeleteConflict` while it has members or policies (as IAM
    does). Writes a DeleteGroup audit record."""
    members, policies = group.members.count(), group.policies.count()
    if members or policies:
        raise DeleteConflict(
            MSG_GROUP_IN_USE,
            params={"name": group.name, "members": members, "policies": policies},
        )
    account, name = group.account, group.name
    group.delete()
    audit.record(
        actor=actor,
        event_name=AuditEventName.DELETE_GROUP,
        event_source=IAM_SOURCE,
        account=account,
        request_parameters={"groupName": name},
    )


@transaction.atomic
def group_add_user(*, group: IamGroup, user: User, actor: Principal) -> None:
    """Add `user` to `group`. Raises `InvalidParameterValueException` for a user of another
    account. Writes an AddUserToGroup audit record."""
    check_member_account(account=group.account, user=user)
    group.members.add(user)
    audit.record(
        actor=actor,
        event_name=AuditEventName.ADD_USER_TO_GROUP,
        event_source=IAM_SOURCE,
        account=group.account,
        request_parameters={"groupName": group.name, "userName": user.user_name},
    )


@transaction.atomic
def group_remove_user(*, group: IamGroup, user: User, actor: Principal) -> None:
    """Remove `user` from `group`. Writes a RemoveUserFromGroup audit record."""
    group.members.remove(user)
    audit.record(
        actor=actor,
        event_name=AuditEventName.REMOVE_USER_FROM_GROUP,
        event_source=IAM_SOURCE,
        account=group.account,
        request_parameters={"groupName": group.name, "userName": user.user_name},
    )


@transaction.atomic
def group_attach_policy(*, group: IamGroup, policy: Policy, actor: Principal) -> None:
    """Attach `policy` to `group`. Raises `InvalidParameterValueException` for another account's
    customer policy. Writes an AttachGroupPolicy audit record."""
    check_policy_account(account=group.account, policy=policy)
    group.policies.add(policy)
    audit.record(
        actor=actor,
        event_name=AuditEventName.ATTACH_GROUP_POLICY,
        event_source=IAM_SOURCE,
        account=group.account,
        request_parameters={"groupName": group.name, "policyArn": policy.arn},
    )


@transaction.atomic
def group_detach_policy(*, group: IamGroup, policy: Policy, actor: Principal) -> None:
    """Detach `policy` from `group`. Writes a DetachGroupPolicy audit record."""
    group.policies.remove(policy)
    audit.record(
        actor=actor,
        event_name=AuditEventName.DETACH_GROUP_POLICY,
        event_source=IAM_SOURCE,
        account=group.account,
        request_parameters={"groupName": group.name, "policyArn": policy.arn},
    )
