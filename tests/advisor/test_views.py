"""The customer Trusted Advisor console through Django's test client, htmx partials included.

Results are stored with `advisor.services.result_store` (see console_data), so nothing here
talks to AWS; a few specs from the captured catalog stand in for the registered checks.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator
from datetime import timedelta
from html.parser import HTMLParser

import pytest
from django.http import HttpResponse
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import Account
from advisor import services as advisor
from advisor import views
from advisor.checks.base import catalog
from advisor.models import CheckState, RefreshStatus, ResourceExclusion
from audit.models import AuditEvent
from connections import services as connections
from connections.models import AwsConnection
from core import crypto
from core.errors import InvalidAwsConnection
from tests import factories
from tests.advisor import console_data as data
from tests.advisor.console_data import EIP, MFA, SG

HTMX = {"HTTP_HX_REQUEST": "true"}
FULL_POLICY = "SupportCenterTrustedAdvisorAccess"  # trustedadvisor:* (and events:*)
READ_ONLY_POLICY = "SupportCenterReadOnlyAccess"  # trustedadvisor:Describe*
NO_TA_POLICY = "AWSSupportAccess"  # support:* only


@pytest.fixture(autouse=True)
def specs() -> Iterator[None]:
    with data.registry(data.default_specs()):
        yield


@pytest.fixture
def root_client(client: Client, business_account: Account) -> Client:
    client.force_login(factories.root_of(business_account))
    return client


def iam_client(client: Client, account: Account, policy: str | None) -> Client:
    client.force_login(factories.make_iam_user(account, policy=policy))
    return client


def check_url(name: str, check_id: str = SG) -> str:
    return reverse(f"advisor:{name}", args=[check_id])


def resource_ids(account: Account, check_id: str = SG) -> dict[str, str]:
    """Security group id (or address) -> the API's resource id, from the latest result."""
    state = CheckState.objects.select_related("latest_result").get(
        account=account, check_id=check_id
    )
    return {
        r.metadata[2 if check_id == SG else 1]: r.resource_id
        for r in state.latest_result.resources.all()
    }


def text(response: HttpResponse) -> str:
    return response.content.decode()


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


# --- access --------------------------------------------------------------------------------------


def test_anonymous_users_are_sent_to_sign_in(client, reference_data) -> None:
    for url in (reverse("advisor:dashboard"), check_url("check"), reverse("advisor:connection")):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("accounts:sign-in"))


def test_root_and_full_access_iam_user_see_every_page(client, business_account) -> None:
    data.seed(business_account)
    data.connect_sample(business_account)
    for who in ("root", "iam"):
        if who == "root":
            client.force_login(factories.root_of(business_account))
        else:
            iam_client(client, business_account, FULL_POLICY)
        dashboard = client.get(reverse("advisor:dashboard"))
        assert dashboard.status_code == 200, who
        assert "Refresh all checks" in text(dashboard)
        page = client.get(check_url("check"))
        assert page.status_code == 200
        assert "Exclude selected" in text(page) and "Include selected" in text(page)
        assert ">Refresh</button>" in text(page)
        assert client.get(reverse("advisor:connection")).status_code == 200
        assert client.get(check_url("check-download")).status_code == 200


def test_read_only_iam_user_sees_results_but_changes_nothing(client, business_account) -> None:
    data.seed(business_account)
    data.connect_sample(business_account)
    iam_client(client, business_account, READ_ONLY_POLICY)
    dashboard = client.get(reverse("advisor:dashboard"))
    assert dashboard.status_code == 200
    assert "Refresh all checks" not in text(dashboard)
    assert reverse("advisor:connection") not in text(dashboard)
    page = client.get(check_url("check"))
    assert page.status_code == 200
    assert "sg-0000000000000000a" in text(page)
    assert "Exclude selected" not in text(page) and ">Refresh</button>" not in text(page)
    assert 'type="checkbox"' not in text(page)
    ids = resource_ids(business_account)
    for url, payload in (
        (check_url("check-refresh"), {}),
        (check_url("check-exclude"), {"resource_ids": [ids["sg-0000000000000000a"]]}),
        (reverse("advisor:refresh-all"), {}),
        (reverse("advisor:connection-delete"), {}),
    ):
        response = client.post(url, payload)
        assert response.status_code == 403, url
    assert client.get(reverse("advisor:connection")).status_code == 403
    assert not ResourceExclusion.objects.exists()
    assert AwsConnection.objects.filter(account=business_account).exists()


