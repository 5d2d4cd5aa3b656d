"""A webhook URL is vetted when it is saved as every delivery vets it: a host name that
resolves to an address that is not public is refused beside the URL field, the URL kept; a name
that does not resolve at the moment is saved (a delivery meets that as a failure it retries),
with a warning. The lookup is the only network use on save, and no transaction is open
while it runs. Delivery-time refusals are in test_webhook_ssrf.py.

EVENTS_ALLOW_PRIVATE_WEBHOOKS is off in the test settings; tests turn it on where they need it.
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
from core.errors import ValidationException
from events import services
from events.models import EventTarget
from tests import factories
from tests.dns import PRIVATE_ANSWERS
from tests.events.conftest import add_webhook, make_rule

JA = {"HTTP_ACCEPT_LANGUAGE": "ja"}
HOST = "hooks.example.com"
URL = f"https://{HOST}/in?token=s3cret"


def _add(client, rule, url: str = URL, **headers: str):  # type: ignore[no-untyped-def]
    return client.post(
        reverse("events:target-create", args=[rule.name]),
        {"kind": "webhook", "url": url},
        **headers,
    )


@PRIVATE_ANSWERS
def test_the_form_refuses_a_name_that_resolves_to_a_private_address(
    root_client, business_account, fake_dns, answers, refused
) -> None:
    rule = make_rule(business_account, name="case-updates")
    lookups = fake_dns({HOST: answers})
    response = _add(root_client, rule)
    assert response.status_code == 400
    # The address as Python writes it (as the delivery log does).
    address = ipaddress.ip_address(refused)
    message = (
        f"{HOST} resolves to {address}, which is not a public internet address. Webhook URLs "
        "must point to a public internet host."
    )
    assert response.context["target_form"].errors["url"] == [message]
    page = response.content.decode()
    # Beside the URL field, whose value is kept.
    assert f'<div id="id_url_error"><p class="error">{escape(message)}</p></div>' in page
    assert f'value="{escape(URL)}"' in page
    assert not EventTarget.objects.exists()
    assert lookups == [HOST]  # one lookup, and nothing connected
    failure = AuditEvent.objects.get(event_name="PutTargets")
    assert failure.error_code == "ValidationException"
    assert "s3cret" not in str(failure.request_parameters)


def test_the_refusal_in_japanese(root_client, business_account, fake_dns) -> None:
    rule = make_rule(business_account, name="case-updates")
    fake_dns({HOST: ["10.0.0.5"]})
    response = _add(root_client, rule, **JA)
    assert response.status_code == 400
    message = (
        f"{HOST} は 10.0.0.5 に解決されます。これはインターネット上の公開アドレスではありません。"
        "ウェブフック URL にはインターネット上の公開ホストを指定してください。"
    )
    assert response.context["target_form"].errors["url"] == [message]
    page = response.content.decode()
    assert f'<p class="error">{escape(message)}</p>' in page
    assert f'value="{escape(URL)}"' in page
    assert not EventTarget.objects.exists()


def test_a_name_that_resolves_to_public_addresses_is_saved(
    root_client, business_account, fake_dns
) -> None:
    rule = make_rule(business_account, name="case-updates")
    lookups = fake_dns({HOST: ["93.184.215.14", "2606:4700:4700::1111"]})
    response = _add(root_client, rule, follow=True)
    assert response.status_code == 200
    target = EventTarget.objects.get()
    assert target.url == URL
    page = response.content.decode()
    assert f"Target {target.target_id} added." in page
    assert "does not resolve" not in page and "message warning" not in page
    assert lookups == [HOST]


@pytest.mark.parametrize("error", [socket.EAI_NONAME, socket.EAI_AGAIN])
def test_a_name_that_does_not_resolve_now_is_saved_with_a_warning(
    root_client, business_account, fake_dns, error
) -> None:
    # A delivery meets this as a failed attempt and tries again later: not a refusal.
    rule = make_rule(business_account, name="case-updates")
    lookups = fake_dns({HOST: error})
    response = _add(root_client, rule, follow=True)
    assert response.status_code == 200
    target = EventTarget.objects.get()
    assert target.url == URL
    page = response.content.decode()
    assert f'<li class="message success">Target {target.target_id} added.</li>' in page
    assert (
        f'<li class="message warning">{HOST} does not resolve to an address at the moment. '
        "Events sent to this webhook fail, and are retried, until it does.</li>" in page
    )
    assert lookups == [HOST]
    # The signing secret is still shown once.
    assert "whsec_" in page


def test_the_warning_in_japanese(root_client, business_account, fake_dns) -> None:
    rule = make_rule(business_account, name="case-updates")
    fake_dns({HOST: socket.EAI_NONAME})
    page = _add(root_client, rule, follow=True, **JA).content.decode()
    assert EventTarget.objects.count() == 1
    assert (
        f'<li class="message warning">{HOST} は現在、どのアドレスにも解決されません。'
        "解決されるようになるまで、このウェブフックへのイベントの送信は失敗し、再試行されます。"
        "</li>" in page
    )


def test_private_names_are_saved_where_the_operator_allows_them(
    root_client, business_account, fake_dns, settings
) -> None:
    settings.EVENTS_ALLOW_PRIVATE_WEBHOOKS = True
    rule = make_rule(business_account, name="case-updates")
    fake_dns({HOST: ["127.0.0.1"]})
    response = _add(root_client, rule)
    assert response.status_code == 302
    assert EventTarget.objects.get().url == URL


def test_a_host_dns_can_never_look_up_is_refused_without_a_lookup(
    root_client, business_account, monkeypatch
) -> None:
    # URLValidator counts characters; in punycode the label is too long for DNS, so every
    # delivery would fail on it, for ever.
    rule = make_rule(business_account, name="case-updates")
    url = "https://" + "ü" * 63 + ".example.com/in"
    looked_up: list[str] = []
    monkeypatch.setattr(socket, "getaddrinfo", lambda host, *a, **k: looked_up.append(host))
    response = _add(root_client, rule, url)
    assert response.status_code == 400
    assert response.context["target_form"].errors["url"] == [services.MSG_WEBHOOK_URL]
    assert f'value="{url}"' in response.content.decode()
    assert looked_up == [] and not EventTarget.objects.exists()


def test_the_service_refuses_for_every_interface(business_account, root, fake_dns) -> None:
    rule = make_rule(business_account, root)
    fake_dns({HOST: ["169.254.169.254"]})
    with pytest.raises(ValidationException) as raised:
        add_webhook(rule, URL, root)
    assert raised.value.template == services.MSG_WEBHOOK_RESOLVES_PRIVATE
    assert raised.value.field == "url"
    assert raised.value.message == (
        f"{HOST} resolves to 169.254.169.254, which is not a public internet address. Webhook "
        "URLs must point to a public internet host."
    )
    assert not EventTarget.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_the_lookup_holds_no_transaction_open(
    client, reference_data, fake_dns, monkeypatch
) -> None:
    """DNS can take seconds; SQLite's writers wait for the one holding the write lock."""
    account = factories.make_account("business")
    client.force_login(factories.root_of(account))
    rule = make_rule(account, name="case-updates")
    fake_dns({HOST: ["93.184.215.14"]})
    real = socket.getaddrinfo
    in_transaction: list[bool] = []

    def watching(host: Any, *args: Any, **kwargs: Any) -> Any:
        in_transaction.append(connection.in_atomic_block)
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", watching)
    assert _add(client, rule).status_code == 302
    assert in_transaction == [False]
    assert EventTarget.objects.get().url == URL
