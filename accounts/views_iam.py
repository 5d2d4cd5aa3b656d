"""IAM pages for an account's root user: users (policies, console password, access keys),
groups (members, policies) and customer policies (created here; each one's own page, edits and
deletion in `views_policies`). Parse -> access -> service -> render.

A new access key's secret goes through the session, encrypted (Post/Redirect/Get): the user's
page shows it once, kept out of caches, and reloading that page cannot create another key."""

from __future__ import annotations

from django.contrib import messages
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts import access, selectors, services
from accounts.decorators import root_required
from accounts.forms import (
    AttachPolicyForm,
    GroupCreateForm,
    IamUserCreateForm,
    PasswordForm,
    PolicyCreateForm,
)
from accounts.http import SupportRequest
from accounts.models import Account, User
from core import shown_once
from core.errors import NoSuchEntity, SupportApiError
from core.forms import add_service_error
from core.paging import SortKey, read_page

# Session bucket (core.shown_once): a new access key's id and secret by its user's primary key,
# waiting to be shown once on the user's page.
NEW_KEYS_SESSION_KEY = "accounts.new_access_keys"
USERS_PAGE_SIZE = 50
# user_name is unique in an account (its login is); the id only makes the order total.
USER_ORDER = (SortKey("user_name"), SortKey("id"))


def _account(request: SupportRequest) -> Account:
    return request.principal.require_account()


@require_GET
@root_required
def iam_home(request: SupportRequest) -> HttpResponse:
    account = _account(request)
    # IAM allows thousands of users: they are listed a page at a time, by name.
    page, links = read_page(
        request.GET,
        selectors.iam_users_for_account(account),
        USER_ORDER,
        {"list": "iam-users", "account": account.account_id},
        limit=USERS_PAGE_SIZE,
    )
    groups = selectors.groups_for_account(account)
    policies = selectors.customer_policies(account)
    return render(
        request,
        "accounts/iam_home.html",
        {
            "users": page.items,
            **links,
            "groups": groups,
            "policies": policies,
            "managed_policies": selectors.managed_policy_names(),
            "account": account,
        },
    )


@require_http_methods(["GET", "POST"])
@root_required
def iam_user_create(request: SupportRequest) -> HttpResponse:
    account = _account(request)
    form = IamUserCreateForm(request.POST or None, initial={"policy": "AWSSupportAccess"})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            with transaction.atomic():
                user = _create_iam_user(request, account, data)
        except SupportApiError as error:
            add_service_error(form, error)
        else:
            messages.success(request, _("User %(name)s created.") % {"name": user.user_name})
            return redirect("accounts:iam-user", user_name=user.user_name)
    return render(request, "accounts/iam_user_create.html", {"form": form})


def _create_iam_user(request: SupportRequest, account: Account, data: dict) -> User:
    """The user, its policy and its password; the caller holds one transaction for all."""
    principal = request.principal
    policies = (
        [access.access_policy_for_account(principal, data["policy"])] if data["policy"] else []
    )
    user = services.iam_user_create(
        account=account,
        user_name=data["user_name"],
        email=data["email"],
        policies=policies,
        actor=principal,
    )
    if data["password"]:
        services.iam_user_set_password(user=user, password=data["password"], actor=principal)
    return user


def _user_page(request: SupportRequest, user: User, **extra: object) -> HttpResponse:
    account = _account(request)
    attached = list(user.policies.all())
    context = {
        "iam_user": user,
        "attached": attached,
        "attach_form": AttachPolicyForm(
            policies=selectors.attachable_policies(account, besides=attached)
        ),
        "password_form": PasswordForm(),
        "keys": selectors.access_keys_of(user),
        "sign_in_url": request.build_absolute_uri(
            reverse("accounts:iam-sign-in", args=[account.account_id])
        ),
        **extra,
    }
    return render(request, "accounts/iam_user.html", context)


@require_GET
@root_required
def iam_user(request: SupportRequest, user_name: str) -> HttpResponse:
    user = access.access_iam_user(request.principal, user_name)
    new_key = shown_once.take(request.session, NEW_KEYS_SESSION_KEY, str(user.pk))
    response = _user_page(request, user, new_key=new_key)
    if new_key is not None:
        # The secret is shown once: keep the page out of every cache (and the back button's).
        response["Cache-Control"] = "no-store"
    return response


