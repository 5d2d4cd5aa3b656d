"""Live chat both ways: a chat case's conversation reads oldest first on the customer's page and
in the console, each side polls for what came after it (204 when nothing did), and the customer
sees the engineer join."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from accounts.principals import SYSTEM
from accounts.services import user_update
from cases import services
from cases.models import Case
from tests import factories

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def chat_case(business_account, root) -> Case:
    return factories.make_case(
        business_account, root, contact_method="chat", body="The API returns 503."
    )


def _poll_url(page: str) -> str:
    match = re.search(r'id="chat-poll"[^>]*hx-get="([^"]+)"', page)
    assert match, "no poller on the page"
    return match.group(1).replace("&amp;", "&")


def _customer(business_account) -> Client:
    client = Client()
    client.force_login(factories.root_of(business_account))
    return client


def _engineer(engineer) -> Client:
    client = Client()
    client.force_login(engineer.user)
    return client


def test_the_conversation_goes_both_ways(business_account, root, engineer, chat_case) -> None:
    user_update(user=engineer.user, actor=SYSTEM, display_name="Akira")
    customer, support = _customer(business_account), _engineer(engineer)
    page = customer.get(reverse("cases:detail", args=[chat_case.case_id])).content.decode()
    assert "The API returns 503." in page
    customer_poll = _poll_url(page)
    assert customer.get(customer_poll, **HTMX).status_code == 204  # nothing new yet

    console = support.get(reverse("console:case", args=[chat_case.case_id])).content.decode()
    engineer_poll = _poll_url(console)
    assert "/console/" in engineer_poll
    services.case_assign(case=chat_case, engineer=engineer.user, actor=engineer)
    services.case_support_reply(
        case=chat_case, actor=engineer, body="Which region?", next_status="pending-customer-action"
    )

    update = customer.get(customer_poll, **HTMX)
    assert update.status_code == 200
    lines = update.content.decode()
    assert "The API returns 503." not in lines  # only what came after the cursor
    assert lines.index("Akira joined the chat.") < lines.index("Which region?")
    assert "Amazon Web Services" in lines  # customers see Support, not the engineer's address
    customer_poll = _poll_url(lines)
    assert customer.get(customer_poll, **HTMX).status_code == 204

    services.case_add_communication(case=chat_case, actor=root, body="us-east-1, since 09:00.")
    seen = support.get(engineer_poll, **HTMX).content.decode()
    assert "us-east-1, since 09:00." in seen and "Which region?" in seen
    assert seen.index("Which region?") < seen.index("us-east-1, since 09:00.")

    # A full page reads oldest first too.
    page = customer.get(reverse("cases:detail", args=[chat_case.case_id])).content.decode()
    assert page.index("The API returns 503.") < page.index("Which region?")
    assert page.index("Which region?") < page.index("us-east-1, since 09:00.")


def test_the_polling_stops_when_the_case_is_resolved(business_account, root, chat_case) -> None:
    customer = _customer(business_account)
    page = customer.get(reverse("cases:detail", args=[chat_case.case_id])).content.decode()
    poll = _poll_url(page)
    services.case_resolve(case=chat_case, actor=root)
    last = customer.get(poll, **HTMX)
    assert last.status_code == 200 and 'id="chat-poll"' not in last.content.decode()
    page = customer.get(reverse("cases:detail", args=[chat_case.case_id])).content.decode()
    assert 'id="chat-poll"' not in page


def test_a_malformed_cursor_reads_from_the_start(business_account, chat_case) -> None:
    customer = _customer(business_account)
    url = reverse("cases:messages", args=[chat_case.case_id])
    for query in ("?m=abc&e=-1", "?m=99999999999999999999999&e=", "?m=%00"):
        response = customer.get(url + query, **HTMX)
        assert response.status_code == 200
        assert "The API returns 503." in response.content.decode()


def test_other_people_cannot_poll_a_chat(client, other_account, chat_case, business_account):
    client.force_login(factories.root_of(other_account))
    assert client.get(reverse("cases:messages", args=[chat_case.case_id])).status_code == 404
    client.force_login(factories.root_of(business_account))
    assert client.get(reverse("console:chat", args=[chat_case.case_id])).status_code == 403


def test_a_poll_costs_the_same_whatever_came(
    business_account, root, engineer, chat_case, django_assert_num_queries
) -> None:
    customer = _customer(business_account)
    url = reverse("cases:messages", args=[chat_case.case_id])
    customer.get(url)  # warm the session
    # Session and user, the case, its messages, the joins (no files, so no attachment query).
    with django_assert_num_queries(5):
        customer.get(url + "?m=999999&e=999999", **HTMX)
    for n in range(5):
        services.case_support_reply(
            case=chat_case, actor=engineer, body=f"Update {n}", next_status="work-in-progress"
        )
    # What came has been read: one upsert of the customer's read mark, however much came.
    with django_assert_num_queries(6):
        response = customer.get(url + "?m=0&e=0", **HTMX)
    assert response.content.decode().count("Update ") == 5
    services.case_support_reply(
        case=chat_case, actor=engineer, body="Update 5", next_status="work-in-progress"
    )
    with django_assert_num_queries(6):
        response = customer.get(url + "?m=0&e=0", **HTMX)
    assert response.content.decode().count("Update ") == 6
