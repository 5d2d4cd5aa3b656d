"""Attachment sets: three files of 5 MB, one hour, used once, files under generated keys."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.core.files.storage import default_storage
from django.utils import timezone

from cases import access as case_access
from cases import services
from cases.models import Attachment, AttachmentSet, Communication
from cases.services import NewAttachment
from cases.services.attachments import MSG_SET_RATE
from core.errors import (
    AttachmentIdNotFound,
    AttachmentLimitExceeded,
    AttachmentSetExpired,
    AttachmentSetIdNotFound,
    AttachmentSetSizeLimitExceeded,
    InvalidParameterValueException,
)
from tests import factories

FIVE_MB = 5 * 1024 * 1024


def files(*sizes: int, name: str = "log.txt") -> list[NewAttachment]:
    return [NewAttachment(file_name=name, data=b"x" * size) for size in sizes]


def test_new_set_stores_files_under_generated_keys(business_account, root) -> None:
    attachment_set = services.attachment_set_add(
        account=business_account,
        attachments=[NewAttachment(file_name="../../etc/passwd", data=b"secret")],
        actor=root,
    )
    attachment = Attachment.objects.get(attachment_set=attachment_set)
    assert attachment.file_name == "passwd"
    assert "passwd" not in attachment.storage_key
    assert attachment.storage_key.startswith(f"attachments/{business_account.account_id}/")
    with default_storage.open(attachment.storage_key) as handle:
        assert handle.read() == b"secret"
    assert attachment_set.expires_at - attachment_set.created_at == timedelta(hours=1)


def test_limits_three_files_and_five_megabytes(business_account, root) -> None:
    attachment_set = services.attachment_set_add(
        account=business_account, attachments=files(FIVE_MB, 1), actor=root
    )
    with pytest.raises(AttachmentSetSizeLimitExceeded):
        services.attachment_set_add(
            account=business_account,
            attachments=files(FIVE_MB + 1),
            actor=root,
            attachment_set=attachment_set,
        )
    services.attachment_set_add(
        account=business_account, attachments=files(10), actor=root, attachment_set=attachment_set
    )
    with pytest.raises(AttachmentSetSizeLimitExceeded):
        services.attachment_set_add(
            account=business_account,
            attachments=files(1),
            actor=root,
            attachment_set=attachment_set,
        )
    assert attachment_set.attachments.count() == 3
    with pytest.raises(AttachmentSetSizeLimitExceeded):
        services.attachment_set_add(
            account=business_account, attachments=files(1, 1, 1, 1), actor=root
        )
    with pytest.raises(InvalidParameterValueException, match="empty"):
        services.attachment_set_add(account=business_account, attachments=files(0), actor=root)
    # No files or rows were left behind by the rejected calls.
    assert AttachmentSet.objects.count() == 1
    stored = default_storage.listdir(f"attachments/{business_account.account_id}")[1]
    assert len(stored) == 3


def test_new_sets_per_hour_are_limited_per_account(
    business_account, other_account, root, settings
) -> None:
    settings.SUPPORTCENTER_ATTACHMENT_SET_CREATION_LIMIT = 2
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        first = services.attachment_set_add(
            account=business_account, attachments=files(1), actor=root
        )
        services.attachment_set_add(account=business_account, attachments=files(1), actor=root)
        with pytest.raises(AttachmentLimitExceeded) as raised:
            services.attachment_set_add(account=business_account, attachments=files(1), actor=root)
        assert raised.value.message == MSG_SET_RATE.format(limit=2)
        with pytest.raises(AttachmentLimitExceeded):
            services.attachment_set_add(
                account=business_account, attachments=files(1), actor=root, dry_run=True
            )
        # Adding files to an existing set creates no set; other accounts count on their own.
        services.attachment_set_add(
            account=business_account, attachments=files(1), actor=root, attachment_set=first
        )
        services.attachment_set_add(
            account=other_account,
            attachments=files(1),
            actor=factories.principal(factories.root_of(other_account)),
        )
        # The limit is the customers': an engineer's reply with files is never held back.
        engineer = factories.principal(factories.make_engineer())
        services.attachment_set_add(account=business_account, attachments=files(1), actor=engineer)
    assert AttachmentSet.objects.filter(account=business_account).count() == 3
    with time_machine.travel(start + timedelta(minutes=61), tick=False):
        services.attachment_set_add(account=business_account, attachments=files(1), actor=root)
    settings.SUPPORTCENTER_ATTACHMENT_SET_CREATION_LIMIT = 0
    for _ in range(3):
        services.attachment_set_add(account=business_account, attachments=files(1), actor=root)


def test_sets_expire_after_an_hour(business_account, root) -> None:
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        attachment_set = services.attachment_set_add(
            account=business_account, attachments=files(10), actor=root
        )
    with time_machine.travel(start + timedelta(minutes=61), tick=False):
        with pytest.raises(AttachmentSetExpired):
            services.attachment_set_add(
                account=business_account,
                attachments=files(1),
                actor=root,
                attachment_set=attachment_set,
            )
        with pytest.raises(AttachmentSetExpired):
            factories.make_case(business_account, root, attachment_set=attachment_set)


def test_sets_are_used_once(business_account, root) -> None:
    attachment_set = services.attachment_set_add(
        account=business_account, attachments=files(10), actor=root
    )
    case = factories.make_case(business_account, root, attachment_set=attachment_set)
    assert Communication.objects.get(case=case).attachment_set == attachment_set
    with pytest.raises(AttachmentSetIdNotFound, match="already been used"):
        services.case_add_communication(
            case=case, actor=root, body="again", attachment_set=attachment_set
        )
    with pytest.raises(AttachmentSetIdNotFound):
        services.attachment_set_add(
            account=business_account,
            attachments=files(1),
            actor=root,
            attachment_set=attachment_set,
        )


def test_sets_and_attachments_are_per_account(business_account, other_account, root) -> None:
    theirs = services.attachment_set_add(
        account=other_account,
        attachments=files(10),
        actor=factories.principal(factories.root_of(other_account)),
    )
    with pytest.raises(AttachmentSetIdNotFound):
        case_access.access_attachment_set(root, theirs.attachment_set_id)
    with pytest.raises(AttachmentSetIdNotFound):
        factories.make_case(business_account, root, attachment_set=theirs)
    attachment = theirs.attachments.get()
    with pytest.raises(AttachmentIdNotFound):
        case_access.access_attachment(root, attachment.attachment_id)
    owner = factories.principal(factories.root_of(other_account))
    assert case_access.access_attachment(owner, attachment.attachment_id) == attachment


def test_expired_unused_sets_are_purged_with_their_files(business_account, root) -> None:
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        stale = services.attachment_set_add(
            account=business_account, attachments=files(10), actor=root
        )
        used = services.attachment_set_add(
            account=business_account, attachments=files(10), actor=root
        )
        factories.make_case(business_account, root, attachment_set=used)
    key = stale.attachments.get().storage_key
    with time_machine.travel(start + timedelta(hours=2), tick=False):
        fresh = services.attachment_set_add(
            account=business_account, attachments=files(10), actor=root
        )
        from cases.tasks import attachment_sets_purge_expired_task

        assert attachment_sets_purge_expired_task() == 1
        assert attachment_sets_purge_expired_task() == 0  # idempotent
    assert set(AttachmentSet.objects.values_list("pk", flat=True)) == {used.pk, fresh.pk}
    assert not default_storage.exists(key)
