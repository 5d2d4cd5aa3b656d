"""The forms on a customer's case page, through the test client: each control has its own
label, and what the user typed or chose is either kept or named when it cannot be."""

from __future__ import annotations

import re
from collections import Counter

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from cases import services
from tests import factories


@pytest.fixture
def root_client(client, business_account):
    client.force_login(factories.root_of(business_account))
    return client


@pytest.mark.parametrize("contact_method", ["web", "chat"])
def test_a_resolved_case_page_has_one_control_per_id(
    root_client, business_account, root, contact_method
) -> None:
    # A resolved case shows both the reply form and the reopen form; each label must lead to
    # its own textarea, or a click on "What still needs attention?" lands in the reply box.
    case = factories.make_case(business_account, root, contact_method=contact_method)
    services.case_resolve(case=case, actor=root)
    body = root_client.get(reverse("cases:detail", args=[case.case_id])).content.decode()
    ids = Counter(re.findall(r'\sid="([^"]+)"', body))
    assert [name for name, count in ids.items() if count > 1] == []
    reopen = body[body.index('class="reopen"') :]
    reopen = reopen[: reopen.index("</form>")]
    label_for = re.search(r'<label for="([^"]+)">What still needs attention\?', reopen)
    assert label_for is not None
    assert '<textarea name="body" ' in reopen
    assert f'id="{label_for.group(1)}"' in reopen


def test_an_empty_reopen_keeps_its_error_beside_its_own_field(
    root_client, business_account, root
) -> None:
    case = factories.make_case(business_account, root)
    services.case_resolve(case=case, actor=root)
    response = root_client.post(reverse("cases:reopen", args=[case.case_id]), {"body": " "})
    assert response.status_code == 400
    body = response.content.decode()
    reopen = body[body.index('class="reopen"') :]
    reopen = reopen[: reopen.index("</form>")]
    assert "This field is required." in reopen
    assert 'aria-invalid="true"' in reopen


def test_a_reopen_sent_after_the_case_was_reopened_elsewhere_shows_its_error_on_the_reply_form(
    root_client, business_account, root
) -> None:
    # Reopened in another tab meanwhile: the page has no reopen form any more, so the text and
    # its error go to the reply form rather than vanishing behind a bare 400.
    case = factories.make_case(business_account, root)
    services.case_resolve(case=case, actor=root)
    services.case_reply_with_files(case=case, actor=root, body="Still broken.", files=[])
    response = root_client.post(reverse("cases:reopen", args=[case.case_id]), {"body": " "})
    assert response.status_code == 400
    body = response.content.decode()
    assert 'class="reopen"' not in body
    reply = body[body.index('id="id_body"') - 400 :]
    reply = reply[: reply.index("</form>")]
    assert "This field is required." in reply
    assert 'aria-invalid="true"' in reply
    # A message that is not empty is simply a reply to the open case.
    sent = root_client.post(reverse("cases:reopen", args=[case.case_id]), {"body": "And more."})
    assert sent.status_code == 302
    assert case.communications.filter(body="And more.").exists()


FILES_AGAIN = "Choose your files again (trace.log, screen.png): a form sent back with an error"


def two_files() -> list[SimpleUploadedFile]:
    return [
        SimpleUploadedFile("trace.log", b"stack trace", content_type="text/plain"),
        SimpleUploadedFile("screen.png", b"\x89PNG", content_type="image/png"),
    ]


def test_a_create_form_sent_back_names_the_files_it_could_not_keep(root_client) -> None:
    # A browser never refills a file input, so the user must be told, beside the field,
    # which files to choose again; otherwise the case is opened without them.
    response = root_client.post(
        reverse("cases:create"),
        {
            "case_type": "technical",
            "service": "amazon-elastic-compute-cloud-linux",
            "category": "instance-issue",
            "severity": "high",
            "subject": "",
            "description": "Since 09:00 UTC, no SSH.",
            "language": "en",
            "contact_method": "web",
            "attachments": two_files(),
        },
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert FILES_AGAIN in body
    assert 'id="id_attachments_error"' in body
    assert "Since 09:00 UTC, no SSH." in body  # the typed text is kept


def test_a_reply_sent_back_names_the_files_it_could_not_keep(
    root_client, business_account, root
) -> None:
    case = factories.make_case(business_account, root)
    response = root_client.post(
        reverse("cases:reply", args=[case.case_id]), {"body": "", "attachments": two_files()}
    )
    assert response.status_code == 400
    assert FILES_AGAIN in response.content.decode()
    japanese = root_client.post(
        reverse("cases:reply", args=[case.case_id]),
        {"body": "", "attachments": two_files()},
        HTTP_ACCEPT_LANGUAGE="ja",
    )
    assert (
        "ファイル (trace.log, screen.png) をもう一度選択してください。" in japanese.content.decode()
    )


def test_files_with_an_error_of_their_own_are_not_asked_for_twice(root_client) -> None:
    response = root_client.post(
        reverse("cases:create"),
        {"subject": "", "attachments": [*two_files(), *two_files()]},
    )
    body = response.content.decode()
    assert "Attach at most 3 files." in body
    assert "Choose your files again" not in body


def test_show_categories_without_javascript_names_the_files_it_could_not_keep(
    root_client,
) -> None:
    # The no-JS "Show categories" button posts the whole form back to redraw it for the
    # chosen service; the files cannot come back with it, so the page says which ones to
    # choose again, and nothing else: the form is not checked before it is sent.
    payload = {
        "refresh": "1",
        "case_type": "technical",
        "service": "amazon-elastic-compute-cloud-linux",
        "subject": "",
        "description": "Since 09:00 UTC, no SSH.",
    }
    response = root_client.post(reverse("cases:create"), {**payload, "attachments": two_files()})
    assert response.status_code == 200
    body = response.content.decode()
    notice = "Choose your files again (trace.log, screen.png): showing the categories cannot"
    assert notice in body
    assert "This field is required." not in body
    assert "Since 09:00 UTC, no SSH." in body
    japanese = root_client.post(
        reverse("cases:create"),
        {**payload, "attachments": two_files()},
        HTTP_ACCEPT_LANGUAGE="ja",
    ).content.decode()
    assert "ファイル (trace.log, screen.png) をもう一度選択してください。カテゴリ" in japanese
    without_files = root_client.post(reverse("cases:create"), payload).content.decode()
    assert "Choose your files again" not in without_files
