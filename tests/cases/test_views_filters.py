"""Customer case pages: list filters that keep what the reader chose, and catalog labels in
the reader's language."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from tests import factories

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def root_client(client, business_account):
    client.force_login(factories.root_of(business_account))
    return client


def test_one_bad_filter_keeps_the_others_and_shows_its_error(
    root_client, business_account, root
) -> None:
    factories.make_case(business_account, root, subject="Alpha outage")
    factories.make_case(business_account, root, subject="Beta question", severity_code="urgent")
    params = {"severity": "urgent", "created_after": "not-a-date"}
    page = root_client.get(reverse("cases:list"), params)
    body = page.content.decode()
    assert "Beta question" in body and "Alpha outage" not in body
    # The error sits beside its field, and the reader's text stays in the input.
    error = r'id="id_created_after-errors">\s*<p class="error"[^>]*>Enter a valid date'
    assert re.search(error, body)
    assert 'value="not-a-date"' in body
    # Applied through htmx, only the results are swapped: the error comes out of band, and a
    # later good request clears it the same way.
    swap = root_client.get(reverse("cases:list"), params, **HTMX).content.decode()
    assert "<html" not in swap and "Beta question" in swap and "Alpha outage" not in swap
    assert re.search(r'id="id_created_after-errors" hx-swap-oob="true">\s*<p class="error"', swap)
    fixed = root_client.get(reverse("cases:list"), {"severity": "urgent"}, **HTMX).content.decode()
    assert re.search(r'id="id_created_after-errors" hx-swap-oob="true"></div>', fixed)


def test_a_categorys_own_field_is_labelled_in_the_readers_language(
    root_client, business_account, root
) -> None:
    choices = {
        "case_type": "technical",
        "service": "amazon-elastic-compute-cloud-linux",
        "category": "instance-issue",
    }
    url = reverse("cases:create-options")
    english = root_client.get(url, choices, **HTMX).content.decode()
    japanese = root_client.get(url, choices, HTTP_ACCEPT_LANGUAGE="ja", **HTMX).content.decode()
    assert "Instance ID(s)</label>" in english
    assert "インスタンス ID</label>" in japanese
    case = factories.make_case(business_account, root, extra_field_value="i-0abc")
    page = root_client.get(reverse("cases:detail", args=[case.case_id]), HTTP_ACCEPT_LANGUAGE="ja")
    assert "<dt>インスタンス ID</dt><dd>i-0abc</dd>" in page.content.decode()
