"""ELB Listener Security, computed against moto."""

from __future__ import annotations

from typing import Any

import pytest

from advisor.checks.base import ERROR, WARNING
from advisor.checks.elb_listeners import _ssl_findings
from tests.advisor.check_helpers import ACCOUNT, by_name, run
from tests.advisor.conftest import AwsClient, MakeEnv

CERT = f"arn:aws:iam::{ACCOUNT}:server-certificate/site"


@pytest.mark.parametrize(
    ("attributes", "findings"),
    [
        ({"Reference-Security-Policy": "ELBSecurityPolicy-2016-08"}, []),
        ({"Reference-Security-Policy": "ELBSecurityPolicy-TLS-1-2-2017-01"}, []),
        (
            {"Reference-Security-Policy": "ELBSecurityPolicy-2015-05"},
            [
                (
                    WARNING,
                    "The listener uses an outdated predefined security policy: "
                    "ELBSecurityPolicy-2015-05.",
                )
            ],
        ),
        ({"Protocol-TLSv1.2": "true", "ECDHE-RSA-AES128-GCM-SHA256": "true"}, []),
        # Disabled ones do not count.
        ({"Protocol-SSLv3": "false", "RC4-SHA": "false"}, []),
        (
            {"Protocol-SSLv3": "true"},
            [(ERROR, "The listener enables an insecure protocol: SSLv3.")],
        ),
        (
            {"Protocol-SSLv2": "true"},
            [(ERROR, "The listener enables an insecure protocol: SSLv2.")],
        ),
        ({"RC4-SHA": "true"}, [(ERROR, "The listener enables an insecure cipher: RC4-SHA.")]),
        (
            {"EXP-DES-CBC-SHA": "true"},
            [(ERROR, "The listener enables an insecure cipher: EXP-DES-CBC-SHA.")],
        ),
        (
            {"DES-CBC-SHA": "true"},
            [(ERROR, "The listener enables an insecure cipher: DES-CBC-SHA.")],
        ),
        (
            {"ADH-AES128-SHA": "true"},
            [(ERROR, "The listener enables an insecure cipher: ADH-AES128-SHA.")],
        ),
        ({"NULL-SHA": "true"}, [(ERROR, "The listener enables an insecure cipher: NULL-SHA.")]),
        # Triple DES and DHE key exchange: weak, not broken.
        (
            {"DES-CBC3-SHA": "true"},
            [(WARNING, "The listener enables a cipher that is not recommended: DES-CBC3-SHA.")],
        ),
        (
            {"DHE-RSA-AES128-SHA": "true"},
            [
                (
                    WARNING,
                    "The listener enables a cipher that is not recommended: DHE-RSA-AES128-SHA.",
                )
            ],
        ),
        ({"Server-Defined-Cipher-Order": "true", "Protocol-TLSv1": "true"}, []),
    ],
)
def test_ssl_policy_findings(attributes: dict[str, str], findings: list[tuple[str, str]]) -> None:
    assert _ssl_findings(attributes) == findings


def _balancer(elb: Any, name: str, *listeners: tuple[str, int]) -> None:
    elb.create_load_balancer(
        LoadBalancerName=name,
        AvailabilityZones=["us-east-1a"],
        Listeners=[
            {
                "Protocol": protocol,
                "LoadBalancerPort": port,
                "InstancePort": 80,
                **({"SSLCertificateId": CERT} if protocol in ("HTTPS", "SSL") else {}),
            }
            for protocol, port in listeners
        ],
    )


def _policy(elb: Any, balancer: str, port: int, name: str, **attributes: str) -> None:
    elb.create_load_balancer_policy(
        LoadBalancerName=balancer,
        PolicyName=name,
        PolicyTypeName="SSLNegotiationPolicyType",
        PolicyAttributes=[{"AttributeName": k, "AttributeValue": v} for k, v in attributes.items()],
    )
    elb.set_load_balancer_policies_of_listener(
        LoadBalancerName=balancer, LoadBalancerPort=port, PolicyNames=[name]
    )


def test_listener_security(aws_client: AwsClient, moto_endpoint: str, make_env: MakeEnv) -> None:
    elb = aws_client("elb")
    _balancer(elb, "plain", ("HTTP", 80), ("TCP", 8080))
    _balancer(elb, "current", ("HTTP", 80), ("HTTPS", 443))
    _policy(
        elb, "current", 443, "tls", **{"Reference-Security-Policy": "ELBSecurityPolicy-2016-08"}
    )
    _balancer(elb, "default", ("HTTPS", 443))  # no policy: AWS's default applies
    _balancer(elb, "dated", ("HTTPS", 443), ("SSL", 8443))
    _policy(elb, "dated", 443, "old", **{"Reference-Security-Policy": "ELBSecurityPolicy-2015-05"})
    _policy(
        elb,
        "dated",
        8443,
        "custom",
        **{"Protocol-SSLv3": "true", "Protocol-TLSv1.2": "true", "DES-CBC3-SHA": "true"},
    )

    evaluation = run("a2sEc6ILx", make_env(moto_endpoint))
    assert evaluation.processed == 7  # listeners
    rows = {(r.metadata[1], r.metadata[2]): r for r in evaluation.rows}
    assert set(rows) == {("plain", "80, 8080"), ("dated", "443"), ("dated", "8443")}
    assert rows[("plain", "80, 8080")].metadata == [
        "us-east-1",
        "plain",
        "80, 8080",
        "Yellow",
        "No listener uses a secure protocol (HTTPS or SSL).",
    ]
    assert rows[("dated", "443")].status == WARNING
    custom = rows[("dated", "8443")]
    assert custom.status == ERROR
    assert custom.metadata[3:] == [
        "Red",
        "The listener enables a cipher that is not recommended: DES-CBC3-SHA. "
        "The listener enables an insecure protocol: SSLv3.",
    ]
    assert custom.arn == f"arn:aws:elasticloadbalancing:us-east-1:{ACCOUNT}:loadbalancer/dated"
    assert custom.key == f"{custom.arn}|8443"
    assert by_name(evaluation, 1)["plain"].region == "us-east-1"
