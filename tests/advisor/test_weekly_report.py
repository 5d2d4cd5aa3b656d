"""The weekly Trusted Advisor email: what it says (this week's red and yellow checks and savings
against last week's, linked to the dashboard), to whom (the account's address and its
operations contact, less those who opted out), in which language, and once per account and
week however often the job runs. Received by a real SMTP server (aiosmtpd on loopback)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.principals import SYSTEM
from accounts.services import account as account_services
from advisor import services as advisor
from advisor.models import WeeklyReport
from advisor.services import reports
from advisor.tasks import advisor_weekly_reports_send_task
from notifications.models import Notification
from notifications.tasks import notifications_sweep_task
from tests import factories
from tests.advisor import console_data as data
from tests.advisor.console_data import EIP, MFA, SG
from tests.notifications.conftest import smtp, smtp_port  # noqa: F401

pytestmark = pytest.mark.usefixtures("console_specs")

MONDAY = datetime(2025, 12, 8, 12, 0, tzinfo=UTC)
LAST_WEEK = datetime(2025, 12, 1, 7, 0, tzinfo=UTC)
OPS = "ops@example.com"


def _last_week(account) -> None:
    """A week ago: one red check (MFA), two yellow (SG, EIP), $3.60 of savings."""
    with time_machine.travel(LAST_WEEK, tick=False):
        data.store(account, SG, [data.sg_row("warning", "odd-port", "sg-0000000000000000b")])
        data.store(account, EIP, [data.eip_row("203.0.113.10")])
        data.store(account, MFA, [data.Row(status="error", arn="arn:aws:iam::1:root", metadata=[])])


def _this_week(account) -> None:
    """Now: two red (SG, MFA), one yellow (EIP), $7.20 of savings."""
    with time_machine.travel(MONDAY.replace(hour=7), tick=False):
        data.seed(account)


@pytest.fixture
def account(reference_data):
    account = factories.make_account("business", name="Example Corp")
    data.connect_sample(account)
    account_services.alternate_contact_put(
        account=account,
        actor=SYSTEM,
        contact_type="OPERATIONS",
        name="Ops team",
        email=OPS,
    )
    return account


def _send() -> int:
    with time_machine.travel(MONDAY, tick=False):
        return advisor_weekly_reports_send_task()


def _parts(message) -> tuple[str, str]:
    text, html = message.get_payload()
    # Lines end in CRLF on the wire.
    return (
        text.get_payload(decode=True).decode().replace("\r\n", "\n"),
        html.get_payload(decode=True).decode().replace("\r\n", "\n"),
    )


def test_the_weekly_email_compares_with_last_week_and_goes_once(smtp, account) -> None:  # noqa: F811
    _last_week(account)
    _this_week(account)
    assert _send() == 1
    # Run again (beat's retry, a second scheduler): nothing more is queued.
    assert _send() == 0
    assert WeeklyReport.objects.filter(account=account).count() == 1
    assert Notification.objects.filter(kind=reports.KIND).count() == 1
    assert notifications_sweep_task() == 1
    assert notifications_sweep_task() == 0
    assert len(smtp.messages) == 1
    recipients, message = smtp.messages[0]
    # The account's address (the root user's here) and the operations contact, in one message.
    assert sorted(recipients) == sorted([account.contact_email, OPS])
    assert message["Subject"] == (
        f"Trusted Advisor weekly summary for Example Corp ({account.account_id})"
    )
    text, html = _parts(message)
    assert f"Your Trusted Advisor checks for account Example Corp ({account.account_id})" in text
    assert "week of Dec. 8, 2025" in text
    assert "Action recommended: 2 (up 1 from last week)" in text
    assert "Investigation recommended: 1 (down 1 from last week)" in text
    assert "No problems detected: 0" in text
    assert "Estimated monthly savings: $7.20 (up $3.60 from last week)" in text
    assert "Security: Action recommended 2, Investigation recommended 0" in text
    assert "Cost optimization: Action recommended 0, Investigation recommended 1" in text
    dashboard = "https://support.example.com/trusted-advisor/"
    assert dashboard in text and f'href="{dashboard}"' in html
    assert "https://support.example.com/trusted-advisor/preferences/" in text
    assert '<td id="error">2</td><td>up 1 from last week</td>' in html
    assert '<html lang="en">' in html


def test_the_first_weekly_email_has_nothing_to_compare(smtp, account) -> None:  # noqa: F811
    _this_week(account)
    assert _send() == 1
    notifications_sweep_task()
    text, _html = _parts(smtp.messages[0][1])
    assert "Action recommended: 2\n" in text
    assert "from last week" not in text
    assert "This is the first summary" in text


def test_the_weekly_email_in_japanese(smtp, account) -> None:  # noqa: F811
    """The account's language by default; a user's own language for their address."""
    account.language = "ja"
    account.save(update_fields=["language"])
    root = factories.root_of(account)
    root.language = "en"
    root.save(update_fields=["language"])
    _last_week(account)
    _this_week(account)
    assert _send() == 1
    assert notifications_sweep_task() == 2
    by_address = {tuple(recipients): message for recipients, message in smtp.messages}
    english_text, _html = _parts(by_address[(account.contact_email,)])
    assert "Action recommended: 2" in english_text
    text, html = _parts(by_address[(OPS,)])
    assert '<html lang="ja">' in html
    assert "対処が必要です: 2" in text
    assert "調査が推奨されます: 1" in text
    assert "月間の推定削減額: $7.20" in text
    assert "セキュリティ" in text and "コスト最適化" in text
    assert "2025年12月8日" in text  # Japanese date format
    assert "Action recommended" not in text


def test_people_stop_it_for_their_own_address(smtp, account) -> None:  # noqa: F811
    _this_week(account)
    root = factories.root_of(account)
    advisor.weekly_report_preference_set(user=root, receives=False)
    # An IAM user whose address is the operations contact's stops that one.
    ops_user = factories.make_iam_user(account, email=OPS)
    assert advisor.weekly_report_recipients([account])[account.pk] == [(OPS, "en")]
    advisor.weekly_report_preference_set(user=ops_user, receives=False)
    assert advisor.weekly_report_recipients([account])[account.pk] == []
    # Nobody left: the week is done all the same, with nothing sent.
    assert _send() == 1
    assert not Notification.objects.filter(kind=reports.KIND).exists()
    assert WeeklyReport.objects.filter(account=account).count() == 1
    # Turned back on: next week's reaches them again.
    advisor.weekly_report_preference_set(user=root, receives=True)
    assert advisor.weekly_report_recipients([account])[account.pk] == [
        (account.contact_email, "en")
    ]


def test_accounts_without_results_or_connection_get_nothing(account, reference_data) -> None:
    unconnected = factories.make_account("business")
    data.seed(unconnected)  # results, but no connection any more
    # `account` is connected but has never run a check.
    assert _send() == 0
    assert not WeeklyReport.objects.exists()
    _this_week(account)
    assert _send() == 1


def test_two_runs_at_once_send_once(account) -> None:
    """Two runs that both found the account without a report: the second's insert gives way
    to the first's row, and it queues nothing."""
    _this_week(account)
    week = reports.week_of(MONDAY)
    with time_machine.travel(MONDAY, tick=False):
        assert reports._send_batch([account], week=week, now=MONDAY) == 1
        assert reports._send_batch([account], week=week, now=MONDAY) == 0
    assert Notification.objects.filter(kind=reports.KIND).count() == 1


