"""Reads for the IAM pages and sign-in: an account's users, groups, policies and keys."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Count, QuerySet

from accounts.access import models_q_account
from accounts.models import (
    AccessKey,
    Account,
    AlternateContact,
    IamGroup,
    Policy,
    PolicyVersion,
    User,
    UserKind,
)


def iam_users_for_account(account: Account) -> QuerySet[User]:
    """The account's IAM users with their key counts, policies and groups (three queries)."""
    return (
        User.objects.filter(account=account, kind=UserKind.IAM)
        .annotate(key_count=Count("access_keys", distinct=True))
        .prefetch_related("policies", "iam_groups")
        .order_by("user_name")
    )


def groups_for_account(account: Account) -> QuerySet[IamGroup]:
    return (
        IamGroup.objects.filter(account=account)
        .annotate(member_count=Count("members", distinct=True))
        .prefetch_related("policies")
        .order_by("name")
    )


def customer_policies(account: Account) -> QuerySet[Policy]:
    """The policies the account wrote itself."""
    return Policy.objects.filter(account=account).order_by("name")


def policy_users(policy: Policy) -> QuerySet[User]:
    """The users `policy` is attached to, by name (one query; a customer policy is attached only
    in its own account)."""
    return policy.users.order_by("user_name")


def policy_groups(policy: Policy) -> QuerySet[IamGroup]:
    """The groups `policy` is attached to, by name (one query)."""
    return policy.groups.order_by("name")


def policy_versions(policy: Policy) -> QuerySet[PolicyVersion]:
    """The policy's versions, newest first (one query; five at most)."""
    return policy.versions.order_by("-number")


def managed_policy_names() -> list[str]:
    """The names of the managed policies every account can attach."""
    return list(
        Policy.objects.filter(account__isnull=True).order_by("name").values_list("name", flat=True)
    )


def attachable_policies(account: Account, *, besides: Iterable[Policy] = ()) -> QuerySet[Policy]:
    """Managed policies and the account's own, except `besides` (those already attached)."""
    return (
        Policy.objects.filter(models_q_account(account))
        .exclude(pk__in=[p.pk for p in besides])
        .order_by("name")
    )


def access_keys_of(user: User) -> QuerySet[AccessKey]:
    return AccessKey.objects.filter(user=user).order_by("created_at")


def iam_users_outside(group: IamGroup, members: Iterable[User]) -> QuerySet[User]:
    """The group's account's IAM users that are not among `members`."""
    return (
        User.objects.filter(account_id=group.account_id, kind=UserKind.IAM)
        .exclude(pk__in=[m.pk for m in members])
        .order_by("user_name")
    )


def user_by_login(login: str) -> User | None:
    """Whoever signs in with `login`, with their account (for the sign-in audit record)."""
    return User.objects.filter(login=login).select_related("account").first()


def user_by_pk(pk: int) -> User | None:
    """A user half-way through signing in (the session holds only the id)."""
    return User.objects.filter(pk=pk, is_active=True).select_related("account").first()


def alternate_contacts(account: Account) -> QuerySet[AlternateContact]:
    return AlternateContact.objects.filter(account=account).order_by("contact_type")
