"""Accounts, IAM users, engineers, policies and access keys."""

from __future__ import annotations

import pytest
from django.contrib.auth import authenticate
from django.db import connection

from accounts import access, services
from accounts.models import AccessKey, Account, Policy, User
from accounts.principals import SYSTEM
from accounts.services import iam
from audit.models import AuditEvent
from core.errors import (
    AccessDeniedException,
    EntityAlreadyExists,
    InvalidParameterValueException,
    LimitExceeded,
    MalformedPolicyDocument,
    NoSuchEntity,
)
from core.ids import ACCESS_KEY_ID_RE
from tests import factories


@pytest.mark.parametrize(
    ("overrides", "error", "fragment"),
    [
        ({"account_id": "12345"}, InvalidParameterValueException, "12 digits"),
        ({"account_id": "12345678901a"}, InvalidParameterValueException, "12 digits"),
        ({"country": "XX"}, InvalidParameterValueException, "Unknown country"),
        ({"time_zone": "Mars/Olympus"}, InvalidParameterValueException, "Unknown time zone"),
        ({"root_email": "nope"}, InvalidParameterValueException, "valid email"),
    ],
)
def test_account_create_validates(reference_data, overrides, error, fragment) -> None:
    with pytest.raises(error, match=fragment):
        factories.make_account("business", **overrides)
    assert not Account.objects.exists()


def test_account_create_makes_root_user_and_refuses_duplicates(reference_data) -> None:
    account = factories.make_account(
        "developer", account_id="123456789012", country="jp", time_zone="Asia/Tokyo"
    )
    root = User.objects.get(account=account)
    assert (root.kind, root.principal_id, account.country) == ("root", "123456789012", "JP")
    assert root.arn == "arn:aws:iam::123456789012:root"
    with pytest.raises(EntityAlreadyExists):
        factories.make_account("developer", account_id="123456789012")
    with pytest.raises(EntityAlreadyExists):
        factories.make_account("developer", root_email=root.email)


def test_sign_in_for_root_iam_and_engineer(business_account, rf) -> None:
    from functools import partial

    # django-axes needs the request to count failures.
    authenticate_ = partial(authenticate, rf.post("/signin/"))
    root = factories.root_of(business_account)
    iam = factories.make_iam_user(business_account, user_name="alice")
    engineer = factories.make_engineer(email="eng@example.com")
    assert authenticate_(username=root.email.upper(), password=factories.PASSWORD) == root
    assert authenticate_(username=root.email, password="wrong") is None
    assert (
        authenticate_(
            account_id=business_account.account_id, user_name="alice", password=factories.PASSWORD
        )
        == iam
    )
    # An IAM user cannot sign in on another account's page, nor with the root form.
    assert (
        authenticate_(account_id="999999999999", user_name="alice", password=factories.PASSWORD)
        is None
    )
    assert authenticate_(username=iam.login, password=factories.PASSWORD) is None
    assert authenticate_(username="eng@example.com", password=factories.PASSWORD) == engineer
    business_account.is_active = False
    business_account.save(update_fields=["is_active"])
    assert authenticate_(username=root.email, password=factories.PASSWORD) is None


def test_iam_user_names_are_unique_per_account(business_account, other_account) -> None:
    factories.make_iam_user(business_account, user_name="ops")
    factories.make_iam_user(other_account, user_name="ops")
    with pytest.raises(EntityAlreadyExists):
        factories.make_iam_user(business_account, user_name="ops")
    with pytest.raises(InvalidParameterValueException):
        factories.make_iam_user(business_account, user_name="bad name!")


def test_access_keys_are_ours_encrypted_and_limited(business_account) -> None:
    user = factories.make_iam_user(business_account)
    key, secret = services.access_key_create(user=user, actor=SYSTEM)
    assert ACCESS_KEY_ID_RE.match(key.access_key_id)
    assert not key.access_key_id.startswith(("AKIA", "ASIA"))
    assert len(secret) == 40
    with connection.cursor() as cursor:
        cursor.execute("SELECT secret_encrypted FROM accounts_accesskey")
        stored = cursor.fetchone()[0]
    assert secret not in stored
    assert services.access_key_secret(AccessKey.objects.get(pk=key.pk)) == secret
    services.access_key_create(user=user, actor=SYSTEM)
    with pytest.raises(LimitExceeded):
        services.access_key_create(user=user, actor=SYSTEM)
    assert AccessKey.objects.filter(user=user).count() == 2
    services.access_key_set_status(access_key=key, status="Inactive", actor=SYSTEM)
    key.refresh_from_db()
    assert key.status == "Inactive"
    record = AuditEvent.objects.filter(event_name="CreateAccessKey").first()
    assert secret not in str(record.response_elements)


def test_secrets_survive_key_rotation(business_account, settings) -> None:
    from cryptography.fernet import Fernet

    old_key = Fernet.generate_key().decode()
    settings.ENCRYPTION_KEYS = [old_key]
    key, secret = services.access_key_create(
        user=factories.make_iam_user(business_account), actor=SYSTEM
    )
    settings.ENCRYPTION_KEYS = [Fernet.generate_key().decode(), old_key]
    assert services.access_key_secret(key) == secret


