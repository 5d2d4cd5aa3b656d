"""The case page shows what the principal's policy allows, as the API does: an explicit Deny on
support:DescribeCommunications hides the correspondence (and the chat, and searching it), one on
support:DescribeAttachment the download links. IAM users with such policies, via the test client.
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.models import Account, User
from accounts.principals import SYSTEM
from accounts.services import iam_user_create, policy_create
from cases import services
from cases.services import NewAttachment
from tests import factories

HTMX = {"HTTP_HX_REQUEST": "true"}
CUSTOMER_TEXT = "the database password is in the vault"
SUPPORT_TEXT = "Please rotate the credentials"
FILE_NAME = "trace-0xfeed.log"


def user_denied(account: Account, *actions: str) -> User:
    """An IAM user allowed support:* except `actions` (an explicit Deny)."""
    document = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": "support:*", "Resource": "*"},
            {"Effect": "Deny", "Action": list(actions), "Resource": "*"},
        ],
    }
    name = "Deny" + "".join(a.split(":")[1] for a in actions)
    policy = policy_create(account=account, name=name, document=document, actor=SYSTEM)
    return iam_user_create(
        account=account,
        user_name=name.lower(),
        password=factories.PASSWORD,
        actor=SYSTEM,
        policies=[policy],
    )


def case_with_correspondence(account: Account, engineer, **kwargs: object):
    case = factories.make_case(account, subject="Disk latency", body=CUSTOMER_TEXT, **kwargs)
    services.case_support_reply_with_files(
        case=case,
        actor=engineer,
        body=SUPPORT_TEXT,
        next_status="pending-customer-action",
        files=[NewAttachment(file_name=FILE_NAME, data=b"trace")],
    )
    return case


def attachment_url(case) -> str:
    attachment = case.communications.get(attachment_set__isnull=False).attachment_set
    first = attachment.attachments.get()
    return reverse("cases:attachment", args=[case.case_id, first.attachment_id])


def test_deny_describe_communications_hides_the_correspondence(
    client, business_account, engineer
) -> None:
    case = case_with_correspondence(business_account, engineer)
    client.force_login(user_denied(business_account, "support:DescribeCommunications"))
    page = client.get(reverse("cases:detail", args=[case.case_id]))
    assert page.status_code == 200
    body = page.content.decode()
    assert "Disk latency" in body  # DescribeCases is allowed: the case itself is shown
    assert 'id="correspondence-denied"' in body
    for hidden in (CUSTOMER_TEXT, SUPPORT_TEXT, FILE_NAME, 'id="correspondence"'):
        assert hidden not in body
    assert "Submit" in body  # replying (AddCommunicationToCase) is still allowed
    # The fragment the page reloads is refused, as DescribeCommunications is in the API.
    fragment = client.get(reverse("cases:messages", args=[case.case_id]), **HTMX)
    assert fragment.status_code == 403
    assert CUSTOMER_TEXT.encode() not in fragment.content
    # A reply's htmx answer (the page's body) keeps the correspondence hidden.
    replied = client.post(reverse("cases:reply", args=[case.case_id]), {"body": "ok"}, **HTMX)
    assert replied.status_code == 200
    assert SUPPORT_TEXT.encode() not in replied.content


def test_deny_describe_communications_hides_the_chat_and_its_poll(
    client, business_account, engineer
) -> None:
    case = case_with_correspondence(business_account, engineer, contact_method="chat")
    client.force_login(user_denied(business_account, "support:DescribeCommunications"))
    body = client.get(reverse("cases:detail", args=[case.case_id])).content.decode()
    assert 'id="correspondence-denied"' in body
    assert SUPPORT_TEXT not in body and CUSTOMER_TEXT not in body
    assert 'id="chat-log"' not in body and 'hx-trigger="every 3s"' not in body
    poll = client.get(reverse("cases:messages", args=[case.case_id]), {"m": "0"}, **HTMX)
    assert poll.status_code == 403 and SUPPORT_TEXT.encode() not in poll.content


def test_deny_describe_communications_searches_subjects_only(
    client, business_account, engineer
) -> None:
    case_with_correspondence(business_account, engineer)
    list_url = reverse("cases:list")
    root = factories.root_of(business_account)
    client.force_login(root)
    assert b"Disk latency" in client.get(list_url, {"q": "vault", "state": "all"}).content
    client.force_login(user_denied(business_account, "support:DescribeCommunications"))
    # A word only the correspondence holds finds nothing (a match would tell what it says) ...
    assert b"Disk latency" not in client.get(list_url, {"q": "vault", "state": "all"}).content
    assert b"Disk latency" not in client.get(list_url, {"q": "vau*", "state": "all"}).content
    # ... words of the subject still do.
    assert b"Disk latency" in client.get(list_url, {"q": "disk lat*", "state": "all"}).content


def test_deny_describe_attachment_shows_file_names_without_links(
    client, business_account, engineer
) -> None:
    case = case_with_correspondence(business_account, engineer)
    chat = case_with_correspondence(business_account, engineer, contact_method="chat")
    client.force_login(user_denied(business_account, "support:DescribeAttachment"))
    for shown in (case, chat):
        body = client.get(reverse("cases:detail", args=[shown.case_id])).content.decode()
        assert FILE_NAME in body and SUPPORT_TEXT in body
        assert attachment_url(shown) not in body
        assert client.get(attachment_url(shown)).status_code == 403
    fragment = client.get(reverse("cases:messages", args=[case.case_id]), **HTMX)
    assert FILE_NAME.encode() in fragment.content
    assert attachment_url(case).encode() not in fragment.content
    poll = client.get(reverse("cases:messages", args=[chat.case_id]), {"m": "0"}, **HTMX)
    assert FILE_NAME.encode() in poll.content
    assert attachment_url(chat).encode() not in poll.content


@pytest.mark.parametrize("user", ["root", "support-access"])
def test_allowed_readers_see_correspondence_and_links(
    client, business_account, engineer, user
) -> None:
    case = case_with_correspondence(business_account, engineer)
    client.force_login(
        factories.root_of(business_account)
        if user == "root"
        else factories.make_iam_user(business_account)
    )
    body = client.get(reverse("cases:detail", args=[case.case_id])).content.decode()
    assert CUSTOMER_TEXT in body and SUPPORT_TEXT in body and attachment_url(case) in body
    assert 'id="correspondence-denied"' not in body
    assert client.get(attachment_url(case)).status_code == 200


def test_the_case_list_offers_only_what_the_policy_allows(client, business_account) -> None:
    list_url = reverse("cases:list")
    create_url = reverse("cases:create")
    client.force_login(factories.make_iam_user(business_account, policy="AWSSupportAccess"))
    body = client.get(list_url).content.decode()
    assert f'href="{create_url}"' in body
    assert "Search subject and correspondence" in body
    # A read-only user would follow "Create case" to a "no access" page, and is told the search
    # reads correspondence it does not: neither is offered.
    client.force_login(
        factories.make_iam_user(business_account, policy="SupportCenterReadOnlyAccess")
    )
    body = client.get(list_url).content.decode()
    assert f'href="{create_url}"' not in body
    assert "Search subject and correspondence" in body
    client.force_login(user_denied(business_account, "support:DescribeCommunications"))
    body = client.get(list_url).content.decode()
    assert "Search subject and correspondence" not in body
    assert '<label for="id_q">Search subject</label>' in body
    japanese = client.get(list_url, HTTP_ACCEPT_LANGUAGE="ja").content.decode()
    assert '<label for="id_q">件名を検索</label>' in japanese
