"""HTTP pieces the customers' pages and the console share: serving an attachment to a browser
safely, uploads, and the answer to a chat's poll."""

from __future__ import annotations

from collections.abc import Iterable

from django.core.files import File
from django.core.files.uploadedfile import UploadedFile
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import render

from cases import lifecycle, selectors
from cases.models import Attachment, Case
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


def chat_poll_response(
    request: HttpRequest, case: Case, *, audience: str, can_download: bool = True
) -> HttpResponse:
    """A chat poll's answer for `audience` (the customer's page or the engineer's console);
    files are links only when the reader may download them (`can_download`)."""
    log = selectors.chat_log(
        case,
        after_message=_cursor(request.GET.get("m")),
        after_event=_cursor(request.GET.get("e")),
    )
    live = lifecycle.is_open(case.status)
    if not log.entries and live:
        return HttpResponse(status=204)
    context = {
        "case": case,
        "log": log,
        "live": live,
        "audience": audience,
        "can_download": can_download,
        "poll_url": request.path,
    }
    return render(request, "cases/chat.html#chat-entries", context)


def _cursor(value: str | None) -> int:
    # A malformed cursor reads from the start: the poller then gets the whole log again.
    return int(value) if value and value.isdigit() and len(value) < 19 else 0