def test_users_without_trusted_advisor_permissions_get_403(client, business_account) -> None:
    data.seed(business_account)
    iam_client(client, business_account, NO_TA_POLICY)
    for url in (
        reverse("advisor:dashboard"),
        check_url("check"),
        check_url("check-download"),
        check_url("check-progress"),
        reverse("advisor:connection"),
    ):
        response = client.get(url)
        assert response.status_code == 403, url
        assert "trustedadvisor:" in text(response)


def test_engineers_get_403(client, engineer) -> None:
    client.force_login(engineer.user)
    assert client.get(reverse("advisor:dashboard")).status_code == 403


def test_another_accounts_data_never_shows(root_client, business_account, other_account) -> None:
    data.seed(business_account)
    data.store(other_account, SG, [data.sg_row("error", "theirs", "sg-0ffffffffffffffff")])
    data.store(other_account, EIP, [data.eip_row("198.51.100.7", savings=999.0)])
    data.connect_sample(other_account)
    dashboard = text(root_client.get(reverse("advisor:dashboard")))
    assert "Connect your AWS environment" in dashboard  # their connection isn't ours
    assert 'id="savings">$7.20<' in dashboard  # not $1,006.20
    assert 'id="count-error">2<' in dashboard
    page = text(root_client.get(check_url("check")))
    assert "sg-0ffffffffffffffff" not in page and "theirs" not in page
    assert 'id="count-processed">5<' in page
    download = b"".join(root_client.get(check_url("check-download")).streaming_content)
    assert b"theirs" not in download and download.decode().count("\n") == 4
    # Their resource ids change nothing, here or there.
    theirs = resource_ids(other_account)["sg-0ffffffffffffffff"]
    response = root_client.post(check_url("check-exclude"), {"resource_ids": [theirs]}, **HTMX)
    assert "0 resources excluded." in text(response)
    assert not ResourceExclusion.objects.exists()


def test_unknown_check_ids_are_404(root_client, business_account) -> None:
    data.connect_sample(business_account)
    for name in ("check", "check-progress", "check-download"):
        assert root_client.get(check_url(name, "nOtAcHeCk")).status_code == 404, name
    for name in ("check-refresh", "check-exclude", "check-include"):
        assert root_client.post(check_url(name, "nOtAcHeCk")).status_code == 404, name


# --- dashboard -----------------------------------------------------------------------------------


def test_dashboard_counts_categories_savings_and_history(root_client, business_account) -> None:
    data.seed(business_account)
    data.connect_sample(business_account)
    response = root_client.get(reverse("advisor:dashboard"))
    page = text(response)
    # SG (red) and MFA (red) in Security; EIP (yellow) in Cost optimization.
    assert 'id="count-error">2<' in page
    assert 'id="count-warning">1<' in page
    assert 'id="count-ok">0<' in page
    assert 'id="count-not-available">0<' in page
    assert 'id="savings">$7.20<' in page
    assert "Cost optimization checks come with" not in page
    assert "Cost optimization" in page and "Security" in page
    # The category chips say their status in words too, not by icon and colour alone.
    assert '<span class="visually-hidden">Action recommended:</span> 2</span>' in page
    assert '<span class="visually-hidden">Investigation recommended:</span> 0</span>' in page
    assert "Fault tolerance" not in page  # no check of that category is registered
    for spec_id in (SG, EIP, MFA):
        assert check_url("check", spec_id) in page
    assert "2 of 5" in page  # SG: resources flagged of processed
    assert "Connect your AWS environment" not in page
    assert "Business and Enterprise plans unlock" not in page
    history = response.context["history"]
    assert history == [{"date": timezone.localdate().isoformat(), "flagged": 2 + 1 + 2}]
    assert '<script id="advisor-history" type="application/json">' in page
    assert "js/chart.umd.min.js" in page and "js/advisor.js" in page


