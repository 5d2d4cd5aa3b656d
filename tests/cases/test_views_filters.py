"""Customer case pages: list filters that keep what the reader chose, and catalog labels in
the reader's language."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

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


def test_a_date_range_that_ends_before_it_starts_says_so_and_keeps_its_start(
    root_client, business_account, root
) -> None:
    # "Created from" after "Created until" matches nothing: the reader is told why, beside
    # "Created until", and the list applies "Created from" alone instead of showing no case.
    factories.make_case(business_account, root, subject="Alpha outage")
    today = timezone.localdate()
    params = {
        "created_after": today.isoformat(),
        "created_before": (today - timedelta(days=3)).isoformat(),
    }
    body = root_client.get(reverse("cases:list"), params).content.decode()
    assert "Alpha outage" in body and "No cases match." not in body
    error = r'id="id_created_before-errors">\s*<p class="error"[^>]*>Choose a date on or after'
    assert re.search(error, body)
    assert f'value="{params["created_before"]}"' in body
    swap = root_client.get(reverse("cases:list"), params, **HTMX).content.decode()
    oob = r'id="id_created_before-errors" hx-swap-oob="true">\s*<p class="error"'
    assert "Alpha outage" in swap and re.search(oob, swap)
    japanese = root_client.get(
        reverse("cases:list"), params, HTTP_ACCEPT_LANGUAGE="ja"
    ).content.decode()
    assert "「作成日 (開始)」以降の日付を選択してください。" in japanese
    same_day = {"created_after": today.isoformat(), "created_before": today.isoformat()}
    body = root_client.get(reverse("cases:list"), same_day).content.decode()
    assert "Alpha outage" in body and "Choose a date on or after" not in body


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
