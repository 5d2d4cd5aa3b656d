"""Cases, their correspondence, attachments and history, in three modules: the case itself
(`case`), what accumulates on it (`records`) and multi-part uploads (`uploads`).

Status values are the API's (see `cases.lifecycle`, the only writer of `Case.status`).
"""

from cases.models.case import (
    TEST_CASE_SUBJECT,
    CallbackWhen,
    Case,
    CaseStatus,
    Language,
    LegalHoldBy,
)
from cases.models.records import (
    Attachment,
    AttachmentSet,
    CaseEvent,
    CaseEventKind,
    CaseReadMark,
    CaseSearch,
    Communication,
    CommunicationOrigin,
    InternalNote,
)
from cases.models.uploads import AttachmentUpload, AttachmentUploadPart, UploadStatus

__all__ = [
    "TEST_CASE_SUBJECT",
    "Attachment",
    "AttachmentSet",
    "AttachmentUpload",
    "AttachmentUploadPart",
    "CallbackWhen",
    "Case",
    "CaseEvent",
    "CaseEventKind",
    "CaseReadMark",
    "CaseSearch",
    "CaseStatus",
    "Communication",
    "CommunicationOrigin",
    "InternalNote",
    "Language",
    "LegalHoldBy",
    "UploadStatus",
]
