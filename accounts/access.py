"""Authorization, and the loaders of IAM objects.

`authorize` / `is_allowed` evaluate a principal's policies for an action (`accounts.policy`);
every domain's own `access.py` (cases, events, advisor, cloudtrail, connections) calls them and
scopes its loaders with `customer_account`. The loaders here are IAM's: an account's users,
groups, policies and access keys, and the support engineers a case can be assigned to. Each
scopes by the principal's account and answers "not yours" exactly like "does not exist"; each
condition sits on its own line so coverage shows that every branch is tested. Views and handlers
never call `X.objects.get`.
"""

from __future__ import annotations

import functools
from typing import Any

from django.db.models import Q
from django.utils.translation import gettext_noop

from accounts import policy
from accounts.models import AccessKey, Account, IamGroup, Policy, User, UserKind
from accounts.principals import Principal
from catalog.models import SupportPlan
from core import rawload
from core.errors import AccessDeniedException, NoSuchEntity

MSG_ACCESS_DENIED = "User: {arn} is not authorized to perform: {action}"
MSG_NO_ENGINEER = gettext_noop("No support engineer signs in as {login}.")
# IAM's answers, marked for translation: pages show them in the reader's language.
MSG_NO_USER = gettext_noop("The user with name {user_name} cannot be found.")
MSG_NO_POLICY = gettext_noop("Policy {name} was not found.")
MSG_NO_GROUP = gettext_noop("The group with name {name} cannot be found.")
MSG_NO_ACCESS_KEY = gettext_noop("The Access Key with id {access_key_id} cannot be found.")


def policies_for_user(user: User) -> list[dict[str, Any]]:
    """The policy documents that apply to `user`: its own and its groups' (one statement).

    Cached on the user object, which lives for one request, so checking several actions in a
    request costs the statement once.
    """
    cached = getattr(user, "_policy_documents", None)
    if cached is not None:
        return cached
    user._policy_documents = [  # type: ignore[attr-defined]
        rawload.field_value(Policy, "document", value)
        for (value,) in rawload.fetch_all(_policies_sql(), [user.pk, user.pk])
    ]
    return user._policy_documents  # type: ignore[attr-defined]


@functools.cache
def _policies_sql() -> str:
    q = rawload.quote
    policy = q(Policy._meta.db_table)
    own = User.policies.field
    attached = IamGroup.policies.field
    members = IamGroup.members.field
    return (
        f"SELECT p.{q('document')} FROM {policy} p JOIN {q(own.m2m_db_table())} up "
        f"ON up.{q(own.m2m_reverse_name())} = p.{q('id')} WHERE up.{q(own.m2m_column_name())} = %s "
        f"UNION ALL "
        f"SELECT p.{q('document')} FROM {policy} p JOIN {q(attached.m2m_db_table())} gp "
        f"ON gp.{q(attached.m2m_reverse_name())} = p.{q('id')} "
        f"JOIN {q(members.m2m_db_table())} gm "
        f"ON gm.{q(members.m2m_column_name())} = gp.{q(attached.m2m_column_name())} "
        f"WHERE gm.{q(members.m2m_reverse_name())} = %s"
    )


def access_key_for_signature(access_key_id: str) -> AccessKey | None:
    """The access key `access_key_id` with its user, the user's account and the account's plan
    (one statement: the first thing every signed API call needs), whatever its status; None if
    there is no such key."""
    rows = rawload.fetch_all(_access_key_sql(), [access_key_id])
    if not rows:
        return None
    row = rows[0]
    widths = [rawload.width(m) for m in (AccessKey, User, Account, SupportPlan)]
    key_end = widths[0]
    user_end = key_end + widths[1]
    account_end = user_end + widths[2]
    key = rawload.instance(AccessKey, row[:key_end])
    user = rawload.instance(User, row[key_end:user_end])
    key.user = user
    if row[user_end] is not None:  # an engineer's key has no account
        account = rawload.instance(Account, row[user_end:account_end])
        account.plan = rawload.instance(SupportPlan, row[account_end:])
        user.account = account
    else:
        user.account = None
    return key


@functools.cache
def _access_key_sql() -> str:
    q = rawload.quote
    return (
        f"SELECT {rawload.columns(AccessKey, 'k')}, {rawload.columns(User, 'u')}, "
        f"{rawload.columns(Account, 'a')}, {rawload.columns(SupportPlan, 'p')} "
        f"FROM {q(AccessKey._meta.db_table)} k "
        f"JOIN {q(User._meta.db_table)} u ON u.{q('id')} = k.{q('user_id')} "
        f"LEFT JOIN {q(Account._meta.db_table)} a ON a.{q('id')} = u.{q('account_id')} "
        f"LEFT JOIN {q(SupportPlan._meta.db_table)} p ON p.{q('id')} = a.{q('plan_id')} "
        f"WHERE k.{q('access_key_id')} = %s"
    )


