"""Periodic purges of the API's own state; each task run twice does its work once."""

from __future__ import annotations

from datetime import timedelta

import time_machine
from django.core.files.storage import default_storage
from django.utils import timezone

from awsapi.models import IdempotencyRecord
from awsapi.tasks import idempotency_records_purge_task
from cases.models import AttachmentUpload
from cases.services.uploads import upload_part_store, upload_start
from cases.tasks import uploads_purge_expired_task


def test_idempotency_records_expire_after_a_day(support) -> None:
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        support.create_case(
            subject="s",
            communicationBody="b",
            serviceCode="billing",
            categoryCode="charge-inquiry",
            issueType="customer-service",
        )
    assert IdempotencyRecord.objects.count() == 1
    with time_machine.travel(start + timedelta(hours=23), tick=False):
        assert idempotency_records_purge_task() == 0
    with time_machine.travel(start + timedelta(hours=25), tick=False):
        assert idempotency_records_purge_task() == 1
        assert idempotency_records_purge_task() == 0
    assert not IdempotencyRecord.objects.exists()


def test_unattached_uploads_expire_with_their_files(business_account, root) -> None:
    import io

    start = timezone.now()
    with time_machine.travel(start, tick=False):
        upload = upload_start(account=business_account, actor=root, file_name="x.bin", file_size=4)
        upload_part_store(upload=upload, part_index=1, stream=io.BytesIO(b"abcd"), content_length=4)
    key = upload.parts.get().storage_key
    assert default_storage.exists(key)
    with time_machine.travel(start + timedelta(hours=25), tick=False):
        assert uploads_purge_expired_task() == 1
        assert uploads_purge_expired_task() == 0
    assert not AttachmentUpload.objects.exists()
    assert not default_storage.exists(key)
