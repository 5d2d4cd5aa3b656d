"""Accounts, users and IAM in the admin. Every write is a service call with the operator as
actor, so it is audited and obeys the rules the customer pages and the API obey (a group's
members and a principal's customer policies stay in their account). The forms run the services'
checks first, so a refusal shows next to its field before anything is written."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, cast

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.options import IS_POPUP_VAR
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils.decorators import method_decorator
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.debug import sensitive_post_parameters
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import services
from accounts.admin_forms import (
    AccountCreateForm,
    AccountForm,
    EngineerCreateForm,
    IamGroupForm,
    PolicyForm,
    UserForm,
)
from accounts.models import (
    AccessKey,
    AccessKeyStatus,
    Account,
    AuthenticatorApp,
    IamGroup,
    Policy,
    RecoveryCodes,
    User,
)
from accounts.principals import Principal
from core.admin import ReadOnlyAdmin, ServiceBackedAdmin, adopt, fresh

# Who an operator is and what they see of any user; what they may change depends on the kind.
USER_READONLY = ("login", "kind", "account", "user_name", "email", "principal_id", "last_login")
ENGINEER_ONLY = ("is_staff", "is_superuser", "services")


def _actor(request: HttpRequest) -> Principal:
    # The admin site only serves signed-in staff users.
    return getattr(request, "principal", None) or Principal(user=cast(User, request.user))


def _operator_adds(request: HttpRequest) -> bool:
    """Accounts and engineers are added by operators (superusers) only, whatever model
    permissions say, and on their own add page: not from another form's "+" (a user made beside
    a group's members would be an engineer, who cannot be one)."""
    return bool(getattr(request.user, "is_superuser", False)) and IS_POPUP_VAR not in request.GET


def _no_add_beside(field: Any) -> Any:
    # The "+" beside a field would open an add page that refuses popups (`_operator_adds`).
    if hasattr(field, "widget") and hasattr(field.widget, "can_add_related"):
        field.widget.can_add_related = False
    return field


def _by_pk(items: Iterable[Any]) -> list[Any]:
    # A stable order, so the audit records of one save come out the same way every time.
    return sorted(items, key=lambda item: item.pk)


class UserInline(admin.TabularInline):
    model = User
    fk_name = "account"
    extra = 0
    fields = ("kind", "login", "user_name", "email", "is_active")
    readonly_fields = ("kind", "login", "user_name", "email")
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class AddedByOperators(ServiceBackedAdmin):
    """An admin whose add page has a form of its own (`add_form`, `add_fields`) for a service
    that makes the row with more than the model holds (a root user with its account, an
    engineer's password), open to operators only (`_operator_adds`)."""

    add_form: type[forms.ModelForm[Any]]
    add_fields: tuple[str, ...]

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> Any:
        if obj is None:
            kwargs["form"] = self.add_form
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return self.add_fields if obj is None else super().get_fields(request, obj)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return _operator_adds(request)

    # The add forms take passwords: never in an error report.
    @method_decorator(sensitive_post_parameters("password", "root_password"))
    def changeform_view(self, *args: Any, **kwargs: Any) -> HttpResponse:
        return super().changeform_view(*args, **kwargs)


@admin.register(Account)
class AccountAdmin(AddedByOperators):
    form = AccountForm
    add_form = AccountCreateForm
    add_fields = (
        "account_id",
        "name",
        "plan",
        "root_email",
        "root_password",
        "country",
        "time_zone",
        "contact_email",
    )
    list_display = ("account_id", "name", "plan", "country", "time_zone", "is_active", "created_at")
    list_filter = ("plan", "is_active", "country")
    search_fields = ("account_id", "name", "contact_email")
    readonly_fields = ("account_id", "created_at", "updated_at")
    inlines = [UserInline]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Deleting an account would take its cases and history with it; deactivate it instead.
        return False

    # A new account is created with its root user by the service (the add form), never as a
    # bare row; its users are listed once it exists.
    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        return () if obj is None else tuple(self.readonly_fields)

    def get_inline_instances(self, request: HttpRequest, obj: Any = None) -> list[Any]:
        return [] if obj is None else super().get_inline_instances(request, obj)

    def save_model(self, request: HttpRequest, obj: Account, form: Any, change: Any) -> None:
        actor, data = _actor(request), form.cleaned_data
        if not change:
            created = services.account_create(
                account_id=data["account_id"],
                name=data["name"],
                plan=data["plan"],
                root_email=data["root_email"],
                root_password=data["root_password"],
                country=data["country"],
                time_zone=data["time_zone"],
                contact_email=data["contact_email"],
                actor=actor,
            )
            adopt(obj, created)
            return
        account = fresh(obj)
        if account.plan_id != data["plan"].pk:
            services.account_set_plan(account=account, plan=data["plan"], actor=actor)
        services.account_update(
            account=account,
            actor=actor,
            name=data["name"],
            contact_email=data["contact_email"],
            country=data["country"],
            time_zone=data["time_zone"],
            is_active=data["is_active"],
        )
        adopt(obj, account)

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: Any) -> None:
        # The users inline edits one thing: whether each user is active.
        for user_form in formset.initial_forms:
            if "is_active" in user_form.changed_data:
                user = services.user_update(
                    user=fresh(user_form.instance),
                    is_active=user_form.cleaned_data["is_active"],
                    actor=_actor(request),
                )
                adopt(user_form.instance, user)


