"""Trusted Advisor preferences: a person's own choice about the weekly email, and (for the root
user, who manages the account's contacts) who receives it."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from accounts.decorators import customer_required
from accounts.http import SupportRequest
from advisor import services
from advisor.forms import WeeklyReportForm
from advisor.views.common import DESCRIBE_SUMMARIES, account_of
from connections import selectors as connection_selectors


@require_http_methods(["GET", "POST"])
@customer_required(DESCRIBE_SUMMARIES)
def preferences(request: SupportRequest) -> HttpResponse:
    """Every user of the account who may read Trusted Advisor may set their own preference
    (it concerns their own address only); the recipients are listed to the root user alone,
    as they include the account's own address."""
    user = request.principal.require_user()
    account = account_of(request)
    recipients = [
        address for address, _language in services.weekly_report_recipients([account])[account.pk]
    ]
    # The root user's addresses include the account's own (its contact email).
    mine = {user.email.lower()} if user.email else set()
    if user.is_root and account.contact_email:
        mine.add(account.contact_email.lower())
    # Bound on every POST: an unticked box posts nothing of its own.
    form = WeeklyReportForm(
        request.POST if request.method == "POST" else None,
        initial={"receives": services.weekly_report_receives(user)},
    )
    if request.method == "POST" and form.is_valid():
        receives = form.cleaned_data["receives"]
        services.weekly_report_preference_set(user=user, receives=receives)
        if receives and (mine & {address.lower() for address in recipients} or user.is_root):
            messages.success(request, _("You will get the weekly Trusted Advisor email."))
        elif receives:
            # The email goes to the account's addresses and its operations contact, not to
            # every user: say so rather than promise it.
            messages.success(
                request,
                _(
                    "Saved. The weekly Trusted Advisor email goes to the account's contact "
                    "address and its operations contact; your address is not one of them."
                ),
            )
        else:
            messages.success(request, _("You will no longer get the weekly Trusted Advisor email."))
        return redirect("advisor:preferences")
    return render(
        request,
        "advisor/preferences.html",
        {
            "form": form,
            "is_root": user.is_root,
            "recipients": recipients,
            "reaches_me": any(address.lower() in mine for address in recipients),
            "has_email": bool(mine),
            "connected": connection_selectors.aws_connection_get(account) is not None,
        },
    )