def test_dashboard_without_connection_calls_to_connect(client, business_account) -> None:
    client.force_login(factories.root_of(business_account))
    page = text(client.get(reverse("advisor:dashboard")))
    assert "Connect your AWS environment" in page
    assert f'href="{reverse("advisor:connection")}"' in page
    assert "Refresh all checks" not in page  # nothing to refresh against
    assert 'id="count-not-available">3<' in page
    iam_client(client, business_account, READ_ONLY_POLICY)
    page = text(client.get(reverse("advisor:dashboard")))
    assert "Ask the administrator of your account to connect one." in page


def test_basic_plan_sees_core_checks_and_the_upgrade_note(client, reference_data) -> None:
    account = factories.make_account("basic")
    client.force_login(factories.root_of(account))
    data.store(account, SG, [data.sg_row("error", "ssh-open", "sg-0000000000000000a")])
    response = client.get(reverse("advisor:dashboard"))
    page = text(response)
    assert check_url("check", SG) in page and check_url("check", MFA) in page
    assert check_url("check", EIP) not in page
    assert "Business and Enterprise plans unlock all Trusted Advisor checks" in page
    assert client.get(check_url("check", EIP)).status_code == 404
    # No cost-optimization check, so no savings to estimate: say where they come from instead.
    assert response.context["has_cost_checks"] is False
    assert 'id="savings"' not in page and "$0.00" not in page
    assert (
        '<p id="savings-upgrade">Cost optimization checks come with the Business and Enterprise '
        "plans.</p>" in page
    )


def test_refresh_all_queues_every_check_then_skips_them(
    root_client, business_account, django_capture_on_commit_callbacks
) -> None:
    data.connect_sample(business_account)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = root_client.post(reverse("advisor:refresh-all"))
    assert response.status_code == 302 and response["Location"] == reverse("advisor:dashboard")
    assert len(callbacks) == 3
    assert set(CheckState.objects.values_list("refresh_status", flat=True)) == {"enqueued"}
    assert AuditEvent.objects.filter(event_name="RefreshCheck").count() == 3
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        again = root_client.post(reverse("advisor:refresh-all"), **HTMX)
    assert callbacks == []
    page = text(again)
    assert "<html" not in page and 'id="checks"' in page
    # Nothing queued is news, not success; it goes to the page's live region, out of band.
    assert (
        '<div id="checks-notice" hx-swap-oob="innerHTML"><p class="message info">'
        "0 checks queued for refresh. 3 skipped" in page
    )
    assert "message success" not in page
    # While checks refresh, the progress element polls (not the list).
    assert 'hx-trigger="every 3s"' in page and "Refreshing" in page


def test_refresh_all_notice_is_success_only_when_something_was_queued(
    root_client, business_account
) -> None:
    data.connect_sample(business_account)
    first = text(root_client.post(reverse("advisor:refresh-all"), follow=True))
    assert '<li class="message success">3 checks queued for refresh.</li>' in first
    second = text(root_client.post(reverse("advisor:refresh-all"), follow=True))
    assert '<li class="message info">0 checks queued for refresh. 3 skipped' in second
    CheckState.objects.filter(check_id=SG).update(
        refresh_status=RefreshStatus.SUCCESS, next_refreshable_at=None
    )
    third = text(root_client.post(reverse("advisor:refresh-all"), **HTMX))
    assert '<p class="message success">1 check queued for refresh. 2 skipped' in third


