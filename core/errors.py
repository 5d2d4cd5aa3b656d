"""The one error hierarchy that services raise.

Each class carries the AWS error name as `code` (what the AWS API renders as `__type`) and an HTTP
status. HTML views turn them into form errors or messages. Where AWS has no name for a condition we
use our own, in AWS's naming style. Messages that tests assert are module constants.
"""

from __future__ import annotations

from typing import ClassVar


class SupportApiError(Exception):
    code: ClassVar[str] = "InternalServerError"
    http_status: ClassVar[int] = 400
    default_message: ClassVar[str] = ""

    def __init__(self, message: str | None = None, *, field: str | None = None) -> None:
        self.message = message or self.default_message or self.code
        # The form field the error belongs to, for HTML views.
        self.field = field
        super().__init__(self.message)

    def __str__(self) -> str:
        return self.message

    @property
    def display_message(self) -> str:
        """The message in the active language, for pages. The AWS API always answers in
        English (as AWS does); messages marked with gettext_noop have translations."""
        from django.utils.translation import gettext

        return gettext(self.message)


# --- Errors in botocore's support model -----------------------------------------------------


class AttachmentIdNotFound(SupportApiError):
    code = "AttachmentIdNotFound"


class AttachmentLimitExceeded(SupportApiError):
    code = "AttachmentLimitExceeded"


class AttachmentSetExpired(SupportApiError):
    code = "AttachmentSetExpired"


class AttachmentSetIdNotFound(SupportApiError):
    code = "AttachmentSetIdNotFound"


class AttachmentSetSizeLimitExceeded(SupportApiError):
    code = "AttachmentSetSizeLimitExceeded"


class CaseCreationLimitExceeded(SupportApiError):
    code = "CaseCreationLimitExceeded"


class CaseIdNotFound(SupportApiError):
    code = "CaseIdNotFound"


class DescribeAttachmentLimitExceeded(SupportApiError):
    code = "DescribeAttachmentLimitExceeded"


class DryRunOperationException(SupportApiError):
    code = "DryRunOperationException"
    default_message = "Request would have succeeded, but the DryRun flag is set."


class InternalServerError(SupportApiError):
    code = "InternalServerError"
    http_status = 500
    default_message = "An internal error occurred. Please try again."


class ThrottlingException(SupportApiError):
    code = "ThrottlingException"
    default_message = "Rate exceeded"


class UploadIdNotFound(SupportApiError):
    code = "UploadIdNotFound"


# --- Common AWS errors (not in the support model, but what AWS answers) ----------------------


class InvalidParameterValueException(SupportApiError):
    code = "InvalidParameterValueException"


class ValidationException(SupportApiError):
    code = "ValidationException"


class AccessDeniedException(SupportApiError):
    code = "AccessDeniedException"
    http_status = 400


class SubscriptionRequiredException(SupportApiError):
    code = "SubscriptionRequiredException"
    default_message = (
        "Amazon Web Services Premium Support Subscription is required to use this service."
    )


# --- Our own, where AWS has no name -----------------------------------------------------------


class InvalidCaseTransition(SupportApiError):
    code = "InvalidCaseTransition"


class ConcurrentCaseUpdate(SupportApiError):
    code = "ConcurrentCaseUpdate"
    http_status = 409
    default_message = "The case was changed by someone else. Reload it and try again."


class EntityAlreadyExists(SupportApiError):
    code = "EntityAlreadyExists"


class NoSuchEntity(SupportApiError):
    code = "NoSuchEntity"


class LimitExceeded(SupportApiError):
    code = "LimitExceeded"


class MalformedPolicyDocument(SupportApiError):
    code = "MalformedPolicyDocument"


class DeleteConflict(SupportApiError):
    """IAM's answer to deleting a policy or a group that is still in use."""

    code = "DeleteConflict"


# --- EventBridge (AWS's error names) ----------------------------------------------------------


class InvalidEventPatternException(SupportApiError):
    code = "InvalidEventPatternException"
    default_message = "Event pattern is not valid."


class ResourceNotFoundException(SupportApiError):
    code = "ResourceNotFoundException"


class ResourceAlreadyExistsException(SupportApiError):
    code = "ResourceAlreadyExistsException"


class LimitExceededException(SupportApiError):
    code = "LimitExceededException"


# --- Trusted Advisor -------------------------------------------------------------------------


class AwsConnectionNotConfigured(SupportApiError):
    code = "AwsConnectionNotConfigured"
    default_message = "This account has not connected an AWS environment."


class InvalidAwsConnection(SupportApiError):
    code = "InvalidAwsConnection"


# --- Event targets ---------------------------------------------------------------------------


class ConfirmationLinkInvalid(SupportApiError):
    """A confirmation token that was tampered with, cut short, or names no target."""

    code = "InvalidConfirmationToken"


class ConfirmationLinkExpired(SupportApiError):
    code = "ExpiredConfirmationToken"
