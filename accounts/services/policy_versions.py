"""A policy's versions, as IAM keeps them: a change to a policy's document is a new version
(CreatePolicyVersion), which usually becomes the default; an earlier version can be made the
default again (SetDefaultPolicyVersion), which is how a change is rolled back; a version that is
not the default can be deleted (DeletePolicyVersion). A policy holds at most five versions, and
version ids are never given twice. The default version's document is copied onto the policy,
which is what authorization reads, in the same transaction.

A customer changes only its own account's policies (`check_policy_owner`); managed policies are
the operators', in the admin.
"""

from __future__ import annotations

import re
from typing import Any

from django.db import transaction
from django.utils.translation import gettext_noop

from accounts.models import Policy, PolicyVersion
from accounts.principals import Principal
from accounts.services.iam import check_policy_owner, parse_policy_document
from audit import services as audit
from audit.names import IAM_SOURCE, AuditEventName
from core.errors import DeleteConflict, LimitExceeded, NoSuchEntity

MAX_VERSIONS = 5
VERSION_ID_RE = re.compile(r"v[1-9][0-9]{0,8}")
# IAM's own messages.
MSG_VERSION_LIMIT = gettext_noop(
    "A managed policy can have up to {limit} versions. Before you create a new version, you must "
    "delete an existing version."
)
MSG_DELETE_DEFAULT = gettext_noop("Cannot delete the default version of a policy.")
MSG_NO_VERSION = gettext_noop("Policy {name} has no version {version}.")


def _locked(policy: Policy) -> Policy:
    """The policy's row again, locked (where the database locks rows) so two changes at once
    cannot both take the same version id or both pass the limit."""
    # Only the policy's row: PostgreSQL locks no row of an outer join's nullable side (a
    # managed policy has no account).
    return (
        Policy.objects.select_for_update(of=("self",)).select_related("account").get(pk=policy.pk)
    )


def _version(policy: Policy, version_id: str) -> PolicyVersion:
    # IAM's ids are v1, v2, ...: "v01" names no version, as it does there.
    found = None
    if VERSION_ID_RE.fullmatch(version_id):
        found = policy.versions.filter(number=int(version_id[1:])).first()
    if found is None:
        raise NoSuchEntity(MSG_NO_VERSION, params={"name": policy.name, "version": version_id[:20]})
    return found


@transaction.atomic
def policy_version_create(
    *,
    policy: Policy,
    document: str | dict[str, Any],
    actor: Principal,
    set_as_default: bool = True,
) -> PolicyVersion | None:
    """A new version of `policy` holding `document`, made the default when `set_as_default`.
    None, and nothing written, when the document is the default version's already (saving an
    unchanged page makes no version).

    Raises `AccessDeniedException` when a customer `actor` would change a managed policy or
    another account's, `MalformedPolicyDocument` with every problem found, `LimitExceeded` when
    the policy already has five versions. Writes a CreatePolicyVersion audit record.
    """
    check_policy_owner(policy=policy, actor=actor, action="iam:CreatePolicyVersion")
    parsed = parse_policy_document(document)
    policy = _locked(policy)
    if parsed == policy.document:
        return None
    if policy.versions.count() >= MAX_VERSIONS:
        raise LimitExceeded(MSG_VERSION_LIMIT, params={"limit": MAX_VERSIONS}, field="document")
    policy.last_version += 1
    version = PolicyVersion.objects.create(
        policy=policy, number=policy.last_version, document=parsed
    )
    fields = ["last_version", "updated_at"]
    if set_as_default:
        policy.default_version, policy.document = version.number, parsed
        fields += ["default_version", "document"]
    policy.save(update_fields=fields)
    audit.record(
        actor=actor,
        event_name=AuditEventName.CREATE_POLICY_VERSION,
        event_source=IAM_SOURCE,
        account=policy.account,
        request_parameters={
            "policyArn": policy.arn,
            "policyDocument": parsed,
            "setAsDefault": set_as_default,
        },
        response_elements={
            "policyVersion": {"versionId": version.version_id, "isDefaultVersion": set_as_default}
        },
    )
    return version


@transaction.atomic
def policy_version_set_default(*, policy: Policy, version_id: str, actor: Principal) -> Policy:
    """Make an existing version the default: its document is what the policy allows from now on.

    Raises `AccessDeniedException` as `policy_version_create` does, `NoSuchEntity` for a version
    the policy does not have. Writes a SetDefaultPolicyVersion audit record (also when it was
    the default already, as IAM does)."""
    check_policy_owner(policy=policy, actor=actor, action="iam:SetDefaultPolicyVersion")
    policy = _locked(policy)
    version = _version(policy, version_id)
    if version.number != policy.default_version:
        policy.default_version, policy.document = version.number, version.document
        policy.save(update_fields=["default_version", "document", "updated_at"])
    audit.record(
        actor=actor,
        event_name=AuditEventName.SET_DEFAULT_POLICY_VERSION,
        event_source=IAM_SOURCE,
        account=policy.account,
        request_parameters={"policyArn": policy.arn, "versionId": version.version_id},
    )
    return policy


@transaction.atomic
def policy_version_delete(*, policy: Policy, version_id: str, actor: Principal) -> None:
    """Delete a version that is not the default.

    Raises `AccessDeniedException` as `policy_version_create` does, `NoSuchEntity` for a version
    the policy does not have, `DeleteConflict` for the default version. Writes a
    DeletePolicyVersion audit record."""
    check_policy_owner(policy=policy, actor=actor, action="iam:DeletePolicyVersion")
    policy = _locked(policy)
    version = _version(policy, version_id)
    if version.number == policy.default_version:
        raise DeleteConflict(MSG_DELETE_DEFAULT)
    version.delete()
    audit.record(
        actor=actor,
        event_name=AuditEventName.DELETE_POLICY_VERSION,
        event_source=IAM_SOURCE,
        account=policy.account,
        request_parameters={"policyArn": policy.arn, "versionId": version.version_id},
    )
