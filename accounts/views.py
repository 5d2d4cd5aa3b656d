"""Sign-in, multi-factor sign-in, passwords and My Account: parse -> access -> service ->
render. The IAM pages are in `accounts.views_iam`."""

from __future__ import annotations

import dataclasses
from typing import Any, cast

import qrcode
import qrcode.image.svg
from django.contrib import messages
from django.contrib.auth import authenticate, login, logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from django.views.decorators.http import require_http_methods, require_POST
from django_otp import login as otp_login

from accounts import mailer, selectors, services
from accounts.decorators import root_required
from accounts.forms import (
    AccountContactForm,
    AccountIdForm,
    AlternateContactForm,
    IamSignInForm,
    MfaCodeForm,
    RootPasswordResetForm,
    RootSignInForm,
)
from accounts.http import SupportRequest
from accounts.models import Account, AlternateContactType, User
from accounts.principals import Principal
from accounts.services import mfa
from audit.names import SIGNIN_SOURCE, AuditEventName
from core import throttling
from core.errors import SupportApiError
from core.forms import add_service_error

MSG_BAD_SIGN_IN = gettext_noop("The sign-in details are not correct.")


def _next_url(request: SupportRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse("cases:list")


MFA_PENDING = "mfa_pending"
MFA_ATTEMPTS = 5


def _password_ok(request: SupportRequest, user: User) -> HttpResponse:
    """The password was right: sign in, or with multi-factor sign-in on, ask for the code
    first (the session holds who is half-way, never a signed-in user)."""
    if not mfa.mfa_enabled(user):
        return _signed_in(request, user)
    request.session[MFA_PENDING] = {
        "user": user.pk,
        "backend": getattr(user, "backend", ""),
        "next": _next_url(request),
        "attempts": 0,
    }
    return redirect("accounts:mfa-verify")


@require_http_methods(["GET", "POST"])
def mfa_verify(request: SupportRequest) -> HttpResponse:
    """The second step of signing in: a code from the authenticator app, or a recovery code."""
    pending = request.session.get(MFA_PENDING)
    if not pending:
        return redirect("accounts:sign-in")
    form = MfaCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = selectors.user_by_pk(pending["user"])
        device = mfa.mfa_verify(user, form.cleaned_data["token"]) if user else None
        if user is not None and device is not None:
            del request.session[MFA_PENDING]
            user.backend = pending["backend"]  # type: ignore[attr-defined]
            response = _signed_in(request, user, next_url=pending["next"])
            otp_login(request, device)
            return response
        pending["attempts"] += 1
        if pending["attempts"] >= MFA_ATTEMPTS or user is None:
            del request.session[MFA_PENDING]
            if user is not None:
                _record_failure(request, user.login)
            messages.error(request, _("Too many wrong codes. Sign in again."))
            return redirect("accounts:sign-in")
        request.session[MFA_PENDING] = pending
        form.add_error("token", _("That code is not right."))
    return render(request, "accounts/mfa_verify.html", {"form": form})


@require_http_methods(["GET", "POST"])
@login_required
def mfa_settings(request: SupportRequest) -> HttpResponse:
    """Set up, or remove, the signed-in user's authenticator app; the recovery codes are shown
    once, right after set-up."""
    principal = request.principal
    user = principal.require_user()
    action = request.POST.get("action", "") if request.method == "POST" else ""
    form = MfaCodeForm(request.POST if action in ("confirm", "remove") else None)
    context: dict[str, Any] = {"form": form, "enabled": mfa.mfa_enabled(user)}
    if action == "start":
        mfa.mfa_setup_device(user)
    elif action == "confirm" and form.is_valid():
        try:
            codes = mfa.mfa_confirm(user=user, token=form.cleaned_data["token"], actor=principal)
        except SupportApiError as error:
            add_service_error(form, error)
        else:
            # This session has just proven the new factor.
            otp_login(request, mfa.mfa_app_device(user))
            return render(request, "accounts/mfa_codes.html", {"codes": codes})
    elif action == "remove" and form.is_valid():
        try:
            mfa.mfa_remove(user=user, token=form.cleaned_data["token"], actor=principal)
        except SupportApiError as error:
            add_service_error(form, error)
        else:
            messages.success(request, _("Multi-factor sign-in is off."))
            return redirect("accounts:mfa")
    pending = mfa.mfa_pending_device(user)
    if pending is not None and not context["enabled"]:
        context["secret"] = mfa.mfa_setup_secret(pending)
        context["qr_svg"] = _qr_svg(pending.config_url)
    context["required"] = mfa.mfa_required(user)
    return render(request, "accounts/mfa.html", context)


def _qr_svg(text: str) -> str:
    """The otpauth:// address as an inline SVG path (no script, no image file)."""
    image = qrcode.make(text, image_factory=qrcode.image.svg.SvgPathImage, box_size=8)
    return mark_safe(image.to_string(encoding="unicode"))  # noqa: S308 - drawn by qrcode


def _signed_in(request: SupportRequest, user: User, next_url: str = "") -> HttpResponse:
    login(request, user)  # rotates the session key
    actor = dataclasses.replace(request.principal, user=user)
    services.console_sign_in_record(user=user, actor=actor, success=True)
    response = redirect("console:queue" if user.is_engineer else (next_url or _next_url(request)))
    # A language the user chose; otherwise the browser's stays in charge of the pages (the
    # account's default language is for its emails).
    if user.language:
        response.set_cookie("django_language", user.language, samesite="Lax")
    return response


def _record_failure(request: SupportRequest, login_key: str) -> None:
    user = selectors.user_by_login(login_key)
    if user is not None and user.account is not None:
        services.console_sign_in_record(
            user=user,
            actor=Principal(
                user=None,
                via="console",
                source_ip=request.principal.source_ip,
                user_agent=request.META.get("HTTP_USER_AGENT", "")[:1000],
            ),
            success=False,
        )


@require_http_methods(["GET", "POST"])
def sign_in(request: SupportRequest) -> HttpResponse:
    """Root users (email) and support engineers; IAM users are pointed to their account's page."""
    form = RootSignInForm(request.POST or None)
    account_form = (
        AccountIdForm(request.GET or None) if "account_id" in request.GET else AccountIdForm()
    )
    if "account_id" in request.GET and account_form.is_valid():
        return redirect("accounts:iam-sign-in", account_id=account_form.cleaned_data["account_id"])
    if request.method == "POST" and form.is_valid():
        user = authenticate(
            request, username=form.cleaned_data["email"], password=form.cleaned_data["password"]
        )
        if user is not None:
            return _password_ok(request, user)
        _record_failure(request, form.cleaned_data["email"].lower())
        form.add_error(None, _(MSG_BAD_SIGN_IN))
    return render(
        request,
        "accounts/sign_in.html",
        {"form": form, "account_form": account_form, "next": request.GET.get("next", "")},
    )


@require_http_methods(["GET", "POST"])
def iam_sign_in(request: SupportRequest, account_id: str) -> HttpResponse:
    """An account's own sign-in page for its IAM users."""
    form = IamSignInForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = authenticate(
            request,
            account_id=account_id,
            user_name=form.cleaned_data["user_name"],
            password=form.cleaned_data["password"],
        )
        if user is not None:
            return _password_ok(request, user)
        _record_failure(request, f"{account_id}/{form.cleaned_data['user_name']}".lower())
        form.add_error(None, _(MSG_BAD_SIGN_IN))
    return render(
        request,
        "accounts/iam_sign_in.html",
        {"form": form, "account_id": account_id, "next": request.GET.get("next", "")},
    )


@require_POST
def sign_out(request: SupportRequest) -> HttpResponse:
    logout(request)
    return redirect("home")


def _account(request: SupportRequest) -> Account:
    return request.principal.require_account()


CONTACT_TYPES = [
    (AlternateContactType.BILLING, gettext_noop("Billing")),
    (AlternateContactType.OPERATIONS, gettext_noop("Operations")),
    (AlternateContactType.SECURITY, gettext_noop("Security")),
]


@require_http_methods(["GET", "POST"])
@root_required
def my_account(request: SupportRequest) -> HttpResponse:
    """My Account: the account's contact information and its alternate contacts."""
    principal = request.principal
    account = _account(request)
    contacts = {c.contact_type: c for c in selectors.alternate_contacts(account)}
    action = request.POST.get("action", "") if request.method == "POST" else ""
    if action == "require-mfa":
        mfa.mfa_require_for_iam(
            account=account, required=request.POST.get("required") == "1", actor=principal
        )
        messages.success(request, _("Multi-factor sign-in setting saved."))
        return redirect("accounts:my-account")
    contact_form = AccountContactForm(
        request.POST if action == "contact" else None,
        initial={
            "name": account.name,
            "contact_email": account.contact_email,
            "contact_phone": account.contact_phone,
            "country": account.country,
            "time_zone": account.time_zone,
            "language": account.language,
        },
    )
    alternate_forms = {}
    for kind, _label in CONTACT_TYPES:
        existing = contacts.get(kind)
        bound = action in (f"put-{kind}", f"delete-{kind}")
        alternate_forms[kind] = AlternateContactForm(
            request.POST if action == f"put-{kind}" else None,
            prefix=kind.lower(),
            initial=(
                {
                    "name": existing.name,
                    "title": existing.title,
                    "email": existing.email,
                    "phone": existing.phone,
                }
                if existing and not bound
                else None
            ),
        )
    if action == "contact" and contact_form.is_valid():
        try:
            services.account_contact_update(
                account=account, actor=principal, **contact_form.cleaned_data
            )
        except SupportApiError as error:
            add_service_error(contact_form, error)
        else:
            messages.success(request, _("Contact information saved."))
            return redirect("accounts:my-account")
    for kind, _label in CONTACT_TYPES:
        form = alternate_forms[kind]
        if action == f"put-{kind}" and form.is_valid():
            try:
                services.alternate_contact_put(
                    account=account, actor=principal, contact_type=kind, **form.cleaned_data
                )
            except SupportApiError as error:
                add_service_error(form, error)
            else:
                messages.success(request, _("Alternate contact saved."))
                return redirect("accounts:my-account")
        if action == f"delete-{kind}":
            services.alternate_contact_delete(account=account, actor=principal, contact_type=kind)
            messages.success(request, _("Alternate contact removed."))
            return redirect("accounts:my-account")
    return render(
        request,
        "accounts/my_account.html",
        {
            "account": account,
            "contact_form": contact_form,
            "alternates": [
                (kind, _(label), alternate_forms[kind], contacts.get(kind))
                for kind, label in CONTACT_TYPES
            ],
        },
    )


# --- Passwords: change (every signed-in user) and reset by email (root users, engineers) -----

RESET_LIMIT = 5  # requests an hour, per client address and per email address


class PasswordChange(auth_views.PasswordChangeView):
    template_name = "accounts/password_change.html"
    success_url = reverse_lazy("accounts:password-change-done")

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        request = cast(SupportRequest, self.request)
        services.user_event_record(
            user=form.user, actor=request.principal, event_name=AuditEventName.CHANGE_PASSWORD
        )
        return response


class PasswordReset(auth_views.PasswordResetView):
    form_class = RootPasswordResetForm
    template_name = "accounts/password_reset.html"
    email_template_name = "accounts/email/password_reset.txt"
    subject_template_name = "accounts/email/password_reset_subject.txt"
    success_url = reverse_lazy("accounts:password-reset-done")

    def form_valid(self, form: Any) -> HttpResponse:
        request = cast(SupportRequest, self.request)
        email = form.cleaned_data["email"].lower()
        # Throttled quietly: the answer is the same page whether or not an email went out, so
        # it tells nobody whether an address has an account.
        if _reset_allowed(f"ip:{request.principal.source_ip}") and _reset_allowed(f"email:{email}"):
            # Queued, not sent here (Django's view would talk SMTP inside the request).
            with transaction.atomic():
                for user in form.get_users(email):
                    services.user_event_record(
                        user=user,
                        actor=dataclasses.replace(request.principal, user=user),
                        event_name=AuditEventName.PASSWORD_RECOVERY_REQUESTED,
                        event_source=SIGNIN_SOURCE,
                    )
                    mailer.password_reset_queue(user, language=request.LANGUAGE_CODE or "en")
        return redirect(self.success_url)


class PasswordResetConfirm(auth_views.PasswordResetConfirmView):
    template_name = "accounts/password_reset_confirm.html"
    success_url = reverse_lazy("accounts:password-reset-complete")

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        request = cast(SupportRequest, self.request)
        services.user_event_record(
            user=form.user,
            actor=dataclasses.replace(request.principal, user=form.user),
            event_name=AuditEventName.PASSWORD_RECOVERY_COMPLETED,
            event_source=SIGNIN_SOURCE,
        )
        return response


def _reset_allowed(key: str) -> bool:
    return throttling.hit(f"password-reset:{key}", limit=RESET_LIMIT, window_seconds=3600)