def test_dashboard_polls_only_its_progress_element_while_checks_refresh(
    root_client, business_account, other_account, django_assert_num_queries
) -> None:
    data.seed(business_account)
    data.connect_sample(business_account)
    url = reverse("advisor:dashboard")
    root_client.post(reverse("advisor:refresh-all"))  # all three enqueued
    page = text(root_client.get(url))
    # The list does not poll (a re-render every 3 s would take the keyboard focus away); it
    # reloads once, on the event. Nothing in it is a live region.
    assert (
        f'<div id="checks" hx-get="{url}" hx-trigger="advisor-refreshed from:body" '
        'hx-swap="outerHTML">' in page
    )
    assert "aria-live" not in page
    assert f'hx-get="{url}?part=progress" hx-trigger="every 3s"' in page
    # "Updates by itself" only where JavaScript will do it (advisor.js shows it).
    assert (
        "<span data-js-only hidden>Checks are refreshing; this list updates by itself.</span>"
        in page
    )

    # 1 session; 2 user with account and plan; 3 whether any run is still under way.
    with django_assert_num_queries(3):
        polled = root_client.get(url, {"part": "progress"}, **HTMX)
    body = text(polled).strip()
    assert body.startswith('<div id="checks-progress"') and "ta-checks" not in body
    assert 'hx-trigger="every 3s"' in body and "HX-Trigger" not in polled

    # Another account's runs are not ours to wait for.
    CheckState.objects.filter(account=business_account).update(refresh_status=RefreshStatus.SUCCESS)
    CheckState.objects.create(
        account=other_account, check_id=SG, refresh_status=RefreshStatus.ENQUEUED
    )
    done = root_client.get(url, {"part": "progress"}, **HTMX)
    assert "every 3s" not in text(done) and "<progress" not in text(done)
    assert json.loads(done["HX-Trigger"]) == {views.REFRESHED_EVENT: {}}
    reloaded = text(root_client.get(url, **HTMX))
    assert reloaded.strip().startswith('<div id="checks"') and "every 3s" not in reloaded
    # Without htmx the parameter changes nothing: the whole page.
    assert "<html" in text(root_client.get(url, {"part": "progress"}))


# --- check page ----------------------------------------------------------------------------------


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


@pytest.mark.parametrize(
    ("value", "expected"),
    [("=1+2", "'=1+2"), ("+1", "+1"), ("-3.5", "-3.5"), ("-x", "'-x"), ("\tA", "'\tA"), (None, "")],
)
def test_csv_safe(value: str | None, expected: str) -> None:
    assert views.csv_safe(value) == expected


def test_csv_headers_are_unique_for_every_check() -> None:
    """Our columns never repeat a check's own (many have "Region" and "Status")."""
    for check_id, facts in catalog().items():
        header = [*views.CSV_COLUMNS, *facts["metadata"]]
        assert len(set(header)) == len(header), check_id


# --- refresh -------------------------------------------------------------------------------------


def test_refresh_enqueues_and_the_progress_partial_follows_it(
    root_client, business_account, django_capture_on_commit_callbacks
) -> None:
    data.seed(business_account)
    data.connect_sample(business_account)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = root_client.post(check_url("check-refresh"), **HTMX)
    assert len(callbacks) == 1  # the run is queued after commit
    state = CheckState.objects.get(account=business_account, check_id=SG)
    assert state.refresh_status == RefreshStatus.ENQUEUED
    body = text(response)
    assert "<html" not in body and 'id="refresh"' in body
    assert 'data-status="enqueued"' in body and "<progress" in body
    assert 'hx-trigger="every 2s"' in body
    assert (
        "<span data-js-only hidden>The results below update when the refresh finishes.</span>"
        in body
    )

    # The worker claims it: still polling, no reload yet.
    CheckState.objects.filter(pk=state.pk).update(refresh_status=RefreshStatus.PROCESSING)
    polled = root_client.get(check_url("check-progress"), **HTMX)
    assert 'data-status="processing"' in text(polled) and 'hx-trigger="every 2s"' in text(polled)
    assert "HX-Trigger" not in polled

    # The worker finishes: polling stops and the results region is told to reload.
    data.store(business_account, SG, [data.sg_row("ok", "web", "sg-0000000000000000c")])
    done = root_client.get(check_url("check-progress"), **HTMX)
    assert 'data-status="success"' in text(done) and "every 2s" not in text(done)
    assert json.loads(done["HX-Trigger"]) == {views.REFRESHED_EVENT: {}}
    assert "You can refresh this check again in" in text(done)
    assert "disabled" in text(done)  # inside the minimum interval ...
    # ... which advisor.js waits out before it enables the button again.
    wait = re.search(r'data-refreshable-in="(\d+)"', text(done))
    assert wait is not None and 0 < int(wait.group(1)) <= 300_000
    reloaded = text(root_client.get(check_url("check"), **HTMX))
    assert 'id="count-flagged">0<' in reloaded

    # Inside the interval nothing is queued, and the page says when it can be.
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        again = root_client.post(check_url("check-refresh"), follow=True)
    assert callbacks == []
    assert "This check was refreshed recently. You can refresh it again in" in text(again)

    # Without htmx the progress URL is the page.
    plain = root_client.get(check_url("check-progress"))
    assert plain.status_code == 302 and plain["Location"] == check_url("check")


