"""The one error hierarchy that services and the AWS API's protocol layer raise.

Each class carries the AWS error name as `code` (what the AWS API renders as `__type`) and an HTTP
status. The AWS API renders them as AWS's JSON errors (`awsapi.protocol`); pages show them on the
form they belong to, or `accounts.middleware.ServiceErrorMiddleware` turns them into the page they
mean (`not_found` ones into a 404, `AccessDeniedException` into the no-access page). Where AWS has
no name for a condition we use our own, in AWS's naming style. Messages that tests assert are
module constants.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any, ClassVar

from django.utils.translation import gettext, gettext_noop


@dataclasses.dataclass(frozen=True)
class Phrase:
    """A sentence with values, given as one of an error's `params` when the sentence itself
    names values (an event pattern's reason): the API's message holds it filled in as written,
    a page's translated first, like the message around it. Its own params may be phrases too."""

    template: str
    params: Mapping[str, object] = dataclasses.field(default_factory=dict)

    def __str__(self) -> str:
        return self.template.format(**self.params)

    def translated(self) -> str:
        return gettext(self.template).format(**_translated(self.params))

    def as_json(self) -> dict[str, Any]:
        """The phrase as a record keeps it, to be read later in its reader's language
        (`stored_message`). Its values are JSON values or phrases (kept as objects)."""
        return {
            "template": self.template,
            "params": {
                key: value.as_json() if isinstance(value, Phrase) else value
                for key, value in self.params.items()
            },
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Phrase:
        params = data.get("params") or {}
        return cls(
            str(data["template"]),
            {
                key: cls.from_json(value) if isinstance(value, dict) else value
                for key, value in params.items()
            },
        )


def _translated(params: Mapping[str, object]) -> dict[str, object]:
    return {
        key: value.translated() if isinstance(value, Phrase) else value
        for key, value in params.items()
    }


def stored_message(text: str, phrase: Mapping[str, Any] | None) -> str:
    """A logged message in the active language: its `phrase` (`Phrase.as_json`) translated, or
    `text` as written when it has none (a receiver's or a library's words, or a row from before
    phrases were kept). A phrase that cannot be filled in (a translation naming a value the
    message lacks) falls back to `text` rather than break the page."""
    if not phrase:
        return text
    try:
        return Phrase.from_json(phrase).translated()
    except (KeyError, IndexError, ValueError, TypeError):
        return text


class SupportApiError(Exception):
    code: ClassVar[str] = "InternalServerError"
    http_status: ClassVar[int] = 400
    default_message: ClassVar[str] = ""
    # "Does not exist" (and, by the same answer, "not yours"): a 404 on pages.
    not_found: ClassVar[bool] = False

    def __init__(
        self,
        message: str | None = None,
        *,
        field: str | None = None,
        params: Mapping[str, object] | None = None,
    ) -> None:
        """`params`: `message` is then a `str.format` template, filled in here for the API and
        translated before it is filled in for pages (a message formatted by its raiser has no
        entry in the catalogue, so pages would show it in English)."""
        self.template = message or self.default_message or self.code
        self.params = dict(params or {})
        self.message = self.template.format(**self.params) if self.params else self.template
        # The form field the error belongs to, for HTML views.
        self.field = field
        # Other fields' errors found by the same validation (`Problems`): pages show each beside
        # its field; the API and the audit trail report this first one, as AWS answers a call
        # with one error.
        self.others: tuple[SupportApiError, ...] = ()
        super().__init__(self.message)

    @property
    def errors(self) -> tuple[SupportApiError, ...]:
        """This error and the others raised with it."""
        return (self, *self.others)

    def __str__(self) -> str:
        return self.message

    @property
    def display_message(self) -> str:
        """The message in the active language, for pages. The AWS API always answers in
        English (as AWS does); messages marked with gettext_noop have translations."""
        if self.params:
            return gettext(self.template).format(**_translated(self.params))
        return gettext(self.message)


class Problems:
    """The errors of a validation that checks every field before it refuses, so a form shows
    all its mistakes at once rather than one per submission:

        problems = Problems()
        with problems.check():
            name = clean_name(name)
        with problems.check():
            pattern = load_pattern(pattern)
        problems.raise_any()  # the first, carrying the others
    """

    def __init__(self) -> None:
        self.found: list[SupportApiError] = []

    def add(self, error: SupportApiError) -> None:
        self.found.append(error)

    @contextmanager
    def check(self) -> Iterator[None]:
        """Note a `SupportApiError` the block raises, and go on."""
        try:
            yield
        except SupportApiError as error:
            self.add(error)

    def raise_any(self) -> None:
        """Raise the first error noted, carrying the others (`SupportApiError.errors`)."""
        if self.found:
            first, *others = self.found
            first.others = tuple(others)
            raise first


# --- Errors in botocore's support model -----------------------------------------------------


class AttachmentIdNotFound(SupportApiError):
    code = "AttachmentIdNotFound"
    not_found = True


class AttachmentLimitExceeded(SupportApiError):
    code = "AttachmentLimitExceeded"


class AttachmentSetExpired(SupportApiError):
    code = "AttachmentSetExpired"


class AttachmentSetIdNotFound(SupportApiError):
    code = "AttachmentSetIdNotFound"
    not_found = True


class AttachmentSetSizeLimitExceeded(SupportApiError):
    code = "AttachmentSetSizeLimitExceeded"


class CaseCreationLimitExceeded(SupportApiError):
    code = "CaseCreationLimitExceeded"


class CaseIdNotFound(SupportApiError):
    code = "CaseIdNotFound"
    not_found = True


class DescribeAttachmentLimitExceeded(SupportApiError):
    code = "DescribeAttachmentLimitExceeded"


class DryRunOperationException(SupportApiError):
    code = "DryRunOperationException"
    default_message = gettext_noop("Request would have succeeded, but the DryRun flag is set.")


class InternalServerError(SupportApiError):
    code = "InternalServerError"
    http_status = 500
    default_message = gettext_noop("An internal error occurred. Please try again.")


class ThrottlingException(SupportApiError):
    code = "ThrottlingException"
    default_message = gettext_noop("Rate exceeded")


class UploadIdNotFound(SupportApiError):
    code = "UploadIdNotFound"
    not_found = True


# --- Common AWS errors (not in the support model, but what AWS answers) ----------------------


class ServiceUnavailableException(SupportApiError):
    """A temporary condition (the database is restarting or unreachable): AWS SDKs retry a 503
    with back-off, so clients ride out a short outage."""

    code = "ServiceUnavailableException"
    http_status = 503
    default_message = gettext_noop("The service is temporarily unavailable. Please try again.")


class InvalidParameterValueException(SupportApiError):
    code = "InvalidParameterValueException"


class ValidationException(SupportApiError):
    code = "ValidationException"


class AccessDeniedException(SupportApiError):
    code = "AccessDeniedException"
    http_status = 400

    def __init__(self, message: str | None = None, *, action: str | None = None) -> None:
        super().__init__(message)
        # The IAM action that was refused, for the no-access page.
        self.action = action


class SubscriptionRequiredException(SupportApiError):
    code = "SubscriptionRequiredException"
    default_message = gettext_noop(
        "Amazon Web Services Premium Support Subscription is required to use this service."
    )


# --- The AWS JSON protocol and SigV4 (what AWS's endpoints answer) -----------------------------

MSG_MISSING_TOKEN = "Missing Authentication Token"
MSG_INVALID_SIGNATURE = (
    "The request signature we calculated does not match the signature you provided. Check your "
    "AWS Secret Access Key and signing method. Consult the service documentation for details."
)
MSG_UNRECOGNIZED_CLIENT = "The security token included in the request is invalid."


class SerializationException(SupportApiError):
    code = "SerializationException"


class UnknownOperationException(SupportApiError):
    code = "UnknownOperationException"


class InvalidHostException(SupportApiError):
    code = "InvalidHostException"


class RequestEntityTooLargeException(SupportApiError):
    code = "RequestEntityTooLargeException"
    http_status = 413


class MissingAuthenticationTokenException(SupportApiError):
    code = "MissingAuthenticationTokenException"
    http_status = 403
    default_message = MSG_MISSING_TOKEN


class IncompleteSignatureException(SupportApiError):
    code = "IncompleteSignatureException"


class InvalidSignatureException(SupportApiError):
    code = "InvalidSignatureException"
    http_status = 403
    default_message = MSG_INVALID_SIGNATURE


class UnrecognizedClientException(SupportApiError):
    code = "UnrecognizedClientException"
    http_status = 403
    default_message = MSG_UNRECOGNIZED_CLIENT


# --- Our own, where AWS has no name -----------------------------------------------------------


class InvalidCaseTransition(SupportApiError):
    code = "InvalidCaseTransition"


class ConcurrentCaseUpdate(SupportApiError):
    code = "ConcurrentCaseUpdate"
    http_status = 409
    default_message = gettext_noop("The case was changed by someone else. Reload it and try again.")


class EntityAlreadyExists(SupportApiError):
    code = "EntityAlreadyExists"


class NoSuchEntity(SupportApiError):
    code = "NoSuchEntity"
    not_found = True


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
    default_message = gettext_noop("Event pattern is not valid.")


class ResourceNotFoundException(SupportApiError):
    code = "ResourceNotFoundException"
    not_found = True


class ResourceAlreadyExistsException(SupportApiError):
    code = "ResourceAlreadyExistsException"


class LimitExceededException(SupportApiError):
    code = "LimitExceededException"


# --- CloudTrail (AWS's error names) ----------------------------------------------------------


class TrailNotFoundException(SupportApiError):
    code = "TrailNotFoundException"
    not_found = True


class InvalidLookupAttributesException(SupportApiError):
    code = "InvalidLookupAttributesException"


class InvalidTimeRangeException(SupportApiError):
    code = "InvalidTimeRangeException"


class InvalidMaxResultsException(SupportApiError):
    code = "InvalidMaxResultsException"


class InvalidNextTokenException(SupportApiError):
    code = "InvalidNextTokenException"


class InvalidEventCategoryException(SupportApiError):
    code = "InvalidEventCategoryException"


# --- Trusted Advisor -------------------------------------------------------------------------


class CheckNotAvailable(InvalidParameterValueException):
    """An unknown check id, or one outside the account's plan: the API answers
    InvalidParameterValueException, as AWS does; pages answer 404."""

    not_found = True


# --- AWS connections -------------------------------------------------------------------------


class AwsConnectionNotConfigured(SupportApiError):
    code = "AwsConnectionNotConfigured"
    default_message = gettext_noop("This account has not connected an AWS environment.")


class InvalidAwsConnection(SupportApiError):
    code = "InvalidAwsConnection"


class OwnAccountRoleRefused(InvalidAwsConnection):
    """A role in the AWS account Support Center itself runs in (`connections.own_account`):
    told apart from other connection failures so each page can say what to do about it."""


# --- Event targets ---------------------------------------------------------------------------


class ConfirmationLinkInvalid(SupportApiError):
    """A confirmation token that was tampered with, cut short, or names no target."""

    code = "InvalidConfirmationToken"


class ConfirmationLinkExpired(SupportApiError):
    code = "ExpiredConfirmationToken"
