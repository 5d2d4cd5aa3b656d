"""Support Center's own AWS account, and the roles in it that no tenant may name.

Support Center assumes a tenant's role with the credentials it runs with (the operator's), at
the operator's STS endpoint, sending the account's external id. A role in the operator's own
account that trusts those credentials without requiring an external id (a common shortcut for
a service's own automation) would be assumed for whoever names it: Trusted Advisor would read
the operator's environment, trails would write into the operator's buckets, event targets would
publish there (the confused-deputy problem; the external id cannot help against a role that does
not ask for it). So a role whose account is the server's own is refused twice:

- when a connection is saved (`connections.services.aws_connection_set`: the form's error);
- before every AssumeRole (`connections.sessions.session_for`): the server's identity may have
  changed since the connection was saved, or it had none then.

The server's account is what STS GetCallerIdentity answers for its own credentials at the
operator's endpoint (the call needs no permission). It is kept per process, per access key id
and endpoint, for `IDENTITY_TTL_SECONDS`: new credentials (rotated, another instance role) are
asked about at once, and nothing stays cached for long.

When the server's account cannot be learned (no credentials, STS unreachable or refusing):
- before an AssumeRole, the role is not assumed: the caller sees the botocore error, as it would
  a failed AssumeRole (fail closed);
- when saving, the connection is accepted and the failure logged: a role cannot be assumed
  without credentials anyway (today's behaviour, kept), and the check before every AssumeRole
  still stands guard. The lookup is bounded by `IDENTITY_CONFIG`'s timeouts, so the form never
  waits long on an STS that does not answer.

Partitions: the account number alone decides. A role with the server's account number in another
partition (aws-cn, aws-us-gov) cannot be assumed from the server's partition anyway, so refusing
it costs nothing, and no partition name has to be trusted.
"""

from __future__ import annotations

import threading
from time import monotonic
from typing import Any

from botocore.config import Config
from botocore.exceptions import NoCredentialsError
from django.utils.translation import gettext_noop

from core.errors import OwnAccountRoleRefused

MSG_OWN_ACCOUNT_ROLE = gettext_noop(
    "This role belongs to the account this service runs in, so it cannot be used. Enter the ARN "
    "of a role in your own AWS account."
)
# New credentials are told apart by their access key id at once; the lifetime only bounds how
# long one answer is trusted (a busy worker asks STS a few times an hour).
IDENTITY_TTL_SECONDS = 15 * 60
# A form waits on this call: a few seconds at most, one retry.
IDENTITY_CONFIG = Config(
    connect_timeout=3, read_timeout=5, retries={"total_max_attempts": 2, "mode": "standard"}
)

# (access key id, endpoint) -> (monotonic expiry, account id).
_known: dict[tuple[str, str], tuple[float, str]] = {}
_lock = threading.Lock()


def server_account_id(session: Any, endpoint_url: str | None) -> str:
    """The AWS account the server's own credentials act in (`session`: `sessions.server_session`,
    whose region names STS's endpoint).

    Raises NoCredentialsError without credentials, else botocore's ClientError / BotoCoreError
    when STS cannot answer. Failures are not remembered: the next call asks again.
    """
    credentials = session.get_credentials()
    if credentials is None:
        raise NoCredentialsError()
    key = (credentials.get_frozen_credentials().access_key, endpoint_url or "")
    now = monotonic()
    with _lock:
        known = _known.get(key)
    if known is not None and known[0] > now:
        return known[1]
    sts = session.client("sts", endpoint_url=endpoint_url, config=IDENTITY_CONFIG)
    account_id = str(sts.get_caller_identity()["Account"])
    with _lock:
        # Instance roles rotate their keys every few hours: drop the answers nobody will read.
        for stale in [k for k, (expiry, _account) in _known.items() if expiry <= now]:
            del _known[stale]
        _known[key] = (now + IDENTITY_TTL_SECONDS, account_id)
    return account_id


def server_identity_forget() -> None:
    """Forget what was learned (tests; an operator's shell after changing credentials)."""
    with _lock:
        _known.clear()


def role_account_id(role_arn: str) -> str:
    """The account number of an IAM role ARN (arn:PARTITION:iam::ACCOUNT:role/NAME)."""
    parts = role_arn.split(":", 5)
    return parts[4] if len(parts) == 6 else ""


def refuse_own_account_role(session: Any, endpoint_url: str | None, role_arn: str) -> None:
    """Raise OwnAccountRoleRefused (an InvalidAwsConnection, field role_arn) if `role_arn` is in
    the server's own account.

    Raises botocore's errors when the server's account cannot be learned (`server_account_id`);
    the caller decides what that means.
    """
    if role_account_id(role_arn) == server_account_id(session, endpoint_url):
        raise OwnAccountRoleRefused(MSG_OWN_ACCOUNT_ROLE, field="role_arn")
