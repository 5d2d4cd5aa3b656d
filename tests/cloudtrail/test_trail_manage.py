"""Owners disable (pause), enable and delete their trails from the trails page: CSRF-protected
POST forms, recorded in the audit trail with CloudTrail's names (StopLogging, StartLogging,
DeleteTrail), and another account's trail answers exactly like a missing one (404)."""

from __future__ import annotations

import json
import re

import pytest
from django.test import Client
from django.urls import reverse

from accounts.services.iam import policy_attach_to_user, policy_create
from audit.models import AuditEvent
from cloudtrail import services as trails
from cloudtrail.models import Trail, TrailDelivery
from cloudtrail.tasks import trails_deliver_task
from tests import factories

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def local_trail(business_account, root, settings, tmp_path) -> Trail:
    settings.DATA_DIR = tmp_path
    return trails.trail_create(
        account=business_account, name="main-trail", destination="local", actor=root
    )


def _records(name: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(event_name=name).order_by("pk"))


def test_a_disabled_trail_delivers_nothing_until_enabled(
    root_client, business_account, local_trail
) -> None:
    page = root_client.get(reverse("cloudtrail:trails")).content.decode()
    assert "Logging" in page and 'name="enabled" value="0"' in page
    response = root_client.post(
        reverse("cloudtrail:trail-state", args=["main-trail"]), {"enabled": "0"}, follow=True
    )
    assert "Trail main-trail disabled." in response.content.decode()
    local_trail.refresh_from_db()
    assert local_trail.enabled is False
    [stop] = _records("StopLogging")
    assert stop.recipient_account_id == business_account.account_id
    assert stop.request_parameters == {"name": "main-trail"}
    assert stop.resource_type == "AWS::CloudTrail::Trail"
    assert stop.resource_name == "main-trail"
    # Paused: nothing is delivered, however much happens.
    factories.make_case(business_account)
    assert trails_deliver_task() == 0
    assert not TrailDelivery.objects.exists()
    # Disabling again changes nothing and records nothing.
    root_client.post(reverse("cloudtrail:trail-state", args=["main-trail"]), {"enabled": "0"})
    assert len(_records("StopLogging")) == 1
    root_client.post(reverse("cloudtrail:trail-state", args=["main-trail"]), {"enabled": "1"})
    local_trail.refresh_from_db()
    assert local_trail.enabled is True and len(_records("StartLogging")) == 1
    # Enabled again: the records made while it was paused are delivered too.
    assert trails_deliver_task() > 0
    [delivery] = TrailDelivery.objects.all()
    case_created = AuditEvent.objects.get(event_name="CreateCase")
    assert delivery.first_event_pk <= case_created.pk <= delivery.last_event_pk


def test_deleting_a_trail(root_client, business_account, local_trail, tmp_path) -> None:
    assert trails_deliver_task() > 0
    folder = tmp_path / "trails" / business_account.account_id / "main-trail"
    delivered = sorted(p for p in folder.rglob("*") if p.is_file())
    assert delivered
    confirm = root_client.get(reverse("cloudtrail:trail-delete", args=["main-trail"]))
    assert confirm.status_code == 200
    assert "Delete trail main-trail?" in confirm.content.decode()
    assert Trail.objects.filter(name="main-trail").exists()  # GET changes nothing
    response = root_client.post(reverse("cloudtrail:trail-delete", args=["main-trail"]))
    assert response.status_code == 302 and response["Location"] == reverse("cloudtrail:trails")
    assert not Trail.objects.exists() and not TrailDelivery.objects.exists()
    [deleted] = _records("DeleteTrail")
    assert deleted.request_parameters == {"name": "main-trail"}
    assert deleted.event_source == "cloudtrail.amazonaws.com"
    # The files already delivered stay; nothing more is written.
    assert sorted(p for p in folder.rglob("*") if p.is_file()) == delivered
    factories.make_case(business_account)
    assert trails_deliver_task() == 0
    page = root_client.get(reverse("cloudtrail:trails")).content.decode()
    assert "Trail main-trail deleted." in page and "No trails yet." in page


