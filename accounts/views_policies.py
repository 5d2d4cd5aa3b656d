"""A customer policy's page for an account's root user, as IAM's console has one: its name,
description and document, the users and groups it is attached to, the form that changes its
document (a new version, the default unless the root user says otherwise), its versions (make
one the default again, delete one that is not), and its deletion (refused while it is
attached, as IAM refuses it). Parse -> access -> service -> render.

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
from accounts.models import Policy, PolicyVersion
from core.errors import SupportApiError
from core.forms import add_service_error


def _document_text(policy: Policy | PolicyVersion) -> str:
    return json.dumps(policy.document, indent=2, ensure_ascii=False)


@require_http_methods(["GET", "POST"])
@root_required
def iam_policy(request: SupportRequest, name: str) -> HttpResponse:
    """GET shows the policy; POST saves its document as a new version (a refused document stays
    on the page, as typed, with the validator's problems)."""
    principal = request.principal
    if request.method == "POST":
        policy = access.access_customer_policy(principal, name, action="iam:CreatePolicyVersion")
        form = PolicyEditForm(request.POST)
        if form.is_valid():
            try:
                version = services.policy_version_create(
                    policy=policy,
                    document=form.cleaned_data["document"],
                    set_as_default=form.cleaned_data["set_as_default"],
                    actor=principal,
                )
            except SupportApiError as error:
                add_service_error(form, error)
            else:
                if version is None:
                    messages.info(request, _("The document is unchanged; no version was made."))
                else:
                    messages.success(
                        request,
                        _("Policy %(name)s saved as version %(version)s.")
                        % {"name": policy.name, "version": version.version_id},
                    )
                return redirect("accounts:iam-policy", name=policy.name)
    else:
        policy = access.access_customer_policy(principal, name)
        form = PolicyEditForm(initial={"document": _document_text(policy), "set_as_default": True})
    return render(
        request,
        "accounts/iam_policy.html",
        {
            "policy": policy,
            "document": _document_text(policy),
            "users": list(selectors.policy_users(policy)),
            "groups": list(selectors.policy_groups(policy)),
            "versions": [
                (version, _document_text(version)) for version in selectors.policy_versions(policy)
            ],
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


@require_POST
@root_required
def iam_policy_version_set_default(
    request: SupportRequest, version: str, name: str
) -> HttpResponse:
    """Make one of the policy's versions the default (rolling a change back)."""
    principal = request.principal
    policy = access.access_customer_policy(principal, name, action="iam:SetDefaultPolicyVersion")
    try:
        services.policy_version_set_default(policy=policy, version_id=version, actor=principal)
    except SupportApiError as error:
        messages.error(request, error.display_message)
    else:
        messages.success(
            request,
            _("Version %(version)s is now the default.") % {"version": version},
        )
    return redirect("accounts:iam-policy", name=policy.name)


@require_POST
@root_required
def iam_policy_version_delete(request: SupportRequest, version: str, name: str) -> HttpResponse:
    """Delete a version that is not the default, or say why not."""
    principal = request.principal
    policy = access.access_customer_policy(principal, name, action="iam:DeletePolicyVersion")
    try:
        services.policy_version_delete(policy=policy, version_id=version, actor=principal)
    except SupportApiError as error:
        messages.error(request, error.display_message)
    else:
        messages.success(request, _("Version %(version)s deleted.") % {"version": version})
    return redirect("accounts:iam-policy", name=policy.name)
