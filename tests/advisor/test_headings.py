"""The check page's column headings are interface strings: translated on the page, while the API
and the CSV download keep AWS's English headings."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import translation

from advisor import headings
from advisor.checks.base import REGISTRY, catalog
from tests.advisor import console_data as data
from tests.advisor.console_data import SG
from tests.advisor.view_helpers import check_url, text

pytestmark = pytest.mark.usefixtures("console_specs")


def _column_headings(page: str) -> list[str]:
    """The resource table's headings of the check's own columns (between Select and Result
    before them, and Help after)."""
    table = page[page.index('<table class="ta-resources">') :]
    head = table[: table.index("</thead>")]
    return [cell.split(">", 1)[1] for cell in head.split("</th>")[:-1]][2:-1]


def test_every_catalog_heading_is_a_translatable_string() -> None:
    """Each column the catalog names is declared for the translation catalogue (gettext_noop),
    so a catalog update cannot bring an untranslatable heading unnoticed."""
    columns = {column for facts in catalog().values() for column in facts["metadata"]}
    assert columns <= headings.HEADINGS, sorted(columns - headings.HEADINGS)
    # The registered checks take their columns from the catalog.
    assert {column for spec in REGISTRY.values() for column in spec.metadata} <= columns


def test_the_headings_go_through_translation_on_the_page(
    root_client, business_account, monkeypatch
) -> None:
    data.seed(business_account)
    # A translation that marks what passes through it: every column heading does.
    monkeypatch.setattr(headings, "gettext", lambda message: f"«{message}»")
    cells = _column_headings(text(root_client.get(check_url("check"))))
    assert cells == [f"«{column}»" for column in catalog()[SG]["metadata"]]


def test_japanese_page_shows_translated_headings_and_the_csv_keeps_awss(
    root_client, business_account
) -> None:
    data.seed(business_account)
    with translation.override("ja"):
        status = translation.gettext("Status")
    assert status != "Status"  # the catalogue already has this one
    page = text(root_client.get(check_url("check"), HTTP_ACCEPT_LANGUAGE="ja"))
    cells = _column_headings(page)
    # SG's columns: Region, Security Group Name, Security Group ID, Protocol, Status, Ports.
    assert cells[4] == status
    english = _column_headings(text(root_client.get(check_url("check"))))
    assert english == list(catalog()[SG]["metadata"])
    download = root_client.get(
        reverse("advisor:check-download", args=[SG]), HTTP_ACCEPT_LANGUAGE="ja"
    )
    assert ",".join(catalog()[SG]["metadata"]) in b"".join(download).decode()
