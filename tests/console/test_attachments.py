"""Files both ways in the console: engineers open any attachment of a case (download, or a
sandboxed preview of images and plain text), audited; they attach files to replies, which the
customer sees on the case page and as links in the email, and to internal notes, which no
customer can open."""

from __future__ import annotations

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from audit.models import AuditEvent
from cases import services
from cases.models import Attachment, Communication, InternalNote
from cases.services import NewAttachment
from notifications.models import Notification
from notifications.services import notification_send
from tests import factories

# The smallest valid PNG: one transparent pixel.
PIXEL = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f3b0000000049454e44ae426082"
)


@pytest.fixture
def engineer_client(client, engineer):
    client.force_login(engineer.user)
    return client


def _case_with_files(account, root, files: list[NewAttachment]):
    return services.case_create_with_files(
        actor=root,
        account=account,
        files=files,
        subject="Instance unreachable",
        service_code="amazon-elastic-compute-cloud-linux",
        category_code="instance-issue",
        severity_code="low",
        body="See the attached log.",
    )


def _url(case, attachment: Attachment, **query: str) -> str:
    url = reverse("console:attachment", args=[case.case_id, attachment.attachment_id])
    return url + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def test_engineers_open_a_customers_attachment_and_it_is_audited(
    engineer_client, engineer, business_account, root
) -> None:
    case = _case_with_files(
        business_account,
        root,
        [
            NewAttachment("boot.log", b"kernel panic"),
            NewAttachment("screen.png", PIXEL),
            NewAttachment("page.html", b"<script>alert(1)</script>"),
        ],
    )
    log, png, page = Attachment.objects.order_by("id")
    detail = engineer_client.get(reverse("console:case", args=[case.case_id])).content.decode()
    for attachment in (log, png, page):
        assert _url(case, attachment) in detail
    assert f'src="{_url(case, png, preview="1")}"' in detail  # image shown as a thumbnail
    assert _url(case, page, preview="1") not in detail  # HTML is never previewed

    download = engineer_client.get(_url(case, log))
    assert download.status_code == 200
    assert download["Content-Disposition"].startswith('attachment; filename="boot.log"')
    assert download["Content-Type"] == "application/octet-stream"
    assert download["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in download["Content-Security-Policy"]
    assert b"".join(download.streaming_content) == b"kernel panic"

    text = engineer_client.get(_url(case, log, preview="1"))
    assert text["Content-Type"] == "text/plain; charset=utf-8"
    assert text["Content-Disposition"].startswith("inline")
    assert "sandbox" in text["Content-Security-Policy"]
    image = engineer_client.get(_url(case, png, preview="1"))
    assert image["Content-Type"] == "image/png"
    assert b"".join(image.streaming_content) == PIXEL
    # Asking to preview what cannot be previewed safely still downloads it.
    html = engineer_client.get(_url(case, page, preview="1"))
    assert html["Content-Type"] == "application/octet-stream"
    assert html["Content-Disposition"].startswith("attachment")

    opened = AuditEvent.objects.filter(event_name="DescribeAttachment").order_by("id")
    assert [r.request_parameters["attachmentId"] for r in opened] == [
        log.attachment_id,
        log.attachment_id,
        png.attachment_id,
        page.attachment_id,
    ]
    record = opened.first()
    assert record.principal_arn == engineer.arn
    assert record.recipient_account_id == business_account.account_id
    assert record.read_only is True


def test_an_attachment_is_opened_only_through_its_own_case(
    engineer_client, business_account, root
) -> None:
    first = _case_with_files(business_account, root, [NewAttachment("a.log", b"a")])
    second = factories.make_case(business_account, root)
    attachment = Attachment.objects.get()
    assert engineer_client.get(_url(second, attachment)).status_code == 404
    missing = reverse("console:attachment", args=[first.case_id, "attachment-nope"])
    assert engineer_client.get(missing).status_code == 404
    assert not AuditEvent.objects.filter(event_name="DescribeAttachment").exists()


def test_customers_cannot_use_the_console_link(client, business_account, root) -> None:
    case = _case_with_files(business_account, root, [NewAttachment("a.log", b"a")])
    client.force_login(factories.root_of(business_account))
    assert client.get(_url(case, Attachment.objects.get())).status_code == 403


def test_a_reply_with_files_reaches_the_customer(
    engineer_client, business_account, root, settings
) -> None:
    settings.SITE_URL = "https://support.example.com"
    case = factories.make_case(business_account, root)
    screenshot = SimpleUploadedFile("fix.png", PIXEL, content_type="image/png")
    notes = SimpleUploadedFile("steps.txt", b"1. reboot", content_type="text/plain")
    response = engineer_client.post(
        reverse("console:case-action", args=[case.case_id, "reply"]),
        {
            "body": "Please try these steps.",
            "next_status": "pending-customer-action",
            "attachments": [screenshot, notes],
        },
    )
    assert response.status_code == 302
    reply = Communication.objects.get(case=case, origin="support")
    files = list(reply.attachment_set.attachments.order_by("id"))
    assert [f.file_name for f in files] == ["fix.png", "steps.txt"]
    assert reply.attachment_set.account == business_account

    # The customer's case page lists them, and the customer can download them.
    customer = factories.root_of(business_account)
    engineer_client.force_login(customer)
    page = engineer_client.get(reverse("cases:detail", args=[case.case_id])).content.decode()
    link = reverse("cases:attachment", args=[case.case_id, files[1].attachment_id])
    assert link in page
    download = engineer_client.get(link)
    assert b"".join(download.streaming_content) == b"1. reboot"

    # The email lists the files as links to the case (the files stay behind the sign-in).
    notification = Notification.objects.filter(topic=case.case_id, kind="correspondence").get()
    assert notification_send(notification_id=str(notification.pk)) is True
    text = mail.outbox[-1].body
    assert (
        "fix.png: https://support.example.com"
        + reverse("cases:attachment", args=[case.case_id, files[0].attachment_id])
        in text
    )


def test_a_rejected_reply_keeps_the_text_and_writes_nothing(
    engineer_client, business_account, root
) -> None:
    case = factories.make_case(business_account, root)
    files = [SimpleUploadedFile(f"f{i}.txt", b"x", content_type="text/plain") for i in range(4)]
    response = engineer_client.post(
        reverse("console:case-action", args=[case.case_id, "reply"]),
        {"body": "Typed with care.", "next_status": "opened", "attachments": files},
    )
    assert response.status_code == 400
    assert "Typed with care." in response.content.decode()
    assert not Communication.objects.filter(case=case, origin="support").exists()
    assert not Attachment.objects.exists()


def test_files_on_internal_notes_stay_with_engineers(
    engineer_client, business_account, root
) -> None:
    case = factories.make_case(business_account, root)
    dump = SimpleUploadedFile("heap.txt", b"internal", content_type="text/plain")
    response = engineer_client.post(
        reverse("console:case-action", args=[case.case_id, "note"]),
        {"body": "Heap dump from the host.", "attachments": [dump]},
    )
    assert response.status_code == 302
    note = InternalNote.objects.get(case=case)
    attachment = note.attachment_set.attachments.get()
    page = engineer_client.get(reverse("console:case", args=[case.case_id])).content.decode()
    assert _url(case, attachment) in page
    assert b"".join(engineer_client.get(_url(case, attachment)).streaming_content) == b"internal"

    engineer_client.force_login(factories.root_of(business_account))
    link = reverse("cases:attachment", args=[case.case_id, attachment.attachment_id])
    assert engineer_client.get(link).status_code == 404
    customer_page = engineer_client.get(reverse("cases:detail", args=[case.case_id]))
    assert b"heap.txt" not in customer_page.content
