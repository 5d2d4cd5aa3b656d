"""The endpoints behind presigned links: upload a part (PUT), download an attachment (GET).

The link's signature is the authorization (as with S3 presigned URLs); sessions play no part.
"""

from __future__ import annotations

import json

from django.core.files.storage import default_storage
from django.http import FileResponse, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from cases import access as case_access
from cases.services import uploads
from core import presign
from core.errors import SupportApiError

MSG_LINK = "The link is invalid or has expired."


def _error(code: str, message: str, status: int) -> HttpResponse:
    return HttpResponse(
        json.dumps({"__type": code, "message": message}),
        status=status,
        content_type="application/json",
    )


def _link_ok(request: HttpRequest) -> bool:
    return presign.verify(
        request.method or "", request.path, request.GET.get("expires"), request.GET.get("signature")
    )


@csrf_exempt
@require_http_methods(["PUT"])
def upload_part(request: HttpRequest, upload_id: str, part_index: int) -> HttpResponse:
    if not _link_ok(request):
        return _error("AccessDenied", MSG_LINK, 403)
    try:
        length = int(request.META.get("CONTENT_LENGTH") or "")
    except ValueError:
        return _error("MissingContentLength", "A Content-Length header is required.", 411)
    try:
        upload = case_access.access_upload_for_link(upload_id)
        etag = uploads.upload_part_store(
            upload=upload, part_index=part_index, stream=request, content_length=length
        )
    except SupportApiError as exc:
        return _error(exc.code, exc.message, exc.http_status)
    except OSError:
        # The client went away mid-body, or storage failed: nothing was recorded.
        return _error("IncompleteBody", "The part could not be received in full.", 400)
    response = HttpResponse(status=200)
    response["ETag"] = f'"{etag}"'
    return response


@require_http_methods(["GET", "HEAD"])
def attachment_download(request: HttpRequest, attachment_id: str) -> HttpResponseBase:
    if not presign.verify(
        "GET", request.path, request.GET.get("expires"), request.GET.get("signature")
    ):
        return _error("AccessDenied", MSG_LINK, 403)
    try:
        attachment = case_access.access_attachment_for_link(attachment_id)
        handle = default_storage.open(attachment.storage_key, "rb")
    except SupportApiError as exc:
        return _error(exc.code, exc.message, 404)
    except OSError:
        return _error("AttachmentIdNotFound", "The attachment's file is not available.", 404)
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=attachment.file_name,
        content_type="application/octet-stream",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