def test_refresh_status_is_announced_once_per_change(root_client, business_account) -> None:
    data.seed(business_account)
    data.connect_sample(business_account)
    page = text(root_client.get(check_url("check")))
    # One persistent live region, outside the region the poll replaces; empty at first.
    assert '<p id="refresh-announcer" class="visually-hidden" role="status"></p>' in page
    assert page.count('role="status"') == 1
    posted = text(root_client.post(check_url("check-refresh"), **HTMX))
    announcement = '<p id="refresh-announcer" hx-swap-oob="innerHTML">Refresh status: '
    assert announcement + "Enqueued</p>" in posted
    assert f'hx-get="{check_url("check-progress")}?shown=enqueued"' in posted
    unchanged = text(root_client.get(check_url("check-progress"), {"shown": "enqueued"}, **HTMX))
    assert "refresh-announcer" not in unchanged
    CheckState.objects.filter(check_id=SG).update(refresh_status=RefreshStatus.PROCESSING)
    changed = text(root_client.get(check_url("check-progress"), {"shown": "enqueued"}, **HTMX))
    assert announcement + "Processing</p>" in changed
    assert "?shown=processing" in changed


def test_abandoned_refresh_shows_the_reason(root_client, business_account) -> None:
    data.connect_sample(business_account)
    CheckState.objects.create(
        account=business_account,
        check_id=SG,
        refresh_status=RefreshStatus.ABANDONED,
        refresh_error="AccessDenied: not authorized to perform ec2:DescribeSecurityGroups",
        next_refreshable_at=timezone.now() + timedelta(minutes=4),
    )
    for response in (
        root_client.get(check_url("check")),
        root_client.get(check_url("check-progress"), **HTMX),
    ):
        page = text(response)
        assert 'data-status="abandoned"' in page
        assert "The last refresh was abandoned:" in page
        assert "not authorized to perform ec2:DescribeSecurityGroups" in page
        assert "You can refresh this check again in 3" in page  # 3 minutes and some seconds


def test_refresh_without_connection_is_not_offered(root_client, business_account) -> None:
    page = text(root_client.get(check_url("check")))
    assert "No AWS environment is connected to this account" in page
    assert ">Refresh</button>" not in page


# --- connection ----------------------------------------------------------------------------------


def test_connection_form_keys_role_sample_and_errors(root_client, business_account) -> None:
    page = root_client.get(reverse("advisor:connection"))
    assert "No AWS environment is connected yet." in text(page)
    assert page.context["form"]["mode"].value() == "sample"
    # The external id is the account's own, shown and never typed.
    assert page.context["external_id"] == connections.external_id_for(business_account)
    assert f'<code id="external-id">{page.context["external_id"]}</code>' in text(page)

    url = reverse("advisor:connection")
    bad_key = root_client.post(
        url, {"mode": "keys", "access_key_id": "nope", "regions": ["us-east-1"]}
    )
    assert bad_key.status_code == 200
    assert bad_key.context["form"].errors["access_key_id"] == [connections.MSG_BAD_KEY_ID]
    assert 'value="nope"' in text(bad_key)  # what was typed is kept
    assert AuditEvent.objects.get(event_name="UpdateAwsConnection").error_code == (
        InvalidAwsConnection.code
    )

    no_regions = root_client.post(url, {"mode": "sample"})
    assert no_regions.context["form"].errors["regions"] == [connections.MSG_NO_REGIONS]
    bad_role = root_client.post(
        url, {"mode": "role", "role_arn": "arn:nope", "regions": ["us-east-1"]}
    )
    assert bad_role.context["form"].errors["role_arn"] == [connections.MSG_BAD_ROLE_ARN]
    assert not AwsConnection.objects.exists()

    saved = root_client.post(
        url,
        {
            "mode": "keys",
            "access_key_id": "AKIAIOSFODNN7EXAMPLE",
            "secret_access_key": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
            "regions": ["us-east-1", "eu-west-1"],
        },
        follow=True,
    )
    connection = AwsConnection.objects.get(account=business_account)
    assert connection.regions == ["us-east-1", "eu-west-1"]
    secret = crypto.decrypt(connection.secret_access_key_encrypted)
    assert secret == "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
    page = text(saved)
    assert "AWS environment saved." in page
    assert "AKIAIOSFODNN7EXAMPLE" in page and secret not in page  # never shown back
    assert "A secret is stored for AKIAIOSFODNN7EXAMPLE" in page

    # A blank secret keeps the stored one.
    root_client.post(
        url, {"mode": "keys", "access_key_id": "AKIAIOSFODNN7EXAMPLE", "regions": ["us-east-2"]}
    )
    connection.refresh_from_db()
    assert connection.regions == ["us-east-2"]
    assert crypto.decrypt(connection.secret_access_key_encrypted) == secret

    deleted = root_client.post(reverse("advisor:connection-delete"), follow=True)
    assert "AWS environment disconnected." in text(deleted)
    assert not AwsConnection.objects.exists()
    assert AuditEvent.objects.filter(event_name="DeleteAwsConnection").count() == 1


