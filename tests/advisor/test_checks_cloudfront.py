"""The CloudFront checks (IAM certificates, header forwarding), computed against moto."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from advisor.checks.base import ERROR, OK, WARNING
from advisor.checks.cloudfront_certificates import _covers, certificate_findings
from connections.sample_checks_a import distribution_config, self_signed_certificate
from tests.advisor.check_helpers import run
from tests.advisor.conftest import AwsClient, MakeEnv

# Made with `openssl req -x509 -sha1` (cryptography no longer signs with SHA-1); valid to 2126.
SHA1_CERTIFICATE = """-----BEGIN CERTIFICATE-----
MIIBjzCCATagAwIBAgIUKjERH5nVBQz53D3DdjUyQbiYzvkwCQYHKoZIzj0EATAd
MRswGQYDVQQDDBJsZWdhY3kuZXhhbXBsZS5jb20wIBcNMjYxMjA3MDM0NDUwWhgP
MjEyNjExMTMwMzQ0NTBaMB0xGzAZBgNVBAMMEmxlZ2FjeS5leGFtcGxlLmNvbTBZ
MBMGByqGSM49AgEGCCqGSM49AwEHA0IABGf0cfWQkljJKEr73oQH3nw/H+Lv25LX
3vmotvueGgPQgtMC8SyEcOoJlBRkrYlwhmYlMQaLpjLnlqUcsycNHrajUzBRMB0G
A1UdDgQWBBT7Fq8DVg17vRVppuSqjdklEyEzkTAfBgNVHSMEGDAWgBT7Fq8DVg17
vRVppuSqjdklEyEzkTAPBgNVHRMBAf8EBTADAQH/MAkGByqGSM49BAEDSAAwRQIh
AP+ytDXNaXE69StqYgxZhVnH24ueFuYgPfB3nHIsgbT5AiB9tTipKOIdc1WCj+7O
q0qLkCoLL9pcchBjKS2uIqCjZw==
-----END CERTIFICATE-----"""


@pytest.mark.parametrize(
    ("pattern", "name", "covered"),
    [
        ("www.example.com", "www.example.com", True),
        ("WWW.example.com", "www.Example.com.", True),
        ("*.example.com", "www.example.com", True),
        ("*.example.com", "example.com", False),
        ("*.example.com", "a.b.example.com", False),
        ("example.com", "www.example.com", False),
    ],
)
def test_certificate_names(pattern: str, name: str, covered: bool) -> None:
    assert _covers(pattern, name) is covered


NOW = timezone.now()


@pytest.mark.parametrize(
    ("valid_for", "names", "aliases", "findings"),
    [
        (timedelta(days=30), ["www.example.com"], ["www.example.com"], []),
        (timedelta(days=7, seconds=1), ["*.example.com"], ["a.example.com", "b.example.com"], []),
        # Seven days left: the warning starts here.
        (
            timedelta(days=7),
            ["www.example.com"],
            ["www.example.com"],
            [(WARNING, "The certificate expires within seven days.")],
        ),
        (timedelta(0), ["www.example.com"], [], [(ERROR, "The certificate has expired.")]),
        (
            timedelta(days=90),
            ["www.example.com", "example.com"],
            ["example.com", "shop.example.com"],
            [
                (
                    WARNING,
                    "The certificate does not cover the alternate domain name shop.example.com.",
                )
            ],
        ),
    ],
)
def test_certificate_findings(
    valid_for: timedelta, names: list[str], aliases: list[str], findings: list[tuple[str, str]]
) -> None:
    body = self_signed_certificate(names, not_after=NOW + valid_for)
    assert certificate_findings(body, aliases, NOW) == findings


def test_a_sha1_certificate() -> None:
    assert certificate_findings(SHA1_CERTIFICATE, ["legacy.example.com"], NOW) == [
        (WARNING, "The certificate is signed with SHA-1.")
    ]


def _upload(iam: Any, name: str, body: str) -> str:
    answer = iam.upload_server_certificate(
        ServerCertificateName=name, CertificateBody=body, PrivateKey="(not read)"
    )
    return str(answer["ServerCertificateMetadata"]["ServerCertificateId"])


@pytest.mark.parametrize(
    ("valid_for", "status", "reason"),
    [
        (timedelta(days=-1), ERROR, "The certificate has expired."),
        (timedelta(days=3), WARNING, "The certificate expires within seven days."),
        (timedelta(days=60), OK, None),
    ],
)
def test_iam_certificates(
    valid_for: timedelta,
    status: str,
    reason: str | None,
    aws_client: AwsClient,
    moto_endpoint: str,
    make_env: MakeEnv,
) -> None:
    now = timezone.now()
    body = self_signed_certificate(["*.example.com"], not_after=now + valid_for)
    # moto gives every server certificate the same id: one certificate per test.
    certificate_id = _upload(aws_client("iam"), "site", body)
    cloudfront = aws_client("cloudfront")
    served = cloudfront.create_distribution(
        DistributionConfig=distribution_config(
            "served", aliases=["www.example.com"], iam_certificate=certificate_id
        )
    )["Distribution"]
    cloudfront.create_distribution(DistributionConfig=distribution_config("default"))

    evaluation = run("N425c450f2", make_env(moto_endpoint, now=now))
    assert (evaluation.processed, evaluation.ignored) == (1, 0)
    if reason is None:
        assert evaluation.rows == []
        return
    [row] = evaluation.rows
    assert row.status == status
    assert row.metadata == [
        {ERROR: "Red", WARNING: "Yellow"}[status],
        served["Id"],
        served["DomainName"],
        "site",
        reason,
    ]
    assert (row.arn, row.region) == (served["ARN"], None)


def test_an_iam_certificate_not_in_the_store_is_ignored(
    aws_client: AwsClient, moto_endpoint: str, make_env: MakeEnv
) -> None:
    aws_client("cloudfront").create_distribution(
        DistributionConfig=distribution_config("lost", iam_certificate="ASCAGONE")
    )
    evaluation = run("N425c450f2", make_env(moto_endpoint))
    assert (evaluation.processed, evaluation.ignored, evaluation.rows) == (0, 1, [])