def is_allowed(principal: Principal, action: str) -> bool:
    user = principal.user
    if user is None:
        return principal.is_system  # Celery and beat work; never an anonymous request
    if not user.is_active:
        return False
    if user.is_engineer:
        return user.is_staff
    if user.account is None or not user.account.is_active:
        return False
    if user.is_root:
        return True
    return policy.evaluate(policies_for_user(user), action).allowed


def authorize(principal: Principal, action: str) -> None:
    """Raise `AccessDeniedException` unless `principal` may perform `action`."""
    if not is_allowed(principal, action):
        raise AccessDeniedException(
            MSG_ACCESS_DENIED.format(arn=principal.arn, action=action), action=action
        )


def customer_account(principal: Principal) -> Account | None:
    """The account a customer acts in; None for engineers, the system and anonymous callers."""
    return _customer_account(principal)


def _customer_account(principal: Principal) -> Account | None:
    if principal.user is None or principal.user.is_engineer:
        return None
    return principal.user.account


def access_iam_user(principal: Principal, user_name: str) -> User:
    """An IAM user of the principal's account (root users manage IAM)."""
    authorize(principal, "iam:GetUser")
    account = _customer_account(principal)
    try:
        return User.objects.get(account=account, kind="iam", user_name=user_name)
    except User.DoesNotExist:
        raise NoSuchEntity(MSG_NO_USER, params={"user_name": user_name}) from None


def access_policy_for_account(principal: Principal, name: str) -> Policy:
    """A managed policy, or a customer policy of the principal's account: one to attach or
    detach. To change or delete a policy, load it with `access_customer_policy`."""
    authorize(principal, "iam:GetPolicy")
    account = _customer_account(principal)
    policy = (
        Policy.objects.filter(name=name)
        .filter(models_q_account(account))
        .order_by("account_id")
        .first()
    )
    if policy is None:
        raise NoSuchEntity(MSG_NO_POLICY, params={"name": name})
    return policy


def access_customer_policy(
    principal: Principal, name: str, *, action: str = "iam:GetPolicy"
) -> Policy:
    """A customer policy of the principal's account, to show, change or delete. Never a managed
    policy (shared by every account: only operators change them, in the admin) and never
    another account's: both answer `NoSuchEntity` exactly like a missing policy."""
    authorize(principal, action)
    account = _customer_account(principal)
    # Filtering on account=None would match the managed policies.
    if account is None:
        raise NoSuchEntity(MSG_NO_POLICY, params={"name": name})
    try:
        return Policy.objects.select_related("account").get(account=account, name=name)
    except Policy.DoesNotExist:
        raise NoSuchEntity(MSG_NO_POLICY, params={"name": name}) from None


def models_q_account(account: Account | None) -> Q:
    return Q(account__isnull=True) | Q(account=account)


def access_group(principal: Principal, name: str) -> IamGroup:
    authorize(principal, "iam:GetGroup")
    account = _customer_account(principal)
    try:
        return IamGroup.objects.get(account=account, name=name)
    except IamGroup.DoesNotExist:
        raise NoSuchEntity(MSG_NO_GROUP, params={"name": name}) from None


def access_access_key(principal: Principal, access_key_id: str) -> AccessKey:
    authorize(principal, "iam:UpdateAccessKey")
    account = _customer_account(principal)
    try:
        return AccessKey.objects.select_related("user").get(
            access_key_id=access_key_id, user__account=account
        )
    except AccessKey.DoesNotExist:
        raise NoSuchEntity(MSG_NO_ACCESS_KEY, params={"access_key_id": access_key_id}) from None


def access_engineer(principal: Principal, login: str) -> User:
    """An active support engineer with staff rights (the console requires them: an assignee
    without them could not open the case), by sign-in name, for a case assignment. Only
    engineers (and the system) may load one. Raises `NoSuchEntity`."""
    if not (principal.is_engineer or principal.is_system):
        raise NoSuchEntity(MSG_NO_ENGINEER, params={"login": login})
    try:
        return User.objects.get(login=login, kind=UserKind.ENGINEER, is_active=True, is_staff=True)
    except User.DoesNotExist:
        raise NoSuchEntity(MSG_NO_ENGINEER, params={"login": login}) from None