def test_reports_go_with_the_results_retention(account, settings) -> None:
    from advisor.tasks import advisor_results_purge_task

    _this_week(account)
    assert _send() == 1
    after = MONDAY.replace(year=MONDAY.year + 2)
    settings.ADVISOR_RESULT_RETENTION_DAYS = 365
    with time_machine.travel(after, tick=False):
        advisor_results_purge_task()
    assert not WeeklyReport.objects.exists()


def test_a_report_gone_before_sending_sends_nothing(account) -> None:
    _this_week(account)
    assert _send() == 1
    notification = Notification.objects.get(kind=reports.KIND)
    WeeklyReport.objects.all().delete()
    assert reports.weekly_report_render(notification.context) is None


def _add_accounts(count: int) -> None:
    for index in range(count):
        account = factories.make_account("business")
        data.connect_sample(account)
        account_services.alternate_contact_put(
            account=account,
            actor=SYSTEM,
            contact_type="OPERATIONS",
            name="Ops",
            email=f"ops{index}@example.com",
        )
        _last_week(account)
        _this_week(account)


def _queries(expected: int) -> int:
    WeeklyReport.objects.all().delete()
    with CaptureQueriesContext(connection) as queries, time_machine.travel(MONDAY, tick=False):
        assert advisor.advisor_weekly_reports_send(actor=SYSTEM) == expected
    return len(queries)


def test_the_job_costs_the_same_queries_for_two_accounts_or_six(reference_data) -> None:
    _add_accounts(2)
    two = _queries(2)
    _add_accounts(4)  # six in all, in the same batch: not one query more
    assert _queries(6) == two
    # 1 the batch of accounts; the batch's transaction: 2 savepoint, 3 latest results,
    # 4 last week's results, 5 reports insert, 6 which are ours, 7 root users and opt-outs,
    # 8 operations contacts, 9 the emails insert, 10 release; 11 the next (empty) batch.
    assert two == 11


# --- the preferences page -----------------------------------------------------------------------


def test_the_preferences_page_saves_each_persons_own_choice(client, account) -> None:
    from django.urls import reverse

    from advisor.models import WeeklyReportPreference

    url = reverse("advisor:preferences")
    root = factories.root_of(account)
    client.force_login(root)
    page = client.get(url).content.decode()
    # The root user sees who gets it (the account's address and the operations contact).
    assert account.contact_email in page and OPS in page
    assert "Your address is among the recipients." in page
    assert 'id="id_receives" checked' in page
    response = client.post(url, {})  # the box unticked
    assert response.status_code == 302 and response["Location"] == url
    assert WeeklyReportPreference.objects.get(user=root).receives is False
    page = client.get(url).content.decode()
    assert "You will no longer get the weekly Trusted Advisor email." in page
    assert 'id="id_receives" checked' not in page
    assert account.contact_email not in page.split('id="weekly-recipients"')[1].split("</ul>")[0]

    # An IAM user sets their own, and does not see the account's addresses.
    # Without Trusted Advisor permissions the page is refused, as the dashboard is.
    dave = factories.make_iam_user(account, email="dave@example.com", policy=None)
    client.force_login(dave)
    assert client.get(url).status_code == 403
    carol = factories.make_iam_user(
        account, email="carol@example.com", policy="SupportCenterTrustedAdvisorAccess"
    )
    client.force_login(carol)
    page = client.get(url).content.decode()
    assert OPS not in page and "weekly-recipients" not in page
    assert "Your address is among the recipients." not in page
    saved = client.post(url, {"receives": "on"}, follow=True).content.decode()
    assert WeeklyReportPreference.objects.get(user=carol).receives is True
    # Her address is not a recipient: the page says so rather than promise the email.
    assert "your address is not one of them" in saved
    assert WeeklyReportPreference.objects.get(user=root).receives is False
    # The pages where people look for it link to it.
    client.force_login(root)
    for where in ("accounts:my-account", "accounts:mfa", "advisor:dashboard"):
        assert f'href="{url}"' in client.get(reverse(where)).content.decode(), where
