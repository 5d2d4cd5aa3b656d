"""Event history filters that cannot apply say so beside their field instead of quietly
showing everything or nothing; and, applied through htmx, the downloads follow them."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from django.urls import reverse

from tests import factories
from tests.test_browser import CHROMIUM, browser, htmx_settled, page, sign_in_root  # noqa: F401


@pytest.fixture
def root_client(client, business_account):
    client.force_login(factories.root_of(business_account))
    return client


def _errors(html: str, field: str) -> list[str]:
    region = re.search(rf'id="id_{field}-errors"[^>]*>(.*?)</div>', html, re.S)
    assert region is not None
    return re.findall(r'<p class="error"[^>]*>([^<]+)</p>', region.group(1))


def test_a_range_ending_before_it_starts_is_an_error(root_client, business_account) -> None:
    factories.make_case(business_account)
    html = root_client.get(
        reverse("cloudtrail:history"),
        {"start": "2026-12-07T10:00", "end": "2026-12-06T10:00"},
    ).content.decode()
    assert _errors(html, "end") == ["Choose a time on or after the “From (UTC)” time."]
    # Both times stay as typed, to be corrected.
    assert 'value="2026-12-07T10:00"' in html and 'value="2026-12-06T10:00"' in html


def test_a_value_needs_an_attribute_and_an_attribute_a_value(root_client, business_account) -> None:
    factories.make_case(business_account)
    url = reverse("cloudtrail:history")
    no_attribute = root_client.get(url, {"value": "ResolveCase"}).content.decode()
    assert _errors(no_attribute, "attribute") == [
        "Choose the attribute this value is looked up in."
    ]
    assert 'value="ResolveCase"' in no_attribute
    no_value = root_client.get(url, {"attribute": "EventName"}).content.decode()
    assert _errors(no_value, "value") == ["Enter a value to look up."]
    read_only = root_client.get(url, {"attribute": "ReadOnly", "value": "yes"}).content.decode()
    assert _errors(read_only, "value") == ["ReadOnly is looked up as true or false."]
    fine = root_client.get(url, {"attribute": "ReadOnly", "value": "False"}).content.decode()
    assert _errors(fine, "value") == [] and "CreateCase" in fine


def test_the_errors_are_in_japanese_on_japanese_pages(root_client, business_account) -> None:
    html = root_client.get(
        reverse("cloudtrail:history"),
        {"attribute": "EventName", "start": "2026-12-07T10:00", "end": "2026-12-06T10:00"},
        HTTP_ACCEPT_LANGUAGE="ja",
    ).content.decode()
    assert _errors(html, "value") == ["検索する値を入力してください。"]
    assert _errors(html, "end") == ["「開始 (UTC)」以降の日時を選択してください。"]


@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed")
def test_downloads_follow_filters_applied_through_htmx(
    page,  # noqa: F811
    live_server,
    reference_data,
) -> None:
    account = factories.make_account("business")
    factories.make_case(account)
    sign_in_root(page, live_server, account)
    page.get_by_role("link", name="Event history").click()
    page.get_by_label("Lookup attribute").select_option("EventName")
    page.get_by_label("Value").fill("CreateCase")
    page.get_by_role("button", name="Apply").click()
    page.wait_for_url(re.compile(r"value=CreateCase"))
    htmx_settled(page)
    for name in ("Download JSON", "Download CSV"):
        href = page.get_by_role("link", name=name).get_attribute("href") or ""
        assert parse_qs(urlsplit(href).query) == {
            "attribute": ["EventName"],
            "value": ["CreateCase"],
        }


def test_trail_and_connection_errors_are_in_japanese(client, business_account) -> None:
    """The services' messages marked with the N_ alias were missing from the catalogue, so
    these forms answered Japanese readers in English."""
    client.force_login(factories.root_of(business_account))
    trail = client.post(
        reverse("cloudtrail:trails"),
        {"name": "x", "destination": "local", "folder": "logs"},
        HTTP_ACCEPT_LANGUAGE="ja",
    ).content.decode()
    assert "証跡名は、英字、数字、ピリオド、ハイフン、アンダースコアで 3～128 文字です。" in trail
    connection = client.post(
        reverse("advisor:connection"),
        {"mode": "role", "role_arn": "not-an-arn", "regions": ["us-east-1"]},
        HTTP_ACCEPT_LANGUAGE="ja",
    ).content.decode()
    assert "のようなロール ARN を入力してください。" in connection
    assert 'value="not-an-arn"' in connection  # what was typed stays, to be corrected
