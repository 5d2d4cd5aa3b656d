"""The access_event_* loaders: one account's rules, targets and deliveries only; "not yours"
answers exactly like "missing"."""

from __future__ import annotations

import uuid

import pytest

from accounts.principals import SYSTEM
from core.errors import AccessDeniedException, ResourceNotFoundException
from events import access as event_access
from events.models import EventDelivery
from tests import factories
from tests.events.conftest import add_webhook, make_rule


def test_loaders_scope_by_account(business_account, other_account, root, engineer) -> None:
    rule = make_rule(business_account, root, name="mine")
    target, _ = add_webhook(rule, "https://hooks.example.com/in", root)
    factories.make_case(business_account, root)
    delivery = EventDelivery.objects.get()
    assert event_access.access_event_rule(root, "mine") == rule
    assert event_access.access_event_target(root, "mine", target.target_id) == target
    assert (
        event_access.access_event_delivery(
            root, "mine", target.target_id, str(delivery.delivery_id)
        )
        == delivery
    )
    assert event_access.access_event_rule(SYSTEM, "mine") == rule

    intruder = factories.principal(factories.root_of(other_account))
    attempts = [
        (
            lambda p: event_access.access_event_rule(p, "mine"),
            event_access.MSG_RULE_NOT_FOUND.format(name="mine"),
        ),
        (
            lambda p: event_access.access_event_rule(p, "nope"),
            event_access.MSG_RULE_NOT_FOUND.format(name="nope"),
        ),
        (
            lambda p: event_access.access_event_target(p, "mine", target.target_id),
            event_access.MSG_RULE_NOT_FOUND.format(name="mine"),
        ),
        (
            lambda p: event_access.access_event_delivery(
                p, "mine", target.target_id, str(uuid.uuid4())
            ),
            event_access.MSG_RULE_NOT_FOUND.format(name="mine"),
        ),
    ]
    for principal in (intruder, engineer):
        for load, message in attempts:
            with pytest.raises(ResourceNotFoundException) as raised:
                load(principal)
            assert raised.value.message == message
    with pytest.raises(ResourceNotFoundException) as raised:
        event_access.access_event_target(root, "mine", "webhook-00000000")
    assert raised.value.message == event_access.MSG_TARGET_NOT_FOUND.format(
        target_id="webhook-00000000", name="mine"
    )
    for bad in ("not-a-uuid", str(uuid.uuid4())):
        with pytest.raises(ResourceNotFoundException) as raised:
            event_access.access_event_delivery(root, "mine", target.target_id, bad)
        assert raised.value.message == event_access.MSG_DELIVERY_NOT_FOUND.format(delivery_id=bad)


def test_loaders_check_the_policy(business_account) -> None:
    make_rule(business_account, name="mine")
    support_only = factories.principal(factories.make_iam_user(business_account))
    with pytest.raises(AccessDeniedException):
        event_access.access_event_rule(support_only, "mine")
    reader = factories.principal(
        factories.make_iam_user(business_account, policy="AmazonEventBridgeReadOnlyAccess")
    )
    assert event_access.access_event_rule(reader, "mine").name == "mine"
    with pytest.raises(AccessDeniedException):
        event_access.access_event_rule(reader, "mine", action="events:DeleteRule")
