"""Probes (liveness and database reachability), the favicon and the server-error page."""

from __future__ import annotations

import sys

from django.db import DatabaseError, InterfaceError, OperationalError, connection
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.templatetags.static import static
from django.views import defaults
from django.views.decorators.http import require_GET

# Long enough for PostgreSQL to come back from a restart; browsers and proxies may honour it.
RETRY_AFTER_SECONDS = 10
UNAVAILABLE_PAGE = (
    '<!doctype html><html lang="en"><head><title>Service Unavailable</title></head><body>'
    "<h1>Service Unavailable (503)</h1><p>Support Center cannot reach its database right now. "
    "Please try again in a moment.</p></body></html>"
)


@require_GET
def livez(request: HttpRequest) -> HttpResponse:
    """Liveness: the process answers (no database), for probes and as the benchmark ceiling."""
    return HttpResponse("ok", content_type="text/plain")


@require_GET
def favicon(request: HttpRequest) -> HttpResponseRedirect:
    """Browsers ask for /favicon.ico on pages that name no icon (the admin's, a downloaded
    attachment): the site's icon, instead of a 404 in the log for every visit."""
    response = HttpResponseRedirect(static("favicon.svg"))
    response["Cache-Control"] = "max-age=86400"
    return response


@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness and database reachability, for load balancers and `make run`'s smoke test: 503
    while the database is away."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError:
        response = JsonResponse({"status": "database unavailable"}, status=503)
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
    return JsonResponse({"status": "ok"})


def database_unavailable(error: BaseException | None) -> bool:
    """Whether `error`, or an error it was raised from or while handling, is the database being
    away (unreachable, restarting, a lost connection, SQLite's lock not coming in time)."""
    seen = 0
    while error is not None and seen < 10:
        if isinstance(error, OperationalError | InterfaceError):
            return True
        error = error.__cause__ or error.__context__
        seen += 1
    return False


def server_error(request: HttpRequest) -> HttpResponse:
    """handler500: the database being away is a temporary condition, answered 503 with
    Retry-After (a plain page: rendering the site's templates would need the database); anything
    else is Django's own 500 page."""
    if database_unavailable(sys.exc_info()[1]):
        response = HttpResponse(UNAVAILABLE_PAGE, status=503)
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
    return defaults.server_error(request)
