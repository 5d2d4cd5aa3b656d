"""Webhooks cannot reach Support Center's own network (SSRF): delivery logs show customers the
start of every response, so a webhook to 127.0.0.1, 10.x or the cloud metadata service would
let them read internal services. Target creation refuses private hosts named in the URL, and
every delivery attempt resolves the host once, refuses it if any address is not public, and
connects to the address it checked (no second lookup a rebinding DNS server could answer
differently), with TLS still verified for the URL's host name.

EVENTS_ALLOW_PRIVATE_WEBHOOKS is off in the test settings; tests turn it on where they need it.
"""

from __future__ import annotations

import ipaddress
import socket
import ssl

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from accounts.principals import SYSTEM
from audit.models import AuditEvent
from core import netguard
from core.errors import ValidationException
from events import services
from events.models import DeliveryAttempt, DeliveryStatus, EventDelivery, EventTarget
from events.services import delivery as delivery_module
from tests.events.conftest import TLS_HOST, add_webhook, make_rule

PATTERN = {"source": ["aws.support"]}

# One URL per class of address that must not be reachable by name alone.
PRIVATE_URLS = [
    pytest.param("http://[::1]/", id="loopback-v6"),
    pytest.param("https://127.0.0.1/hook", id="loopback-v4"),
    pytest.param("https://127.8.9.10/hook", id="loopback-v4-range"),
    pytest.param("http://localhost:8080", id="localhost"),
    pytest.param("https://LOCALHOST/hook", id="localhost-upper-case"),
    pytest.param("https://foo.localhost/", id="dot-localhost"),
    pytest.param("http://10.0.0.5", id="private-10"),
    pytest.param("https://172.16.3.4/", id="private-172"),
    pytest.param("https://192.168.1.10/", id="private-192"),
    pytest.param("https://[fd12:3456::1]/", id="unique-local-v6"),
    pytest.param("http://169.254.169.254/latest/meta-data", id="link-local-metadata"),
    pytest.param("https://[fe80::1]/", id="link-local-v6"),
    pytest.param("https://100.100.100.200/", id="shared-address-space"),
    pytest.param("https://0.0.0.0/", id="unspecified-v4"),
    pytest.param("https://[::]/", id="unspecified-v6"),
    pytest.param("https://224.0.0.1/", id="multicast-v4"),
    pytest.param("https://[ff02::1]/", id="multicast-v6"),
    pytest.param("https://240.0.0.1/", id="reserved-v4"),
    pytest.param("http://[::ffff:127.0.0.1]/", id="ipv4-mapped-loopback"),
    pytest.param("https://[::ffff:a9fe:a9fe]/", id="ipv4-mapped-metadata-hex"),
    pytest.param("https://[64:ff9b::a00:5]/", id="nat64"),
    pytest.param("https://[2002:a00:5::1]/", id="6to4-private"),
]


@pytest.mark.parametrize("url", PRIVATE_URLS)
def test_private_webhook_urls_are_refused_unless_allowed(
    business_account, root, settings, url
) -> None:
    settings.DEBUG = False
    settings.EVENTS_ALLOW_HTTP_WEBHOOKS = True  # the https rule is not what refuses these
    rule = make_rule(business_account, root)
    with pytest.raises(ValidationException) as raised:
        add_webhook(rule, url, root)
    assert raised.value.message == services.MSG_WEBHOOK_PRIVATE
    assert raised.value.field == "url"
    assert not EventTarget.objects.exists()

    settings.EVENTS_ALLOW_PRIVATE_WEBHOOKS = True
    target, _secret = add_webhook(rule, url, root)
    assert EventTarget.objects.get() == target and target.url == url


@pytest.mark.parametrize(
    "url",
    [
        "https://hooks.example.com/in",
        "https://93.184.215.14/in",
        "https://[2606:4700:4700::1111]/in",
        "https://[::ffff:93.184.215.14]/in",  # judged by the IPv4 address it reaches
        # Names are judged by what they resolve to, when saved and at every delivery
        # (tests/events/test_webhook_vetting.py): these two resolve to a public address.
        "https://127.0.0.1.nip.io/in",
        "https://localhost.example.com/in",
    ],
)
def test_public_webhook_urls_are_accepted(business_account, root, fake_dns, url) -> None:
    names = ("hooks.example.com", "127.0.0.1.nip.io", "localhost.example.com")
    fake_dns({name: ["93.184.215.14"] for name in names})
    target, _secret = add_webhook(make_rule(business_account, root), url, root)
    assert target.url == url


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("93.184.215.14", True),
        ("2606:4700:4700::1111", True),
        ("::ffff:8.8.8.8", True),
        ("127.0.0.1", False),
        ("10.255.255.255", False),
        ("100.64.0.1", False),
        ("169.254.169.254", False),
        ("198.18.0.1", False),  # benchmarking
        ("255.255.255.255", False),
        ("::1", False),
        ("::", False),
        ("::7f00:1", False),  # IPv4-compatible (deprecated)
        ("::ffff:10.0.0.1", False),
        ("fc00::1", False),
        ("fe80::1%2", False),
        ("ff0e::1", False),
        ("2001:db8::1", False),  # documentation
        ("2002:7f00:1::", False),  # 6to4 of 127.0.0.1
        ("64:ff9b::808:808", False),  # NAT64: refused whatever it embeds
    ],
)
def test_is_public_address(address: str, public: bool) -> None:
    assert netguard.is_public_address(ipaddress.ip_address(address)) is public


