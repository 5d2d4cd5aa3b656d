"""A customer policy's page: shown from the IAM page, its document changed (a new version), and
deleted once detached, by the account's root user only; managed and other accounts' policies
answer 404 like missing ones."""

from __future__ import annotations

import json
import re

import pytest
from django.test import Client
from django.urls import reverse

from accounts import services
from accounts.models import IamGroup, Policy
from accounts.services.iam import MSG_POLICY_IN_USE
from audit.models import AuditEvent
from tests import factories

JA = {"HTTP_ACCEPT_LANGUAGE": "ja"}
DOCUMENT = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "support:Describe*", "Resource": "*"}],
}
NEW_DOCUMENT = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "support:*", "Resource": "*"}],
}


@pytest.fixture
def root_client(client, business_account):  # type: ignore[no-untyped-def]
    client.force_login(factories.root_of(business_account))
    return client


@pytest.fixture
def root(business_account):  # type: ignore[no-untyped-def]
    return factories.principal(factories.root_of(business_account))


@pytest.fixture
def mine(business_account, root) -> Policy:
    return services.policy_create(
        account=business_account,
        name="ReadCases",
        description="Read our cases",
        document=DOCUMENT,
        actor=root,
    )


def page_url(name: str) -> str:
    return reverse("accounts:iam-policy", args=[name])


def delete_url(name: str) -> str:
    return reverse("accounts:iam-policy-delete", args=[name])


def iam_events(*names: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(event_name__in=names).order_by("pk"))


def test_a_policy_page_shows_the_policy_and_where_it_is_attached(
    root_client, business_account, root, mine
) -> None:
    iam_page = root_client.get(reverse("accounts:iam")).content.decode()
    assert f'href="{page_url("ReadCases")}"' in iam_page
    alice = factories.make_iam_user(business_account, user_name="alice", policy=None)
    services.policy_attach_to_user(user=alice, policy=mine, actor=root)
    group = services.group_create(account=business_account, name="ops", actor=root)
    services.group_attach_policy(group=group, policy=mine, actor=root)

    page = root_client.get(page_url("ReadCases"))
    assert page.status_code == 200
    text = page.content.decode()
    assert "ReadCases" in text and "Read our cases" in text
    assert f"arn:aws:iam::{business_account.account_id}:policy/ReadCases" in text
    assert "support:Describe*" in text
    assert f'href="{reverse("accounts:iam-user", args=["alice"])}"' in text
    assert f'href="{reverse("accounts:iam-group", args=["ops"])}"' in text
    # The user's and the group's pages link back to it.
    for url in (
        reverse("accounts:iam-user", args=["alice"]),
        reverse("accounts:iam-group", args=["ops"]),
    ):
        assert f'href="{page_url("ReadCases")}"' in root_client.get(url).content.decode()


def test_editing_a_policys_document_makes_a_new_default_version(
    root_client, business_account, mine
) -> None:
    response = root_client.post(
        page_url("ReadCases"),
        {"document": json.dumps(NEW_DOCUMENT), "set_as_default": "on"},
    )
    assert response.status_code == 302
    assert response["Location"] == page_url("ReadCases")
    mine.refresh_from_db()
    # The description is fixed at creation, as in IAM.
    assert (mine.description, mine.document, mine.default_version) == (
        "Read our cases",
        NEW_DOCUMENT,
        2,
    )
    [record] = iam_events("CreatePolicyVersion")
    assert (record.principal_arn, record.recipient_account_id) == (
        factories.root_of(business_account).arn,
        business_account.account_id,
    )
    assert record.event_source == "iam.amazonaws.com"
    assert record.request_parameters == {
        "policyArn": mine.arn,
        "policyDocument": NEW_DOCUMENT,
        "setAsDefault": True,
    }
    assert record.response_elements == {
        "policyVersion": {"versionId": "v2", "isDefaultVersion": True}
    }
    shown = root_client.get(response["Location"]).content.decode()
    assert "Policy ReadCases saved as version v2." in shown