def test_policies_validated_and_evaluated_through_groups(business_account) -> None:
    user = factories.make_iam_user(business_account, policy=None)

    def allowed(action: str) -> bool:
        # A fresh user object per check, as each request loads its own (policies are cached
        # on the object for the length of a request).
        return access.is_allowed(factories.principal(User.objects.get(pk=user.pk)), action)

    assert not allowed("support:CreateCase")
    with pytest.raises(MalformedPolicyDocument, match="Effect"):
        services.policy_create(
            account=business_account,
            name="broken",
            document='{"Statement": [{"Effect": "Perhaps", "Action": "support:*", '
            '"Resource": "*"}]}',
            actor=SYSTEM,
        )
    allow = services.policy_create(
        account=business_account,
        name="support",
        document={
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "support:*", "Resource": "*"}],
        },
        actor=SYSTEM,
    )
    deny = services.policy_create(
        account=business_account,
        name="no-resolve",
        document={
            "Statement": [{"Effect": "Deny", "Action": "support:ResolveCase", "Resource": "*"}]
        },
        actor=SYSTEM,
    )
    group = services.group_create(account=business_account, name="support-team", actor=SYSTEM)
    services.group_attach_policy(group=group, policy=allow, actor=SYSTEM)
    services.group_add_user(group=group, user=user, actor=SYSTEM)
    assert allowed("support:CreateCase")
    services.policy_attach_to_user(user=user, policy=deny, actor=SYSTEM)
    assert not allowed("support:ResolveCase")
    assert allowed("support:DescribeCases")
    # The root user is always allowed; a disabled user never is.
    assert access.is_allowed(
        factories.principal(factories.root_of(business_account)), "support:ResolveCase"
    )
    user.is_active = False
    assert not access.is_allowed(factories.principal(user), "support:DescribeCases")


def test_group_members_stay_in_their_account(business_account, other_account) -> None:
    group = services.group_create(account=business_account, name="team", actor=SYSTEM)
    stranger = factories.make_iam_user(other_account)
    with pytest.raises(InvalidParameterValueException):
        services.group_add_user(group=group, user=stranger, actor=SYSTEM)


def test_principals_only_get_their_own_accounts_policies(business_account, other_account) -> None:
    user = factories.make_iam_user(business_account, policy=None)
    group = services.group_create(account=business_account, name="team", actor=SYSTEM)
    theirs = services.policy_create(
        account=other_account,
        name="theirs",
        document={"Statement": [{"Effect": "Allow", "Action": "support:*", "Resource": "*"}]},
        actor=SYSTEM,
    )
    message = services.MSG_POLICY_OTHER_ACCOUNT.format(name="theirs")
    with pytest.raises(InvalidParameterValueException, match=message):
        services.policy_attach_to_user(user=user, policy=theirs, actor=SYSTEM)
    with pytest.raises(InvalidParameterValueException, match=message):
        services.group_attach_policy(group=group, policy=theirs, actor=SYSTEM)
    assert not user.policies.exists()
    assert not group.policies.exists()
    assert not AuditEvent.objects.filter(event_name__in=["AttachUserPolicy", "AttachGroupPolicy"])


def test_customers_change_and_delete_only_their_own_accounts_policies(
    business_account, other_account
) -> None:
    document = {"Statement": [{"Effect": "Allow", "Action": "support:*", "Resource": "*"}]}
    changed = {"Statement": [{"Effect": "Deny", "Action": "support:*", "Resource": "*"}]}
    theirs = services.policy_create(
        account=other_account, name="theirs", document=document, actor=SYSTEM
    )
    managed = Policy.objects.get(account=None, name="AWSSupportAccess")
    before = (managed.document, managed.description)
    root = factories.principal(factories.root_of(business_account))
    for policy in (managed, theirs):
        with pytest.raises(AccessDeniedException, match=iam.MSG_POLICY_NOT_OWN):
            services.policy_version_create(policy=policy, document=changed, actor=root)
        with pytest.raises(AccessDeniedException, match=iam.MSG_POLICY_NOT_OWN):
            services.policy_delete(policy=policy, actor=root)
    # Nor through the loader the pages use: both answer like a missing policy.
    for name in ("AWSSupportAccess", "theirs", "missing"):
        with pytest.raises(NoSuchEntity, match=f"Policy {name} was not found."):
            access.access_customer_policy(root, name)
    managed.refresh_from_db()
    assert (managed.document, managed.description) == before
    assert Policy.objects.filter(pk=theirs.pk, description="").exists()
    assert not AuditEvent.objects.filter(event_name__in=["CreatePolicyVersion", "DeletePolicy"])
    # Operators keep editing managed policies in the admin.
    services.policy_version_create(policy=managed, document=changed, actor=SYSTEM)
    assert AuditEvent.objects.filter(event_name="CreatePolicyVersion").count() == 1


def test_only_iam_users_join_groups(business_account) -> None:
    group = services.group_create(account=business_account, name="team", actor=SYSTEM)
    with pytest.raises(InvalidParameterValueException, match="Only IAM users"):
        services.group_add_user(group=group, user=factories.root_of(business_account), actor=SYSTEM)
    assert not group.members.exists()


def test_customers_never_become_staff(business_account) -> None:
    root = factories.root_of(business_account)
    with pytest.raises(InvalidParameterValueException, match="Only support engineers"):
        services.user_update(user=root, is_staff=True, actor=SYSTEM)
    with pytest.raises(InvalidParameterValueException, match="Only support engineers"):
        services.engineer_set_services(user=root, services=[], actor=SYSTEM)
    root.refresh_from_db()
    assert not root.is_staff


def test_account_update_records_only_what_changed(business_account) -> None:
    services.account_update(account=business_account, name=business_account.name, actor=SYSTEM)
    assert not AuditEvent.objects.filter(event_name="UpdateAccount").exists()
    with pytest.raises(InvalidParameterValueException, match="valid email"):
        services.account_update(account=business_account, contact_email="nope", actor=SYSTEM)
    services.account_update(account=business_account, name="  Renamed  ", actor=SYSTEM)
    record = AuditEvent.objects.get(event_name="UpdateAccount")
    assert record.request_parameters == {
        "accountId": business_account.account_id,
        "name": "Renamed",
    }
