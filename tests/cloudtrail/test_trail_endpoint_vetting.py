"""A trail's S3-compatible endpoint is vetted when it is saved as a webhook's URL is, and as every
delivery vets it: a host name that resolves to an address that is not public is refused beside
the endpoint field, the input kept; a name that does not resolve at the moment is saved (a
delivery meets that as a failure it retries), with a warning. Enabling a trail again vets its
endpoint the same way. The lookup holds no transaction open. Delivery-time refusals are in
test_trail_ssrf.py.

Before, saving checked only the URL's text: a name resolving to the metadata service was saved
and then refused by every delivery.
"""

from __future__ import annotations

import ipaddress
import socket
from typing import Any

import pytest
from django.db import connection
from django.urls import reverse
from django.utils.html import escape

from audit.models import AuditEvent
from cloudtrail import services as trails
from cloudtrail.models import Trail
from core.errors import InvalidParameterValueException
from tests import factories
from tests.dns import PRIVATE_ANSWERS
from tests.moto_aws import connect_keys

JA = {"HTTP_ACCEPT_LANGUAGE": "ja"}
HOST = "s3.tenant.example"
ENDPOINT = f"https://{HOST}/"
WARNING = (
    f"{HOST} does not resolve to an address at the moment. Deliveries of this trail fail, and "
    "are retried, until it does."
)


def _form(endpoint: str = ENDPOINT, name: str = "to-store") -> dict[str, str]:
    return {
        "name": name,
        "destination": "s3",
        "s3_bucket": "audit-logs",
        "s3_region": "us-east-1",
        "s3_endpoint_url": endpoint,
    }


def _create(client, **headers: Any):  # type: ignore[no-untyped-def]
    return client.post(reverse("cloudtrail:trails"), _form(), **headers)


def _refusal(address: str) -> str:
    return (
        f"{HOST} resolves to {address}, which is not a public internet address. The S3 "
        "endpoint must be a public internet host."
    )


@PRIVATE_ANSWERS
def test_the_form_refuses_an_endpoint_that_resolves_to_a_private_address(
    root_client, business_account, fake_dns, answers, refused
) -> None:
    connect_keys(business_account)
    lookups = fake_dns({HOST: answers})
    response = _create(root_client)
    assert response.status_code == 400
    message = _refusal(str(ipaddress.ip_address(refused)))
    assert response.context["form"].errors["s3_endpoint_url"] == [message]
    page = response.content.decode()
    # Beside the endpoint field, whose value is kept with the rest of the form.
    error = f'<div id="id_s3_endpoint_url_error"><p class="error">{escape(message)}</p></div>'
    assert error in page
    assert f'value="{ENDPOINT}"' in page and 'value="audit-logs"' in page
    assert not Trail.objects.exists()
    assert lookups == [HOST]  # one lookup, and nothing connected
    refusal = AuditEvent.objects.get(event_name="CreateTrail")
    assert refusal.error_code == "InvalidParameterValueException"
    assert refusal.request_parameters["s3Endpoint"] == f"https://{HOST}"


def test_the_refusal_in_japanese(root_client, business_account, fake_dns) -> None:
    connect_keys(business_account)
    fake_dns({HOST: ["10.0.0.5"]})
    response = _create(root_client, **JA)
    assert response.status_code == 400
    message = (
        f"{HOST} は 10.0.0.5 に解決されます。これはインターネット上の公開アドレスではありません。"
        "S3 エンドポイントにはインターネット上の公開ホストを指定してください。"
    )
    assert response.context["form"].errors["s3_endpoint_url"] == [message]
    page = response.content.decode()
    assert f'<p class="error">{escape(message)}</p>' in page
    assert f'value="{ENDPOINT}"' in page
    assert not Trail.objects.exists()


def test_an_endpoint_that_resolves_to_public_addresses_is_saved(
    root_client, business_account, fake_dns
) -> None:
    connect_keys(business_account)
    lookups = fake_dns({HOST: ["93.184.215.14", "2606:4700:4700::1111"]})
    response = _create(root_client, follow=True)
    assert response.status_code == 200
    assert Trail.objects.get().s3_endpoint_url == ENDPOINT
    page = response.content.decode()
    assert "does not resolve" not in page and "message warning" not in page
    assert lookups == [HOST]


@pytest.mark.parametrize("error", [socket.EAI_NONAME, socket.EAI_AGAIN])
def test_an_endpoint_that_does_not_resolve_now_is_saved_with_a_warning(
    root_client, business_account, fake_dns, error
) -> None:
    # A delivery meets this as a failed attempt and tries again on the next run.
    connect_keys(business_account)
    lookups = fake_dns({HOST: error})
    response = _create(root_client, follow=True)
    assert response.status_code == 200
    assert Trail.objects.get().s3_endpoint_url == ENDPOINT
    assert f'<li class="message warning">{WARNING}</li>' in response.content.decode()
    assert lookups == [HOST]


