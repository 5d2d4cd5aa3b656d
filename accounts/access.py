"""The only way to load tenant objects.

Every loader scopes by the principal's account, checks the principal's policies for the action,
and answers "not yours" exactly like "does not exist". Each condition sits on its own line so
coverage shows that every branch is tested. Views and handlers never call `X.objects.get`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db.models import QuerySet

from accounts import policy
from accounts.models import AccessKey, Account, Policy, User
from accounts.principals import Principal
from core.errors import (
    AccessDeniedException,
    AttachmentIdNotFound,
    AttachmentSetIdNotFound,
    CaseIdNotFound,
    NoSuchEntity,
    ResourceNotFoundException,
    UploadIdNotFound,
)

if TYPE_CHECKING:
    from django.db.models import Q

    from accounts.models import IamGroup
    from cases.models import Attachment, AttachmentSet, AttachmentUpload, Case
    from events.models import EventDelivery, EventRule, EventTarget

MSG_ACCESS_DENIED = "User: {arn} is not authorized to perform: {action}"
MSG_CASE_NOT_FOUND = "Case {case_id} was not found."
MSG_ATTACHMENT_SET_NOT_FOUND = "Attachment set {attachment_set_id} was not found."
MSG_ATTACHMENT_NOT_FOUND = "Attachment {attachment_id} was not found."
MSG_UPLOAD_NOT_FOUND = "Upload {upload_id} was not found."
MSG_RULE_NOT_FOUND = "Rule {name} does not exist."
MSG_TARGET_NOT_FOUND = "Target {target_id} does not exist on rule {name}."
MSG_DELIVERY_NOT_FOUND = "Delivery {delivery_id} does not exist."


def policies_for_user(user: User) -> list[dict[str, Any]]:
    """The policy documents that apply to `user`: its own and its groups'.

    Cached on the user object, which lives for one request, so checking several actions in a
    request costs the two queries once.
    """
    cached = getattr(user, "_policy_documents", None)
    if cached is not None:
        return cached
    documents = Policy.objects.filter(users=user).values_list("document", flat=True)
    group_documents = Policy.objects.filter(groups__members=user).values_list("document", flat=True)
    user._policy_documents = [*documents, *group_documents]  # type: ignore[attr-defined]
    return user._policy_documents  # type: ignore[attr-defined]


def is_allowed(principal: Principal, action: str) -> bool:
    user = principal.user
    if user is None:
        return principal.is_system  # Celery and beat work; never an anonymous request
    if not user.is_active:
        return False
    if user.is_engineer:
        return user.is_staff
    if user.account is None or not user.account.is_active:
        return False
    if user.is_root:
        return True
    return policy.evaluate(policies_for_user(user), action).allowed


def authorize(principal: Principal, action: str) -> None:
    """Raise `AccessDeniedException` unless `principal` may perform `action`."""
    if not is_allowed(principal, action):
        raise AccessDeniedException(MSG_ACCESS_DENIED.format(arn=principal.arn, action=action))


def _customer_account(principal: Principal) -> Account | None:
    if principal.user is None or principal.user.is_engineer:
        return None
    return principal.user.account


def cases_for_principal(principal: Principal) -> QuerySet[Case]:
    """Every case `principal` may see: its account's, or all of them for engineers."""
    from cases.models import Case

    queryset = Case.objects.all()
    if principal.is_system or principal.is_engineer:
        return queryset
    account = _customer_account(principal)
    if account is None:
        return queryset.none()
    return queryset.filter(account=account)


def _case(principal: Principal, action: str, **lookup: object) -> Case:
    from cases.models import Case

    authorize(principal, action)
    try:
        return (
            cases_for_principal(principal)
            .select_related("account", "account__plan", "service", "category", "severity")
            .get(**lookup)
        )
    except Case.DoesNotExist:
        shown = next(iter(lookup.values()))
        raise CaseIdNotFound(MSG_CASE_NOT_FOUND.format(case_id=shown)) from None


