"""With S3 storage, upload and download links are real S3 presigned URLs (moto's S3 server)."""

from __future__ import annotations

import hashlib
import urllib.request

import boto3
import pytest

from tests.awsapi.test_cases_ops import create

moto_server = pytest.importorskip("moto.server")


@pytest.fixture
def s3_storage(settings):
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    ).create_bucket(Bucket="attachments")
    settings.STORAGE_BACKEND = "s3"
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": "attachments",
                "endpoint_url": endpoint,
                "region_name": "us-east-1",
                "access_key": "testing",
                "secret_key": "testing",
                "signature_version": "s3v4",
                "file_overwrite": False,
            },
        },
    }
    settings.SUPPORTCENTER_UPLOAD_PART_SIZE = 5 * 1024 * 1024
    yield endpoint
    server.stop()


def test_multipart_upload_straight_to_s3(support, s3_storage) -> None:
    data = hashlib.sha256(b"s3").digest() * (6 * 1024 * 1024 // 32)  # 6 MB: two parts
    started = support.get_attachment_upload_links(fileName="core.dump", fileSizeBytes=len(data))
    assert started["totalParts"] == 2
    completed = []
    for link in started["uploadUrls"]:
        assert link["url"].startswith(s3_storage)
        assert "X-Amz-Signature=" in link["url"]
        index = link["partIndex"]
        chunk = data[(index - 1) * 5 * 1024 * 1024 : index * 5 * 1024 * 1024]
        request = urllib.request.Request(
            link["url"],
            data=chunk,
            method="PUT",
            headers={"Content-Type": "application/octet-stream"},
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            completed.append({"partIndex": index, "eTag": response.headers["ETag"]})
    with pytest.raises(support.exceptions.ClientError):
        support.complete_attachment_upload(
            uploadId=started["uploadId"], completedUploads=[{"partIndex": 1, "eTag": '"bad"'}]
        )
    done = support.complete_attachment_upload(
        uploadId=started["uploadId"], completedUploads=completed
    )
    assert done["uploadStatus"] == "attachment-ready"
    case_id = create(support, uploadIds=[started["uploadId"]])
    attachment = support.describe_communications(caseId=case_id)["communications"][0][
        "attachmentSet"
    ][0]
    link = support.get_attachment_download_link(attachmentId=attachment["attachmentId"])
    assert link["downloadUrl"]["url"].startswith(s3_storage)
    with urllib.request.urlopen(link["downloadUrl"]["url"], timeout=30) as response:
        assert response.read() == data
        assert "attachment" in response.headers["Content-Disposition"]


def test_small_attachments_go_through_the_storage_api(support, api_user, s3_storage) -> None:
    set_id = support.add_attachments_to_set(attachments=[{"fileName": "a.txt", "data": b"in s3"}])[
        "attachmentSetId"
    ]
    case_id = create(support, attachmentSetId=set_id)
    attachment_id = support.describe_communications(caseId=case_id)["communications"][0][
        "attachmentSet"
    ][0]["attachmentId"]
    assert support.describe_attachment(attachmentId=attachment_id)["attachment"]["data"] == b"in s3"
    s3 = boto3.client(
        "s3",
        endpoint_url=s3_storage,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    prefix = f"attachments/{api_user.account.account_id}/"
    listed = s3.list_objects_v2(Bucket="attachments", Prefix=prefix)["Contents"]
    keys = [o["Key"] for o in listed]
    assert len(keys) == 1 and "a.txt" not in keys[0]
