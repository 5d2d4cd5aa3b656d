"""SigV4 verification of AWS API requests, with botocore's own signer pieces.

The request is rebuilt from the signed headers only (so unsigned headers cannot change the
result), the canonical request, string to sign and signature come from `SigV4Auth`, and the
comparison is constant-time. Any region is accepted in the scope (boto3 signs with the client's
region when an endpoint_url is given); the service must be the one the call's X-Amz-Target names
(`support`, or `cloudtrail` for LookupEvents): a signature is for one service, as on AWS.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from django.http import HttpRequest
from django.utils import timezone

from accounts.access import access_key_for_signature
from accounts.models import AccessKey, AccessKeyStatus
from core import crypto
from core.errors import (
    IncompleteSignatureException,
    InvalidSignatureException,
    MissingAuthenticationTokenException,
    UnrecognizedClientException,
)

SERVICE = "support"
MAX_SKEW = timedelta(minutes=15)
ALGORITHM = "AWS4-HMAC-SHA256"

MSG_SKEW = "Signature expired: {date} is now earlier than {earliest} ({now} - 15 min.)"
MSG_SKEW_FUTURE = "Signature not yet current: {date} is still later than {latest} ({now} + 15 min.)"
MSG_SCOPE_DATE = (
    "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: "
    "'{scope}' != '{date}', from '{amz_date}'."
)

MSG_WRONG_SERVICE = "Credential should be scoped to correct service: '{service}'."

_AUTH_RE = re.compile(r"^AWS4-HMAC-SHA256\s+(?P<params>.+)$", re.DOTALL)
_DATE_FORMAT = "%Y%m%dT%H%M%SZ"


@dataclass(frozen=True)
class ParsedAuthorization:
    access_key_id: str
    date: str
    region: str
    service: str
    signed_headers: list[str]
    signature: str


def _parse_authorization(header: str) -> ParsedAuthorization:
    match = _AUTH_RE.match(header.strip())
    if not match:
        raise IncompleteSignatureException(
            f"Authorization header requires the {ALGORITHM} algorithm, with Credential, "
            "SignedHeaders and Signature parameters."
        )
    parts: dict[str, str] = {}
    for item in match.group("params").split(","):
        key, sep, value = item.strip().partition("=")
        if sep:
            parts[key.strip()] = value.strip()
    missing = [k for k in ("Credential", "SignedHeaders", "Signature") if not parts.get(k)]
    if missing:
        raise IncompleteSignatureException(
            f"Authorization header requires '{missing[0]}' parameter. Authorization={header[:200]}"
        )
    scope = parts["Credential"].split("/")
    if len(scope) != 5 or scope[4] != "aws4_request" or not all(scope):
        raise IncompleteSignatureException(
            "Credential should be scoped to a valid region, service and aws4_request: "
            f"'{parts['Credential'][:200]}'."
        )
    signed = parts["SignedHeaders"].split(";")
    if "host" not in signed:
        raise IncompleteSignatureException(
            "'Host' must be a 'SignedHeader' in the AWS Authorization."
        )
    if not re.fullmatch(r"[0-9a-f]{64}", parts["Signature"]):
        raise IncompleteSignatureException("The signature must be 64 lowercase hexadecimal digits.")
    return ParsedAuthorization(
        access_key_id=scope[0],
        date=scope[1],
        region=scope[2],
        service=scope[3],
        signed_headers=signed,
        signature=parts["Signature"],
    )


def _header(request: HttpRequest, name: str) -> str | None:
    if name == "content-type":
        return request.META.get("CONTENT_TYPE")
    if name == "content-length":
        return request.META.get("CONTENT_LENGTH")
    return request.META.get("HTTP_" + name.upper().replace("-", "_"))


def authenticate(request: HttpRequest, body: bytes, service: str = SERVICE) -> AccessKey:
    """Verify the request's SigV4 signature and return the enabled access key that signed it.

    Raises `MissingAuthenticationTokenException`, `IncompleteSignatureException`,
    `InvalidSignatureException` (also for clock skew over 15 minutes, and for a credential
    scoped to another service) or `UnrecognizedClientException` (unknown or disabled key, or a
    session token).
    """
    auth, amz_date, key = identify(request, service)
    return verify(request, body, auth, amz_date, key)


def identify(
    request: HttpRequest, service: str = SERVICE
) -> tuple[ParsedAuthorization, str, AccessKey]:
    """Every check that needs no body: header shape, date and skew, the key. Done before the
    body is read, so unauthenticated callers cannot make the server buffer large bodies.
    `service` is the one the call's operation belongs to."""
    header = request.META.get("HTTP_AUTHORIZATION")
    if not header:
        raise MissingAuthenticationTokenException()
    auth = _parse_authorization(header)
    if auth.service != service:
        # AWS answers a well-formed signature for another service as an invalid one (403).
        raise InvalidSignatureException(MSG_WRONG_SERVICE.format(service=service))
    amz_date = _header(request, "x-amz-date")
    if not amz_date:
        raise IncompleteSignatureException(
            "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header."
        )
    for required in ("x-amz-date", "x-amz-target", "content-type"):
        # The operation and its encoding must be signed, or a captured request could be
        # replayed as another operation with the same body.
        if required not in auth.signed_headers:
            raise IncompleteSignatureException(
                f"'{required}' must be a 'SignedHeader' in the AWS Authorization."
            )
    try:
        signed_at = datetime.strptime(amz_date, _DATE_FORMAT).replace(tzinfo=UTC)
    except ValueError:
        raise IncompleteSignatureException(
            f"X-Amz-Date must be in the ISO-8601 basic format YYYYMMDD'T'HHMMSS'Z': '{amz_date}'."
        ) from None
    if auth.date != amz_date[:8]:
        raise InvalidSignatureException(
            MSG_SCOPE_DATE.format(scope=auth.date, date=amz_date[:8], amz_date=amz_date)
        )
    now = timezone.now()
    if signed_at < now - MAX_SKEW:
        raise InvalidSignatureException(
            MSG_SKEW.format(
                date=amz_date,
                earliest=(now - MAX_SKEW).strftime(_DATE_FORMAT),
                now=now.strftime(_DATE_FORMAT),
            )
        )
    if signed_at > now + MAX_SKEW:
        raise InvalidSignatureException(
            MSG_SKEW_FUTURE.format(
                date=amz_date,
                latest=(now + MAX_SKEW).strftime(_DATE_FORMAT),
                now=now.strftime(_DATE_FORMAT),
            )
        )
    # We issue only long-term keys: a session token cannot belong to one of them.
    if request.META.get("HTTP_X_AMZ_SECURITY_TOKEN"):
        raise UnrecognizedClientException()
    key = access_key_for_signature(auth.access_key_id)
    if key is None or key.status != AccessKeyStatus.ACTIVE or not key.user.is_active:
        raise UnrecognizedClientException()
    return auth, amz_date, key


