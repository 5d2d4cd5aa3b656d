"""Every service and category the product ships is named in Japanese, so a Japanese page never
mixes in an English catalogue name (product names are written as AWS's Japanese console writes
them, which for most is in English)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from catalog import reference
from catalog.models import Category, Service
from tests import factories


def test_every_shipped_service_and_category_has_a_japanese_name() -> None:
    missing = [
        f"{service['code']}/{category['code']}"
        for service in reference.services()
        for category in [{"code": "", "name_ja": service.get("name_ja")}, *service["categories"]]
        if not category.get("name_ja", "").strip()
    ]
    assert missing == []


@pytest.mark.django_db
def test_the_create_form_shows_the_catalogue_in_japanese(client, reference_data) -> None:
    assert not Service.objects.filter(name_ja="").exists()
    assert not Category.objects.filter(name_ja="").exists()
    client.force_login(factories.root_of(factories.make_account("business")))
    page = client.get(
        reverse("cases:create-options"),
        {"case_type": "technical", "service": "amazon-elastic-compute-cloud-linux"},
        HTTP_ACCEPT_LANGUAGE="ja",
    ).content.decode()
    assert "インスタンスの問題" in page and "Instance Issue" not in page


@pytest.mark.django_db
def test_plans_are_named_in_the_readers_language(client, reference_data) -> None:
    """The plan comparison, My Account, the create form's notes and the console name a plan as
    AWS's Japanese console does (ビジネス), and English pages as before."""
    assert all(plan.get("name_ja") for plan in reference.PLANS)
    account = factories.make_account("business")
    factories.make_case(account)
    client.force_login(factories.root_of(account))
    ja = {"HTTP_ACCEPT_LANGUAGE": "ja"}
    plans = client.get(reverse("cases:plan"), **ja).content.decode()
    for name in ("ベーシック", "デベロッパー", "ビジネス", "エンタープライズ"):
        assert name in plans
    assert (
        ">Business<" not in plans
        and "Business" in client.get(reverse("cases:plan")).content.decode()
    )
    assert "ビジネス" in client.get(reverse("accounts:my-account"), **ja).content.decode()
    client.force_login(factories.make_engineer())
    queue = client.get(reverse("console:queue"), **ja).content.decode()
    assert "<td>ビジネス</td>" in queue
    assert '<option value="business">ビジネス</option>' in queue
