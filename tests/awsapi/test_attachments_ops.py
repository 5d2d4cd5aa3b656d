"""Attachment sets, DescribeAttachment, multipart uploads and download links, through boto3."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
import time_machine
from botocore.exceptions import ClientError
from django.utils import timezone

from cases.models import AttachmentUpload, Case
from tests.awsapi.conftest import call_with_body, code_of
from tests.awsapi.test_cases_ops import create

FIVE_MB = 5 * 1024 * 1024


def test_attachment_set_round_trip(support) -> None:
    png = bytes(range(256)) * 10
    added = support.add_attachments_to_set(
        attachments=[
            {"fileName": "screen.png", "data": png},
            {"fileName": "log.txt", "data": b"ok"},
        ]
    )
    set_id = added["attachmentSetId"]
    assert added["expiryTime"].endswith("Z")
    more = support.add_attachments_to_set(
        attachmentSetId=set_id, attachments=[{"fileName": "third.txt", "data": b"3"}]
    )
    assert more["attachmentSetId"] == set_id
    # botocore's model: "three attachments and 5 MB per attachment" is the set's size limit.
    with pytest.raises(support.exceptions.AttachmentSetSizeLimitExceeded):
        support.add_attachments_to_set(
            attachmentSetId=set_id, attachments=[{"fileName": "fourth.txt", "data": b"4"}]
        )
    case_id = create(support, attachmentSetId=set_id)
    communication = support.describe_communications(caseId=case_id)["communications"][0]
    names = [a["fileName"] for a in communication["attachmentSet"]]
    assert names == ["screen.png", "log.txt", "third.txt"]
    screen = communication["attachmentSet"][0]["attachmentId"]
    described = support.describe_attachment(attachmentId=screen)["attachment"]
    assert described == {"fileName": "screen.png", "data": png}
    # The set was used: it cannot be used again.
    with pytest.raises(support.exceptions.AttachmentSetIdNotFound):
        support.add_communication_to_case(
            caseId=case_id, communicationBody="x", attachmentSetId=set_id
        )


def test_attachment_limits_and_expiry(support) -> None:
    with pytest.raises(support.exceptions.AttachmentSetSizeLimitExceeded):
        support.add_attachments_to_set(
            attachments=[{"fileName": "big.bin", "data": b"x" * (FIVE_MB + 1)}]
        )
    exact = support.add_attachments_to_set(
        attachments=[{"fileName": "ok.bin", "data": b"x" * FIVE_MB}]
    )
    with time_machine.travel(timezone.now() + timedelta(minutes=61)):
        with pytest.raises(support.exceptions.AttachmentSetExpired):
            support.add_attachments_to_set(
                attachmentSetId=exact["attachmentSetId"],
                attachments=[{"fileName": "late.txt", "data": b"late"}],
            )
        with pytest.raises(support.exceptions.AttachmentSetExpired):
            create(support, attachmentSetId=exact["attachmentSetId"])
    with pytest.raises(support.exceptions.AttachmentIdNotFound):
        support.describe_attachment(attachmentId="attachment-unknown")


def test_too_many_new_sets_is_attachment_limit_exceeded(support, settings) -> None:
    settings.SUPPORTCENTER_ATTACHMENT_SET_CREATION_LIMIT = 1
    first = support.add_attachments_to_set(attachments=[{"fileName": "a.txt", "data": b"a"}])
    with pytest.raises(support.exceptions.AttachmentLimitExceeded) as raised:
        support.add_attachments_to_set(attachments=[{"fileName": "b.txt", "data": b"b"}])
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert "attachment sets per hour" in raised.value.response["Error"]["Message"]
    # The set already made still takes files.
    support.add_attachments_to_set(
        attachmentSetId=first["attachmentSetId"],
        attachments=[{"fileName": "c.txt", "data": b"c"}],
    )


def test_attachments_are_per_account(support, other_support) -> None:
    theirs = other_support.add_attachments_to_set(
        attachments=[{"fileName": "secret.txt", "data": b"theirs"}]
    )["attachmentSetId"]
    with pytest.raises(support.exceptions.AttachmentSetIdNotFound):
        support.add_attachments_to_set(
            attachmentSetId=theirs, attachments=[{"fileName": "a.txt", "data": b"a"}]
        )
    with pytest.raises(support.exceptions.AttachmentSetIdNotFound):
        create(support, attachmentSetId=theirs)
    case_id = create(other_support, attachmentSetId=theirs)
    attachment_id = other_support.describe_communications(caseId=case_id)["communications"][0][
        "attachmentSet"
    ][0]["attachmentId"]
    for call in (
        lambda: support.describe_attachment(attachmentId=attachment_id),
        lambda: support.get_attachment_download_link(attachmentId=attachment_id),
    ):
        with pytest.raises(support.exceptions.AttachmentIdNotFound):
            call()


def test_describe_attachment_limit(support, settings) -> None:
    settings.SUPPORTCENTER_DESCRIBE_ATTACHMENT_LIMIT = 2
    set_id = support.add_attachments_to_set(attachments=[{"fileName": "a.txt", "data": b"a"}])[
        "attachmentSetId"
    ]
    case_id = create(support, attachmentSetId=set_id)
    attachment_id = support.describe_communications(caseId=case_id)["communications"][0][
        "attachmentSet"
    ][0]["attachmentId"]
    with time_machine.travel(timezone.now(), tick=False):
        support.describe_attachment(attachmentId=attachment_id)
        support.describe_attachment(attachmentId=attachment_id)
        with pytest.raises(support.exceptions.DescribeAttachmentLimitExceeded):
            support.describe_attachment(attachmentId=attachment_id)


def test_invalid_base64_is_a_serialization_error(support) -> None:
    with pytest.raises(ClientError) as excinfo:
        call_with_body(
            support,
            "add_attachments_to_set",
            b'{"attachments": [{"fileName": "a", "data": "%%%not base64%%%"}]}',
            attachments=[{"fileName": "a", "data": b"a"}],
        )
    assert code_of(excinfo) == "SerializationException"


def test_multipart_upload_of_a_large_file(support, client, settings) -> None:
    settings.SUPPORTCENTER_UPLOAD_PART_SIZE = 1024 * 1024
    data = hashlib.sha256(b"seed").digest() * (12 * 1024 * 1024 // 32 + 10)  # 12 MB and a bit
    started = support.get_attachment_upload_links(fileName="dump.bin", fileSizeBytes=len(data))
    upload_id = started["uploadId"]
    assert started["partSizeBytes"] == 1024 * 1024
    assert started["totalParts"] == 13
    assert len(started["uploadUrls"]) == 10
    assert started["nextIndex"] == 11
    rest = support.get_attachment_upload_links(
        fileName="dump.bin", uploadId=upload_id, uploadRange={"startIndex": 11}
    )
    assert [u["partIndex"] for u in rest["uploadUrls"]] == [11, 12, 13]
    assert "nextIndex" not in rest
    with pytest.raises(ClientError) as excinfo:
        support.get_attachment_upload_links(
            fileName="dump.bin", uploadId=upload_id, uploadRange={"startIndex": 1, "endIndex": 13}
        )
    assert code_of(excinfo) == "InvalidParameterValueException"

    completed = []
    for link in started["uploadUrls"] + rest["uploadUrls"]:
        index = link["partIndex"]
        chunk = data[(index - 1) * 1024 * 1024 : index * 1024 * 1024]
        path = link["url"].split("testserver", 1)[1]
        response = client.generic("PUT", path, data=chunk, content_type="application/octet-stream")
        assert response.status_code == 200, response.content
        assert response["ETag"] == f'"{hashlib.md5(chunk).hexdigest()}"'
        completed.append({"partIndex": index, "eTag": response["ETag"]})
        if index == 3:
            status = support.describe_attachment_upload_status(uploadId=upload_id)
            assert status["uploadStatus"] == "attachment-not-ready"
    # A wrong ETag or a missing part is refused.
    with pytest.raises(ClientError) as excinfo:
        support.complete_attachment_upload(
            uploadId=upload_id, completedUploads=[{"partIndex": 1, "eTag": '"0000"'}]
        )
    assert code_of(excinfo) == "InvalidParameterValueException"
    half = support.complete_attachment_upload(uploadId=upload_id, completedUploads=completed[:5])
    assert half["uploadStatus"] == "attachment-not-ready"
    progress = support.describe_attachment_upload_status(uploadId=upload_id)["uploadProgress"]
    assert progress == {"totalParts": 13, "completedPartsCount": 5}
    done = support.complete_attachment_upload(uploadId=upload_id, completedUploads=completed[5:])
    assert done["uploadStatus"] == "attachment-ready"
    status = support.describe_attachment_upload_status(uploadId=upload_id)
    assert status["fileName"] == "dump.bin"

    case_id = create(support, uploadIds=[upload_id])
    attachment = support.describe_communications(caseId=case_id)["communications"][0][
        "attachmentSet"
    ][0]
    assert attachment["fileName"] == "dump.bin"
    # Too large for DescribeAttachment; the download link serves the exact bytes.
    with pytest.raises(ClientError) as excinfo:
        support.describe_attachment(attachmentId=attachment["attachmentId"])
    assert code_of(excinfo) == "InvalidParameterValueException"
    link = support.get_attachment_download_link(attachmentId=attachment["attachmentId"])
    assert link["fileName"] == "dump.bin"
    download = client.get(link["downloadUrl"]["url"].split("testserver", 1)[1])
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == data
    assert download["Content-Disposition"].startswith("attachment")
    assert download["X-Content-Type-Options"] == "nosniff"
    # An upload is attached once.
    with pytest.raises(ClientError) as excinfo:
        create(support, uploadIds=[upload_id])
    assert code_of(excinfo) == "InvalidParameterValueException"
    assert Case.objects.count() == 1


def test_presigned_links_cannot_be_forged_or_reused_late(support, client, other_support) -> None:
    started = support.get_attachment_upload_links(fileName="a.bin", fileSizeBytes=10)
    url = started["uploadUrls"][0]["url"].split("testserver", 1)[1]
    forged = url.replace("signature=", "signature=0")
    assert client.generic("PUT", forged, data=b"0123456789").status_code == 403
    other_part = url.replace("/1?", "/2?")
    assert client.generic("PUT", other_part, data=b"0123456789").status_code == 403
    wrong_size = client.generic("PUT", url, data=b"012")
    assert wrong_size.status_code == 400
    with time_machine.travel(timezone.now() + timedelta(hours=2)):
        assert client.generic("PUT", url, data=b"0123456789").status_code == 403
    assert client.generic("PUT", url, data=b"0123456789").status_code == 200
    with pytest.raises(support.exceptions.UploadIdNotFound):
        other_support.describe_attachment_upload_status(uploadId=started["uploadId"])
    with pytest.raises(support.exceptions.UploadIdNotFound):
        support.describe_attachment_upload_status(uploadId="upload-missing")
    with pytest.raises(ClientError) as excinfo:
        support.get_attachment_upload_links(fileName="huge.bin", fileSizeBytes=157286401)
    assert code_of(excinfo) == "ValidationException"
    assert AttachmentUpload.objects.count() == 1


def test_upload_operations_are_per_account(support, other_support, client) -> None:
    theirs = other_support.get_attachment_upload_links(fileName="theirs.bin", fileSizeBytes=3)
    upload_id = theirs["uploadId"]
    url = theirs["uploadUrls"][0]["url"].split("testserver", 1)[1]
    etag = client.generic("PUT", url, data=b"abc")["ETag"]
    calls = [
        lambda: support.get_attachment_upload_links(fileName="x", uploadId=upload_id),
        lambda: support.complete_attachment_upload(
            uploadId=upload_id, completedUploads=[{"partIndex": 1, "eTag": etag}]
        ),
        lambda: support.describe_attachment_upload_status(uploadId=upload_id),
    ]
    for call in calls:
        with pytest.raises(support.exceptions.UploadIdNotFound):
            call()
    ready = other_support.complete_attachment_upload(
        uploadId=upload_id, completedUploads=[{"partIndex": 1, "eTag": etag}]
    )
    assert ready["uploadStatus"] == "attachment-ready"
    with pytest.raises(support.exceptions.UploadIdNotFound):
        create(support, uploadIds=[upload_id])
    case_id = create(other_support, uploadIds=[upload_id])
    assert (
        other_support.describe_communications(caseId=case_id)["communications"][0]["attachmentSet"][
            0
        ]["fileName"]
        == "theirs.bin"
    )
