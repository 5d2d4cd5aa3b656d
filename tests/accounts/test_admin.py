"""Users, policies, groups and access keys in the admin: every change through the services,
audited with the operator's identity."""

from __future__ import annotations

import json

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse

from accounts import services as account_services
from accounts.models import AccessKey, Account, IamGroup, Policy, User
from accounts.principals import SYSTEM
from accounts.services.iam import MSG_POLICY_IN_USE
from accounts.services.operators import MSG_SELF_LOCKOUT
from audit.models import AuditEvent
from catalog.models import Service, SupportPlan
from tests import factories
from tests.admin_pages import (
    OPERATOR_ARN,
    SUPPORT_POLICY,
    change_url,
    customer_policy,
    delete_url,
    make_operator,
    post_change,
    records,
)


@pytest.fixture
def operator(reference_data) -> User:
    return make_operator()


@pytest.fixture
def admin_client_(client, operator):
    client.force_login(operator)
    return client


def test_deleting_a_group_in_use_is_refused_with_a_message(admin_client_, business_account) -> None:
    group = account_services.group_create(account=business_account, name="team", actor=SYSTEM)
    alice = factories.make_iam_user(business_account, user_name="alice")
    account_services.group_add_user(group=group, user=alice, actor=SYSTEM)
    response = admin_client_.post(delete_url(group), {"post": "yes"}, follow=True)
    assert b"Group team has 1 member(s)" in response.content
    assert IamGroup.objects.filter(pk=group.pk).exists()
    assert records("DeleteGroup") == []

    account_services.group_remove_user(group=group, user=alice, actor=SYSTEM)
    response = admin_client_.post(delete_url(group), {"post": "yes"})
    assert response.status_code == 302
    assert not IamGroup.objects.exists()
    [record] = records("DeleteGroup")
    assert (record.principal_arn, record.request_parameters) == (
        OPERATOR_ARN,
        {"groupName": "team"},
    )


def test_user_policies_and_flags_change_through_the_services(
    admin_client_, business_account
) -> None:
    alice = factories.make_iam_user(business_account, user_name="alice")
    managed = Policy.objects.get(account=None, name="AWSSupportAccess")
    ours = customer_policy(business_account, "ours")
    # A customer is never made staff: the flag is not on a customer's form, so it is ignored.
    response = post_change(
        admin_client_, alice, policies=[str(ours.pk)], is_active=False, is_staff="on"
    )
    assert response.status_code == 302
    alice.refresh_from_db()
    assert (alice.is_active, alice.is_staff, list(alice.policies.all())) == (False, False, [ours])
    audited = [
        (r.event_name, r.principal_arn, r.request_parameters)
        for r in AuditEvent.objects.filter(recipient_account_id=business_account.account_id)
        .exclude(principal_arn="system")
        .order_by("pk")
    ]
    assert audited == [
        ("UpdateUser", OPERATOR_ARN, {"userName": "alice", "isActive": False}),
        ("AttachUserPolicy", OPERATOR_ARN, {"userName": "alice", "policyArn": ours.arn}),
        ("DetachUserPolicy", OPERATOR_ARN, {"userName": "alice", "policyArn": managed.arn}),
    ]


def test_operators_cannot_lock_themselves_out(admin_client_, operator) -> None:
    # A rule only the service knows: the form comes back bound, with the refusal on it.
    response = post_change(admin_client_, operator, is_active=False)
    assert response.status_code == 200
    form = response.context["adminform"].form
    assert form.non_field_errors() == [MSG_SELF_LOCKOUT]
    assert MSG_SELF_LOCKOUT in response.content.decode()
    assert not form["is_active"].value()  # what the operator chose, shown again
    operator.refresh_from_db()
    assert operator.is_active
    assert records("UpdateUser") == []


def test_engineer_services_are_audited(admin_client_, operator) -> None:
    engineer = factories.make_engineer(email="eng@example.com")
    ec2 = Service.objects.get(code="amazon-elastic-compute-cloud-linux")
    response = post_change(admin_client_, engineer, services=[str(ec2.pk)])
    assert response.status_code == 302
    assert list(engineer.services.all()) == [ec2]
    [record] = records("UpdateEngineerServices")
    assert (record.principal_arn, record.recipient_account_id, record.request_parameters) == (
        OPERATOR_ARN,
        "",
        {"userName": "eng@example.com", "serviceCodes": [ec2.code]},
    )


