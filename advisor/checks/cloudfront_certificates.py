"""Amazon CloudFront's custom SSL certificates kept in IAM (the cache checks are in
`advisor.checks.cloudfront`).

CloudFront is global: the check reads the account's distributions once, whatever regions the
connection selects, and their rows have no region. Listing the distributions is the
account-level call (when it fails, the run is abandoned).

Certificates. A distribution whose viewer certificate is an IAM server certificate names it by
its id; the certificate itself (its PEM body) says when it expires, how it was signed and which
names it covers. A certificate that cannot be read or parsed leaves its distribution ignored.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from cryptography import x509
from cryptography.x509.oid import NameOID
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from advisor.checks.base import ERROR, WARNING, Environment, Evaluation, Row, check, worst
from advisor.checks.helpers import colour, paginate, try_read
from advisor.checks.texts import phrase

EXPIRY_WARNING = timedelta(days=7)
# Metadata values are stored once per run and served in every language: plain strings.
REASON_EXPIRED = phrase(gettext_noop("The certificate has expired."))
REASON_EXPIRING = phrase(gettext_noop("The certificate expires within seven days."))
REASON_SHA1 = phrase(gettext_noop("The certificate is signed with SHA-1."))
REASON_NAME_MISSING = phrase(
    gettext_noop("The certificate does not cover the alternate domain name")
)

CLOUDFRONT_HTTPS = (
    _("Using HTTPS with CloudFront"),
    "https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/using-https.html",
)


@dataclass(frozen=True)
class Distribution:
    id: str
    arn: str
    domain: str
    summary: dict[str, Any]

    @property
    def aliases(self) -> list[str]:
        return list(self.summary.get("Aliases", {}).get("Items") or [])


def _distributions(env: Environment) -> list[Distribution]:
    # ListDistributions nests its items one level down ({"DistributionList": {"Items": ...}}),
    # which `paginate` does not reach.
    cloudfront = env.client("cloudfront")
    if cloudfront.can_paginate("list_distributions"):
        pages = cloudfront.get_paginator("list_distributions").paginate()
    else:
        pages = [cloudfront.list_distributions()]
    summaries = [s for page in pages for s in page.get("DistributionList", {}).get("Items") or []]
    return sorted(
        (
            Distribution(id=s["Id"], arn=s["ARN"], domain=s["DomainName"], summary=s)
            for s in summaries
        ),
        key=lambda d: d.id,
    )


def _covers(pattern: str, name: str) -> bool:
    """Whether a certificate name (possibly a wildcard for one label) covers `name`."""
    pattern, name = pattern.lower().rstrip("."), name.lower().rstrip(".")
    if pattern.startswith("*."):
        head, _dot, rest = name.partition(".")
        return bool(head) and rest == pattern[2:]
    return pattern == name


def certificate_findings(body: str, aliases: list[str], now: datetime) -> list[tuple[str, str]]:
    """(status, reason) for each problem of a PEM certificate serving `aliases` at `now`."""
    certificate = x509.load_pem_x509_certificate(body.encode())
    findings: list[tuple[str, str]] = []
    expires = certificate.not_valid_after_utc
    if expires <= now:
        findings.append((ERROR, REASON_EXPIRED))
    elif expires - now <= EXPIRY_WARNING:
        findings.append((WARNING, REASON_EXPIRING))
    algorithm = certificate.signature_hash_algorithm
    if algorithm is not None and algorithm.name == "sha1":
        findings.append((WARNING, REASON_SHA1))
    names = [str(a.value) for a in certificate.subject.get_attributes_for_oid(NameOID.COMMON_NAME)]
    try:
        extension = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName)
        names += extension.value.get_values_for_type(x509.DNSName)
    except x509.ExtensionNotFound:
        pass
    for alias in aliases:
        if not any(_covers(name, alias) for name in names):
            findings.append((WARNING, f"{REASON_NAME_MISSING} {alias}."))
    return findings


def _iam_certificates(env: Environment) -> dict[str, str]:
    """Server certificate id -> name, for the certificates in the IAM store."""
    iam = env.client("iam")
    return {
        c["ServerCertificateId"]: c["ServerCertificateName"]
        for c in paginate(iam, "list_server_certificates", "ServerCertificateMetadataList")
    }


@check(
    "N425c450f2",
    name=_("CloudFront Custom SSL Certificates in the IAM Certificate Store"),
    lead=_(
        "Reviews the custom SSL certificates that distributions take from the IAM certificate "
        "store for their alternate domain names. Browsers warn about expired certificates and "
        "SHA-1 signatures, and CloudFront cannot serve HTTPS for a name its certificate does "
        "not cover."
    ),
    criteria=[
        _("Red: the certificate has expired."),
        _("Yellow: the certificate expires within the next seven days."),
        _("Yellow: the certificate is signed with the SHA-1 hash algorithm."),
        _(
            "Yellow: an alternate domain name of the distribution is in neither the "
            "certificate's common name nor its subject alternative names."
        ),
    ],
    action=_(
        "Renew expiring and expired certificates, replace SHA-1 certificates with SHA-256 "
        "ones, and use a certificate that names every alternate domain name of the "
        "distribution."
    ),
    resources=[
        (
            _("Using alternate domain names and HTTPS"),
            "https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/"
            "cnames-and-https-requirements.html",
        ),
        CLOUDFRONT_HTTPS,
    ],
)
def iam_certificates(env: Environment) -> Evaluation:
    evaluation = Evaluation()
    using = [
        (d, d.summary.get("ViewerCertificate", {}).get("IAMCertificateId"))
        for d in _distributions(env)
    ]
    using = [(d, certificate_id) for d, certificate_id in using if certificate_id]
    if not using:
        return evaluation
    names = _iam_certificates(env)
    iam = env.client("iam")
    for distribution, certificate_id in using:
        name = names.get(certificate_id)
        answer = (
            None
            if name is None
            else try_read(iam.get_server_certificate, ServerCertificateName=name)
        )
        body = (answer or {}).get("ServerCertificate", {}).get("CertificateBody")
        if not body:
            evaluation.ignored += 1  # not in the store (any more), or not readable
            continue
        try:
            findings = certificate_findings(body, distribution.aliases, env.now)
        except ValueError:
            evaluation.ignored += 1  # not a certificate cryptography can read
            continue
        evaluation.processed += 1
        if not findings:
            continue
        status = worst([s for s, _reason in findings])
        evaluation.rows.append(
            Row(
                status=status,
                arn=distribution.arn,
                metadata=[
                    colour(status),
                    distribution.id,
                    distribution.domain,
                    name,
                    " ".join(reason for _status, reason in findings),
                ],
            )
        )
    return evaluation
