"""Trails: gzipped CloudTrail log files with a digest chain, to a folder or to S3 (moto)."""

from __future__ import annotations

import gzip
import json

import pytest
from django.urls import reverse

from audit.tasks import audit_events_purge_task
from cloudtrail import services as trails
from cloudtrail.models import DeliveryProblem, Trail
from cloudtrail.tasks import trails_deliver_task
from tests import factories
from tests.moto_aws import connect_keys


def test_local_trail_delivers_and_verifies(business_account, root, settings, tmp_path) -> None:
    settings.DATA_DIR = tmp_path
    trail = trails.trail_create(
        account=business_account, name="main-trail", destination="local", actor=root
    )
    factories.make_case(business_account, root)
    first = trails_deliver_task()
    assert first > 0
    assert trails_deliver_task() == 0  # nothing new: nothing written
    factories.make_case(business_account, root)
    assert trails_deliver_task() > 0
    trail.refresh_from_db()
    deliveries = list(trail.deliveries.order_by("delivered_at", "id"))
    assert len(deliveries) == 2
    root_dir = tmp_path / "trails" / business_account.account_id / "main-trail"
    records = json.loads(gzip.decompress((root_dir / deliveries[0].log_key).read_bytes()))[
        "Records"
    ]
    assert records[0]["recipientAccountId"] == business_account.account_id
    assert {"eventVersion", "eventID", "userIdentity"} <= set(records[0])
    assert deliveries[1].previous_digest_hash == deliveries[0].digest_hash
    assert trails.trail_verify(trail) == []
    # Tampering with a log file, or removing a digest, is detected.
    log_path = root_dir / deliveries[0].log_key
    log_path.write_bytes(gzip.compress(b'{"Records": []}'))
    problems = trails.trail_verify(trail)
    assert any("does not match its digest" in p for p in problems)
    (root_dir / deliveries[1].digest_key).unlink()
    assert any("missing" in p for p in trails.trail_verify(trail))


def test_other_accounts_records_stay_out(
    business_account, other_account, root, settings, tmp_path
) -> None:
    settings.DATA_DIR = tmp_path
    trail = trails.trail_create(
        account=business_account, name="mine", destination="local", actor=root
    )
    factories.make_case(other_account)
    trails_deliver_task()
    trail.refresh_from_db()
    for delivery in trail.deliveries.all():
        data = gzip.decompress(
            (
                tmp_path / "trails" / business_account.account_id / "mine" / delivery.log_key
            ).read_bytes()
        )
        assert other_account.account_id.encode() not in data


def test_s3_trail_and_failure_retry(aws, business_account, root) -> None:
    """An S3 trail delivers with the account's AWS connection (an access key here, to the
    moto account the `aws` fixture points key connections at)."""
    connect_keys(business_account)
    trail = trails.trail_create(
        account=business_account,
        name="s3-trail",
        destination="s3",
        actor=root,
        s3_bucket="audit-logs",
        s3_prefix="support",
    )
    factories.make_case(business_account, root)
    # The bucket does not exist yet: the failure is recorded and nothing is lost.
    assert trails_deliver_task() == 0
    trail.refresh_from_db()
    assert (trail.failures, trail.last_error_code) == (1, DeliveryProblem.NO_SUCH_BUCKET)
    assert trail.last_error_status == 404
    assert trail.last_error_text == "The bucket does not exist."
    s3 = aws.client("s3")
    s3.create_bucket(Bucket="audit-logs")
    assert trails_deliver_task() > 0
    trail.refresh_from_db()
    assert (trail.failures, trail.last_error_code, trail.last_error_status) == (0, "", None)
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket="audit-logs")["Contents"]]
    assert any("/CloudTrail/" in k for k in keys) and any("/CloudTrail-Digest/" in k for k in keys)
    assert all(k.startswith("support/AWSLogs/") for k in keys)
    assert trails.trail_verify(trail) == []
    # A log file removed from the bucket is reported in our words, not S3's.
    s3.delete_object(Bucket="audit-logs", Key=next(k for k in keys if "/CloudTrail/" in k))
    [problem] = trails.trail_verify(trail)
    assert problem.endswith(": The file is missing.")


def test_trail_validation_and_page(client, business_account, root) -> None:
    with pytest.raises(Exception, match="Trail names"):
        trails.trail_create(account=business_account, name="x", destination="local", actor=root)
    with pytest.raises(Exception, match="folder"):
        trails.trail_create(
            account=business_account,
            name="good-name",
            folder="../etc",
            destination="local",
            actor=root,
        )
    client.force_login(factories.root_of(business_account))
    response = client.post(
        reverse("cloudtrail:trails"), {"name": "web-trail", "destination": "local"}
    )
    assert response.status_code == 302
    assert Trail.objects.filter(name="web-trail").exists()
    page = client.post(reverse("cloudtrail:trail-verify", args=["web-trail"]))
    assert b"digest chain is unbroken" in page.content


def test_old_records_are_purged(business_account, root) -> None:
    from datetime import timedelta

    import time_machine
    from django.utils import timezone

    from audit.models import AuditEvent

    with time_machine.travel(timezone.now() - timedelta(days=91)):
        factories.make_case(business_account, root)
    old = AuditEvent.objects.filter(event_time__lt=timezone.now() - timedelta(days=90)).count()
    assert old > 0
    factories.make_case(business_account, root)
    assert audit_events_purge_task() == old
    assert audit_events_purge_task() == 0
    assert AuditEvent.objects.filter(event_name="CreateCase").count() == 1
