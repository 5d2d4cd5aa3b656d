"""Auto-resolve and purge, with frozen time around their thresholds; each run twice."""

from __future__ import annotations

from datetime import timedelta

import time_machine
from django.core.files.storage import default_storage
from django.utils import timezone

from audit.models import AuditEvent
from cases import services
from cases.models import Attachment, AttachmentSet, Case, CaseEvent, Communication
from cases.tasks import cases_auto_resolve_task, cases_purge_task
from notifications.models import Notification
from tests import factories


def test_auto_resolve_after_six_days_without_a_reply(business_account, root, engineer) -> None:
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        waiting = factories.make_case(business_account, root)
        services.case_support_reply(
            case=waiting, actor=engineer, body="Need logs", next_status="pending-customer-action"
        )
        answered = factories.make_case(business_account, root)
        services.case_support_reply(
            case=answered, actor=engineer, body="Need logs", next_status="pending-customer-action"
        )
    with time_machine.travel(start + timedelta(days=1), tick=False):
        services.case_add_communication(case=answered, actor=root, body="Here they are.")
    with time_machine.travel(start + timedelta(days=6) - timedelta(minutes=1), tick=False):
        assert cases_auto_resolve_task() == 0
    notifications_before = Notification.objects.filter(topic=waiting.case_id).count()
    with time_machine.travel(start + timedelta(days=6, minutes=1), tick=False):
        assert cases_auto_resolve_task() == 1
        assert cases_auto_resolve_task() == 0
    waiting.refresh_from_db()
    answered.refresh_from_db()
    assert waiting.status == "resolved" and waiting.resolved_at is not None
    assert answered.status == "opened"
    last = Communication.objects.filter(case=waiting).order_by("-created_at").first()
    assert last.origin == "support" and "resolved automatically" in last.body
    event = CaseEvent.objects.filter(case=waiting, kind="status-changed").latest("id")
    assert (event.from_status, event.to_status, event.reason) == (
        "pending-customer-action",
        "resolved",
        "auto-resolve",
    )
    assert Notification.objects.filter(topic=waiting.case_id).count() == notifications_before + 1
    assert (
        AuditEvent.objects.filter(
            event_name="ResolveCase", request_parameters__reason="auto-resolve"
        ).count()
        == 1
    )


def test_auto_resolve_threshold_is_configurable(business_account, root, engineer, settings) -> None:
    settings.SUPPORTCENTER_AUTO_RESOLVE_DAYS = 2
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        case = factories.make_case(business_account, root)
        services.case_support_reply(
            case=case, actor=engineer, body="?", next_status="pending-customer-action"
        )
    with time_machine.travel(start + timedelta(days=2, minutes=1), tick=False):
        assert cases_auto_resolve_task() == 1


def test_purge_after_twelve_months(
    business_account, root, django_capture_on_commit_callbacks
) -> None:
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        attachment_set = services.attachment_set_add(
            account=business_account,
            attachments=[services.NewAttachment("a.txt", b"a")],
            actor=root,
        )
        old = factories.make_case(business_account, root, attachment_set=attachment_set)
        services.case_resolve(case=old, actor=root)
        still_open = factories.make_case(business_account, root, subject="still open")
    key = Attachment.objects.get(attachment_set=attachment_set).storage_key
    with time_machine.travel(start + timedelta(days=200), tick=False):
        young = factories.make_case(business_account, root)
    with time_machine.travel(start + timedelta(days=365) - timedelta(minutes=1), tick=False):
        assert cases_purge_task() == 0
    with time_machine.travel(start + timedelta(days=365, minutes=1), tick=False):
        # Files go after the rows are committed away.
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            assert cases_purge_task() == 1
        assert len(callbacks) == 1
        assert cases_purge_task() == 0
    # Only resolved history goes; an old case still being worked on stays.
    assert sorted(Case.objects.values_list("pk", flat=True)) == sorted([young.pk, still_open.pk])
    assert not Communication.objects.filter(case_id=old.pk).exists()
    assert not CaseEvent.objects.filter(case_id=old.pk).exists()
    assert not AttachmentSet.objects.filter(pk=attachment_set.pk).exists()
    assert not default_storage.exists(key)
    record = AuditEvent.objects.get(event_name="PurgeCases")
    assert record.response_elements == {"purgedCases": 1}


def test_asking_again_restarts_the_auto_resolve_clock(business_account, root, engineer) -> None:
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        case = factories.make_case(business_account, root)
        services.case_support_reply(
            case=case, actor=engineer, body="Logs?", next_status="pending-customer-action"
        )
    with time_machine.travel(start + timedelta(days=9), tick=False):
        services.case_support_reply(
            case=case,
            actor=engineer,
            body="Still need logs.",
            next_status="pending-customer-action",
        )
        assert cases_auto_resolve_task() == 0
    with time_machine.travel(start + timedelta(days=15, minutes=1), tick=False):
        assert cases_auto_resolve_task() == 1
