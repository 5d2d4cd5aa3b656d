"""Excluding a check's resources in the Trusted Advisor console and including them again."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from django.urls import reverse

from advisor.models import ResourceExclusion
from audit.models import AuditEvent
from tests.advisor import console_data as data
from tests.advisor.console_data import SG
from tests.advisor.view_helpers import HTMX, check_url, resource_ids, text

# A few specs from the captured catalog stand in for the registered checks.
pytestmark = pytest.mark.usefixtures("console_specs")


class _Labels(HTMLParser):
    """The text inside each element with an id (aria-hidden parts left out, as the accessible
    name leaves them out), and each checkbox's aria-labelledby ids."""

    def __init__(self) -> None:
        super().__init__()
        self.texts: dict[str, str] = {}
        self.checkboxes: list[list[str]] = []
        self._open: list[str | None] = []
        self._hidden: list[bool] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "input":
            if values.get("type") == "checkbox":
                self.checkboxes.append((values.get("aria-labelledby") or "").split())
            return
        if tag in ("br", "img", "meta", "link"):
            return
        self._open.append(values.get("id"))
        self._hidden.append(values.get("aria-hidden") == "true")
        if values.get("id"):
            self.texts[values["id"] or ""] = ""

    def handle_endtag(self, tag: str) -> None:
        if tag not in ("input", "br", "img", "meta", "link") and self._open:
            self._open.pop()
            self._hidden.pop()

    def handle_data(self, data: str) -> None:
        if any(self._hidden):
            return
        for element_id in self._open:
            if element_id:
                self.texts[element_id] += data


def checkbox_labels(page: str) -> list[str]:
    """Each checkbox's accessible name as aria-labelledby builds it (ids that exist only)."""
    parser = _Labels()
    parser.feed(page)
    return [
        " ".join(" ".join(parser.texts[i].split()) for i in ids if i in parser.texts)
        for ids in parser.checkboxes
    ]


def test_exclude_and_include_change_the_counts(root_client, business_account) -> None:
    data.seed(business_account)
    ids = resource_ids(business_account)
    response = root_client.post(
        check_url("check-exclude"),
        {"resource_ids": [ids["sg-0000000000000000a"]], "status": "error", "cursor": ""},
    )
    assert response.status_code == 302
    assert response["Location"] == check_url("check") + "?status=error"
    page = text(root_client.get(response["Location"]))
    assert "1 resource excluded." in page
    assert 'id="count-flagged">1<' in page and 'id="count-excluded">1<' in page
    assert "sg-0000000000000000a" not in page  # no longer among the red ones ...
    excluded = text(root_client.get(check_url("check"), {"status": "excluded"}))
    assert "sg-0000000000000000a" in excluded and 'class="suppressed"' in excluded  # ... but here
    assert ResourceExclusion.objects.filter(account=business_account, check_id=SG).count() == 1
    assert AuditEvent.objects.filter(event_name="ExcludeCheckItems").count() == 1
    # The check's status follows: only the yellow one is left.
    dashboard = text(root_client.get(reverse("advisor:dashboard")))
    assert 'id="count-error">1<' in dashboard and 'id="count-warning">2<' in dashboard

    included = root_client.post(
        check_url("check-include"), {"resource_ids": [ids["sg-0000000000000000a"]]}, **HTMX
    )
    body = text(included)
    assert "<html" not in body and "1 resource included again." in body
    assert 'id="count-flagged">2<' in body and 'id="count-excluded">0<' in body
    assert not ResourceExclusion.objects.exists()
    assert AuditEvent.objects.filter(event_name="IncludeCheckItems").count() == 1


def test_exclude_needs_a_valid_selection(root_client, business_account) -> None:
    data.seed(business_account)
    empty = root_client.post(check_url("check-exclude"), {}, **HTMX)
    assert empty.status_code == 200 and "Select at least one resource." in text(empty)
    bad = root_client.post(check_url("check-exclude"), {"resource_ids": ["<script>"]}, **HTMX)
    assert "That selection is not valid" in text(bad)
    redirected = root_client.post(check_url("check-exclude"), {}, follow=True)
    assert "Select at least one resource." in text(redirected)
    assert not ResourceExclusion.objects.exists()


def test_resource_checkboxes_are_labelled_by_their_own_row(root_client, business_account) -> None:
    # One security group, two rows (two open ports): the same ARN, so the ARN can't label them.
    data.store(
        business_account,
        SG,
        [
            data.sg_row("error", "ssh-open", "sg-0000000000000000a", ports="22"),
            data.sg_row("warning", "ssh-open", "sg-0000000000000000a", ports="8080"),
        ],
    )
    labels = checkbox_labels(text(root_client.get(check_url("check"))))
    assert len(labels) == 2 and labels[0] != labels[1]
    assert labels[0].startswith("Select Action recommended us-east-1 ssh-open")
    assert labels[0].endswith(" 22") and labels[1].endswith(" 8080")