@require_POST
@root_required
def iam_user_action(request: SupportRequest, user_name: str, action: str) -> HttpResponse:
    """Actions on an IAM user: attach/detach a policy, set the password, manage keys, delete."""
    principal = request.principal
    user = access.access_iam_user(request.principal, user_name)
    try:
        if action == "attach-policy":
            policy = access.access_policy_for_account(principal, request.POST.get("policy", ""))
            services.policy_attach_to_user(user=user, policy=policy, actor=principal)
        elif action == "detach-policy":
            policy = access.access_policy_for_account(principal, request.POST.get("policy", ""))
            services.policy_detach_from_user(user=user, policy=policy, actor=principal)
        elif action == "password":
            form = PasswordForm(request.POST)
            if form.is_valid():
                services.iam_user_set_password(
                    user=user, password=form.cleaned_data["password"] or None, actor=principal
                )
                messages.success(request, _("Console password updated."))
        elif action == "create-key":
            key, secret = services.access_key_create(user=user, actor=principal)
            # Post/Redirect/Get: the user's page shows the secret once (it is stored only
            # encrypted, in the session until then), and reloading it creates no other key.
            shown_once.keep(
                request.session,
                NEW_KEYS_SESSION_KEY,
                str(user.pk),
                access_key_id=key.access_key_id,
                secret=secret,
            )
        elif action in ("deactivate-key", "activate-key", "delete-key"):
            key = access.access_access_key(principal, request.POST.get("access_key_id", ""))
            if key.user_id != user.pk:
                raise NoSuchEntity(
                    access.MSG_NO_ACCESS_KEY, params={"access_key_id": key.access_key_id}
                )
            if action == "delete-key":
                services.access_key_delete(access_key=key, actor=principal)
            else:
                status = "Inactive" if action == "deactivate-key" else "Active"
                services.access_key_set_status(access_key=key, status=status, actor=principal)
        elif action == "delete":
            services.iam_user_delete(user=user, actor=principal)
            messages.success(request, _("User %(name)s deleted.") % {"name": user_name})
            return redirect("accounts:iam")
        else:
            return HttpResponse(status=404)
    except SupportApiError as error:
        messages.error(request, error.display_message)
    return redirect("accounts:iam-user", user_name=user.user_name)


@require_http_methods(["GET", "POST"])
@root_required
def iam_policy_create(request: SupportRequest) -> HttpResponse:
    form = PolicyCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.policy_create(
                account=_account(request),
                name=form.cleaned_data["name"],
                description=form.cleaned_data["description"],
                document=form.cleaned_data["document"],
                actor=request.principal,
            )
        except SupportApiError as error:
            add_service_error(form, error)
        else:
            messages.success(request, _("Policy created."))
            return redirect("accounts:iam")
    return render(request, "accounts/iam_policy_create.html", {"form": form})


@require_http_methods(["GET", "POST"])
@root_required
def iam_group_create(request: SupportRequest) -> HttpResponse:
    form = GroupCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            group = services.group_create(
                account=_account(request),
                name=form.cleaned_data["name"],
                actor=request.principal,
            )
        except SupportApiError as error:
            add_service_error(form, error)
        else:
            return redirect("accounts:iam-group", name=group.name)
    return render(request, "accounts/iam_group_create.html", {"form": form})


@require_http_methods(["GET", "POST"])
@root_required
def iam_group(request: SupportRequest, name: str) -> HttpResponse:
    """A group's page: its members and policies. POST adds or removes a member, attaches or
    detaches a policy (`action`), or deletes the group once it is empty."""
    principal = request.principal
    group = access.access_group(principal, name)
    account = _account(request)
    if request.method == "POST":
        action = request.POST.get("action", "")
        try:
            if action in ("add-user", "remove-user"):
                member = access.access_iam_user(principal, request.POST.get("user_name", ""))
                if action == "add-user":
                    services.group_add_user(group=group, user=member, actor=principal)
                else:
                    services.group_remove_user(group=group, user=member, actor=principal)
            elif action in ("attach-policy", "detach-policy"):
                policy = access.access_policy_for_account(principal, request.POST.get("policy", ""))
                if action == "attach-policy":
                    services.group_attach_policy(group=group, policy=policy, actor=principal)
                else:
                    services.group_detach_policy(group=group, policy=policy, actor=principal)
            elif action == "delete":
                services.group_delete(group=group, actor=principal)
                messages.success(request, _("Group %(name)s deleted.") % {"name": group.name})
                return redirect("accounts:iam")
        except SupportApiError as error:
            messages.error(request, error.display_message)
        return redirect("accounts:iam-group", name=group.name)
    members = list(group.members.order_by("user_name"))
    policies = list(group.policies.order_by("name"))
    return render(
        request,
        "accounts/iam_group.html",
        {
            "group": group,
            "members": members,
            "policies": policies,
            "candidates": selectors.iam_users_outside(group, members),
            "attach_form": AttachPolicyForm(
                policies=selectors.attachable_policies(account, besides=policies)
            ),
        },
    )
