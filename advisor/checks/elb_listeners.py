"""ELB Listener Security: Classic Load Balancers' front-end encryption.

Read region by region (`regional`). A Classic Load Balancer encrypts a listener's traffic when
the listener's protocol is HTTPS or SSL; how is set by the listener's SSL negotiation policy: a
reference to one of AWS's predefined security policies and/or the protocols and ciphers it
enables (an attribute per protocol or cipher, "true" when enabled). A secure listener without
an SSL negotiation policy uses the current default predefined policy.

Which protocols and ciphers are which: SSL 2.0 and 3.0 and ciphers that are export-grade,
unauthenticated, unencrypted, single-DES, RC4 or MD5-based are insecure; the ciphers of the
current predefined policies are recommended; any other enabled cipher is not recommended.
"""

from __future__ import annotations

import re
from typing import Any

from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from advisor.checks.base import ERROR, WARNING, Environment, Evaluation, Row, check, worst
from advisor.checks.helpers import arn, colour, paginate, regional
from advisor.checks.texts import phrase

SECURE_PROTOCOLS = frozenset({"HTTPS", "SSL"})
SSL_POLICY_TYPE = "SSLNegotiationPolicyType"
REFERENCE = "Reference-Security-Policy"
# The predefined security policies AWS currently recommends for Classic Load Balancers.
CURRENT_POLICIES = frozenset(
    {
        "ELBSecurityPolicy-2016-08",
        "ELBSecurityPolicy-TLS-1-1-2017-01",
        "ELBSecurityPolicy-TLS-1-2-2017-01",
    }
)
INSECURE_PROTOCOLS = frozenset({"Protocol-SSLv2", "Protocol-SSLv3"})
# The ciphers of the current predefined policies.
RECOMMENDED_CIPHERS = frozenset(
    {
        "ECDHE-ECDSA-AES128-GCM-SHA256",
        "ECDHE-RSA-AES128-GCM-SHA256",
        "ECDHE-ECDSA-AES128-SHA256",
        "ECDHE-RSA-AES128-SHA256",
        "ECDHE-ECDSA-AES128-SHA",
        "ECDHE-RSA-AES128-SHA",
        "ECDHE-ECDSA-AES256-GCM-SHA384",
        "ECDHE-RSA-AES256-GCM-SHA384",
        "ECDHE-ECDSA-AES256-SHA384",
        "ECDHE-RSA-AES256-SHA384",
        "ECDHE-RSA-AES256-SHA",
        "ECDHE-ECDSA-AES256-SHA",
        "AES128-GCM-SHA256",
        "AES128-SHA256",
        "AES128-SHA",
        "AES256-GCM-SHA384",
        "AES256-SHA256",
        "AES256-SHA",
    }
)
INSECURE_CIPHER = re.compile(r"(^|-)(EXP|NULL|ADH|AECDH|RC4|MD5)(-|$)|(^|-)DES-CBC-")
# Attributes that are neither a protocol nor a cipher.
OPTIONS = frozenset({REFERENCE, "Server-Defined-Cipher-Order"})

# Metadata values are stored once per run in English, as the API returns them; the pages
# translate them (`advisor.checks.texts`).
REASON_NO_SECURE_LISTENER = phrase(
    gettext_noop("No listener uses a secure protocol (HTTPS or SSL).")
)
REASON_OUTDATED_POLICY = phrase(
    gettext_noop("The listener uses an outdated predefined security policy")
)
REASON_INSECURE_PROTOCOL = phrase(gettext_noop("The listener enables an insecure protocol"))
REASON_INSECURE_CIPHER = phrase(gettext_noop("The listener enables an insecure cipher"))
REASON_NOT_RECOMMENDED = phrase(
    gettext_noop("The listener enables a cipher that is not recommended")
)


def _ssl_findings(attributes: dict[str, str]) -> list[tuple[str, str]]:
    """(status, reason) for each problem of an SSL negotiation policy's attributes."""
    findings: list[tuple[str, str]] = []
    reference = attributes.get(REFERENCE)
    if reference and reference not in CURRENT_POLICIES:
        findings.append((WARNING, f"{REASON_OUTDATED_POLICY}: {reference}."))
    enabled = sorted(
        name for name, value in attributes.items() if name not in OPTIONS and value == "true"
    )
    for name in enabled:
        if name.startswith("Protocol-"):
            if name in INSECURE_PROTOCOLS:
                findings.append((ERROR, f"{REASON_INSECURE_PROTOCOL}: {name[9:]}."))
        elif INSECURE_CIPHER.search(name):
            findings.append((ERROR, f"{REASON_INSECURE_CIPHER}: {name}."))
        elif name not in RECOMMENDED_CIPHERS:
            findings.append((WARNING, f"{REASON_NOT_RECOMMENDED}: {name}."))
    return findings


