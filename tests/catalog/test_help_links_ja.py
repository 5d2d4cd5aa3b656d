"""A category's help links are titled in the reader's language: the shipped links carry a
Japanese title ("title_ja", translated as AWS's Japanese documentation titles read), which the
create form shows on Japanese pages; a link without one keeps its English title there. The
titles of installations loaded before are filled by catalog 0012 (tests/test_migrations.py)."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse
from django.utils import translation

from accounts.principals import SYSTEM
from catalog import reference, services
from catalog.models import Category, Service
from core.errors import InvalidParameterValueException
from tests import factories
from tests.admin_pages import make_operator, post_change, records

HTMX = {"HTTP_HX_REQUEST": "true"}
JA = {"HTTP_ACCEPT_LANGUAGE": "ja"}
EC2_INSTANCE = {
    "case_type": "technical",
    "service": "amazon-elastic-compute-cloud-linux",
    "category": "instance-issue",
}
ENGLISH = "Troubleshooting EC2 instances that fail their status checks"
JAPANESE = "ステータスチェックに失敗した EC2 インスタンスのトラブルシューティング"
GUIDE = "https://docs.aws.amazon.com/ec2/"


def test_every_shipped_help_link_has_a_japanese_title() -> None:
    untitled = []
    for service in reference.services():
        for category in service["categories"]:
            links = category.get("help_links", [])
            services.check_help_links(links)
            untitled += [link["title"] for link in links if not link.get("title_ja", "").strip()]
    assert untitled == []


@pytest.fixture
def customer(client, reference_data):
    client.force_login(factories.root_of(factories.make_account("business")))
    return client


def test_the_create_form_titles_help_links_in_japanese_for_japanese_readers(customer) -> None:
    url = reverse("cases:create-options")
    # The whole form (without JavaScript) and the part htmx swaps when a category is chosen.
    for page in (
        customer.get(url, EC2_INSTANCE, **JA),
        customer.get(url, {**EC2_INSTANCE, "part": "help"}, **JA, **HTMX),
    ):
        assert page["Content-Language"] == "ja"
        html = page.content.decode()
        assert f">{JAPANESE}</a>" in html
        assert ENGLISH not in html
        assert 'href="https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/Troubleshooting' in html


def test_english_pages_keep_the_english_titles(customer) -> None:
    html = customer.get(reverse("cases:create-options"), EC2_INSTANCE).content.decode()
    assert f">{ENGLISH}</a>" in html
    assert JAPANESE not in html


def test_a_link_without_a_japanese_title_shows_its_english_title(customer) -> None:
    category = Category.objects.get(service__code=EC2_INSTANCE["service"], code="instance-issue")
    links = [
        {"title": "Our runbook", "url": "https://wiki.example.com/ec2"},
        {"title": "Guide", "title_ja": "", "url": GUIDE},
        {"title": "Status checks", "title_ja": "ステータスチェック", "url": GUIDE},
    ]
    services.category_save(category=category, values={"help_links": links}, actor=SYSTEM)
    html = customer.get(reverse("cases:create-options"), EC2_INSTANCE, **JA).content.decode()
    assert ">Our runbook</a>" in html and ">Guide</a>" in html
    assert ">ステータスチェック</a>" in html and "Status checks" not in html


@pytest.mark.parametrize("title_ja", ["タ" * 201, ["ガイド"], None, "   "])
def test_a_japanese_title_is_short_text(reference_data, title_ja) -> None:
    category = Category.objects.get(service__code=EC2_INSTANCE["service"], code="instance-issue")
    before = category.help_links
    links = [{"title": "Guide", "title_ja": title_ja, "url": GUIDE}]
    with pytest.raises(InvalidParameterValueException) as caught:
        services.category_save(category=category, values={"help_links": links}, actor=SYSTEM)
    assert caught.value.message == (
        'A help link\'s "title_ja" is its title in Japanese: text of at most 200 characters, '
        "or left out."
    )
    with translation.override("ja"):
        assert caught.value.display_message == (
            'ヘルプリンクの "title_ja" には日本語のタイトルを 200 文字以内で指定するか、'
            "省略してください。"
        )
    assert Category.objects.get(pk=category.pk).help_links == before


def test_a_link_has_no_other_keys(reference_data) -> None:
    service = Service.objects.get(code=EC2_INSTANCE["service"])
    links = [{"title": "Guide", "title_jp": "ガイド", "url": GUIDE}]
    with pytest.raises(InvalidParameterValueException, match="title_ja"):
        services.category_save(
            category=None,
            values={"service": service, "code": "new", "name": "New", "help_links": links},
            actor=SYSTEM,
        )


def test_the_longest_japanese_title_is_kept(reference_data) -> None:
    category = Category.objects.get(service__code=EC2_INSTANCE["service"], code="instance-issue")
    links = [{"title": "Guide", "title_ja": "タ" * 200, "url": GUIDE}]
    services.category_save(category=category, values={"help_links": links}, actor=SYSTEM)
    assert Category.objects.get(pk=category.pk).help_links == links


@pytest.fixture
def admin_client_(client, reference_data):
    client.force_login(make_operator())
    return client


def test_the_admin_edits_japanese_titles_through_the_service(admin_client_) -> None:
    category = Category.objects.get(service__code=EC2_INSTANCE["service"], code="instance-issue")
    page = admin_client_.get(reverse("admin:catalog_category_change", args=[category.pk]))
    # The shipped links show with their Japanese titles, and the field says how to add one.
    assert JAPANESE in page.content.decode()
    assert "title_ja" in page.content.decode()
    links = [{"title": "Guide", "title_ja": "ガイド", "url": GUIDE}]
    response = post_change(admin_client_, category, help_links=json.dumps(links))
    assert response.status_code == 302
    category.refresh_from_db()
    assert category.help_links == links
    [record] = records("PutCategory")
    assert record.request_parameters["changes"] == {"help_links": links}


def test_a_japanese_title_too_long_is_an_error_beside_the_field(admin_client_) -> None:
    category = Category.objects.get(service__code=EC2_INSTANCE["service"], code="instance-issue")
    before = category.help_links
    typed = json.dumps(
        [{"title": "Guide", "title_ja": "タ" * 201, "url": GUIDE}], ensure_ascii=False
    )
    response = post_change(admin_client_, category, help_links=typed)
    assert response.status_code == 200
    form = response.context["adminform"].form
    assert form.errors["help_links"] == [
        'A help link\'s "title_ja" is its title in Japanese: text of at most 200 characters, '
        "or left out."
    ]
    assert "タ" * 201 in response.content.decode()
    category.refresh_from_db()
    assert category.help_links == before
    assert records("PutCategory") == []