@functools.lru_cache(maxsize=4096)
def _signing_key(secret_encrypted: str, date: str, region: str, service: str = SERVICE) -> bytes:
    """SigV4's derived key for one day, region and service (the chain of HMACs AWS
    specifies). Keyed by the stored ciphertext, so a new secret never meets an old key."""
    key = f"AWS4{crypto.decrypt(secret_encrypted)}".encode()
    for part in (date, region, service, "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    return key


def verify(
    request: HttpRequest, body: bytes, auth: ParsedAuthorization, amz_date: str, key: AccessKey
) -> AccessKey:
    """Recompute the signature over the signed headers and the body; constant-time compare."""
    headers: dict[str, str] = {}
    for name in auth.signed_headers:
        value = _header(request, name)
        if value is None:
            raise InvalidSignatureException()
        headers[name] = value
    body_hash = hashlib.sha256(body).hexdigest()
    # botocore's canonical_request trusts this header as the payload hash; never let it stand in
    # for the real body.
    claimed = headers.get("x-amz-content-sha256")
    if claimed is not None and claimed != body_hash:
        raise InvalidSignatureException()
    query = request.META.get("QUERY_STRING", "")
    url = f"http://{headers['host']}{request.path}" + (f"?{query}" if query else "")
    rebuilt = AWSRequest(method=request.method, url=url, headers=headers, data=body)
    rebuilt.context["timestamp"] = amz_date
    rebuilt.context["payload_signing_enabled"] = True
    # botocore builds the canonical request and the string to sign; the key that signs it is
    # derived once per key, day and region (as AWS recommends) instead of per call, so the
    # secret is decrypted once a day rather than on every request.
    # `auth.service` was checked against the operation's service by `identify`.
    signer = SigV4Auth(Credentials(auth.access_key_id, ""), auth.service, auth.region)
    string_to_sign = signer.string_to_sign(rebuilt, signer.canonical_request(rebuilt))
    signing_key = _signing_key(key.secret_encrypted, auth.date, auth.region, auth.service)
    expected = hmac.new(signing_key, string_to_sign.encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, auth.signature):
        raise InvalidSignatureException()
    return key
