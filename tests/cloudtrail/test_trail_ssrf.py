"""A trail's S3 endpoint cannot reach Support Center's own network (SSRF). Before, a root user
could create an S3 trail with `s3_endpoint_url=http://127.0.0.1:<port>/`: the next delivery sent
a signed PUT there and the trails page showed what the listener answered. Now the endpoint is
vetted like a webhook's URL (core.netguard) when the trail is created and again at every
request of a delivery, and the page shows only our own words for a failure.

The listener (tests/cloudtrail/conftest.py) is a real HTTP server on loopback that records what
reaches it and answers with SECRET_BODY. EVENTS_ALLOW_PRIVATE_WEBHOOKS is off in the test
settings; the tests that turn it on are the operator's development opt-out.
"""

from __future__ import annotations

import socket
import threading
import time

import pytest
from django.urls import reverse

from audit.models import AuditEvent
from cloudtrail import destinations
from cloudtrail import services as trails
from cloudtrail.models import DeliveryProblem, Trail
from cloudtrail.tasks import trails_deliver_task
from tests import factories
from tests.cloudtrail.conftest import SECRET_BODY
from tests.moto_aws import KEY_ID, connect_keys

PRIVATE_ENDPOINTS = [
    pytest.param("http://127.0.0.1:{port}/", id="loopback"),
    pytest.param("http://localhost:{port}/", id="localhost"),
    pytest.param("http://[::1]:{port}/", id="loopback-v6"),
    pytest.param("http://169.254.169.254/latest/meta-data/", id="metadata"),
    pytest.param("https://10.0.0.5:{port}/", id="private-10"),
    pytest.param("https://[::ffff:127.0.0.1]:{port}/", id="ipv4-mapped-loopback"),
]


def _s3_form(endpoint: str, name: str = "exfil") -> dict[str, str]:
    return {
        "name": name,
        "destination": "s3",
        "s3_bucket": "audit-logs",
        "s3_region": "us-east-1",
        "s3_endpoint_url": endpoint,
    }


@pytest.mark.parametrize("endpoint", PRIVATE_ENDPOINTS)
def test_the_trails_page_refuses_a_private_endpoint(
    root_client, business_account, listener, endpoint
) -> None:
    connect_keys(business_account)
    url = endpoint.format(port=listener.port)
    page = root_client.post(reverse("cloudtrail:trails"), _s3_form(url))
    assert page.status_code == 400  # the form again with its error, not a redirect
    html = page.content.decode()
    assert trails.MSG_ENDPOINT_PRIVATE.replace("'", "&#x27;") in html
    assert f'value="{url}"' in html and 'value="audit-logs"' in html  # the input is kept
    assert not Trail.objects.filter(name="exfil").exists()
    assert listener.requests == []
    refusal = AuditEvent.objects.get(event_name="CreateTrail")
    assert refusal.error_code == "InvalidParameterValueException"
    assert refusal.request_parameters["name"] == "exfil"


def test_a_name_that_resolves_to_loopback_gets_nothing_at_delivery(
    root_client, business_account, listener, fake_dns
) -> None:
    """The endpoint named a host whose DNS answers 127.0.0.1 (or started to, after creation):
    delivery resolves it, refuses it, and sends nothing."""
    connect_keys(business_account)
    endpoint = f"http://s3.tenant.example:{listener.port}/"
    created = root_client.post(reverse("cloudtrail:trails"), _s3_form(endpoint, "rebound"))
    assert created.status_code == 302
    lookups = fake_dns({"s3.tenant.example": ["93.184.216.34", "127.0.0.1"]})
    factories.make_case(business_account)
    assert trails_deliver_task() == 0
    assert lookups  # resolved at delivery, not before
    assert listener.requests == []
    trail = Trail.objects.get(name="rebound")
    assert trail.last_error_code == DeliveryProblem.BLOCKED_ENDPOINT
    assert trail.failures == 1 and trail.deliveries.count() == 0
    page = root_client.get(reverse("cloudtrail:trails")).content.decode()
    assert "Nothing was sent: the S3 endpoint is not allowed." in page
    assert "127.0.0.1" not in page


def test_an_endpoint_allowed_once_is_refused_at_delivery_when_the_operator_tightens_the_rules(
    root_client, business_account, listener, settings
) -> None:
    """The trail was created, and delivered, while private addresses were allowed (or before
    this check existed): the next delivery vets the endpoint again and sends nothing, and
    "Verify files" does not read from it either."""
    connect_keys(business_account)
    settings.EVENTS_ALLOW_PRIVATE_WEBHOOKS = True
    assert root_client.post(reverse("cloudtrail:trails"), _s3_form(listener.url)).status_code == 302
    assert trails_deliver_task() > 0
    assert [r["method"] for r in listener.requests] == ["PUT", "PUT"]
    settings.EVENTS_ALLOW_PRIVATE_WEBHOOKS = False
    factories.make_case(business_account)
    assert trails_deliver_task() == 0
    trail = Trail.objects.get(name="exfil")
    assert (trail.last_error_code, trail.failures) == (DeliveryProblem.BLOCKED_ENDPOINT, 1)
    page = root_client.post(reverse("cloudtrail:trail-verify", args=["exfil"])).content.decode()
    assert "the S3 endpoint is not allowed. It must be a public internet host" in page
    assert page.count("Verification stopped.") == 1
    assert len(listener.requests) == 2  # nothing since