@admin.register(User)
class UserAdmin(AddedByOperators):
    form = UserForm
    add_form = EngineerCreateForm
    add_fields = ("email", "display_name", "password", "is_superuser", "services")
    list_display = ("login", "kind", "account", "email", "is_active", "is_staff")
    list_filter = ("kind", "is_active", "is_staff")
    search_fields = ("login", "email", "user_name", "account__account_id")
    fields = (
        "login",
        "kind",
        "account",
        "user_name",
        "email",
        "display_name",
        "principal_id",
        "is_active",
        "is_staff",
        "is_superuser",
        "services",
        "policies",
        "last_login",
    )
    filter_horizontal = ("services", "policies")

    def get_readonly_fields(self, request: HttpRequest, obj: User | None = None) -> tuple[str, ...]:
        if obj is None:  # the add form: a new engineer
            return ()
        readonly: tuple[str, ...] = USER_READONLY
        if obj is None or not obj.is_engineer:
            readonly += ENGINEER_ONLY
        if obj is None or not obj.is_iam:
            # Root users may do everything and engineers act as staff: policies are IAM users'.
            readonly += ("policies",)
        return readonly

    def has_delete_permission(self, request: HttpRequest, obj: User | None = None) -> bool:
        # Only IAM users are deleted (with their keys); a root user goes with its account.
        return obj is None or obj.is_iam

    def save_model(self, request: HttpRequest, obj: User, form: Any, change: Any) -> None:
        if not change:
            data = form.cleaned_data
            created = services.engineer_create(
                email=data["email"],
                password=data["password"],
                display_name=data["display_name"],
                is_superuser=data["is_superuser"],
                actor=_actor(request),
            )
            adopt(obj, created)
            return
        user = fresh(obj)
        flags = ("display_name", "is_active", "is_staff", "is_superuser")
        services.user_update(
            user=user,
            actor=_actor(request),
            **{name: form.cleaned_data[name] for name in flags if name in form.cleaned_data},
        )
        adopt(obj, user)

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: Any) -> None:
        actor, user, data = _actor(request), form.instance, form.cleaned_data
        if "services" in data:
            services.engineer_set_services(user=user, services=data["services"], actor=actor)
        if "policies" in data:
            wanted, current = set(data["policies"]), set(user.policies.all())
            for policy in _by_pk(wanted - current):
                services.policy_attach_to_user(user=user, policy=policy, actor=actor)
            for policy in _by_pk(current - wanted):
                services.policy_detach_from_user(user=user, policy=policy, actor=actor)
        super().save_related(request, form, formsets, change)

    def delete_model(self, request: HttpRequest, obj: User) -> None:
        services.iam_user_delete(user=obj, actor=_actor(request))

    @transaction.atomic
    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        for user in queryset.select_related("account"):
            services.iam_user_delete(user=user, actor=_actor(request))


@admin.register(Policy)
class PolicyAdmin(ServiceBackedAdmin):
    form = PolicyForm
    list_display = ("name", "account", "description")
    list_filter = (("account", admin.EmptyFieldListFilter),)
    search_fields = ("name", "account__account_id")

    def formfield_for_dbfield(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        return _no_add_beside(super().formfield_for_dbfield(db_field, request, **kwargs))

    def get_readonly_fields(
        self, request: HttpRequest, obj: Policy | None = None
    ) -> tuple[str, ...]:
        # Users, groups and audit records name a policy by its ARN: account and name stay; the
        # description is fixed at creation, as in IAM.
        return ("account", "name", "description") if obj is not None else ()

    def save_model(self, request: HttpRequest, obj: Policy, form: Any, change: Any) -> None:
        data = form.cleaned_data
        if change:
            # A changed document is a new default version, as a customer's change is.
            services.policy_version_create(
                policy=fresh(obj), document=data["document"], actor=_actor(request)
            )
            saved = fresh(obj)
        else:
            saved = services.policy_create(
                account=data["account"],
                name=data["name"],
                document=data["document"],
                description=data["description"],
                actor=_actor(request),
            )
        adopt(obj, saved)

    def delete_model(self, request: HttpRequest, obj: Policy) -> None:
        services.policy_delete(policy=obj, actor=_actor(request))

    @transaction.atomic
    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Policy]) -> None:
        for policy in queryset.select_related("account"):
            services.policy_delete(policy=policy, actor=_actor(request))