def test_a_malformed_document_stays_on_the_page_with_the_validators_error(
    root_client, mine
) -> None:
    typed = '{"Statement": [{"Effect": "Allow", "Action": "ec2:*", "Resource": "*"}]}'
    response = root_client.post(page_url("ReadCases"), {"document": typed})
    assert response.status_code == 200
    assert "unknown service prefix" in response.content.decode()
    assert response.context["form"]["document"].value() == typed
    not_json = root_client.post(page_url("ReadCases"), {"document": "{oops"})
    assert "not valid JSON" in not_json.content.decode()
    assert not_json.context["form"]["document"].value() == "{oops"
    mine.refresh_from_db()
    assert (mine.description, mine.document) == ("Read our cases", DOCUMENT)
    assert iam_events("CreatePolicyVersion") == []


def test_deleting_is_refused_while_attached_and_allowed_once_detached(
    root_client, business_account, root, mine
) -> None:
    factories.make_iam_user(business_account, user_name="alice", policy=None)
    root_client.post(
        reverse("accounts:iam-user-action", args=["alice", "attach-policy"]),
        {"policy": "ReadCases"},
    )
    root_client.post(reverse("accounts:iam-group-create"), {"name": "ops"})
    group_url = reverse("accounts:iam-group", args=["ops"])
    root_client.post(group_url, {"action": "attach-policy", "policy": "ReadCases"})

    refused = root_client.post(delete_url("ReadCases"), follow=True)
    assert refused.redirect_chain == [(page_url("ReadCases"), 302)]
    reason = MSG_POLICY_IN_USE.format(name="ReadCases", users=1, groups=1)
    assert reason in refused.content.decode()
    assert Policy.objects.filter(pk=mine.pk).exists()
    assert iam_events("DeletePolicy") == []

    root_client.post(
        reverse("accounts:iam-user-action", args=["alice", "detach-policy"]),
        {"policy": "ReadCases"},
    )
    root_client.post(group_url, {"action": "detach-policy", "policy": "ReadCases"})
    deleted = root_client.post(delete_url("ReadCases"))
    assert deleted.status_code == 302
    assert deleted["Location"] == reverse("accounts:iam")
    assert not Policy.objects.filter(pk=mine.pk).exists()
    [record] = iam_events("DeletePolicy")
    assert (record.recipient_account_id, record.request_parameters) == (
        business_account.account_id,
        {"policyName": "ReadCases", "policyArn": mine.arn},
    )
    assert "Policy ReadCases deleted." in root_client.get(deleted["Location"]).content.decode()
    assert root_client.get(page_url("ReadCases")).status_code == 404


def test_a_policy_whose_name_is_not_one_url_segment_has_its_page(
    root_client, business_account, root
) -> None:
    # New names follow IAM's rule (below); one stored before it was checked keeps its page.
    Policy.objects.create(account=business_account, name="team/read", document=DOCUMENT)
    iam_page = root_client.get(reverse("accounts:iam")).content.decode()
    assert 'href="/iam/policies/team/read/"' in iam_page
    assert "team/read" in root_client.get("/iam/policies/team/read/").content.decode()
    deleted = root_client.post("/iam/delete-policy/team/read/")
    assert deleted["Location"] == reverse("accounts:iam")
    assert not Policy.objects.filter(name="team/read").exists()


def _tries(client: Client, name: str) -> list[int]:
    """The statuses of showing, changing and deleting policy `name`."""
    form = {"document": json.dumps(NEW_DOCUMENT), "set_as_default": "on"}
    return [
        client.get(page_url(name)).status_code,
        client.post(page_url(name), form).status_code,
        client.post(delete_url(name)).status_code,
    ]


def test_a_managed_policy_cannot_be_edited_or_deleted(root_client) -> None:
    managed = Policy.objects.get(account=None, name="AWSSupportAccess")
    before = (managed.description, managed.document)
    assert _tries(root_client, "AWSSupportAccess") == [404, 404, 404]
    managed.refresh_from_db()
    assert (managed.description, managed.document) == before
    assert iam_events("CreatePolicyVersion", "DeletePolicy") == []


def test_another_accounts_policy_answers_like_a_missing_one(root_client, other_account) -> None:
    other_root = factories.principal(factories.root_of(other_account))
    theirs = services.policy_create(
        account=other_account, name="Theirs", document=DOCUMENT, actor=other_root
    )
    assert _tries(root_client, "Theirs") == [404, 404, 404]
    assert _tries(root_client, "Missing") == [404, 404, 404]
    # The same page, but for the name (and the CSRF token, masked anew for each response).
    pages = [root_client.get(page_url(name)).content.decode() for name in ("Theirs", "Missing")]
    theirs_page, missing_page = (re.sub(r"[A-Za-z0-9]{64}", "", page) for page in pages)
    assert theirs_page.replace("Theirs", "Missing") == missing_page
    theirs.refresh_from_db()
    assert (theirs.description, theirs.document) == ("", DOCUMENT)
    assert iam_events("CreatePolicyVersion", "DeletePolicy") == []


