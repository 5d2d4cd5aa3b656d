"""Amazon S3 checks: bucket permissions, versioning and server access logging.

Buckets are listed once for the account (S3 listing is global); each bucket is then read through
a client in its own region: the `BucketRegion` the listing reports, or else `get_bucket_location`
(None means us-east-1).

Like every other check, the S3 checks look only at the connection's selected regions: a bucket
in another region is not evaluated (it still counts as one of the account's buckets when it is
another bucket's logging target).

Listing the buckets is the account-level call: when it fails, the run is abandoned. A bucket
AWS refuses to describe (a bucket policy denying the caller, throttling) does not stop the
others: the permissions check reports it Yellow as "could not be evaluated", as Trusted
Advisor does, and the versioning and logging checks count it as ignored.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from advisor.checks.base import ERROR, OK, WARNING, Environment, Evaluation, Row, check
from advisor.checks.helpers import (
    colour,
    error_code,
    gone,
    paginate,
    read_resource,
    region_name,
    unreadable,
    yes_no,
)
from advisor.checks.texts import phrase

ALL_USERS = "http://acs.amazonaws.com/groups/global/AllUsers"
AUTHENTICATED_USERS = "http://acs.amazonaws.com/groups/global/AuthenticatedUsers"
LOG_DELIVERY = "http://acs.amazonaws.com/groups/s3/LogDelivery"
LOGGING_SERVICE = "logging.s3.amazonaws.com"
# Buckets created before regions had names report these legacy location constraints.
LEGACY_LOCATIONS = {"EU": "eu-west-1", "": "us-east-1"}

# Metadata values are data, stored once per run and served in every language (the real API's
# are English too), so reasons are plain strings rather than translatable ones.
REASON_NOT_LOGGING = phrase(gettext_noop("Server access logging is not enabled."))
REASON_NO_TARGET = phrase(gettext_noop("The target bucket does not exist."))
REASON_OTHER_OWNER = phrase(gettext_noop("The target bucket belongs to another account."))
REASON_NO_WRITE = phrase(
    gettext_noop("Log delivery has no permission to write to the target bucket.")
)
# The "Versioning" column: S3's own status words, or none for a bucket never versioned.
VERSIONING_ENABLED = phrase(gettext_noop("Enabled"))
phrase(gettext_noop("Suspended"))
VERSIONING_NOT_ENABLED = phrase(gettext_noop("Not enabled"))
REASON_CANNOT_CHECK = phrase(gettext_noop("The target bucket's permissions could not be read."))


# ListBuckets reports each bucket's region only when the request has a parameter.
LIST_PAGE_SIZE = 1000


@dataclass(frozen=True)
class Bucket:
    name: str
    region: str | None  # None: the bucket's location could not be read

    @property
    def arn(self) -> str:
        return f"arn:aws:s3:::{self.name}"

    def row(self, status: str, *columns: str | None) -> Row:
        """A versioning or logging row: Region, Bucket Name, then `columns`."""
        return Row(
            status=status,
            arn=self.arn,
            region=self.region,
            metadata=[self.region, self.name, *columns],
        )


def _all_buckets(env: Environment) -> list[Bucket]:
    """Every bucket of the account, whatever its region."""
    s3 = env.client("s3")
    buckets = []
    for entry in paginate(s3, "list_buckets", "Buckets", MaxBuckets=LIST_PAGE_SIZE):
        region = entry.get("BucketRegion")
        if not region:
            try:
                location = s3.get_bucket_location(Bucket=entry["Name"]).get("LocationConstraint")
            except ClientError as error:
                if gone(error):
                    continue
                if not unreadable(error):
                    raise
            else:
                region = LEGACY_LOCATIONS.get(location or "", location or "us-east-1")
        buckets.append(Bucket(name=entry["Name"], region=region or None))
    return sorted(buckets, key=lambda b: b.name)


def _selected(env: Environment, buckets: list[Bucket]) -> list[Bucket]:
    """The buckets in the connection's regions. One whose region could not be read stays: it
    may be in them, and the checks report it as not evaluated."""
    return [b for b in buckets if b.region is None or b.region in env.regions]


def _buckets(env: Environment) -> list[Bucket]:
    """The buckets the checks evaluate."""
    return _selected(env, _all_buckets(env))


class _Gone(Exception):
    """The bucket was deleted while the check read it."""


def _or_unknown(read: Any, *args: Any, **kwargs: Any) -> Any:
    """`read(...)`, None if AWS refuses it, `_Gone` raised if the bucket no longer exists."""
    try:
        return read(*args, **kwargs)
    except ClientError as error:
        if gone(error):
            raise _Gone from error
        if unreadable(error):
            return None
        raise


def _each_bucket(buckets: list[Bucket], bucket_row: Callable[[Bucket], Row]) -> Evaluation:
    """A row per bucket, made by `bucket_row` (which reads AWS). A bucket whose region or
    details AWS refuses to give is counted as ignored; one deleted meanwhile is skipped."""
    evaluation = Evaluation()
    for bucket in buckets:
        if bucket.region is None:
            evaluation.ignored += 1
            continue
        row = read_resource(evaluation, bucket_row, bucket)
        if row is None:
            continue
        evaluation.processed += 1
        evaluation.rows.append(row)
    return evaluation


def acl_public_access(grants: list[dict[str, Any]]) -> tuple[bool, bool]:
    """Whether an ACL lets everyone (or any AWS user) list, and upload/delete."""
    allows_list = allows_write = False
    for grant in grants:
        if grant.get("Grantee", {}).get("URI") not in (ALL_USERS, AUTHENTICATED_USERS):
            continue
        permission = grant.get("Permission")
        allows_list |= permission in ("READ", "FULL_CONTROL")
        allows_write |= permission in ("WRITE", "FULL_CONTROL")
    return allows_list, allows_write


def _policy_is_public(s3: Any, bucket: str) -> bool:
    # S3's own policy analysis, which understands conditions that narrow a "*" principal.
    # It reports the policy itself, so a public policy masked by Block Public Access still
    # counts (Trusted Advisor flags those too).
    try:
        return bool(s3.get_bucket_policy_status(Bucket=bucket)["PolicyStatus"]["IsPublic"])
    except ClientError as error:
        if error_code(error) == "NoSuchBucketPolicy":
            return False
        raise


@check(
    "Pfx0RwqBli",
    name=_("Amazon S3 Bucket Permissions"),
    core=True,
    lead=_(
        "Reviews each bucket's access control list and bucket policy for permissions that "
        "reach everyone or every authenticated AWS user. Open buckets are a common cause of "
        "data leaks and of unexpected storage and request charges."
    ),
    criteria=[
        _("Green: neither the ACL nor the bucket policy gives open access."),
        _("Yellow: the ACL lets everyone or any authenticated AWS user list the bucket."),
        _(
            "Yellow: the bucket policy allows open access, even if Block Public Access "
            "currently overrides it."
        ),
        _("Yellow: the bucket's ACL or bucket policy could not be evaluated."),
        _("Red: the ACL lets everyone or any authenticated AWS user upload or delete objects."),
    ],
    action=_(
        "Remove ACL grants to the AllUsers and AuthenticatedUsers groups, narrow bucket "
        "policies to the principals that need them, and turn on S3 Block Public Access."
    ),
    resources=[
        (
            _("Access control list (ACL) overview"),
            "https://docs.aws.amazon.com/AmazonS3/latest/userguide/acl-overview.html",
        ),
        (
            _("Bucket policies for Amazon S3"),
            "https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucket-policies.html",
        ),
        (
            _("Blocking public access to your Amazon S3 storage"),
            "https://docs.aws.amazon.com/AmazonS3/latest/userguide/"
            "access-control-block-public-access.html",
        ),
    ],
)
def bucket_permissions(env: Environment) -> Evaluation:
    evaluation = Evaluation()
    for bucket in _buckets(env):
        grants: list[dict[str, Any]] | None = None
        policy_public: bool | None = None
        if bucket.region is not None:
            s3 = env.client("s3", bucket.region)
            try:
                acl = _or_unknown(s3.get_bucket_acl, Bucket=bucket.name)
                policy_public = _or_unknown(_policy_is_public, s3, bucket.name)
            except _Gone:
                continue
            grants = None if acl is None else acl.get("Grants", [])
        evaluation.processed += 1
        allows_list, allows_write = acl_public_access(grants or [])
        if allows_write:
            status = ERROR
        elif allows_list or policy_public or grants is None or policy_public is None:
            # Open to the world, or not known not to be: Yellow, "could not be evaluated".
            status = WARNING
        else:
            status = OK
        evaluation.rows.append(
            Row(
                status=status,
                arn=bucket.arn,
                region=bucket.region,
                metadata=[
                    region_name(bucket.region) if bucket.region else None,
                    bucket.region,
                    bucket.name,
                    None if grants is None else yes_no(allows_list),
                    None if grants is None else yes_no(allows_write),
                    colour(status),
                    None if policy_public is None else yes_no(policy_public),
                    None,
                ],
            )
        )
    return evaluation


@check(
    "R365s2Qddf",
    name=_("Amazon S3 Bucket Versioning"),
    lead=_(
        "Checks whether versioning is turned on for each bucket. With versioning, an object "
        "that is overwritten or deleted by mistake can be restored from an earlier version."
    ),
    criteria=[
        _("Green: versioning is enabled."),
        _("Yellow: versioning was never enabled, or it is suspended."),
    ],
    action=_(
        "Enable versioning on buckets holding data you cannot recreate, and add a lifecycle "
        "rule that expires old versions to keep storage costs in check."
    ),
    resources=[
        (
            _("Retaining multiple versions of objects with S3 Versioning"),
            "https://docs.aws.amazon.com/AmazonS3/latest/userguide/Versioning.html",
        ),
    ],
)
def bucket_versioning(env: Environment) -> Evaluation:
    return _each_bucket(_buckets(env), lambda bucket: _versioning_row(env, bucket))


def _versioning_row(env: Environment, bucket: Bucket) -> Row:
    answer = env.client("s3", bucket.region).get_bucket_versioning(Bucket=bucket.name)
    versioning = answer.get("Status") or VERSIONING_NOT_ENABLED
    status = OK if versioning == VERSIONING_ENABLED else WARNING
    mfa_delete = yes_no(answer.get("MFADelete") == "Enabled")
    return bucket.row(status, versioning, mfa_delete, colour(status))


def _log_delivery_can_write(s3: Any, bucket: str) -> bool:
    """Whether S3's log delivery may write to `bucket`: an ACL grant to the LogDelivery group
    or a bucket policy statement allowing the logging service principal."""
    for grant in s3.get_bucket_acl(Bucket=bucket).get("Grants", []):
        if grant.get("Grantee", {}).get("URI") == LOG_DELIVERY and grant.get("Permission") in (
            "WRITE",
            "FULL_CONTROL",
        ):
            return True
    try:
        policy = json.loads(s3.get_bucket_policy(Bucket=bucket)["Policy"])
    except ClientError as error:
        if error_code(error) == "NoSuchBucketPolicy":
            return False
        raise
    statements = policy.get("Statement", [])
    for statement in statements if isinstance(statements, list) else [statements]:
        principal = statement.get("Principal", {})
        services = principal.get("Service", []) if isinstance(principal, dict) else []
        if isinstance(services, str):
            services = [services]
        if statement.get("Effect") == "Allow" and LOGGING_SERVICE in services:
            return True
    return False


def _target_owner(env: Environment, target: str, own: dict[str, Bucket]) -> tuple[bool, bool]:
    """(exists, same owner) for a logging target bucket."""
    if target in own:
        return True, True
    try:
        env.client("s3").head_bucket(Bucket=target)
    except ClientError as error:
        code = error_code(error)
        if code in ("404", "NoSuchBucket", "NotFound"):
            return False, False
        if code in ("403", "AccessDenied", "Forbidden"):
            return True, False
        raise
    return True, False


@check(
    "BueAdJ7NrP",
    name=_("Amazon S3 Bucket Logging"),
    lead=_(
        "Checks that server access logging is on for each bucket and that its logs can reach "
        "their target bucket. Access logs show who requested what, which matters for security "
        "reviews and audits."
    ),
    criteria=[
        _("Green: logging is enabled and the target bucket exists, is yours and accepts logs."),
        _("Yellow: server access logging is not enabled."),
        _("Yellow: the target bucket's permissions cannot be read, so delivery is not checked."),
        _("Red: the target bucket does not exist."),
        _("Red: the target bucket belongs to another account."),
        _("Red: S3 log delivery has no permission to write to the target bucket."),
    ],
    action=_(
        "Enable server access logging to a bucket you own in the same region, and grant the "
        "S3 logging service permission to write to it in the target's bucket policy."
    ),
    resources=[
        (
            _("Logging requests with server access logging"),
            "https://docs.aws.amazon.com/AmazonS3/latest/userguide/ServerLogs.html",
        ),
    ],
)
def bucket_logging(env: Environment) -> Evaluation:
    buckets = _all_buckets(env)
    own = {b.name: b for b in buckets}
    return _each_bucket(_selected(env, buckets), lambda bucket: _logging_row(env, bucket, own))


def _logging_row(env: Environment, bucket: Bucket, own: dict[str, Bucket]) -> Row:
    """The row for `bucket`; raises ClientError when its logging or its target's permissions
    cannot be read."""
    answer = env.client("s3", bucket.region).get_bucket_logging(Bucket=bucket.name)
    target = answer.get("LoggingEnabled", {}).get("TargetBucket")
    exists = same_owner = writable = None
    status = ERROR
    if target is None:
        status, reason = WARNING, REASON_NOT_LOGGING
    else:
        exists, same_owner = _target_owner(env, target, own)
        if same_owner:
            try:
                writable = _log_delivery_can_write(env.client("s3", own[target].region), target)
            except ClientError as error:
                if gone(error):
                    exists = same_owner = False
                elif not unreadable(error):
                    raise
        if not exists:
            reason = REASON_NO_TARGET
        elif not same_owner:
            reason = REASON_OTHER_OWNER
        elif writable is None:
            # The target is ours but refuses to show its permissions: not checked, as AWS
            # reports a target whose grants leave the account out.
            status, reason = WARNING, REASON_CANNOT_CHECK
        elif not writable:
            reason = REASON_NO_WRITE
        else:
            status, reason = OK, None
    return bucket.row(
        status,
        target,
        None if exists is None else yes_no(exists),
        None if same_owner is None else yes_no(same_owner),
        None if writable is None else yes_no(writable),
        colour(status),
        reason,
    )
