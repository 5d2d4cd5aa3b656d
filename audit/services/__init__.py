"""Writing the audit trail.

`record()` is called *inside* the calling service's transaction, so the record commits or rolls
back with the change it describes. Failed calls are recorded by the API or view layer after the
rollback, in a transaction of their own. Never from signals.
"""

from __future__ import annotations

import enum
import uuid
from typing import Any, cast

from django.conf import settings
from django.utils import timezone

from accounts.models import Account
from accounts.principals import Principal
from audit.models import AuditEvent, AuditEventType

SUPPORT_SOURCE = "support.amazonaws.com"
TRUSTED_ADVISOR_SOURCE = "trustedadvisor.amazonaws.com"
SIGNIN_SOURCE = "signin.amazonaws.com"
IAM_SOURCE = "iam.amazonaws.com"
EVENTS_SOURCE = "events.amazonaws.com"


class AuditEventName(enum.StrEnum):
    # Support (API operation names; console actions reuse them)
    CREATE_CASE = "CreateCase"
    ADD_COMMUNICATION_TO_CASE = "AddCommunicationToCase"
    RESOLVE_CASE = "ResolveCase"
    REOPEN_CASE = "ReopenCase"
    ADD_ATTACHMENTS_TO_SET = "AddAttachmentsToSet"
    ADD_CC_TO_CASE = "AddCcEmailAddressesToCase"
    UPDATE_CASE_STATUS = "UpdateCaseStatus"
    ASSIGN_CASE = "AssignCase"
    # IAM
    CREATE_ACCOUNT = "CreateAccount"
    CREATE_USER = "CreateUser"
    CREATE_GROUP = "CreateGroup"
    ADD_USER_TO_GROUP = "AddUserToGroup"
    CREATE_POLICY = "CreatePolicy"
    ATTACH_USER_POLICY = "AttachUserPolicy"
    ATTACH_GROUP_POLICY = "AttachGroupPolicy"
    CREATE_ACCESS_KEY = "CreateAccessKey"
    UPDATE_ACCESS_KEY = "UpdateAccessKey"
    DELETE_ACCESS_KEY = "DeleteAccessKey"
    # EventBridge (rules over Support Center's events)
    PUT_RULE = "PutRule"
    DELETE_RULE = "DeleteRule"
    ENABLE_RULE = "EnableRule"
    DISABLE_RULE = "DisableRule"
    PUT_TARGETS = "PutTargets"
    REMOVE_TARGETS = "RemoveTargets"
    START_REPLAY = "StartReplay"
    # Our own: EventBridge has no email-target confirmation (SNS's is ConfirmSubscription).
    CONFIRM_TARGET = "ConfirmTarget"
    RESEND_TARGET_CONFIRMATION = "ResendTargetConfirmation"


def user_identity(actor: Principal) -> dict[str, Any]:
    """CloudTrail's `userIdentity` for the actor."""
    user = actor.user
    if user is None:
        return {"type": "AWSService", "invokedBy": "support.amazonaws.com"}
    identity: dict[str, Any] = {"principalId": user.principal_id, "arn": user.arn}
    if user.is_engineer:
        identity.update(type="AWSService", invokedBy="support.amazonaws.com")
        identity["userName"] = user.identity_name
        return identity
    identity["type"] = "Root" if user.is_root else "IAMUser"
    # Customers (root and IAM users) always have an account.
    identity["accountId"] = cast(Account, user.account).account_id
    if user.is_iam:
        identity["userName"] = user.user_name
    if actor.access_key_id:
        identity["accessKeyId"] = actor.access_key_id
    if actor.via == "console":
        identity["invokedBy"] = SIGNIN_SOURCE
        identity["sessionContext"] = {"attributes": {"mfaAuthenticated": "false"}}
    return identity


def _event_type(actor: Principal, event_source: str) -> str:
    if event_source == SIGNIN_SOURCE:
        return AuditEventType.CONSOLE_SIGN_IN
    if actor.via == "api":
        return AuditEventType.API_CALL
    if actor.is_system or actor.is_engineer:
        return AuditEventType.SERVICE_EVENT
    return AuditEventType.CONSOLE_ACTION


# Request parameters that name the resource a call is about, and its CloudTrail type.
RESOURCE_KEYS = (
    ("caseId", "AWS::Support::Case"),
    ("attachmentSetId", "AWS::Support::AttachmentSet"),
    ("uploadId", "AWS::Support::Upload"),
    ("checkId", "AWS::TrustedAdvisor::Check"),
    ("userName", "AWS::IAM::User"),
    ("groupName", "AWS::IAM::Group"),
    ("policyName", "AWS::IAM::Policy"),
    ("accessKeyId", "AWS::IAM::AccessKey"),
)


def resources_for(
    parameters: dict[str, Any] | None, response: dict[str, Any] | None
) -> list[dict[str, str]]:
    merged = {**(response or {}), **(parameters or {})}
    found = []
    for key, resource_type in RESOURCE_KEYS:
        value = merged.get(key)
        if isinstance(value, str) and value:
            found.append({"ResourceType": resource_type, "ResourceName": value[:300]})
    return found


def record(
    *,
    actor: Principal,
    event_name: str,
    account: Account | None,
    event_source: str = SUPPORT_SOURCE,
    request_parameters: dict[str, Any] | None = None,
    response_elements: dict[str, Any] | None = None,
    error_code: str = "",
    error_message: str = "",
    read_only: bool = False,
    resources: list[dict[str, str]] | None = None,
) -> AuditEvent:
    """Write one audit record. Callers pass parameters already stripped of case text and secrets."""
    user = actor.user
    if resources is None:
        resources = resources_for(request_parameters, response_elements)
    return AuditEvent.objects.create(
        event_time=timezone.now(),
        event_source=event_source,
        event_name=str(event_name),
        event_type=_event_type(actor, event_source),
        aws_region=settings.SUPPORTCENTER_AUDIT_REGION,
        account=account,
        user_identity=user_identity(actor),
        principal_arn=actor.arn,
        user_name=user.identity_name if user is not None else "",
        access_key_id=actor.access_key_id,
        source_ip=actor.source_ip,
        user_agent=actor.user_agent[:1000],
        request_id=actor.request_id or str(uuid.uuid4()),
        request_parameters=request_parameters,
        response_elements=response_elements,
        error_code=error_code,
        error_message=error_message[:1000],
        read_only=read_only,
        resources=resources or [],
        resource_type=resources[0]["ResourceType"] if resources else "",
        resource_name=resources[0]["ResourceName"] if resources else "",
    )


def record_failure(
    *,
    actor: Principal,
    event_name: str,
    account: Account | None,
    error: Exception,
    event_source: str = SUPPORT_SOURCE,
    request_parameters: dict[str, Any] | None = None,
) -> None:
    """Record a refused action after its transaction rolled back (in a transaction of its own)."""
    from django.db import transaction

    with transaction.atomic():
        record(
            actor=actor,
            event_name=event_name,
            account=account,
            event_source=event_source,
            request_parameters=request_parameters,
            error_code=getattr(error, "code", type(error).__name__),
            error_message=getattr(error, "message", str(error)),
        )