def access_case_by_case_id(
    principal: Principal, case_id: str, *, action: str = "support:DescribeCases"
) -> Case:
    """Load a case by its public id; raises `CaseIdNotFound` for missing and not-yours alike."""
    return _case(principal, action, case_id=case_id)


def access_case_by_display_id(
    principal: Principal, display_id: int, *, action: str = "support:DescribeCases"
) -> Case:
    return _case(principal, action, display_id=display_id)


def access_attachment_set(
    principal: Principal, attachment_set_id: str, *, action: str = "support:AddAttachmentsToSet"
) -> AttachmentSet:
    """An attachment set of the principal's account; `AttachmentSetIdNotFound` otherwise."""
    from cases.models import AttachmentSet

    authorize(principal, action)
    account = _customer_account(principal)
    queryset = AttachmentSet.objects.select_related("account")
    if not (principal.is_system or principal.is_engineer):
        if account is None:
            queryset = queryset.none()
        else:
            queryset = queryset.filter(account=account)
    try:
        return queryset.get(attachment_set_id=attachment_set_id)
    except AttachmentSet.DoesNotExist:
        raise AttachmentSetIdNotFound(
            MSG_ATTACHMENT_SET_NOT_FOUND.format(attachment_set_id=attachment_set_id)
        ) from None


def access_attachment(
    principal: Principal, attachment_id: str, *, action: str = "support:DescribeAttachment"
) -> Attachment:
    """An attachment of the principal's account; `AttachmentIdNotFound` otherwise."""
    from cases.models import Attachment

    authorize(principal, action)
    account = _customer_account(principal)
    queryset = Attachment.objects.select_related("attachment_set", "attachment_set__account")
    if not (principal.is_system or principal.is_engineer):
        if account is None:
            queryset = queryset.none()
        else:
            queryset = queryset.filter(attachment_set__account=account)
    try:
        return queryset.get(attachment_id=attachment_id)
    except Attachment.DoesNotExist:
        raise AttachmentIdNotFound(
            MSG_ATTACHMENT_NOT_FOUND.format(attachment_id=attachment_id)
        ) from None


def access_upload(principal: Principal, upload_id: str, *, action: str) -> AttachmentUpload:
    """A multipart upload of the principal's account; `UploadIdNotFound` otherwise."""
    from cases.models import AttachmentUpload

    authorize(principal, action)
    account = _customer_account(principal)
    try:
        return AttachmentUpload.objects.select_related("account").get(
            upload_id=upload_id, account=account
        )
    except AttachmentUpload.DoesNotExist:
        raise UploadIdNotFound(MSG_UPLOAD_NOT_FOUND.format(upload_id=upload_id)) from None


def access_upload_for_link(upload_id: str) -> AttachmentUpload:
    """The upload a presigned part link names; the link's signature is the authorization."""
    from cases.models import AttachmentUpload

    try:
        return AttachmentUpload.objects.select_related("account").get(upload_id=upload_id)
    except AttachmentUpload.DoesNotExist:
        raise UploadIdNotFound(MSG_UPLOAD_NOT_FOUND.format(upload_id=upload_id)) from None


def access_attachment_for_link(attachment_id: str) -> Attachment:
    """The attachment a presigned download link names; the signature is the authorization."""
    from cases.models import Attachment

    try:
        return Attachment.objects.get(attachment_id=attachment_id)
    except Attachment.DoesNotExist:
        raise AttachmentIdNotFound(
            MSG_ATTACHMENT_NOT_FOUND.format(attachment_id=attachment_id)
        ) from None


def access_iam_user(principal: Principal, user_name: str) -> User:
    """An IAM user of the principal's account (root users manage IAM)."""
    authorize(principal, "iam:GetUser")
    account = _customer_account(principal)
    try:
        return User.objects.get(account=account, kind="iam", user_name=user_name)
    except User.DoesNotExist:
        raise NoSuchEntity(f"The user with name {user_name} cannot be found.") from None


