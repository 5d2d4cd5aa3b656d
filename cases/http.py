"""Serving an attachment to a browser, safely, for the customers' pages and the console."""

from __future__ import annotations

from collections.abc import Iterable

from django.core.files import File
from django.core.files.uploadedfile import UploadedFile
from django.http import FileResponse

from cases.models import Attachment
from cases.selectors import attachment_preview
from cases.services import NewAttachment

# Whatever the file holds, the browser must not run it: no sniffing of another type, and a
# sandbox with nothing allowed in case it is opened as a document.
SANDBOX_CSP = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox"


def attachment_response(handle: File, attachment: Attachment, *, inline: bool) -> FileResponse:
    """The file as a download, or, when `inline` is asked for and the file is an image or
    plain text (`attachment_preview`), shown in the browser with its own type."""
    preview = attachment_preview(attachment) if inline else None
    if preview == "image":
        content_type = attachment.content_type
    elif preview == "text":
        content_type = "text/plain; charset=utf-8"
    else:
        content_type = "application/octet-stream"
    response = FileResponse(
        handle,
        as_attachment=preview is None,
        filename=attachment.file_name,
        content_type=content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = SANDBOX_CSP if preview else "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    return response


def new_attachments(uploaded: Iterable[UploadedFile]) -> list[NewAttachment]:
    """A form's uploaded files, read for the attachment services."""
    return [NewAttachment(file_name=f.name or "", data=f.read()) for f in uploaded]
