"""Legal holds: placed and released by the root user (case page), Support (console) and
operators (admin), audited; held cases are left out of the purge and auto-resolve by the jobs'
own queries, and the purge says how many it kept."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from audit.selectors import to_cloudtrail
from cases import services
from cases.models import Case, CaseEvent, CaseStatus
from cases.services import holds
from cases.services.maintenance import cases_auto_resolve, cases_purge
from core.errors import AccessDeniedException, InvalidParameterValueException
from tests import factories
from tests.admin_pages import OPERATOR_ARN, make_operator


@pytest.fixture
def root_client(client, business_account):
    client.force_login(factories.root_of(business_account))
    return client


def _records(name: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(event_name=name).order_by("pk"))


def test_the_root_user_places_and_releases_a_hold_on_the_case_page(
    root_client, business_account, root
) -> None:
    case = factories.make_case(business_account, root)
    url = reverse("cases:detail", args=[case.case_id])
    page = root_client.get(url)
    assert b"Place legal hold" in page.content
    response = root_client.post(reverse("cases:legal-hold", args=[case.case_id, "place"]))
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.legal_hold_at is not None and case.legal_hold_by == "customer"
    page = root_client.get(url)
    assert b"Release legal hold" in page.content
    assert b'class="badge case-badge legal-hold"' in page.content
    (placed,) = _records("PlaceLegalHold")
    record = to_cloudtrail(placed)
    assert record["eventSource"] == "support.amazonaws.com"
    assert record["recipientAccountId"] == business_account.account_id
    assert record["requestParameters"] == {"caseId": case.case_id, "placedBy": "customer"}
    assert record["userIdentity"]["type"] == "Root"

    root_client.post(reverse("cases:legal-hold", args=[case.case_id, "release"]))
    case.refresh_from_db()
    assert case.legal_hold_at is None and case.legal_hold_by == ""
    assert [r.request_parameters for r in _records("ReleaseLegalHold")] == [
        {"caseId": case.case_id, "releasedBy": "customer"}
    ]
    assert list(
        CaseEvent.objects.filter(case=case, kind__startswith="legal-hold").values_list(
            "kind", "actor_arn"
        )
    ) == [("legal-hold", root.arn), ("legal-hold-released", root.arn)]


def test_iam_users_and_other_accounts_cannot_hold(
    client, business_account, other_account, root
) -> None:
    case = factories.make_case(business_account, root)
    user = factories.make_iam_user(business_account, policy="AWSSupportAccess")
    client.force_login(user)
    assert (
        b"Place legal hold" not in client.get(reverse("cases:detail", args=[case.case_id])).content
    )
    client.post(reverse("cases:legal-hold", args=[case.case_id, "place"]))
    assert Case.objects.get(pk=case.pk).legal_hold_at is None
    # The refusal is recorded like any other.
    (refused,) = _records("PlaceLegalHold")
    assert refused.error_code == "AccessDeniedException"
    # Another account's root user: the case does not exist for them.
    client.force_login(factories.root_of(other_account))
    response = client.post(reverse("cases:legal-hold", args=[case.case_id, "place"]))
    assert response.status_code == 404
    assert Case.objects.get(pk=case.pk).legal_hold_at is None
    with pytest.raises(AccessDeniedException):
        holds.case_legal_hold_place(
            case=case, actor=factories.principal(factories.root_of(other_account))
        )


def test_supports_hold_is_supports_to_release(business_account, root, engineer) -> None:
    case = factories.make_case(business_account, root)
    holds.case_legal_hold_place(case=case, actor=engineer)
    assert case.legal_hold_by == "support"
    with pytest.raises(InvalidParameterValueException):
        holds.case_legal_hold_place(case=case, actor=root)
    assert not holds.can_release(root, case)
    with pytest.raises(AccessDeniedException):
        holds.case_legal_hold_release(case=case, actor=root)
    assert Case.objects.get(pk=case.pk).legal_hold_by == "support"
    assert holds.can_release(engineer, case)
    holds.case_legal_hold_release(case=case, actor=engineer)
    with pytest.raises(InvalidParameterValueException):
        holds.case_legal_hold_release(case=case, actor=engineer)
    assert Case.objects.get(pk=case.pk).legal_hold_at is None


def test_engineers_hold_from_the_console(client, business_account, root, engineer) -> None:
    case = factories.make_case(business_account, root)
    client.force_login(engineer.user)
    url = reverse("console:case", args=[case.case_id])
    assert b"Place legal hold" in client.get(url).content
    client.post(reverse("console:case-action", args=[case.case_id, "hold"]))
    page = client.get(url)
    assert b"Release legal hold" in page.content and b"Legal hold</span>" in page.content
    client.post(reverse("console:case-action", args=[case.case_id, "release-hold"]))
    assert Case.objects.get(pk=case.pk).legal_hold_at is None
    assert [r.principal_arn for r in _records("PlaceLegalHold")] == [engineer.arn]


def test_operators_hold_from_the_admin(client, business_account, root) -> None:
    client.force_login(make_operator())
    held, free = (
        factories.make_case(business_account, root),
        factories.make_case(business_account, root),
    )
    url = reverse("admin:cases_case_changelist")
    client.post(
        url, {"action": "place_legal_hold", ACTION_CHECKBOX_NAME: [str(held.pk), str(free.pk)]}
    )
    assert Case.objects.filter(legal_hold_by="support").count() == 2
    client.post(url, {"action": "release_legal_hold", ACTION_CHECKBOX_NAME: [str(free.pk)]})
    assert list(Case.objects.filter(legal_hold_at__isnull=False)) == [held]
    assert [r.principal_arn for r in _records("PlaceLegalHold")] == [OPERATOR_ARN] * 2
    assert [r.request_parameters["caseId"] for r in _records("ReleaseLegalHold")] == [free.case_id]


def test_held_cases_are_neither_purged_nor_auto_resolved(business_account, root, engineer) -> None:
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        old = [factories.make_case(business_account, root, subject=f"old {i}") for i in range(4)]
        for case in old:
            services.case_resolve(case=case, actor=root)
        waiting = [factories.make_case(business_account, root) for _ in range(2)]
        for case in waiting:
            services.case_support_reply(
                case=case, actor=engineer, body="Logs?", next_status="pending-customer-action"
            )
        for case in (old[0], old[1], waiting[0]):
            holds.case_legal_hold_place(case=case, actor=engineer)
    with time_machine.travel(start + timedelta(days=7), tick=False):
        assert cases_auto_resolve() == 1
    assert Case.objects.get(pk=waiting[0].pk).status == CaseStatus.PENDING_CUSTOMER_ACTION
    assert Case.objects.get(pk=waiting[1].pk).status == CaseStatus.RESOLVED

    with time_machine.travel(start + timedelta(days=366), tick=False):
        # Two old cases and the auto-resolved one go; the held ones and the open one stay.
        with CaptureQueriesContext(connection) as queries:
            assert cases_purge(batch_size=10) == 3
        assert cases_purge() == 0
    remaining = set(Case.objects.values_list("pk", flat=True))
    assert {old[0].pk, old[1].pk} <= remaining
    assert not remaining & {old[2].pk, old[3].pk, waiting[1].pk}
    # Set-based: the hold is a condition of the batches' query, not a check per case.
    selects = [q["sql"] for q in queries if "legal_hold_at" in q["sql"]]
    # The batch's claim (twice: the batch, then the empty one) and the count of the kept.
    assert len(selects) == 3
    assert all('"legal_hold_at" IS NULL' in sql or "IS NOT NULL" in sql for sql in selects)
    reports = [r.response_elements for r in _records("PurgeCases")]
    # The batch, the run's report, and the second run's report.
    assert reports == [
        {"purgedCases": 3},
        {"purgedCases": 0, "keptOnLegalHold": 2},
        {"purgedCases": 0, "keptOnLegalHold": 2},
    ]

    # Released, the next run purges them.
    for case in Case.objects.filter(pk__in=[old[0].pk, old[1].pk]):
        holds.case_legal_hold_release(case=case, actor=engineer)
    with time_machine.travel(start + timedelta(days=366), tick=False):
        assert cases_purge() == 2


def test_an_action_swapped_in_replaces_the_last_loads_notices(
    root_client, business_account, root
) -> None:
    case = factories.make_case(business_account, root)
    url = reverse("cases:detail", args=[case.case_id])
    root_client.post(reverse("cases:legal-hold", args=[case.case_id, "place"]))
    assert "The case is on legal hold." in root_client.get(url).content.decode()
    # Resolving through htmx swaps the case's body in; the hold's notice must not linger above.
    swapped = root_client.post(
        reverse("cases:resolve", args=[case.case_id]), HTTP_HX_REQUEST="true"
    ).content.decode()
    notices = swapped.split('<div id="messages" hx-swap-oob="true">')[1].split("</div>")[0]
    assert "legal hold" not in notices
