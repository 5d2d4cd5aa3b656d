"""IAM and My Account pages show the services' refusals in the reader's language (the API
keeps IAM's English)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts import services
from accounts.principals import SYSTEM
from core.errors import EntityAlreadyExists, MalformedPolicyDocument
from tests import factories

JA = {"HTTP_ACCEPT_LANGUAGE": "ja"}


@pytest.fixture
def root_client(client, business_account):  # type: ignore[no-untyped-def]
    client.force_login(factories.root_of(business_account))
    return client


def test_a_taken_user_name_is_refused_in_japanese(root_client, business_account) -> None:
    factories.make_iam_user(business_account, user_name="alice")
    response = root_client.post(
        reverse("accounts:iam-user-create"),
        {"user_name": "alice", "email": "", "password": "", "policy": ""},
        **JA,
    )
    assert response.context["form"].errors["user_name"] == ["ユーザー alice はすでに存在します。"]


def test_the_access_key_quota_is_refused_in_japanese(root_client, business_account) -> None:
    user = factories.make_iam_user(business_account, user_name="alice")
    url = reverse("accounts:iam-user-action", args=["alice", "create-key"])
    for _ in range(services.MAX_ACCESS_KEYS_PER_USER):
        root_client.post(url)
    response = root_client.post(url, follow=True, **JA)
    assert "1 ユーザーあたりのアクセスキーは 2 個までです。" in response.content.decode()
    assert user.access_keys.count() == services.MAX_ACCESS_KEYS_PER_USER


def test_another_users_access_key_is_not_found_in_japanese(root_client, business_account) -> None:
    factories.make_iam_user(business_account, user_name="alice")
    bob = factories.make_iam_user(business_account, user_name="bob")
    key, _secret = services.access_key_create(
        user=bob, actor=factories.principal(factories.root_of(business_account))
    )
    response = root_client.post(
        reverse("accounts:iam-user-action", args=["alice", "delete-key"]),
        {"access_key_id": key.access_key_id},
        follow=True,
        **JA,
    )
    assert f"アクセスキー {key.access_key_id} が見つかりません。" in response.content.decode()
    assert bob.access_keys.count() == 1


def test_a_bad_phone_number_is_refused_in_japanese(root_client, business_account) -> None:
    response = root_client.post(
        reverse("accounts:my-account"),
        {
            "action": "contact",
            "name": business_account.name,
            "contact_email": "",
            "contact_phone": "call me",
            "country": business_account.country,
            "time_zone": business_account.time_zone,
            "language": "en",
        },
        **JA,
    )
    assert response.context["contact_form"].errors["contact_phone"] == [
        "電話番号を入力してください: 数字、スペース、+ ( ) - のみ、25 文字以内。"
    ]


def test_the_api_keeps_the_english_message(business_account) -> None:
    root = factories.principal(factories.root_of(business_account))
    factories.make_iam_user(business_account, user_name="alice")
    with pytest.raises(EntityAlreadyExists) as raised:
        services.iam_user_create(account=business_account, user_name="alice", actor=root)
    assert raised.value.message == "User with name alice already exists."


def test_a_malformed_policy_is_explained_in_japanese(root_client) -> None:
    document = (
        '{"Statement": [{"Effect": "Maybe", "Action": "ec2:*", "Resource": "*"},'
        ' {"Effect": "Allow", "Action": "support:*", "Resource": "*", "Condition": {}}]}'
    )
    response = root_client.post(
        reverse("accounts:iam-policy-create"),
        {"name": "mine", "description": "", "document": document},
        **JA,
    )
    [error] = response.context["form"].errors["document"]
    assert error == (
        "Statement 1: Effect は 'Allow' または 'Deny' である必要があります。 "
        "Statement 1 の Action: 不明なサービスプレフィックス 'ec2' です。 "
        "Statement 2: Condition はサポートされていません。"
    )
    assert response.context["form"]["document"].value() == document
    # The same refusal through the service keeps IAM's English for the API.
    with pytest.raises(MalformedPolicyDocument) as raised:
        services.policy_create(account=None, name="x", document=document, actor=SYSTEM)
    assert raised.value.message == (
        "Statement 1: Effect must be 'Allow' or 'Deny'. "
        "Statement 1 Action: unknown service prefix 'ec2'. "
        "Statement 2: Condition is not supported."
    )


def test_a_password_like_the_email_names_the_field_in_japanese(root_client) -> None:
    response = root_client.post(
        reverse("accounts:iam-user-create"),
        {
            "user_name": "carol",
            "email": "carol.wong@example.com",
            "password": "carol.wong@example.com1",
            "policy": "",
        },
        **JA,
    )
    errors = " ".join(response.context["form"].errors["password"])
    assert "メールアドレス" in errors and "email" not in errors
