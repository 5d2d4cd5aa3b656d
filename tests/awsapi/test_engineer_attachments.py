"""Files an engineer attaches reach the customer through the API as they do through the pages:
DescribeCommunications lists them, DescribeAttachment returns them; an internal note's files
answer exactly like files that do not exist."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from cases import services
from cases.access import access_case_by_case_id
from cases.services import NewAttachment
from tests.awsapi.test_cases_ops import create, error_of


def test_reply_files_and_note_files_through_the_api(support, engineer) -> None:
    case_id = create(support)
    case = access_case_by_case_id(engineer, case_id)
    services.case_support_reply_with_files(
        case=case,
        actor=engineer,
        body="Here is the fixed configuration.",
        next_status="pending-customer-action",
        files=[NewAttachment("nginx.conf", b"worker_processes 2;")],
    )
    services.case_internal_note_add_with_files(
        case=case,
        actor=engineer,
        body="Our side of the logs.",
        files=[NewAttachment("internal.txt", b"do not share")],
    )
    communications = support.describe_communications(caseId=case_id)["communications"]
    reply = communications[0]
    assert reply["submittedBy"] == engineer.user.email
    [listed] = reply["attachmentSet"]
    assert listed["fileName"] == "nginx.conf"
    attachment = support.describe_attachment(attachmentId=listed["attachmentId"])["attachment"]
    assert attachment == {"fileName": "nginx.conf", "data": b"worker_processes 2;"}
    assert all("internal.txt" not in str(c) for c in communications)

    note = case.internal_notes.get()
    hidden = note.attachment_set.attachments.get().attachment_id
    with pytest.raises(ClientError) as excinfo:
        support.describe_attachment(attachmentId=hidden)
    assert error_of(excinfo)[0] == "AttachmentIdNotFound"
    with pytest.raises(ClientError) as excinfo:
        support.get_attachment_download_link(attachmentId=hidden)
    assert error_of(excinfo)[0] == "AttachmentIdNotFound"
