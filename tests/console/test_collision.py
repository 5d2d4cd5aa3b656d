"""Two engineers on one case: each sees who else has it open or is typing a reply, and a reply
written before a newer message arrived asks to be confirmed instead of crossing it unread."""

from __future__ import annotations

import re
from datetime import timedelta

import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.principals import SYSTEM
from accounts.services import user_update
from cases.models import Communication
from tests import factories

HTMX = {"HTTP_HX_REQUEST": "true"}


def _engineer_client(name: str) -> tuple[Client, object]:
    user = factories.make_engineer()
    user_update(user=user, actor=SYSTEM, display_name=name)
    client = Client()
    client.force_login(user)
    return client, user


def test_engineers_see_each_other_on_a_case(business_account, root) -> None:
    case = factories.make_case(business_account, root)
    url = reverse("console:presence", args=[case.case_id])
    ana, _ = _engineer_client("Ana")
    ben, ben_user = _engineer_client("Ben")
    page = ana.get(reverse("console:case", args=[case.case_id])).content.decode()
    assert 'hx-post="' + url in page and 'id="typing-flag"' in page
    assert ana.post(url, {"typing": ""}, **HTMX).content.decode().strip() == ""  # alone
    seen_by_ben = ben.post(url, **HTMX).content.decode()
    assert "Ana also has this case open." in seen_by_ben
    ana.post(url, {"typing": "1"}, **HTMX)
    assert "Ana is typing a reply." in ben.post(url, **HTMX).content.decode()
    assert "Ben also has this case open." in ana.post(url, **HTMX).content.decode()
    with time_machine.travel(timezone.now() + timedelta(seconds=45)):
        ben.force_login(ben_user)  # sessions are dated; sign in again at the travelled time
        assert "Ana" not in ben.post(url, **HTMX).content.decode()  # Ana left


def test_presence_costs_the_same_however_many_watch(
    business_account, root, django_assert_num_queries
) -> None:
    case = factories.make_case(business_account, root)
    url = reverse("console:presence", args=[case.case_id])
    clients = [_engineer_client(f"E{n}")[0] for n in range(4)]
    clients[0].post(url, **HTMX)
    # Session and user, the case, the presence update, the sweep, the viewers.
    with django_assert_num_queries(6):
        clients[0].post(url, **HTMX)
    for client in clients[1:]:
        client.post(url, **HTMX)
    with django_assert_num_queries(6):
        response = clients[0].post(url, **HTMX)
    assert response.content.decode().count("also has this case open") == 3


def test_a_reply_over_a_newer_message_asks_first(business_account, root) -> None:
    case = factories.make_case(business_account, root)
    ana, _ana = _engineer_client("Ana")
    ben, _ben = _engineer_client("Ben")
    page = ben.get(reverse("console:case", args=[case.case_id])).content.decode()
    seen = re.search(r'name="seen" value="(\d+)"', page).group(1)
    reply_url = reverse("console:case-action", args=[case.case_id, "reply"])
    # Ana answers first.
    ana_page = ana.get(reverse("console:case", args=[case.case_id])).content.decode()
    ana_seen = re.search(r'name="seen" value="(\d+)"', ana_page).group(1)
    assert (
        ana.post(
            reply_url, {"body": "Restart it.", "next_status": "opened", "seen": ana_seen}
        ).status_code
        == 302
    )
    # Ben's reply, written against the older conversation, comes back with Ana's on the page.
    crossing = ben.post(
        reply_url, {"body": "Check the logs.", "next_status": "opened", "seen": seen}
    )
    assert crossing.status_code == 409
    text = crossing.content.decode()
    assert "A newer message arrived while you wrote" in text
    assert "Restart it." in text and "Check the logs.</textarea>" in text
    assert "Send anyway" in text
    assert Communication.objects.filter(case=case, body="Check the logs.").count() == 0
    # Sent again from that page (which now carries the confirmation), it goes through.
    again = {
        "body": "Check the logs.",
        "next_status": "opened",
        "seen": re.search(r'name="seen" value="(\d+)"', text).group(1),
        "confirm": re.search(r'name="confirm" value="(\w+)"', text).group(1),
    }
    assert ben.post(reply_url, again).status_code == 302
    assert Communication.objects.filter(case=case, body="Check the logs.").count() == 1


def test_customers_have_no_presence(client, business_account, root) -> None:
    case = factories.make_case(business_account, root)
    client.force_login(factories.root_of(business_account))
    assert client.post(reverse("console:presence", args=[case.case_id])).status_code == 403


def test_a_garbled_seen_field_asks_first_instead_of_failing(business_account, root) -> None:
    case = factories.make_case(business_account, root)
    ben, _ben = _engineer_client("Ben")
    reply_url = reverse("console:case-action", args=[case.case_id, "reply"])
    for garbled in ("abc", "-1", "１２", "9" * 30):
        answer = ben.post(
            reply_url, {"body": "Check the logs.", "next_status": "opened", "seen": garbled}
        )
        assert answer.status_code == 409, garbled
        text = answer.content.decode()
        assert "A newer message arrived while you wrote" in text
        assert "Check the logs.</textarea>" in text
    assert not Communication.objects.filter(case=case, body="Check the logs.").exists()
