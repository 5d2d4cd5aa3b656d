"""A check's page in the Trusted Advisor console: summary, filters, paging, CSV download."""

from __future__ import annotations

import csv
import io
import re

import pytest
from django.test import Client

from advisor import services as advisor
from advisor import views
from advisor.checks.base import catalog
from tests import factories
from tests.advisor import console_data as data
from tests.advisor.console_data import MFA, SG, dash_identity
from tests.advisor.view_helpers import FULL_POLICY, HTMX, check_url, iam_client, resource_ids, text

# A few specs from the captured catalog stand in for the registered checks.
pytestmark = pytest.mark.usefixtures("console_specs")


def test_check_page_summary_filters_and_htmx_partial(root_client, business_account) -> None:
    data.seed(business_account)
    page = text(root_client.get(check_url("check")))
    assert "<b>Alert Criteria</b>" in page  # the description's HTML is rendered ...
    assert "&lt;for tests&gt;" in page  # ... with the text in it escaped
    assert 'id="count-processed">5<' in page and 'id="count-flagged">2<' in page
    for heading in ("Security Group Name", "Security Group ID", "Ports"):
        assert f'<th scope="col">{heading}</th>' in page
    # Our column is named apart from the check's own "Status" column.
    assert '<th scope="col">Result</th>' in page
    assert page.count('<th scope="col">Status</th>') == 1
    assert all(f"sg-0000000000000000{c}" in page for c in "abc")

    red = root_client.get(check_url("check"), {"status": "error"}, **HTMX)
    body = text(red)
    assert "<html" not in body and 'id="check-result"' in body
    assert "sg-0000000000000000a" in body and "sg-0000000000000000b" not in body
    yellow = text(root_client.get(check_url("check"), {"status": "warning"}))
    assert "sg-0000000000000000b" in yellow and "sg-0000000000000000a" not in yellow
    excluded = text(root_client.get(check_url("check"), {"status": "excluded"}))
    assert "No resources match." in excluded
    # An unknown filter shows everything.
    assert "sg-0000000000000000c" in text(root_client.get(check_url("check"), {"status": "x"}))


def test_account_level_check_shows_a_summary(root_client, business_account) -> None:
    data.seed(business_account)
    page = text(root_client.get(check_url("check", MFA)))
    assert "looks at the account as a whole" in page
    assert "<table" not in page and "Exclude selected" not in page
    assert 'id="count-flagged">1<' in page


NEXT_LINK = re.compile(r'<a href="\?([^"]*)" rel="next">')
PREVIOUS_LINK = re.compile(r'<a href="\?([^"]*)" rel="prev">')


def follow(client: Client, url: str, page: str, link: re.Pattern[str]) -> str:
    """The page a pager link leads to (its query, unescaped as a browser would)."""
    found = link.search(page)
    assert found, "no such link"
    return text(client.get(f"{url}?{found.group(1).replace('&amp;', '&')}"))


def test_check_page_paginates(root_client, business_account) -> None:
    rows = [data.sg_row("warning", f"group-{i:03d}", f"sg-{i:017d}") for i in range(60)]
    data.store(business_account, SG, rows)
    first = text(root_client.get(check_url("check")))
    assert "group-049" in first and "group-050" not in first
    assert not PREVIOUS_LINK.search(first)
    second = follow(root_client, check_url("check"), first, NEXT_LINK)
    assert "group-050" in second and "group-059" in second and "group-000" not in second
    assert not NEXT_LINK.search(second)
    back = follow(root_client, check_url("check"), second, PREVIOUS_LINK)
    assert "group-000" in back and "group-049" in back and "group-050" not in back


# --- download ------------------------------------------------------------------------------------


def test_csv_download(root_client, business_account) -> None:
    data.store(
        business_account,
        SG,
        [
            data.sg_row("error", '=HYPERLINK("http://evil")', "sg-0000000000000000a"),
            data.sg_row("warning", "@SUM(A1)", "sg-0000000000000000b", ports="-1"),
            data.sg_row("ok", "web", "sg-0000000000000000c"),
        ],
    )
    ids = resource_ids(business_account)
    advisor.advisor_resources_set_excluded(
        account=business_account,
        check_id=SG,
        resource_ids=[ids["sg-0000000000000000c"]],
        excluded=True,
        actor=factories.principal(factories.root_of(business_account)),
    )
    response = root_client.get(check_url("check-download"))
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == f'attachment; filename="trusted-advisor-{SG}.csv"'
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0] == [
        "Resource Status",
        "Resource Region",
        "Resource ID",
        "Excluded",
        "Region",
        "Security Group Name",
        "Security Group ID",
        "Protocol",
        "Status",
        "Ports",
    ]
    assert rows[1][:4] == ["error", "us-east-1", ids["sg-0000000000000000a"], "false"]
    assert rows[1][5] == '\'=HYPERLINK("http://evil")'  # not a formula in a spreadsheet
    assert rows[2][5] == "'@SUM(A1)" and rows[2][9] == "-1"  # a plain number stays a number
    assert rows[3][3] == "true" and rows[3][5] == "web"
    assert len(rows) == 4


def test_csv_resource_ids_are_the_apis_exactly(root_client, business_account) -> None:
    """A resource id is written as the API gives it, never prefixed; one whose hash once began
    with "-" (a formula in a spreadsheet) is now generated without it."""
    arn = dash_identity()
    group_id = arn.rsplit("/", 1)[1]
    data.store(business_account, SG, [data.sg_row("error", "-dash", group_id)])
    resource_id = resource_ids(business_account)[group_id]
    assert resource_id.startswith("_")
    response = root_client.get(check_url("check-download"))
    assert response["Cache-Control"] == "private, no-store"
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[1][2] == resource_id
    assert rows[1][5] == "'-dash"  # a name is text: neutralised


def test_csv_headers_are_unique_for_every_check() -> None:
    """Our columns never repeat a check's own (many have "Region" and "Status")."""
    for check_id, facts in catalog().items():
        header = [*(column.header for column in views.CSV_COLUMNS), *facts["metadata"]]
        assert len(set(header)) == len(header), check_id


# --- query counts --------------------------------------------------------------------------------


@pytest.mark.parametrize("count", [5, 120])
def test_check_page_query_count_is_constant(
    root_client, business_account, count, django_assert_num_queries
) -> None:
    data.connect_sample(business_account)
    rows = [data.sg_row("error", f"group-{i}", f"sg-{i:017d}") for i in range(count)]
    data.store(business_account, SG, rows)
    first = text(root_client.get(check_url("check"), {"status": "error"}))
    found = NEXT_LINK.search(first)
    query = found.group(1).replace("&amp;", "&") if found else "status=error"
    # 1 session; 2 user with account and plan; 3 the check state with its latest result;
    # 4 one page of rows (keyset: no count, whatever the page); 5 the AWS connection.
    with django_assert_num_queries(5):
        response = root_client.get(f"{check_url('check')}?{query}")
    assert response.status_code == 200


def test_iam_user_policies_are_read_once_per_request(
    client, business_account, django_assert_num_queries
) -> None:
    data.seed(business_account)
    data.connect_sample(business_account)
    iam_client(client, business_account, FULL_POLICY)
    # The check page's five (keyset paging: no count), plus the user's and its groups' policy
    # documents in one statement (read once for the page's four permission checks).
    with django_assert_num_queries(6):
        response = client.get(check_url("check"))
    assert response.status_code == 200
