"""The transition table, for every pair of statuses and every kind of actor."""

from __future__ import annotations

import itertools

import pytest

from audit.models import AuditEvent
from cases import lifecycle
from cases.lifecycle import CUSTOMER_TRANSITIONS, TRANSITIONS, allowed_transitions, transition
from cases.models import Case, CaseEvent, CaseStatus
from core.errors import ConcurrentCaseUpdate, InvalidCaseTransition
from tests import factories

ALL = list(CaseStatus)
PAIRS = list(itertools.product(ALL, ALL))


def _force_status(case: Case, status: CaseStatus) -> Case:
    # Test set-up only: put the row in the starting state without walking the graph.
    Case.objects.filter(pk=case.pk).update(status=status)
    case.refresh_from_db()
    return case


def test_customer_edges_are_a_subset_of_the_table() -> None:
    for source, targets in CUSTOMER_TRANSITIONS.items():
        assert targets <= TRANSITIONS[source], source
    assert set(TRANSITIONS) == set(CaseStatus)


@pytest.mark.parametrize(("old", "new"), PAIRS, ids=[f"{a.value}->{b.value}" for a, b in PAIRS])
def test_transition_table_for_engineers(business_account, engineer, old, new) -> None:
    case = _force_status(factories.make_case(business_account), old)
    events_before = CaseEvent.objects.filter(case=case).count()
    if old == new == CaseStatus.RESOLVED:
        # Resolving a resolved case is a no-op, as ResolveCase answers it.
        assert transition(case, to=new, actor=engineer) == ("resolved", "resolved")
        assert CaseEvent.objects.filter(case=case).count() == events_before
    elif new in TRANSITIONS[old]:
        assert transition(case, to=new, actor=engineer) == (old.value, new.value)
        case.refresh_from_db()
        assert case.status == new
        event = CaseEvent.objects.filter(case=case).latest("id")
        assert (event.kind, event.from_status, event.to_status) == ("status-changed", old, new)
        assert event.actor_arn == engineer.arn
        assert AuditEvent.objects.filter(
            recipient_account_id=business_account.account_id,
            event_name=lifecycle._event_name(old, new),
        ).exists()
    else:
        with pytest.raises(InvalidCaseTransition) as excinfo:
            transition(case, to=new, actor=engineer)
        assert excinfo.value.message == lifecycle.MSG_INVALID.format(old=old.label, new=new.label)
        case.refresh_from_db()
        assert case.status == old
        assert CaseEvent.objects.filter(case=case).count() == events_before


@pytest.mark.parametrize(("old", "new"), PAIRS, ids=[f"{a.value}->{b.value}" for a, b in PAIRS])
def test_transition_table_for_customers(business_account, root, old, new) -> None:
    case = _force_status(factories.make_case(business_account), old)
    if old == new == CaseStatus.RESOLVED:
        assert transition(case, to=new, actor=root) == ("resolved", "resolved")
    elif new in CUSTOMER_TRANSITIONS[old]:
        assert transition(case, to=new, actor=root) == (old.value, new.value)
        case.refresh_from_db()
        assert case.status == new
    else:
        with pytest.raises(InvalidCaseTransition):
            transition(case, to=new, actor=root)
        case.refresh_from_db()
        assert case.status == old


def test_allowed_transitions_reads_the_table(business_account, root, engineer) -> None:
    case = factories.make_case(business_account)
    assert allowed_transitions(case, engineer) == TRANSITIONS[CaseStatus.UNASSIGNED]
    assert allowed_transitions(case, root) == frozenset({CaseStatus.RESOLVED})
    anonymous = factories.principal(None)  # type: ignore[arg-type]
    assert allowed_transitions(case, anonymous) == frozenset()


@pytest.mark.parametrize(("old", "new"), PAIRS)
def test_release_takes_only_its_own_edge(business_account, root, engineer, old, new) -> None:
    case = _force_status(factories.make_case(business_account), old)
    # A release is for engineers only, and only back from what assignment set.
    with pytest.raises(InvalidCaseTransition):
        transition(case, to=new, actor=root, cause=lifecycle.Cause.RELEASE)
    if lifecycle.RELEASE_TRANSITIONS.get(old) == new:
        transition(case, to=new, actor=engineer, cause=lifecycle.Cause.RELEASE)
        assert case.status == new
        assert (
            not AuditEvent.objects.filter(event_name="UpdateCaseStatus")
            .exclude(request_parameters__reason="released")
            .exists()
        )
    else:
        with pytest.raises(InvalidCaseTransition):
            transition(case, to=new, actor=engineer, cause=lifecycle.Cause.RELEASE)
    # Never offered as a button or a reply's next status.
    assert CaseStatus.UNASSIGNED not in allowed_transitions(case, engineer)


def test_concurrent_change_loses(business_account, engineer) -> None:
    case = factories.make_case(business_account)
    stale = Case.objects.get(pk=case.pk)
    transition(case, to=CaseStatus.WORK_IN_PROGRESS, actor=engineer)
    # The second writer still believes the case is unassigned: its conditional update fails.
    with pytest.raises(ConcurrentCaseUpdate):
        transition(stale, to=CaseStatus.RESOLVED, actor=engineer)
    case.refresh_from_db()
    assert case.status == CaseStatus.WORK_IN_PROGRESS


def test_resolve_and_reopen_stamp_times(business_account, root) -> None:
    case = factories.make_case(business_account)
    transition(case, to=CaseStatus.RESOLVED, actor=root)
    case.refresh_from_db()
    assert case.resolved_at is not None
    transition(case, to=CaseStatus.REOPENED, actor=root)
    case.refresh_from_db()
    assert case.resolved_at is None
    assert lifecycle.is_open(case.status)