def test_the_form_shows_the_refusal_and_keeps_the_url(root_client, business_account) -> None:
    rule = make_rule(business_account, name="case-updates")
    url = "http://169.254.169.254/latest/meta-data"
    response = root_client.post(
        reverse("events:target-create", args=[rule.name]), {"kind": "webhook", "url": url}
    )
    assert response.status_code == 400
    form = response.context["target_form"]
    assert form.errors["url"] == [services.MSG_WEBHOOK_PRIVATE]
    assert f'value="{url}"' in response.content.decode()
    assert not EventTarget.objects.exists()
    failure = AuditEvent.objects.get(event_name="PutTargets")
    assert failure.error_code == "ValidationException"


def test_a_port_out_of_range_is_refused_on_the_form(root_client, business_account) -> None:
    # It used to be saved, and every delivery then failed on the port.
    rule = make_rule(business_account, name="case-updates")
    response = root_client.post(
        reverse("events:target-create", args=[rule.name]),
        {"kind": "webhook", "url": "https://hooks.example.com:99999/in"},
    )
    assert response.status_code == 400
    assert response.context["target_form"].errors["url"] == [services.MSG_WEBHOOK_URL]
    assert not EventTarget.objects.exists()


def publish(account) -> None:  # type: ignore[no-untyped-def]
    services.event_publish(
        account=account,
        source="aws.support",
        detail_type="Support Case Update",
        detail={"event-name": "CreateCase"},
    )


def attempt_all() -> dict[str, DeliveryAttempt]:
    """Attempt every delivery once; the attempts by target URL."""
    for delivery in EventDelivery.objects.all():
        delivery_module.delivery_attempt(delivery_id=str(delivery.delivery_id), actor=SYSTEM)
    return {
        attempt.delivery.target.url: attempt
        for attempt in DeliveryAttempt.objects.select_related("delivery__target")
    }


@pytest.mark.parametrize(
    ("answers", "refused"),
    [
        (["127.0.0.1"], "127.0.0.1"),
        (["10.0.0.5"], "10.0.0.5"),
        (["169.254.169.254"], "169.254.169.254"),
        (["::1"], "::1"),
        (["fd00::5"], "fd00::5"),
        (["::ffff:127.0.0.1"], "::ffff:127.0.0.1"),
        # Any private answer refuses the name, even after a public one.
        (["93.184.215.14", "127.0.0.1"], "127.0.0.1"),
    ],
)
def test_delivery_refuses_a_name_that_resolves_to_a_private_address(
    webhook, fake_dns, business_account, root, answers, refused
) -> None:
    # Accepted when it was added (a public-looking name), the name now resolves (DNS rebinding)
    # to where the loopback receiver listens: nothing may be sent to it.
    url = f"http://hooks.example.com:{webhook.port}/hooks/support"
    add_webhook(make_rule(business_account, root, pattern=PATTERN), url, root)
    lookups = fake_dns({"hooks.example.com": answers})
    publish(business_account)
    started = timezone.now()
    attempt = attempt_all()[url]

    message = netguard.MSG_BLOCKED_ADDRESS.format(
        host="hooks.example.com", address=ipaddress.ip_address(refused)
    )
    assert not attempt.succeeded
    assert (attempt.http_status, attempt.error, attempt.response_excerpt) == (None, message, "")
    assert webhook.requests == []
    assert lookups == ["hooks.example.com"]
    # An ordinary failed attempt: retried on the usual schedule (DNS may be fixed by then).
    delivery = EventDelivery.objects.get()
    assert delivery.status == DeliveryStatus.PENDING and delivery.attempts == 1
    assert delivery.last_error == message
    assert delivery.next_attempt_at >= started + services.BACKOFF[0]


def test_a_private_address_allowed_once_is_refused_after_the_setting_is_off(
    webhook, business_account, root, settings
) -> None:
    settings.EVENTS_ALLOW_PRIVATE_WEBHOOKS = True
    add_webhook(make_rule(business_account, root, pattern=PATTERN), webhook.url, root)
    settings.EVENTS_ALLOW_PRIVATE_WEBHOOKS = False
    publish(business_account)
    attempt = attempt_all()[webhook.url]
    assert attempt.error == netguard.MSG_BLOCKED_ADDRESS.format(
        host="127.0.0.1", address="127.0.0.1"
    )
    assert webhook.requests == []


