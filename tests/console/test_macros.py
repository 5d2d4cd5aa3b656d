"""Canned responses on the console's case page: choosing one adds it to the reply after what the
engineer typed, with htmx or without JavaScript, and picks the macro's next status."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from audit.models import AuditEvent
from cases import services
from cases.models import Case
from console.views.macros import append_text
from macros.services import macro_save
from tests import factories


@pytest.fixture
def engineer_client(client, engineer):
    client.force_login(engineer.user)
    return client


@pytest.fixture
def case(business_account, root) -> Case:
    return factories.make_case(business_account, root, subject="Disk full")


@pytest.fixture
def logs(reference_data):
    return factories.make_macro(
        "Need logs",
        body="Hello {customer_name}, please send the logs for case {display_id}.",
        body_ja="{customer_name} 様、ケース {display_id} のログをお送りください。",
        next_status="pending-customer-action",
    )


def _picked(case: Case, macro) -> str:
    return reverse("console:case-macro", args=[case.case_id]) + f"?macro={macro.pk}"


def _insert(case: Case) -> str:
    return reverse("console:case-macro-insert", args=[case.case_id])


def _textarea(page: str) -> str:
    # The reply's; the note form's comes later.
    return re.findall(r'<textarea name="body"[^>]*>\n?(.*?)</textarea>', page, re.S)[0]


def _selected_status(page: str) -> str:
    select = page[page.index('<select name="next_status"') :]
    select = select[: select.index("</select>")]
    [value] = re.findall(r'<option value="([^"]*)" selected>', select)
    return value


def test_the_reply_form_offers_the_active_macros(engineer_client, case, logs) -> None:
    factories.make_macro("Retired", is_active=False)
    page = engineer_client.get(reverse("console:case", args=[case.case_id])).content.decode()
    reply = page[page.index('id="id_macro"') : page.index("Send reply")]
    assert "Need logs" in reply and "Retired" not in reply
    assert f'hx-get="{reverse("console:case-macro", args=[case.case_id])}"' in page
    assert f'formaction="{_insert(case)}"' in reply  # the Insert button, without JavaScript
    assert "js/macros.js" in page


def test_no_picker_without_macros(engineer_client, case) -> None:
    page = engineer_client.get(reverse("console:case", args=[case.case_id])).content.decode()
    assert 'id="id_macro"' not in page and "js/macros.js" not in page


def test_htmx_gets_the_filled_text_and_the_next_status(engineer_client, case, logs) -> None:
    response = engineer_client.get(_picked(case, logs), HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    account = case.account.name
    assert response.content.decode() == (
        '<div data-macro-text data-next-status="pending-customer-action">'
        f"Hello {account}, please send the logs for case {case.display_id}.</div>"
    )


def test_the_text_is_escaped_and_japanese_for_a_japanese_case(
    engineer_client, business_account, root, logs
) -> None:
    case = factories.make_case(business_account, root, language="ja", subject="<b>Disk</b>")
    tagged = factories.make_macro("Tagged", body="Re: {subject} & more")
    japanese = engineer_client.get(_picked(case, logs), HTTP_HX_REQUEST="true").content.decode()
    assert f"ケース {case.display_id} のログ" in japanese
    escaped = engineer_client.get(_picked(case, tagged), HTTP_HX_REQUEST="true").content.decode()
    assert "Re: &lt;b&gt;Disk&lt;/b&gt; &amp; more" in escaped


def test_an_inactive_or_missing_macro_is_refused(engineer_client, case, logs) -> None:
    retired = factories.make_macro("Retired", is_active=False)
    for query in (f"?macro={retired.pk}", "?macro=999999", "?macro=", ""):
        url = reverse("console:case-macro", args=[case.case_id]) + query
        # htmx swaps nothing of an error response: the refusal goes to the picker's message
        # area instead (test_macros_browser shows it on the page).
        refused = engineer_client.get(url, HTTP_HX_REQUEST="true")
        assert refused.status_code == 200, query
        assert refused["HX-Retarget"] == "#macro-error"
        assert "This canned response is no longer available." in refused.content.decode()
        assert "data-macro-text" not in refused.content.decode()
        assert engineer_client.get(url).status_code == 400, query


def test_the_picker_endpoint_query_count(
    engineer_client, case, logs, django_assert_num_queries
) -> None:
    factories.make_macro("Another")
    # 1 session; 2 user; 3 the case with its account; 4 the active macros; 5 the submitter
    # (for {customer_name}).
    with django_assert_num_queries(5):
        response = engineer_client.get(_picked(case, logs), HTTP_HX_REQUEST="true")
    assert response.status_code == 200


def test_insert_without_javascript_keeps_what_was_typed(engineer_client, case, logs) -> None:
    typed = "Thanks for the details.\r\nOne more thing:"
    response = engineer_client.post(
        _insert(case),
        {"body": typed, "next_status": "resolved", "macro": str(logs.pk), "seen": "7"},
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert 'name="seen" value="7"' in page  # still written against what the engineer had seen
    filled = f"Hello {case.account.name}, please send the logs for case {case.display_id}."
    assert _textarea(page) == f"Thanks for the details.\r\nOne more thing:\n\n{filled}"
    assert _selected_status(page) == "pending-customer-action"
    # Inserting changes nothing: no reply, no record.
    assert case.communications.count() == 1
    assert not AuditEvent.objects.filter(event_name="AddCommunicationToCase").exists()


def test_a_macro_without_a_status_keeps_the_chosen_one(engineer_client, case) -> None:
    thanks = factories.make_macro("Thanks", body="Thank you!")
    response = engineer_client.post(
        _insert(case), {"body": "", "next_status": "resolved", "macro": str(thanks.pk)}
    )
    page = response.content.decode()
    assert (_textarea(page), _selected_status(page)) == ("Thank you!", "resolved")


def test_insert_without_a_macro_keeps_the_typed_text(engineer_client, case, logs) -> None:
    response = engineer_client.post(
        _insert(case), {"body": "Half a reply", "next_status": "opened", "macro": ""}
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert _textarea(page) == "Half a reply"
    assert _selected_status(page) == "opened"
    assert 'id="id_macro_error"' in page


def test_the_macros_status_applies_when_the_reply_is_sent(engineer_client, case, logs) -> None:
    inserted = engineer_client.post(
        _insert(case), {"body": "", "next_status": "opened", "macro": str(logs.pk)}
    ).content.decode()
    body, status = _textarea(inserted), _selected_status(inserted)
    response = engineer_client.post(
        reverse("console:case-action", args=[case.case_id, "reply"]),
        {"body": body, "next_status": status},
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == "pending-customer-action"
    assert case.communications.order_by("-created_at").first().body == (
        f"Hello {case.account.name}, please send the logs for case {case.display_id}."
    )


def test_customers_and_anonymous_users_are_refused(client, case, logs, root) -> None:
    get, post = _picked(case, logs), _insert(case)
    data = {"body": "x", "next_status": "opened", "macro": str(logs.pk)}
    assert client.get(get).status_code == 302
    assert client.post(post, data).status_code == 302
    client.force_login(root.user)
    assert client.get(get, HTTP_HX_REQUEST="true").status_code == 403
    assert client.post(post, data).status_code == 403


def test_an_unknown_case_is_not_found(engineer_client, logs) -> None:
    missing = Case(case_id="case-000000000000-muen-2026-0000000000000000")
    assert engineer_client.get(_picked(missing, logs), HTTP_HX_REQUEST="true").status_code == 404
    data = {"body": "x", "next_status": "opened", "macro": str(logs.pk)}
    assert engineer_client.post(_insert(missing), data).status_code == 404


@pytest.mark.parametrize(
    ("typed", "joined"),
    [
        ("", "M"),
        ("  \n", "M"),
        ("Hi", "Hi\n\nM"),
        ("Hi\n", "Hi\n\nM"),
        ("Hi\n\n", "Hi\n\nM"),
        ("Hi\r\n\r\n", "Hi\r\n\r\nM"),
    ],
)
def test_the_macro_follows_the_typed_text_after_a_blank_line(typed, joined) -> None:
    assert append_text(typed, "M") == joined


def test_insert_on_a_resolved_case_keeps_a_status_it_can_take(
    engineer_client, case, logs, root
) -> None:
    """The macro asks for pending-customer-action, which a resolved case cannot take (the reply
    offers it only "Resolved"): the text goes in, the status stays, and no error shows."""
    services.case_resolve(case=case, actor=root)
    response = engineer_client.post(
        _insert(case), {"body": "", "next_status": "resolved", "macro": str(logs.pk)}
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "please send the logs" in _textarea(page)
    assert _selected_status(page) == "resolved"
    assert "Select a valid choice" not in page


def test_insert_after_the_last_macro_was_deactivated_says_why(
    engineer_client, case, logs, engineer
) -> None:
    # The page was loaded with one macro; it is deactivated before Insert is pressed.
    macro_save(macro=logs, values={"is_active": False}, actor=engineer)
    response = engineer_client.post(
        _insert(case),
        {"body": "Half a reply", "next_status": "opened", "macro": str(logs.pk)},
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert 'id="id_macro_error"' in page
    assert "This canned response is no longer available." in page
    assert "No canned responses are available now." in page
    assert _textarea(page) == "Half a reply"
    japanese = engineer_client.post(
        _insert(case),
        {"body": "", "next_status": "opened", "macro": str(logs.pk)},
        HTTP_ACCEPT_LANGUAGE="ja",
    ).content.decode()
    assert "この定型文は使用できなくなりました。" in japanese