def test_test_connection_reports_the_account_or_the_error(
    root_client, business_account, monkeypatch
) -> None:
    url = reverse("advisor:connection-test")
    missing = root_client.post(url, **HTMX)
    assert "<html" not in text(missing) and 'id="connection-test"' in text(missing)
    assert "Connection test failed:" in text(missing)
    assert "has not connected an AWS environment" in text(missing)

    data.connect_sample(business_account)
    monkeypatch.setattr(connections, "aws_connection_verify", lambda *, account: "123456789012")
    works = root_client.post(url, **HTMX)
    assert "Connection works: AWS account 123456789012." in text(works)
    plain = root_client.post(url, follow=True)
    assert "Connection works: AWS account 123456789012." in text(plain)

    def broken(*, account: Account) -> str:
        raise InvalidAwsConnection("InvalidClientTokenId: The security token is not valid.")

    monkeypatch.setattr(connections, "aws_connection_verify", broken)
    assert "The security token is not valid." in text(root_client.post(url, **HTMX))

    def crashed(*, account: Account) -> str:
        raise RuntimeError("boom")

    monkeypatch.setattr(connections, "aws_connection_verify", crashed)
    response = root_client.post(url, **HTMX)
    assert response.status_code == 200
    assert "The connection could not be tested." in text(response)


# --- language ------------------------------------------------------------------------------------


def test_pages_render_in_japanese(root_client, business_account) -> None:
    data.seed(business_account)
    for url in (reverse("advisor:dashboard"), check_url("check"), reverse("advisor:connection")):
        response = root_client.get(url, HTTP_ACCEPT_LANGUAGE="ja")
        assert response.status_code == 200
        assert '<html lang="ja">' in text(response)
        assert "サポートケース" in text(response)  # the navigation is translated already
    dashboard = text(root_client.get(reverse("advisor:dashboard"), HTTP_ACCEPT_LANGUAGE="ja"))
    assert "月間の推定削減額" in dashboard
    assert any(
        status in dashboard
        for status in ("対処が必要です", "調査が推奨されます", "問題は検出されませんでした")
    )
    check = text(root_client.get(check_url("check"), HTTP_ACCEPT_LANGUAGE="ja"))
    for phrase in ("選択した項目を除外", "CSV をダウンロード", "アラート基準", "推奨される"):
        assert phrase in check
    assert "ステータス" in text(root_client.get(check_url("check"), HTTP_ACCEPT_LANGUAGE="ja"))


# --- query counts --------------------------------------------------------------------------------


@pytest.mark.parametrize("results", [1, 6])
def test_dashboard_query_count_is_constant(
    root_client, business_account, results, django_assert_num_queries
) -> None:
    data.connect_sample(business_account)
    for _ in range(results):  # history: several results per check
        data.seed(business_account)
    # 1 session; 2 user with account and plan; 3 check states with their latest results;
    # 4 the AWS connection; 5 the flagged-resources history (one query over all results).
    with django_assert_num_queries(5):
        response = root_client.get(reverse("advisor:dashboard"))
    assert response.status_code == 200


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
    # documents (read once for the page's four permission checks).
    with django_assert_num_queries(7):
        response = client.get(check_url("check"))
    assert response.status_code == 200