def access_policy_for_account(principal: Principal, name: str) -> Policy:
    """A managed policy, or a customer policy of the principal's account."""
    authorize(principal, "iam:GetPolicy")
    account = _customer_account(principal)
    policy = (
        Policy.objects.filter(name=name)
        .filter(models_q_account(account))
        .order_by("account_id")
        .first()
    )
    if policy is None:
        raise NoSuchEntity(f"Policy {name} was not found.")
    return policy


def models_q_account(account: Account | None) -> Q:
    from django.db.models import Q

    return Q(account__isnull=True) | Q(account=account)


def access_group(principal: Principal, name: str) -> IamGroup:
    from accounts.models import IamGroup

    authorize(principal, "iam:GetGroup")
    account = _customer_account(principal)
    try:
        return IamGroup.objects.get(account=account, name=name)
    except IamGroup.DoesNotExist:
        raise NoSuchEntity(f"The group with name {name} cannot be found.") from None


def access_access_key(principal: Principal, access_key_id: str) -> AccessKey:
    authorize(principal, "iam:UpdateAccessKey")
    account = _customer_account(principal)
    try:
        return AccessKey.objects.select_related("user").get(
            access_key_id=access_key_id, user__account=account
        )
    except AccessKey.DoesNotExist:
        raise NoSuchEntity(f"The Access Key with id {access_key_id} cannot be found.") from None


# --- events (EventBridge rules) ------------------------------------------------------------------


def event_rules_for_principal(principal: Principal) -> QuerySet[EventRule]:
    """The event rules `principal` may see: its own account's (engineers own none)."""
    from events.models import EventRule

    queryset = EventRule.objects.all()
    if principal.is_system:
        return queryset
    account = _customer_account(principal)
    if account is None:
        return queryset.none()
    return queryset.filter(account=account)


def access_event_rule(
    principal: Principal, name: str, *, action: str = "events:DescribeRule"
) -> EventRule:
    """A rule of the principal's account by name; `ResourceNotFoundException` for missing and
    not-yours alike."""
    from events.models import EventRule

    authorize(principal, action)
    try:
        return event_rules_for_principal(principal).select_related("account").get(name=name)
    except EventRule.DoesNotExist:
        raise ResourceNotFoundException(MSG_RULE_NOT_FOUND.format(name=name)) from None


def access_event_target(
    principal: Principal,
    rule_name: str,
    target_id: str,
    *,
    action: str = "events:ListTargetsByRule",
) -> EventTarget:
    """A target of one of the account's rules; `ResourceNotFoundException` otherwise."""
    from events.models import EventTarget

    rule = access_event_rule(principal, rule_name, action=action)
    try:
        return EventTarget.objects.select_related("rule", "rule__account").get(
            rule=rule, target_id=target_id
        )
    except EventTarget.DoesNotExist:
        raise ResourceNotFoundException(
            MSG_TARGET_NOT_FOUND.format(target_id=target_id, name=rule_name)
        ) from None


def access_event_delivery(
    principal: Principal,
    rule_name: str,
    target_id: str,
    delivery_id: str,
    *,
    action: str = "events:ListTargetsByRule",
) -> EventDelivery:
    """A delivery to one of the account's targets; `ResourceNotFoundException` otherwise."""
    import uuid

    from events.models import EventDelivery

    target = access_event_target(principal, rule_name, target_id, action=action)
    missing = ResourceNotFoundException(MSG_DELIVERY_NOT_FOUND.format(delivery_id=delivery_id))
    try:
        parsed = uuid.UUID(str(delivery_id))
    except ValueError:
        raise missing from None
    try:
        return EventDelivery.objects.select_related("target", "target__rule").get(
            target=target, delivery_id=parsed
        )
    except EventDelivery.DoesNotExist:
        raise missing from None
