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