@pytest.mark.usefixtures("allow_private_webhooks")
def test_delivery_connects_to_the_address_it_checked(
    webhook, fake_dns, business_account, root
) -> None:
    # The name does not exist in real DNS: the request can only arrive if the connection uses
    # the address from the one lookup, and it still names the host the customer gave.
    url = f"http://hooks.example.com:{webhook.port}/hooks/support?via=pinned"
    add_webhook(make_rule(business_account, root, pattern=PATTERN), url, root)
    lookups = fake_dns({"hooks.example.com": ["127.0.0.1"]})
    publish(business_account)
    attempt = attempt_all()[url]
    assert attempt.succeeded and attempt.http_status == 200
    assert lookups == ["hooks.example.com"]
    [request] = webhook.requests
    assert request["headers"]["host"] == f"hooks.example.com:{webhook.port}"
    assert request["path"] == "/hooks/support?via=pinned"
    assert request["headers"]["x-supportcenter-signature"].startswith("sha256=")


@pytest.mark.usefixtures("allow_private_webhooks")
def test_https_verifies_the_certificate_for_the_host_name(
    tls_webhook, fake_dns, business_account, root, monkeypatch
) -> None:
    # Both names resolve to the receiver, whose certificate names TLS_HOST only: the pinned
    # connection must send each URL's host as SNI and check the certificate against it.
    trusted = ssl.create_default_context

    def trusting_the_test_ca() -> ssl.SSLContext:
        return trusted(cafile=tls_webhook.ca_file)

    monkeypatch.setattr(ssl, "create_default_context", trusting_the_test_ca)
    other_url = f"https://other.example.com:{tls_webhook.port}/hooks/support"
    rule = make_rule(business_account, root, pattern=PATTERN)
    add_webhook(rule, tls_webhook.url, root)
    add_webhook(rule, other_url, root)
    lookups = fake_dns({TLS_HOST: ["127.0.0.1"], "other.example.com": ["127.0.0.1"]})
    publish(business_account)
    attempts = attempt_all()

    good = attempts[tls_webhook.url]
    assert good.succeeded and good.http_status == 200 and good.response_excerpt == "thanks"
    [request] = tls_webhook.requests
    assert request["headers"]["host"] == f"{TLS_HOST}:{tls_webhook.port}"
    bad = attempts[other_url]
    assert not bad.succeeded and bad.http_status is None
    assert bad.error.startswith("SSLCertVerificationError")
    assert "other.example.com" in bad.error
    assert sorted(tls_webhook.server_names) == sorted([TLS_HOST, "other.example.com"])
    assert sorted(lookups) == sorted([TLS_HOST, "other.example.com"])


def test_an_unresolvable_name_is_a_failed_attempt(business_account, root, monkeypatch) -> None:
    url = "https://gone.example.com/in"
    add_webhook(make_rule(business_account, root, pattern=PATTERN), url, root)

    def no_such_name(*args: object, **kwargs: object) -> list[object]:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", no_such_name)
    publish(business_account)
    attempt = attempt_all()[url]
    assert attempt.error == f"gaierror: [Errno {socket.EAI_NONAME}] Name or service not known"
    assert EventDelivery.objects.get().status == DeliveryStatus.PENDING


def test_delivery_vets_the_url_again_by_the_rules_in_force_now(
    root_client, webhook, fake_dns, business_account, root, settings
) -> None:
    """Saved while the operator allowed plain http; once they no longer do, deliveries are not
    sent over it (the rules are read at every attempt, as a trail's endpoint's are), and the log
    says why in the reader's language."""
    settings.DEBUG = False
    settings.EVENTS_ALLOW_PRIVATE_WEBHOOKS = True  # the receiver listens on loopback
    settings.EVENTS_ALLOW_HTTP_WEBHOOKS = True
    url = f"http://hooks.example.com:{webhook.port}/hooks/support"
    rule = make_rule(business_account, root, pattern=PATTERN)
    lookups = fake_dns({"hooks.example.com": ["127.0.0.1"]})
    target, _secret = add_webhook(rule, url, root)
    settings.EVENTS_ALLOW_HTTP_WEBHOOKS = False
    publish(business_account)
    attempt = attempt_all()[url]
    english = "Not sent: the webhook's URL is not allowed any more. Webhook URLs must use https."
    assert not attempt.succeeded and attempt.error == english
    assert webhook.requests == []
    assert lookups == ["hooks.example.com"]  # when it was saved only: refused before a lookup
    assert EventDelivery.objects.get().status == DeliveryStatus.PENDING  # retried as usual
    log_url = reverse("events:deliveries", args=[rule.name, target.target_id])
    page = root_client.get(log_url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert escape(english) in page
    japanese = (
        "送信していません: このウェブフックの URL は現在の設定では許可されていません。"
        "Webhook URL には https を使用してください。"
    )
    page = root_client.get(log_url, HTTP_ACCEPT_LANGUAGE="ja").content.decode()
    assert escape(japanese) in page and "Not sent" not in page
