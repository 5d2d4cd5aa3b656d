"""Sign-in and IAM management pages."""

from __future__ import annotations

import html
import re

import pytest
from django.urls import reverse

from accounts import services as account_services
from accounts import views_iam
from accounts.models import AccessKey, IamGroup, Policy, User
from accounts.services import access_key_secret
from audit.models import AuditEvent
from tests import factories


def test_root_sign_in_rotates_the_session_and_records_it(client, business_account) -> None:
    root = factories.root_of(business_account)
    client.get(reverse("accounts:sign-in"))
    before = client.session.session_key
    response = client.post(
        reverse("accounts:sign-in"), {"email": root.email, "password": factories.PASSWORD}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("cases:list")
    assert client.session.session_key != before
    record = AuditEvent.objects.get(event_name="ConsoleLogin")
    assert record.response_elements == {"ConsoleLogin": "Success"}
    assert record.event_type == "AwsConsoleSignIn"
    assert record.user_identity["type"] == "Root"


def test_wrong_password_keeps_the_form_and_is_throttled(client, business_account, settings) -> None:
    root = factories.root_of(business_account)
    url = reverse("accounts:sign-in")
    response = client.post(url, {"email": root.email, "password": "nope"})
    assert response.status_code == 200
    assert b"The sign-in details are not correct." in response.content
    assert root.email.encode() in response.content
    assert AuditEvent.objects.filter(event_name="ConsoleLogin", error_message__gt="").count() == 1
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(url, {"email": root.email, "password": "nope"})
    locked = client.post(url, {"email": root.email, "password": factories.PASSWORD})
    assert locked.status_code == 429
    assert b"Too many failed sign-ins" in locked.content


def test_iam_users_sign_in_on_their_account_page(client, business_account, other_account) -> None:
    factories.make_iam_user(business_account, user_name="alice")
    chooser = client.get(reverse("accounts:sign-in"), {"account_id": business_account.account_id})
    assert chooser["Location"] == reverse(
        "accounts:iam-sign-in", args=[business_account.account_id]
    )
    wrong_account = client.post(
        reverse("accounts:iam-sign-in", args=[other_account.account_id]),
        {"user_name": "alice", "password": factories.PASSWORD},
    )
    assert wrong_account.status_code == 200
    response = client.post(
        reverse("accounts:iam-sign-in", args=[business_account.account_id]),
        {"user_name": "alice", "password": factories.PASSWORD, "next": "/support/cases/create/"},
    )
    assert response["Location"] == "/support/cases/create/"
    evil = client.post(
        reverse("accounts:iam-sign-in", args=[business_account.account_id]),
        {"user_name": "alice", "password": factories.PASSWORD, "next": "https://evil.example/"},
    )
    assert evil["Location"] == reverse("cases:list")
    client.post(reverse("accounts:sign-out"))
    assert client.get(reverse("cases:list")).status_code == 302


def test_engineers_land_on_the_console(client, reference_data) -> None:
    engineer = factories.make_engineer(email="eng@example.com")
    response = client.post(
        reverse("accounts:sign-in"), {"email": engineer.email, "password": factories.PASSWORD}
    )
    assert response["Location"] == reverse("console:queue")
    assert client.get(reverse("cases:list")).status_code == 403


@pytest.fixture
def root_client(client, business_account):
    client.force_login(factories.root_of(business_account))
    return client


def test_root_manages_iam_users_and_keys(root_client, business_account) -> None:
    assert root_client.get(reverse("accounts:iam")).status_code == 200
    response = root_client.post(
        reverse("accounts:iam-user-create"),
        {
            "user_name": "bob",
            "email": "bob@example.com",
            "password": "a-long-passphrase-1",
            "policy": "AWSSupportAccess",
        },
    )
    assert response["Location"] == reverse("accounts:iam-user", args=["bob"])
    bob = User.objects.get(account=business_account, user_name="bob")
    assert bob.check_password("a-long-passphrase-1")
    assert list(bob.policies.values_list("name", flat=True)) == ["AWSSupportAccess"]
    created = root_client.post(
        reverse("accounts:iam-user-action", args=["bob", "create-key"]), follow=True
    )
    key = AccessKey.objects.get(user=bob)
    assert key.access_key_id.encode() in created.content
    secret = access_key_secret(key)
    assert secret.encode() in created.content
    # The secret is never shown again.
    assert (
        secret.encode() not in root_client.get(reverse("accounts:iam-user", args=["bob"])).content
    )
    root_client.post(
        reverse("accounts:iam-user-action", args=["bob", "deactivate-key"]),
        {"access_key_id": key.access_key_id},
    )
    key.refresh_from_db()
    assert key.status == "Inactive"
    root_client.post(
        reverse("accounts:iam-user-action", args=["bob", "detach-policy"]),
        {"policy": "AWSSupportAccess"},
    )
    assert not bob.policies.exists()
    root_client.post(
        reverse("accounts:iam-user-action", args=["bob", "delete-key"]),
        {"access_key_id": key.access_key_id},
    )
    assert not AccessKey.objects.filter(user=bob).exists()
    weak = root_client.post(
        reverse("accounts:iam-user-action", args=["bob", "password"]),
        {"password": "123"},
        follow=True,
    )
    assert b"too short" in weak.content
    root_client.post(reverse("accounts:iam-user-action", args=["bob", "delete"]))
    assert not User.objects.filter(user_name="bob").exists()


def test_iam_forms_keep_input_on_errors(root_client, business_account) -> None:
    factories.make_iam_user(business_account, user_name="taken")
    response = root_client.post(
        reverse("accounts:iam-user-create"),
        {"user_name": "taken", "email": "t@example.com", "policy": ""},
    )
    assert response.status_code == 200
    assert b"already exists" in response.content and b"t@example.com" in response.content
    bad_policy = root_client.post(
        reverse("accounts:iam-policy-create"),
        {
            "name": "mine",
            "description": "",
            "document": '{"Statement": [{"Effect": "Allow", "Action": "ec2:*", "Resource": "*"}]}',
        },
    )
    assert b"unknown service prefix" in bad_policy.content and b"ec2:*" in bad_policy.content
    assert not Policy.objects.filter(name="mine").exists()
    good = root_client.post(
        reverse("accounts:iam-policy-create"),
        {
            "name": "mine",
            "description": "",
            "document": '{"Statement": [{"Effect": "Allow", "Action": "support:Describe*", '
            '"Resource": "*"}]}',
        },
    )
    assert good.status_code == 302
    root_client.post(reverse("accounts:iam-group-create"), {"name": "team"})
    group = IamGroup.objects.get(name="team")
    root_client.post(
        reverse("accounts:iam-group", args=["team"]), {"action": "add-user", "user_name": "taken"}
    )
    root_client.post(
        reverse("accounts:iam-group", args=["team"]), {"action": "attach-policy", "policy": "mine"}
    )
    assert list(group.members.values_list("user_name", flat=True)) == ["taken"]
    assert list(group.policies.values_list("name", flat=True)) == ["mine"]


@pytest.mark.parametrize(
    ("document", "message"),
    [
        # Used to answer 500: RecursionError in the parser, and a row SQLite's JSON check refused.
        ('{"Id": ' + "[" * 990 + "]" * 990 + ', "Statement": []}', "nests deeper than 32 levels"),
        ('{"Id": ' + "[" * 5000 + "]" * 5000 + ', "Statement": []}', "longer than 6144"),
        ('{"Id": NaN, "Statement": []}', "not valid JSON: NaN is not a JSON number"),
        ('{"Id": "\\ud800", "Statement": []}', "not valid JSON"),
    ],
)
def test_policy_documents_that_are_not_json_we_store_are_form_errors(
    root_client, business_account, document, message
) -> None:
    response = root_client.post(
        reverse("accounts:iam-policy-create"),
        {"name": "odd", "description": "", "document": document},
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    assert response.context["form"]["document"].value() == document
    assert not Policy.objects.filter(name="odd").exists()


def test_only_root_users_manage_iam(client, business_account, other_account) -> None:
    client.force_login(factories.make_iam_user(business_account))
    assert client.get(reverse("accounts:iam")).status_code == 403
    factories.make_iam_user(other_account, user_name="theirs")
    client.force_login(factories.root_of(business_account))
    assert client.get(reverse("accounts:iam-user", args=["theirs"])).status_code == 404
    response = client.post(reverse("accounts:iam-user-action", args=["theirs", "delete"]))
    assert response.status_code == 404
    assert User.objects.filter(user_name="theirs").exists()


@pytest.mark.parametrize("users", [1, 12])
def test_the_iam_page_costs_the_same_queries_whatever_the_users(
    root_client, business_account, users, django_assert_num_queries
) -> None:
    group = IamGroup.objects.create(account=business_account, name="ops")
    for _ in range(users):
        user = factories.make_iam_user(business_account)
        user.iam_groups.add(group)
        AccessKey.objects.create(user=user, access_key_id=f"ASCK{user.pk:016d}")
    # 1 session; 2 user; 3 the managed policies' names; 4 users with key counts; 5 their
    # policies; 6 their groups; 7 groups with member counts; 8 their policies; 9 the account's
    # own policies.
    with django_assert_num_queries(9):
        page = root_client.get(reverse("accounts:iam"))
    assert page.content.decode().count('href="/iam/users/') == users


def test_a_new_access_key_is_shown_once_and_reloading_creates_no_other(
    root_client, business_account
) -> None:
    alice = factories.make_iam_user(business_account, user_name="alice")
    posted = root_client.post(reverse("accounts:iam-user-action", args=["alice", "create-key"]))
    # Post/Redirect/Get: reloading the page the browser shows does not post again.
    assert posted.status_code == 302
    assert posted["Location"] == reverse("accounts:iam-user", args=["alice"])
    shown = root_client.get(posted["Location"])
    key = AccessKey.objects.get(user=alice)
    assert access_key_secret(key) in shown.content.decode()
    assert shown["Cache-Control"] == "no-store"
    again = root_client.get(posted["Location"])
    assert access_key_secret(key) not in again.content.decode()
    assert "no-store" not in again.get("Cache-Control", "")
    assert AccessKey.objects.filter(user=alice).count() == 1


def test_a_group_loses_members_and_policies_and_is_deleted(root_client, business_account) -> None:
    alice = factories.make_iam_user(business_account, user_name="alice")
    url = reverse("accounts:iam-group", args=["ops"])
    root_client.post(reverse("accounts:iam-group-create"), {"name": "ops"})
    root_client.post(url, {"action": "add-user", "user_name": "alice"})
    root_client.post(url, {"action": "attach-policy", "policy": "AWSSupportAccess"})
    group = IamGroup.objects.get(account=business_account, name="ops")
    page = root_client.get(url).content.decode()
    assert "Remove from group" in page and "Detach" in page
    # Not empty yet: refused, with the reason.
    refused = root_client.post(url, {"action": "delete"}, follow=True)
    assert "has 1 member(s) and 1 attached policy(ies)" in refused.content.decode()
    root_client.post(url, {"action": "remove-user", "user_name": "alice"})
    root_client.post(url, {"action": "detach-policy", "policy": "AWSSupportAccess"})
    assert not group.members.exists() and not group.policies.exists()
    assert alice.iam_groups.count() == 0
    deleted = root_client.post(url, {"action": "delete"})
    assert deleted["Location"] == reverse("accounts:iam")
    assert not IamGroup.objects.filter(pk=group.pk).exists()
    names = set(AuditEvent.objects.values_list("event_name", flat=True))
    assert {"RemoveUserFromGroup", "DetachGroupPolicy", "DeleteGroup"} <= names


def test_another_accounts_group_is_not_found(root_client, other_account) -> None:
    other_root = factories.principal(factories.root_of(other_account))
    from accounts.services import group_create

    group_create(account=other_account, name="ops", actor=other_root)
    response = root_client.post(reverse("accounts:iam-group", args=["ops"]), {"action": "delete"})
    assert response.status_code == 404
    assert IamGroup.objects.filter(account=other_account, name="ops").exists()


def test_iam_users_are_listed_a_page_at_a_time(root_client, business_account, monkeypatch) -> None:
    monkeypatch.setattr(views_iam, "USERS_PAGE_SIZE", 4)
    names = [f"user-{index:02d}" for index in range(10)]
    for name in reversed(names):
        factories.make_iam_user(business_account, user_name=name)
    seen: list[list[str]] = []
    url = reverse("accounts:iam")
    for _ in range(4):
        page = root_client.get(url).content.decode()
        seen.append(re.findall(r'href="/iam/users/([^/"]+)/"', page))
        found = re.search(r'href="(\?[^"]*)" rel="next"', page)
        if not found:
            break
        url = reverse("accounts:iam") + html.unescape(found.group(1))
    assert seen == [names[0:4], names[4:8], names[8:10]]


def test_iam_users_stop_at_the_accounts_quota(root_client, business_account, monkeypatch) -> None:
    monkeypatch.setattr(account_services, "MAX_IAM_USERS_PER_ACCOUNT", 2)
    factories.make_iam_user(business_account, user_name="first")
    factories.make_iam_user(business_account, user_name="second")
    form = {"user_name": "third", "email": "", "password": "", "policy": "AWSSupportAccess"}
    page = root_client.post(reverse("accounts:iam-user-create"), form)
    assert page.status_code == 200
    assert "Cannot exceed quota for UsersPerAccount: 2." in page.content.decode()
    assert 'value="third"' in page.content.decode()
    japanese = root_client.post(
        reverse("accounts:iam-user-create"), form, HTTP_ACCEPT_LANGUAGE="ja"
    )
    assert "1 アカウントあたりの IAM ユーザーは 2 人までです。" in japanese.content.decode()
    assert not User.objects.filter(user_name="third").exists()


@pytest.mark.parametrize("page", ["accounts:iam", "accounts:my-account"])
def test_iam_users_are_told_root_only_pages_are_the_root_users(
    client, business_account, page
) -> None:
    # No policy opens these pages (policies name support, trustedadvisor, cloudtrail and
    # events actions), so asking the administrator to "attach a policy that allows" iam:*
    # sends the user on an errand that cannot succeed.
    client.force_login(factories.make_iam_user(business_account))
    response = client.get(reverse(page))
    assert response.status_code == 403
    body = response.content.decode()
    assert "Only the account's root user can open this page." in body
    assert "attach a policy" not in body
    assert "iam:*" not in body
    japanese = client.get(reverse(page), HTTP_ACCEPT_LANGUAGE="ja").content.decode()
    assert "このページを開けるのはアカウントのルートユーザーだけです。" in japanese