@pytest.mark.parametrize(
    ("status", "code", "shown"),
    [
        (500, f"Code-{SECRET_BODY}", "The S3 endpoint refused the request (HTTP status 500)."),
        (403, "AccessDenied", "Access denied: check the bucket policy"),
        (404, "NoSuchBucket", "The bucket does not exist."),
    ],
)
def test_what_an_allowed_endpoint_answers_never_reaches_the_page(
    root_client, business_account, listener, settings, monkeypatch, status, code, shown
) -> None:
    """With the operator's opt-out on, the request reaches the listener (signed with the
    account's connection, never the server's own key); its answer is reduced to our words."""
    settings.EVENTS_ALLOW_PRIVATE_WEBHOOKS = True
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIASERVERSOWNIDENTY")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "the-servers-own-secret")
    connect_keys(business_account)
    assert root_client.post(reverse("cloudtrail:trails"), _s3_form(listener.url)).status_code == 302
    listener.status, listener.error_code = status, code
    factories.make_case(business_account)
    assert trails_deliver_task() == 0
    [put] = listener.requests
    assert put["method"] == "PUT" and put["path"].startswith("/audit-logs/AWSLogs/")
    assert f"Credential={KEY_ID}/" in put["headers"]["authorization"]
    trail = Trail.objects.get(name="exfil")
    assert (trail.last_error_status, trail.failures) == (status, 1)
    page = root_client.get(reverse("cloudtrail:trails")).content.decode()
    assert shown in page.replace("&#x27;", "'")
    assert SECRET_BODY not in page
    verified = root_client.post(reverse("cloudtrail:trail-verify", args=["exfil"]))
    assert SECRET_BODY not in verified.content.decode()


def test_a_silent_endpoint_is_given_up_at_the_deadline(
    root_client, business_account, settings, monkeypatch
) -> None:
    settings.EVENTS_ALLOW_PRIVATE_WEBHOOKS = True
    monkeypatch.setattr(destinations, "S3_DEADLINE_SECONDS", 0.5)
    server = socket.create_server(("127.0.0.1", 0))
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept_and_say_nothing() -> None:
        server.settimeout(0.1)
        while not stop.is_set():
            try:
                accepted.append(server.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=accept_and_say_nothing, daemon=True)
    thread.start()
    try:
        connect_keys(business_account)
        endpoint = f"http://127.0.0.1:{server.getsockname()[1]}/"
        trails.trail_create(
            account=business_account,
            name="silent",
            destination="s3",
            actor=factories.principal(factories.root_of(business_account)),
            s3_bucket="audit-logs",
            s3_endpoint_url=endpoint,
        )
        factories.make_case(business_account)
        started = time.monotonic()
        assert trails_deliver_task() == 0
        assert time.monotonic() - started < 5
        assert accepted  # it did connect, and gave up waiting
        assert Trail.objects.get(name="silent").last_error_code == DeliveryProblem.TIMED_OUT
    finally:
        stop.set()
        thread.join(5)
        for connection in accepted:
            connection.close()
        server.close()


def test_an_allowed_endpoint_is_reached_at_the_address_that_was_vetted(
    aws, business_account, root, settings, fake_dns, monkeypatch
) -> None:
    """An S3-compatible endpoint by name (moto here, on loopback, which the operator allowed):
    every PUT and GET goes through the vetted, pinned connection, and the digest chain reads
    back through it."""
    settings.EVENTS_ALLOW_PRIVATE_WEBHOOKS = True
    port = aws.url.rsplit(":", 1)[1]
    endpoint = f"http://storage.tenant.example:{port}"
    # moto reads the bucket from the path for this host, as S3-compatible stores do.
    monkeypatch.setenv("MOTO_S3_CUSTOM_ENDPOINTS", endpoint)
    lookups = fake_dns({"storage.tenant.example": ["127.0.0.1"]})
    aws.client("s3").create_bucket(Bucket="audit-logs")
    connect_keys(business_account)
    trail = trails.trail_create(
        account=business_account,
        name="compatible",
        destination="s3",
        actor=root,
        s3_bucket="audit-logs",
        s3_prefix="support",
        s3_endpoint_url=endpoint,
    )
    assert len(lookups) == 1  # resolved when it was saved, connecting to nothing
    assert trails_deliver_task() > 0
    assert len(lookups) == 3  # and again for each file
    keys = [o["Key"] for o in aws.client("s3").list_objects_v2(Bucket="audit-logs")["Contents"]]
    assert len(keys) == 2 and all(k.startswith("support/AWSLogs/") for k in keys)
    assert trails.trail_verify(trail) == []
    assert len(lookups) == 5