def test_policies_are_created_versioned_and_deleted_through_the_services(
    admin_client_, business_account
) -> None:
    response = admin_client_.post(
        reverse("admin:accounts_policy_add"),
        {
            "account": str(business_account.pk),
            "name": "ours",
            "description": "",
            "document": json.dumps(SUPPORT_POLICY),
        },
    )
    assert response.status_code == 302
    policy = Policy.objects.get(account=business_account, name="ours")
    [created] = records("CreatePolicy")
    assert (created.principal_arn, created.recipient_account_id) == (
        OPERATOR_ARN,
        business_account.account_id,
    )

    # A changed document is a new default version; the description is fixed, as in IAM.
    narrower = {
        **SUPPORT_POLICY,
        "Statement": [{**SUPPORT_POLICY["Statement"][0], "Action": "support:Describe*"}],
    }
    response = post_change(
        admin_client_, policy, description="Ignored", document=json.dumps(narrower)
    )
    assert response.status_code == 302
    policy.refresh_from_db()
    assert (policy.description, policy.document, policy.default_version) == ("", narrower, 2)
    [updated] = records("CreatePolicyVersion")
    assert updated.request_parameters == {
        "policyArn": policy.arn,
        "policyDocument": narrower,
        "setAsDefault": True,
    }

    alice = factories.make_iam_user(business_account, user_name="alice", policy=None)
    account_services.policy_attach_to_user(user=alice, policy=policy, actor=SYSTEM)
    response = admin_client_.post(delete_url(policy), {"post": "yes"}, follow=True)
    assert (MSG_POLICY_IN_USE.format(name="ours", users=1, groups=0)).encode() in response.content
    assert Policy.objects.filter(pk=policy.pk).exists()

    account_services.policy_detach_from_user(user=alice, policy=policy, actor=SYSTEM)
    response = admin_client_.post(delete_url(policy), {"post": "yes"})
    assert response.status_code == 302
    assert not Policy.objects.filter(pk=policy.pk).exists()
    [deleted] = records("DeletePolicy")
    assert (deleted.principal_arn, deleted.request_parameters) == (
        OPERATOR_ARN,
        {"policyName": "ours", "policyArn": policy.arn},
    )


