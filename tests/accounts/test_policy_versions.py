"""A policy's versions on its page, as IAM keeps them: a change is a new version, an earlier one
can be made the default again (what users may do follows it), one that is not the default can be
deleted, and a policy holds at most five."""

from __future__ import annotations

import json

import pytest
from django.test import Client
from django.urls import reverse
from django.utils.html import escape

from accounts import services
from accounts.models import Policy
from accounts.services.policy_versions import MSG_DELETE_DEFAULT, MSG_VERSION_LIMIT
from audit.models import AuditEvent
from tests import factories

READ = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "support:Describe*", "Resource": "*"}],
}
EVERYTHING = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "support:*", "Resource": "*"}],
}


@pytest.fixture
def root_client(client, business_account):  # type: ignore[no-untyped-def]
    client.force_login(factories.root_of(business_account))
    return client


@pytest.fixture
def mine(business_account) -> Policy:
    root = factories.principal(factories.root_of(business_account))
    return services.policy_create(account=business_account, name="Team", document=READ, actor=root)


def page_url(name: str = "Team") -> str:
    return reverse("accounts:iam-policy", args=[name])


def default_url(version: str, name: str = "Team") -> str:
    return reverse("accounts:iam-policy-version-default", args=[version, name])


def delete_url(version: str, name: str = "Team") -> str:
    return reverse("accounts:iam-policy-version-delete", args=[version, name])


def save(client: Client, document: dict, *, default: bool = True, **extra: str):  # type: ignore[no-untyped-def]
    form = {"document": json.dumps(document)}
    if default:
        form["set_as_default"] = "on"
    return client.post(page_url(), form, **extra)


def events(name: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(event_name=name).order_by("pk"))


def test_an_earlier_version_made_the_default_again_decides_what_users_may_do(
    root_client, business_account, mine
) -> None:
    alice = factories.make_iam_user(business_account, user_name="alice", policy=None)
    services.policy_attach_to_user(
        user=alice, policy=mine, actor=factories.principal(factories.root_of(business_account))
    )
    as_alice = Client()
    as_alice.force_login(alice)
    # v1 lets Alice read cases, not open one.
    assert as_alice.get(reverse("cases:create")).status_code == 403

    assert save(root_client, EVERYTHING).status_code == 302
    assert as_alice.get(reverse("cases:create")).status_code == 200
    page = root_client.get(page_url()).content.decode()
    assert "v2 (default)" in page
    assert f'action="{default_url("v1")}"' in page and f'action="{default_url("v2")}"' not in page

    rolled_back = root_client.post(default_url("v1"), follow=True)
    assert "Version v1 is now the default." in rolled_back.content.decode()
    mine.refresh_from_db()
    assert (mine.default_version, mine.document) == (1, READ)
    assert as_alice.get(reverse("cases:create")).status_code == 403
    [record] = events("SetDefaultPolicyVersion")
    assert (record.recipient_account_id, record.request_parameters) == (
        business_account.account_id,
        {"policyArn": mine.arn, "versionId": "v1"},
    )


def test_a_version_not_set_as_default_changes_nothing_until_it_is(root_client, mine) -> None:
    assert save(root_client, EVERYTHING, default=False).status_code == 302
    mine.refresh_from_db()
    assert (mine.default_version, mine.document, mine.versions.count()) == (1, READ, 2)
    [record] = events("CreatePolicyVersion")
    assert record.response_elements == {
        "policyVersion": {"versionId": "v2", "isDefaultVersion": False}
    }
    # Saving the default's document again makes no version.
    unchanged = save(root_client, READ, follow=True)
    assert "The document is unchanged; no version was made." in unchanged.content.decode()
    assert mine.versions.count() == 2


def test_only_a_version_that_is_not_the_default_is_deleted_and_ids_are_not_given_twice(
    root_client, mine
) -> None:
    save(root_client, EVERYTHING)
    refused = root_client.post(delete_url("v2"), follow=True)
    assert escape(MSG_DELETE_DEFAULT) in refused.content.decode()
    assert mine.versions.count() == 2
    assert events("DeletePolicyVersion") == []

    deleted = root_client.post(delete_url("v1"), follow=True)
    assert "Version v1 deleted." in deleted.content.decode()
    assert list(mine.versions.values_list("number", flat=True)) == [2]
    [record] = events("DeletePolicyVersion")
    assert record.request_parameters == {"policyArn": mine.arn, "versionId": "v1"}
    # The next version is v3: a deleted version's id is not given again.
    save(root_client, READ)
    mine.refresh_from_db()
    assert (mine.default_version, sorted(mine.versions.values_list("number", flat=True))) == (
        3,
        [2, 3],
    )


def test_a_sixth_version_is_refused_beside_the_document_with_the_text_kept(
    root_client, mine
) -> None:
    for index in range(4):
        document = {**READ, "Statement": [{**READ["Statement"][0], "Sid": f"S{index}"}]}
        assert save(root_client, document).status_code == 302
    typed = json.dumps(EVERYTHING)
    refused = save(root_client, EVERYTHING)
    assert refused.status_code == 200
    assert refused.context["form"].errors["document"] == [MSG_VERSION_LIMIT.format(limit=5)]
    assert refused.context["form"]["document"].value() == typed
    assert mine.versions.count() == 5
    # In Japanese too.
    japanese = save(root_client, EVERYTHING, HTTP_ACCEPT_LANGUAGE="ja")
    assert japanese.context["form"].errors["document"] == [
        "管理ポリシーのバージョンは最大 5 個です。新しいバージョンを作成する前に、"
        "既存のバージョンを削除してください。"
    ]


@pytest.mark.parametrize("version", ["v9", "v0", "v01", "vx", "1", "V1", "v99999999999999999999"])
def test_a_version_the_policy_does_not_have_is_named_not_a_500(root_client, mine, version) -> None:
    for url in (default_url(version), delete_url(version)):
        response = root_client.post(url, follow=True)
        assert response.status_code == 200
        assert escape(f"Policy Team has no version {version[:20]}.") in response.content.decode()
    mine.refresh_from_db()
    assert (mine.default_version, mine.versions.count()) == (1, 1)


def test_another_accounts_policy_versions_answer_like_a_missing_policy(
    root_client, business_account, other_account
) -> None:
    other_root = factories.principal(factories.root_of(other_account))
    theirs = services.policy_create(
        account=other_account, name="Theirs", document=READ, actor=other_root
    )
    services.policy_version_create(policy=theirs, document=EVERYTHING, actor=other_root)
    for name in ("Theirs", "AWSSupportAccess", "Missing"):
        assert root_client.post(default_url("v1", name)).status_code == 404
        assert root_client.post(delete_url("v1", name)).status_code == 404
    theirs.refresh_from_db()
    assert (theirs.default_version, theirs.versions.count()) == (2, 2)
    # An IAM user of the account itself cannot either, and a GET changes nothing.
    as_iam = Client()
    as_iam.force_login(factories.make_iam_user(business_account))
    assert as_iam.post(default_url("v1", "AWSSupportAccess")).status_code == 403
    assert root_client.get(default_url("v1", "Theirs")).status_code == 405


def test_the_versions_are_in_japanese(root_client, mine) -> None:
    save(root_client, EVERYTHING)
    page = root_client.get(page_url(), HTTP_ACCEPT_LANGUAGE="ja").content.decode()
    for text in ("ポリシーのバージョン", "v2 (デフォルト)", "v1 をデフォルトに設定", "v1 を削除"):
        assert text in page
