"""A customer policy's page for an account's root user, as IAM's console has one: its name,
description and document, the users and groups it is attached to, the form that changes its
description and document, and its deletion (refused while it is attached, as IAM refuses it).
Parse -> access -> service -> render.

Policies are loaded with `accounts.access.access_customer_policy`: managed policies (shared by
every account) and other accounts' policies answer 404 exactly like a missing one."""

from __future__ import annotations

import json

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts import access, selectors, services
from accounts.decorators import root_required
from accounts.forms import PolicyEditForm
from accounts.http import SupportRequest
from accounts.models import Policy
from core.errors import SupportApiError
from core.forms import add_service_error


def _document_text(policy: Policy) -> str:
    return json.dumps(policy.document, indent=2, ensure_ascii=False)


@require_http_methods(["GET", "POST"])
@root_required
def iam_policy(request: SupportRequest, name: str) -> HttpResponse:
    """GET shows the policy; POST changes its description and document (a refused document
    stays on the page, as typed, with the validator's problems)."""
    principal = request.principal
    if request.method == "POST":
        policy = access.access_customer_policy(principal, name, action="iam:CreatePolicyVersion")
        form = PolicyEditForm(request.POST)
        if form.is_valid():
            try:
                services.policy_update(
                    policy=policy,
                    description=form.cleaned_data["description"],
                    document=form.cleaned_data["document"],
                    actor=principal,
                )
            except SupportApiError as error:
                add_service_error(form, error)
            else:
                messages.success(request, _("Policy %(name)s updated.") % {"name": policy.name})
                return redirect("accounts:iam-policy", name=policy.name)
    else:
        policy = access.access_customer_policy(principal, name)
        form = PolicyEditForm(
            initial={"description": policy.description, "document": _document_text(policy)}
        )
    return render(
        request,
        "accounts/iam_policy.html",
        {
            "policy": policy,
            "document": _document_text(policy),
            "users": list(selectors.policy_users(policy)),
            "groups": list(selectors.policy_groups(policy)),
            "form": form,
        },
    )


@require_POST
@root_required
def iam_policy_delete(request: SupportRequest, name: str) -> HttpResponse:
    """Delete the policy, or come back to its page with IAM's DeleteConflict reason while it is
    still attached."""
    principal = request.principal
    policy = access.access_customer_policy(principal, name, action="iam:DeletePolicy")
    try:
        services.policy_delete(policy=policy, actor=principal)
    except SupportApiError as error:
        messages.error(request, error.display_message)
        return redirect("accounts:iam-policy", name=policy.name)
    messages.success(request, _("Policy %(name)s deleted.") % {"name": policy.name})
    return redirect("accounts:iam")
