"""The AWS connection page: connect, disconnect and test the account's AWS environment."""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts.decorators import customer_required
from accounts.http import SupportRequest
from accounts.models import Account
from advisor.forms import (
    ConnectionForm,
)
from advisor.views.common import (
    UPDATE_CONNECTION,
    account_of,
)
from connections import selectors as connection_selectors
from connections import services as connection_services
from connections.models import AwsConnection, ConnectionMode
from core.errors import SupportApiError
from core.forms import add_service_error

logger = logging.getLogger(__name__)


def _connection_initial(current: AwsConnection | None) -> dict[str, Any]:
    if current is None:
        sample = settings.ADVISOR_SAMPLE_ENABLED
        return {
            "mode": ConnectionMode.SAMPLE if sample else ConnectionMode.ROLE,
            "regions": ["us-east-1"],
        }
    return {
        "mode": current.mode,
        "access_key_id": current.access_key_id,
        "role_arn": current.role_arn,
        "regions": current.regions,
    }


def _connection_form(*args: Any, **kwargs: Any) -> ConnectionForm:
    return ConnectionForm(
        *args,
        regions=connection_services.known_regions(),
        sample=settings.ADVISOR_SAMPLE_ENABLED,
        **kwargs,
    )


def _connection_context(
    form: ConnectionForm, current: AwsConnection | None, account: Account
) -> dict[str, Any]:
    return {
        "form": form,
        "connection": current,
        "has_secret": bool(current is not None and current.secret_access_key_encrypted),
        # Shown, never typed: the role's trust policy must require exactly this value.
        "external_id": connection_services.external_id_for(account),
    }


@require_http_methods(["GET", "POST"])
@customer_required(UPDATE_CONNECTION)
def connection(request: SupportRequest) -> HttpResponse:
    principal = request.principal
    account = account_of(request)
    current = connection_selectors.aws_connection_get(account)
    if request.method != "POST":
        form = _connection_form(initial=_connection_initial(current))
        return render(
            request, "advisor/connection.html", _connection_context(form, current, account)
        )
    form = _connection_form(request.POST)
    if form.is_valid():
        data = dict(form.cleaned_data)  # add_service_error drops the field it flags
        try:
            connection_services.aws_connection_set(account=account, actor=principal, **data)
        except SupportApiError as error:
            add_service_error(form, error)
        else:
            messages.success(
                request, _("AWS environment saved. Refresh the checks to see their results.")
            )
            return redirect("advisor:connection")
    # Refused: the form again with its errors, as every other form answers them.
    return render(
        request, "advisor/connection.html", _connection_context(form, current, account), status=400
    )


@require_POST
@customer_required(UPDATE_CONNECTION)
def connection_delete(request: SupportRequest) -> HttpResponse:
    deleted = connection_services.aws_connection_delete(
        account=account_of(request),
        actor=request.principal,
    )
    if deleted:
        messages.success(request, _("AWS environment disconnected. Earlier results are kept."))
    else:
        messages.info(request, _("No AWS environment was connected."))
    return redirect("advisor:connection")


@require_POST
@customer_required(UPDATE_CONNECTION)
def connection_test(request: SupportRequest) -> HttpResponse:
    """Reach the environment once and report the AWS account id, or why it failed."""
    outcome: dict[str, str] = {}
    try:
        outcome["test_account_id"] = connection_services.aws_connection_verify(
            account=account_of(request)
        )
    except SupportApiError as error:
        outcome["test_error"] = error.display_message
    except Exception:
        # An external call can fail in ways boto3 does not wrap (a corrupt stored secret, a
        # sample environment that cannot start): say so on the page instead of a 500.
        logger.exception("AWS connection test failed for %s", account_of(request).account_id)
        outcome["test_error"] = _("The connection could not be tested. Try again later.")
    if request.htmx:
        return render(request, "advisor/connection.html#connection-test", outcome)
    if "test_error" in outcome:
        messages.error(
            request, _("Connection test failed: %(error)s") % {"error": outcome["test_error"]}
        )
    else:
        messages.success(
            request,
            _("Connection works: AWS account %(id)s.") % {"id": outcome["test_account_id"]},
        )
    return redirect("advisor:connection")