def test_the_warning_in_japanese(root_client, business_account, fake_dns) -> None:
    connect_keys(business_account)
    fake_dns({HOST: socket.EAI_NONAME})
    page = _create(root_client, follow=True, **JA).content.decode()
    assert Trail.objects.count() == 1
    assert (
        f'<li class="message warning">{HOST} は現在、どのアドレスにも解決されません。'
        "解決されるようになるまで、この証跡の配信は失敗し、再試行されます。</li>" in page
    )


def test_private_names_are_saved_where_the_operator_allows_them(
    root_client, business_account, fake_dns, settings
) -> None:
    settings.EVENTS_ALLOW_PRIVATE_WEBHOOKS = True
    connect_keys(business_account)
    fake_dns({HOST: ["127.0.0.1"]})
    assert _create(root_client).status_code == 302
    assert Trail.objects.get().s3_endpoint_url == ENDPOINT


def test_a_local_trail_or_aws_itself_looks_nothing_up(
    root_client, business_account, monkeypatch
) -> None:
    connect_keys(business_account)
    looked_up: list[str] = []
    monkeypatch.setattr(socket, "getaddrinfo", lambda host, *a, **k: looked_up.append(host))
    aws_itself = _form(endpoint="", name="to-aws")
    assert root_client.post(reverse("cloudtrail:trails"), aws_itself).status_code == 302
    local = {"name": "here", "destination": "local"}
    assert root_client.post(reverse("cloudtrail:trails"), local).status_code == 302
    assert looked_up == [] and Trail.objects.count() == 2


def test_the_service_refuses_for_every_interface(business_account, root, fake_dns) -> None:
    connect_keys(business_account)
    fake_dns({HOST: ["169.254.169.254"]})
    with pytest.raises(InvalidParameterValueException) as raised:
        trails.trail_create(
            account=business_account,
            name="to-store",
            destination="s3",
            actor=root,
            s3_bucket="audit-logs",
            s3_endpoint_url=ENDPOINT,
        )
    assert raised.value.template == trails.MSG_ENDPOINT_RESOLVES_PRIVATE
    assert raised.value.field == "s3_endpoint_url"
    assert raised.value.message == _refusal("169.254.169.254")
    assert not Trail.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_the_lookup_holds_no_transaction_open(
    client, reference_data, fake_dns, monkeypatch
) -> None:
    """DNS can take seconds; SQLite's writers wait for the one holding the write lock."""
    account = factories.make_account("business")
    connect_keys(account)
    client.force_login(factories.root_of(account))
    fake_dns({HOST: ["93.184.215.14"]})
    real = socket.getaddrinfo
    in_transaction: list[bool] = []

    def watching(host: Any, *args: Any, **kwargs: Any) -> Any:
        in_transaction.append(connection.in_atomic_block)
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", watching)
    assert _create(client).status_code == 302
    trail = Trail.objects.get()
    assert trail.s3_endpoint_url == ENDPOINT
    client.post(reverse("cloudtrail:trail-state", args=[trail.name]), {"enabled": "0"})
    client.post(reverse("cloudtrail:trail-state", args=[trail.name]), {"enabled": "1"})
    assert Trail.objects.get().enabled is True
    assert in_transaction == [False, False]  # created, then enabled again


def _disabled_trail(client, business_account, fake_dns) -> Trail:  # type: ignore[no-untyped-def]
    connect_keys(business_account)
    fake_dns({HOST: ["93.184.215.14"]})
    assert _create(client).status_code == 302
    client.post(reverse("cloudtrail:trail-state", args=["to-store"]), {"enabled": "0"})
    trail = Trail.objects.get()
    assert trail.enabled is False
    return trail


def test_enabling_a_trail_whose_endpoint_now_resolves_privately_is_refused(
    root_client, business_account, fake_dns
) -> None:
    trail = _disabled_trail(root_client, business_account, fake_dns)
    fake_dns({HOST: ["169.254.169.254"]})  # its DNS changed since
    response = root_client.post(
        reverse("cloudtrail:trail-state", args=["to-store"]), {"enabled": "1"}, follow=True
    )
    page = response.content.decode()
    assert f'<li class="message error">{escape(_refusal("169.254.169.254"))}</li>' in page
    trail.refresh_from_db()
    assert trail.enabled is False
    assert not AuditEvent.objects.filter(event_name="StartLogging", error_code="").exists()
    refusal = AuditEvent.objects.get(event_name="StartLogging")
    assert refusal.error_code == "InvalidParameterValueException"
    # In Japanese too.
    response = root_client.post(
        reverse("cloudtrail:trail-state", args=["to-store"]), {"enabled": "1"}, follow=True, **JA
    )
    assert "は 169.254.169.254 に解決されます。" in response.content.decode()


def test_enabling_a_trail_whose_endpoint_does_not_resolve_now_warns(
    root_client, business_account, fake_dns
) -> None:
    trail = _disabled_trail(root_client, business_account, fake_dns)
    fake_dns({HOST: socket.EAI_NONAME})
    response = root_client.post(
        reverse("cloudtrail:trail-state", args=["to-store"]), {"enabled": "1"}, follow=True
    )
    page = response.content.decode()
    assert '<li class="message success">Trail to-store enabled.</li>' in page
    assert f'<li class="message warning">{WARNING}</li>' in page
    trail.refresh_from_db()
    assert trail.enabled is True
