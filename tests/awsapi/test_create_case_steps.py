"""CreateCase reads and checks before its write transaction (`case_create_prepare`) and writes in
it (`case_create_commit`): what changes in between is caught by the writes, never lost and never
a server error."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

import cases.services as case_services
from accounts.principals import SYSTEM
from audit.models import AuditEvent
from cases.models import AttachmentUpload, Case, UploadStatus
from catalog.models import Severity
from catalog.services import severity_save
from core.errors import UploadIdNotFound
from events.models import EventDelivery
from events.services import rule_delete
from tests import factories
from tests.awsapi.test_cases_ops import create
from tests.events.conftest import add_email, make_rule

FIELDS = {
    "subject": "Instance unreachable",
    "service_code": "amazon-elastic-compute-cloud-linux",
    "category_code": "instance-issue",
    "severity_code": "low",
    "body": "It stopped answering.",
}


def _ready_upload(account) -> AttachmentUpload:  # type: ignore[no-untyped-def]
    return AttachmentUpload.objects.create(
        account=account,
        upload_id="upload-steps-1",
        file_name="trace.txt",
        file_size=4,
        part_size=4,
        total_parts=1,
        status=UploadStatus.READY,
        storage_key="uploads/steps-1",
        expires_at=timezone.now() + timedelta(hours=1),
    )


def test_an_upload_purged_before_the_commit_is_not_found_and_nothing_is_written(
    business_account, root
) -> None:
    upload = _ready_upload(business_account)
    draft = case_services.case_create_prepare(
        actor=root, account=business_account, uploads=[upload], **FIELDS
    )
    # The expiry purge deletes it meanwhile.
    AttachmentUpload.objects.filter(pk=upload.pk).delete()
    with pytest.raises(UploadIdNotFound):
        case_services.case_create_commit(draft)
    assert not Case.objects.filter(account=business_account).exists()


def test_a_level_changed_before_the_commit_is_the_one_the_case_gets(business_account, root) -> None:
    severity = Severity.objects.get(code="low")
    level = max(Severity.objects.values_list("level", flat=True)) + 10
    draft = case_services.case_create_prepare(actor=root, account=business_account, **FIELDS)
    severity_save(severity=severity, values={"level": level}, actor=SYSTEM)
    case = case_services.case_create_commit(draft)
    assert Case.objects.get(pk=case.pk).severity_level == level


@pytest.mark.django_db(transaction=True)
def test_an_event_rule_deleted_before_the_commit_costs_a_second_preparation_not_an_error(
    support, api_user, monkeypatch
) -> None:
    # The customer deletes the rule while the call waits for the write transaction: the
    # delivery's reference to its target is refused when the transaction commits, and the call
    # is prepared again from what exists then and answers once, successfully.
    rule = make_rule(api_user.account)
    add_email(rule)
    real = case_services.case_create_prepare
    calls: list[int] = []

    def prepare_then_lose_the_rule(**kwargs):  # type: ignore[no-untyped-def]
        draft = real(**kwargs)
        if not calls:
            rule_delete(rule=rule, actor=factories.principal(factories.root_of(api_user.account)))
        calls.append(1)
        return draft

    monkeypatch.setattr(case_services, "case_create_prepare", prepare_then_lose_the_rule)
    case_id = create(support)  # the client makes one attempt: no SDK retry hides an error
    assert len(calls) == 2
    cases = Case.objects.filter(account=api_user.account).values_list("case_id", flat=True)
    assert list(cases) == [case_id]
    assert not EventDelivery.objects.exists()  # the second preparation found no target
    records = AuditEvent.objects.filter(event_name="CreateCase")
    assert [record.error_code for record in records] == [""]