@admin.register(IamGroup)
class IamGroupAdmin(ServiceBackedAdmin):
    form = IamGroupForm
    list_display = ("name", "account")
    search_fields = ("name", "account__account_id")
    filter_horizontal = ("members", "policies")

    def formfield_for_dbfield(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        return _no_add_beside(super().formfield_for_dbfield(db_field, request, **kwargs))

    def get_readonly_fields(
        self, request: HttpRequest, obj: IamGroup | None = None
    ) -> tuple[str, ...]:
        return ("account", "name") if obj is not None else ()

    def save_model(self, request: HttpRequest, obj: IamGroup, form: Any, change: Any) -> None:
        if change:
            return  # account and name are read-only; membership is save_related's
        data = form.cleaned_data
        group = services.group_create(
            account=data["account"], name=data["name"], actor=_actor(request)
        )
        adopt(obj, group)

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: Any) -> None:
        actor, group, data = _actor(request), form.instance, form.cleaned_data
        wanted, current = set(data["members"]), set(group.members.all())
        for user in _by_pk(wanted - current):
            services.group_add_user(group=group, user=user, actor=actor)
        for user in _by_pk(current - wanted):
            services.group_remove_user(group=group, user=user, actor=actor)
        wanted, current = set(data["policies"]), set(group.policies.all())
        for policy in _by_pk(wanted - current):
            services.group_attach_policy(group=group, policy=policy, actor=actor)
        for policy in _by_pk(current - wanted):
            services.group_detach_policy(group=group, policy=policy, actor=actor)
        super().save_related(request, form, formsets, change)

    def delete_model(self, request: HttpRequest, obj: IamGroup) -> None:
        services.group_delete(group=obj, actor=_actor(request))

    @transaction.atomic
    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[IamGroup]) -> None:
        for group in queryset.select_related("account"):
            services.group_delete(group=group, actor=_actor(request))


@admin.register(AccessKey)
class AccessKeyAdmin(ServiceBackedAdmin):
    list_display = ("access_key_id", "user", "status", "created_at", "last_used_at")
    list_filter = ("status",)
    search_fields = ("access_key_id", "user__login")
    # The secret is never shown again after creation; not even encrypted.
    fields = ("access_key_id", "user", "status", "created_at", "last_used_at")
    readonly_fields = fields
    actions = ["deactivate", "activate"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: AccessKey | None = None) -> bool:
        # Nothing on the form is editable; the status changes through the actions below.
        return False

    def delete_model(self, request: HttpRequest, obj: AccessKey) -> None:
        services.access_key_delete(access_key=obj, actor=_actor(request))

    @transaction.atomic
    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[AccessKey]) -> None:
        for key in queryset.select_related("user__account"):
            services.access_key_delete(access_key=key, actor=_actor(request))

    @admin.action(description=_("Deactivate the selected keys"))
    def deactivate(self, request: HttpRequest, queryset: QuerySet[AccessKey]) -> None:
        self._set_status(request, queryset, AccessKeyStatus.INACTIVE)
        self.message_user(request, gettext("Keys deactivated."), messages.SUCCESS)

    @admin.action(description=_("Activate the selected keys"))
    def activate(self, request: HttpRequest, queryset: QuerySet[AccessKey]) -> None:
        self._set_status(request, queryset, AccessKeyStatus.ACTIVE)
        self.message_user(request, gettext("Keys activated."), messages.SUCCESS)

    @transaction.atomic
    def _set_status(self, request: HttpRequest, queryset: QuerySet[AccessKey], status: str) -> None:
        for key in queryset.select_related("user__account"):
            services.access_key_set_status(access_key=key, status=status, actor=_actor(request))


# django-otp's own admin pages would let an operator read and change users' authenticator
# secrets and recovery codes; the admin shows only which devices exist (users manage theirs on
# /account/mfa/, with a code), through the accounts' proxies, which have translated names.
for _model in (TOTPDevice, StaticDevice):
    if admin.site.is_registered(_model):
        admin.site.unregister(_model)


class DeviceAdmin(ReadOnlyAdmin):
    # django-otp's field names are plain English strings; these columns have translated ones.
    list_display = ("device_user", "device_name", "device_confirmed", "device_created_at")
    fields = (*list_display, "device_last_used_at")
    readonly_fields = fields

    @admin.display(description=_("user"), ordering="user")
    def device_user(self, device: Any) -> Any:
        return device.user

    @admin.display(description=_("name"), ordering="name")
    def device_name(self, device: Any) -> str:
        return str(device.name)

    @admin.display(description=_("confirmed"), boolean=True, ordering="confirmed")
    def device_confirmed(self, device: Any) -> bool:
        return bool(device.confirmed)

    @admin.display(description=_("created at"), ordering="created_at")
    def device_created_at(self, device: Any) -> Any:
        return device.created_at

    @admin.display(description=_("last used at"))
    def device_last_used_at(self, device: Any) -> Any:
        return device.last_used_at


@admin.register(AuthenticatorApp)
class AuthenticatorAppAdmin(DeviceAdmin):
    pass


@admin.register(RecoveryCodes)
class RecoveryCodesAdmin(DeviceAdmin):
    pass