@check(
    "a2sEc6ILx",
    name=_("ELB Listener Security"),
    lead=_(
        "Checks that Classic Load Balancers encrypt front-end traffic with current settings: a "
        "secure listener protocol (HTTPS or SSL), an up-to-date predefined security policy, "
        "and only protocols and ciphers that are still considered safe."
    ),
    criteria=[
        _("Yellow: the load balancer has no listener with a secure protocol (HTTPS or SSL)."),
        _("Yellow: a listener uses an outdated predefined security policy."),
        _("Yellow: a listener enables a cipher or protocol that is not recommended."),
        _("Red: a listener enables an insecure cipher or protocol."),
    ],
    action=_(
        "Serve clients over HTTPS or SSL, switch each secure listener to the latest predefined "
        "security policy, and disable insecure and non-recommended ciphers and protocols in "
        "custom policies."
    ),
    resources=[
        (
            _("SSL negotiation configurations for Classic Load Balancers"),
            "https://docs.aws.amazon.com/elasticloadbalancing/latest/classic/"
            "elb-ssl-security-policy.html",
        ),
        (
            _("Listeners for your Classic Load Balancer"),
            "https://docs.aws.amazon.com/elasticloadbalancing/latest/classic/"
            "elb-listener-config.html",
        ),
    ],
)
@regional
def listener_security(env: Environment, region: str) -> Evaluation:
    elb = env.client("elb", region)
    balancers = sorted(
        paginate(elb, "describe_load_balancers", "LoadBalancerDescriptions"),
        key=lambda lb: lb["LoadBalancerName"],
    )
    # The resources are the listeners: a row is about one, or about all of a balancer's.
    evaluation = Evaluation()
    for balancer in balancers:
        name = balancer["LoadBalancerName"]
        balancer_arn = arn("elasticloadbalancing", region, env.account_id, f"loadbalancer/{name}")
        listeners = sorted(
            (d["Listener"] for d in balancer.get("ListenerDescriptions", [])),
            key=lambda listener: listener["LoadBalancerPort"],
        )
        evaluation.processed += len(listeners)
        secure = [d for d in balancer.get("ListenerDescriptions", []) if _secure(d)]
        if not secure:
            ports = ", ".join(str(listener["LoadBalancerPort"]) for listener in listeners)
            evaluation.rows.append(
                _row(region, balancer_arn, name, ports, WARNING, REASON_NO_SECURE_LISTENER)
            )
            continue
        policies = _ssl_policies(elb, name)
        for description in sorted(secure, key=lambda d: d["Listener"]["LoadBalancerPort"]):
            findings = [
                finding
                for policy in description.get("PolicyNames", [])
                if policy in policies
                for finding in _ssl_findings(policies[policy])
            ]
            if not findings:
                continue
            status = worst([s for s, _reason in findings])
            port = str(description["Listener"]["LoadBalancerPort"])
            reason = " ".join(reason for _status, reason in findings)
            evaluation.rows.append(_row(region, balancer_arn, name, port, status, reason))
    return evaluation


def _secure(description: dict[str, Any]) -> bool:
    return str(description["Listener"].get("Protocol", "")).upper() in SECURE_PROTOCOLS


def _ssl_policies(elb: Any, balancer: str) -> dict[str, dict[str, str]]:
    """The load balancer's SSL negotiation policies: name -> attributes."""
    answer = elb.describe_load_balancer_policies(LoadBalancerName=balancer)
    return {
        policy["PolicyName"]: {
            a["AttributeName"]: str(a.get("AttributeValue", "")).lower()
            if a["AttributeName"] != REFERENCE
            else str(a.get("AttributeValue", ""))
            for a in policy.get("PolicyAttributeDescriptions", [])
        }
        for policy in answer.get("PolicyDescriptions", [])
        if policy.get("PolicyTypeName") == SSL_POLICY_TYPE
    }


def _row(region: str, balancer_arn: str, name: str, port: str, status: str, reason: str) -> Row:
    return Row(
        status=status,
        arn=balancer_arn,
        key=f"{balancer_arn}|{port}",
        region=region,
        metadata=[region, name, port, colour(status), reason],
    )