def test_deleting_with_htmx_sends_the_whole_page_back(root_client, local_trail) -> None:
    response = root_client.post(reverse("cloudtrail:trail-delete", args=["main-trail"]), **HTMX)
    assert response.status_code == 204
    assert response["HX-Redirect"] == reverse("cloudtrail:trails")
    assert not Trail.objects.exists()


def _unmasked(page: bytes) -> bytes:
    page = re.sub(rb'"X-CSRFToken": "[^"]*"', b'"X-CSRFToken": ""', page)
    return re.sub(rb'name="csrfmiddlewaretoken" value="[^"]*"', b"", page)


@pytest.mark.parametrize(
    ("view", "data"),
    [
        ("cloudtrail:trail-state", {"enabled": "0"}),
        ("cloudtrail:trail-delete", {}),
        ("cloudtrail:trail-verify", {}),
    ],
)
def test_another_accounts_trail_answers_like_a_missing_one(
    client, other_account, local_trail, view, data
) -> None:
    client.force_login(factories.root_of(other_account))
    theirs = client.post(reverse(view, args=["main-trail"]), data)
    missing = client.post(reverse(view, args=["no-such-trail"]), data)
    assert theirs.status_code == missing.status_code == 404
    # Alike but for the page's CSRF token, which is masked afresh on every page.
    assert _unmasked(theirs.content) == _unmasked(
        missing.content.replace(b"no-such-trail", b"main-trail")
    )
    if view == "cloudtrail:trail-delete":
        assert client.get(reverse(view, args=["main-trail"])).status_code == 404
    local_trail.refresh_from_db()
    assert local_trail.enabled is True
    assert not AuditEvent.objects.filter(
        event_name__in=["StopLogging", "DeleteTrail"], recipient_account_id=other_account.account_id
    ).exists()


def test_the_forms_are_csrf_protected(business_account, local_trail) -> None:
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(factories.root_of(business_account))
    forms = [("cloudtrail:trail-state", {"enabled": "0"}), ("cloudtrail:trail-delete", {})]
    for view, data in forms:
        assert browser.post(reverse(view, args=["main-trail"]), data).status_code == 403
    local_trail.refresh_from_db()
    assert local_trail.enabled is True
    # The page's own forms carry the token.
    page = browser.get(reverse("cloudtrail:trails")).content.decode()
    assert page.count('name="csrfmiddlewaretoken"') >= 4


def test_iam_users_need_the_actions(client, business_account, local_trail) -> None:
    root = factories.principal(factories.root_of(business_account))
    reader = policy_create(
        account=business_account,
        name="TrailsReader",
        document=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {"Effect": "Allow", "Action": "cloudtrail:DescribeTrails", "Resource": "*"}
                ],
            }
        ),
        actor=root,
    )
    user = factories.make_iam_user(business_account, policy=None)
    policy_attach_to_user(user=user, policy=reader, actor=root)
    client.force_login(user)
    page = client.get(reverse("cloudtrail:trails")).content.decode()
    assert "main-trail" in page
    assert 'name="enabled"' not in page and "Delete" not in page and "Create a trail" not in page
    stop = client.post(reverse("cloudtrail:trail-state", args=["main-trail"]), {"enabled": "0"})
    delete = client.post(reverse("cloudtrail:trail-delete", args=["main-trail"]))
    assert stop.status_code == delete.status_code == 403
    local_trail.refresh_from_db()
    assert local_trail.enabled is True


@pytest.mark.parametrize("count", [1, 4])
def test_the_trails_page_query_count_does_not_depend_on_trails(
    root_client, business_account, root, settings, tmp_path, count, django_assert_num_queries
) -> None:
    settings.DATA_DIR = tmp_path
    for index in range(count):
        trails.trail_create(
            account=business_account, name=f"trail-{index}", destination="local", actor=root
        )
    # 1 session; 2 user with account; 3 the trails with their account.
    with django_assert_num_queries(3):
        response = root_client.get(reverse("cloudtrail:trails"))
    assert response.status_code == 200
    assert response.content.decode().count('name="enabled" value="0"') == count