@pytest.mark.parametrize(
    "document",
    [
        "[" * 5000 + "]" * 5000,  # used to answer 500 (RecursionError past forms.JSONField)
        '{"Id": NaN, "Statement": []}',  # used to answer 500 (the JSON column's check)
        '{"Id": "\\ud800", "Statement": []}',
    ],
)
def test_admin_policy_documents_are_parsed_strictly(
    admin_client_, business_account, document
) -> None:
    response = admin_client_.post(
        reverse("admin:accounts_policy_add"),
        {
            "account": str(business_account.pk),
            "name": "odd",
            "description": "",
            "document": document,
        },
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["document"]
    assert not Policy.objects.filter(name="odd").exists()


def test_access_keys_are_deleted_through_the_service(admin_client_, business_account) -> None:
    alice = factories.make_iam_user(business_account, user_name="alice")
    key, _ = account_services.access_key_create(user=alice, actor=SYSTEM)
    assert admin_client_.post(change_url(key), {"status": "Inactive"}).status_code == 403
    response = admin_client_.post(delete_url(key), {"post": "yes"})
    assert response.status_code == 302
    assert not AccessKey.objects.exists()
    [record] = records("DeleteAccessKey")
    assert (record.principal_arn, record.request_parameters) == (
        OPERATOR_ARN,
        {"accessKeyId": key.access_key_id},
    )


def _new_account(**changes: str) -> dict[str, str]:
    data = {
        "account_id": "123456789012",
        "name": "Example Corp",
        "plan": str(SupportPlan.objects.get(code="business").pk),
        "root_email": "Owner@Example.com",
        "root_password": "a-long-and-unusual-passphrase",
        "country": "JP",
        "time_zone": "Asia/Tokyo",
        "contact_email": "",
        "_save": "Save",
    }
    data.update(changes)
    return data


def test_an_operator_creates_an_account_with_its_root_user(
    admin_client_, client, business_account
) -> None:
    """Operators could change accounts but not create one (the add page was refused): an
    account came only from the demo, the API user command or code. Refusals (a taken id or
    address, a weak password, an unknown country) are shown beside their fields, with what was
    typed kept."""
    add = reverse("admin:accounts_account_add")
    assert admin_client_.get(add).status_code == 200
    taken_email = factories.root_of(business_account).email
    for changes, field in (
        ({"account_id": business_account.account_id}, "account_id"),
        ({"account_id": "12345"}, "account_id"),
        ({"root_email": taken_email.upper()}, "root_email"),
        ({"root_password": "password"}, "root_password"),
        ({"country": "XX"}, "country"),
        ({"time_zone": "Mars/Base"}, "time_zone"),
    ):
        refused = admin_client_.post(add, _new_account(**changes))
        assert refused.status_code == 200, changes
        assert field in refused.context["adminform"].form.errors, changes
        assert 'value="Example Corp"' in refused.content.decode()
    assert [r.principal_arn for r in records("CreateAccount")] == ["system"]  # the fixture's

    response = admin_client_.post(add, _new_account())
    assert response.status_code == 302
    account = Account.objects.get(account_id="123456789012")
    assert (account.name, account.plan.code, account.country, account.time_zone) == (
        "Example Corp",
        "business",
        "JP",
        "Asia/Tokyo",
    )
    root = User.objects.get(account=account, kind="root")
    assert root.email == "Owner@Example.com"
    record = records("CreateAccount")[-1]
    assert (record.principal_arn, record.recipient_account_id) == (
        OPERATOR_ARN,
        "123456789012",
    )
    # The root user signs in with the password the operator set (and may reset it by email).
    client.logout()
    signed_in = client.post(
        reverse("accounts:sign-in"),
        {"email": "owner@example.com", "password": "a-long-and-unusual-passphrase"},
    )
    assert signed_in.status_code == 302
    assert client.get(reverse("cases:list")).status_code == 200


def test_an_operator_adds_an_engineer_who_then_works_the_queue(
    admin_client_, client, business_account
) -> None:
    """Engineers came only from `createsuperuser`: the user add page was refused. Users added
    here are engineers, through the service (audited), with the services they cover."""
    add = reverse("admin:accounts_user_add")
    assert admin_client_.get(add).status_code == 200
    ec2 = Service.objects.get(code="amazon-elastic-compute-cloud-linux")
    form = {
        "email": "Ana@Example.com",
        "display_name": "Ana",
        "password": "a-long-and-unusual-passphrase",
        "services": [ec2.pk],
    }
    taken = factories.root_of(business_account).email
    for changes, field in (
        ({"email": taken.upper()}, "email"),
        ({"email": "not an address"}, "email"),
        ({"password": "password"}, "password"),
    ):
        refused = admin_client_.post(add, {**form, **changes})
        assert refused.status_code == 200, changes
        assert field in refused.context["adminform"].form.errors, changes
        assert 'value="Ana"' in refused.content.decode()
    assert admin_client_.post(add, form).status_code == 302
    engineer = User.objects.get(login="ana@example.com")
    assert engineer.is_engineer and engineer.is_staff and not engineer.is_superuser
    assert list(engineer.services.all()) == [ec2]
    assert AuditEvent.objects.filter(event_name="CreateUser").exists()
    client.logout()
    signed_in = client.post(
        reverse("accounts:sign-in"),
        {"email": "ana@example.com", "password": "a-long-and-unusual-passphrase"},
    )
    assert signed_in["Location"] == reverse("console:queue")


def test_only_operators_add_accounts_and_engineers_and_not_from_a_popup(
    admin_client_, business_account
) -> None:
    """Every engineer is staff: the add pages (which can make a superuser) are for operators,
    whatever model permissions an installation grants, and not from another form's "+"."""
    engineer = factories.make_engineer()
    engineer.user_permissions.add(
        *Permission.objects.filter(codename__in=["add_user", "add_account", "view_user"])
    )
    staff = Client()
    staff.force_login(engineer)
    for name in ("admin:accounts_user_add", "admin:accounts_account_add"):
        assert staff.get(reverse(name)).status_code == 403
        assert admin_client_.get(reverse(name)).status_code == 200
        assert admin_client_.get(reverse(name) + "?_popup=1").status_code == 403
    group_page = admin_client_.get(reverse("admin:accounts_iamgroup_add")).content.decode()
    assert "add_id_members" not in group_page