def test_only_the_root_user_manages_policies_with_csrf_protected_posts(
    business_account, mine
) -> None:
    iam_user = Client()
    iam_user.force_login(factories.make_iam_user(business_account))
    assert _tries(iam_user, "ReadCases") == [403, 403, 403]
    careful = Client(enforce_csrf_checks=True)
    careful.force_login(factories.root_of(business_account))
    form = {"document": json.dumps(NEW_DOCUMENT), "set_as_default": "on"}
    assert careful.post(page_url("ReadCases"), form).status_code == 403
    assert careful.post(delete_url("ReadCases")).status_code == 403
    assert careful.get(delete_url("ReadCases")).status_code == 405
    mine.refresh_from_db()
    assert (mine.description, mine.document) == ("Read our cases", DOCUMENT)
    assert iam_events("CreatePolicyVersion", "DeletePolicy") == []


def test_the_japanese_page_translates_labels_and_errors(
    root_client, business_account, root, mine
) -> None:
    page = root_client.get(page_url("ReadCases"), **JA).content.decode()
    for label in (
        "ポリシーの詳細",
        "ポリシードキュメント",
        "アタッチされたエンティティ",
        "変更を保存",
    ):
        assert label in page
    missing = root_client.post(page_url("ReadCases"), {"document": ""}, **JA)
    assert missing.context["form"].errors["document"] == ["このフィールドは必須です。"]
    alice = factories.make_iam_user(business_account, user_name="alice", policy=None)
    services.policy_attach_to_user(user=alice, policy=mine, actor=root)
    refused = root_client.post(delete_url("ReadCases"), follow=True, **JA).content.decode()
    assert (
        "ポリシー ReadCases は 1 人のユーザーと 0 個のグループにアタッチされています。"
        "先にデタッチしてください。"
    ) in refused
    services.policy_detach_from_user(user=alice, policy=mine, actor=root)
    broken = root_client.post(page_url("ReadCases"), {"document": '{"Version": }'}, **JA)
    assert broken.context["form"].errors["document"] == [
        "ポリシーが有効な JSON ではありません: 値がありません (1 行目)。"
    ]
    deleted = root_client.post(delete_url("ReadCases"), follow=True, **JA).content.decode()
    assert "ポリシー ReadCases を削除しました。" in deleted


@pytest.mark.parametrize("attachments", [1, 8])
def test_the_policy_page_costs_the_same_queries_whatever_its_attachments(
    root_client, business_account, root, mine, attachments, django_assert_num_queries
) -> None:
    for index in range(attachments):
        user = factories.make_iam_user(business_account, user_name=f"user-{index}", policy=None)
        services.policy_attach_to_user(user=user, policy=mine, actor=root)
        group = IamGroup.objects.create(account=business_account, name=f"group-{index}")
        services.group_attach_policy(group=group, policy=mine, actor=root)
    # 1 session; 2 user; 3 the policy with its account; 4 its users; 5 its groups; 6 its
    # versions.
    with django_assert_num_queries(6):
        page = root_client.get(page_url("ReadCases"))
    text = page.content.decode()
    assert text.count('href="/iam/users/') == attachments
    assert text.count('href="/iam/groups/') == attachments


@pytest.mark.parametrize("name", ["team/read", "..", "with space", "política"])
def test_policy_names_follow_iams_rule(root_client, name) -> None:
    response = root_client.post(
        reverse("accounts:iam-policy-create"),
        {"name": name, "description": "", "document": json.dumps(DOCUMENT)},
        HTTP_ACCEPT_LANGUAGE="ja",
    )
    assert response.status_code == 200
    assert response.context["form"].errors["name"] == [
        "英数字と + = , . @ _ - を 1～128 文字で入力してください (IAM と同じ規則です)。"
    ]
    assert not Policy.objects.filter(name=name).exists()
