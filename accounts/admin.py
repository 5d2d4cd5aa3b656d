from __future__ import annotations

from typing import Any, cast

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from accounts import policy as policy_eval
from accounts import services
from accounts.models import AccessKey, AccessKeyStatus, Account, IamGroup, Policy, User
from accounts.principals import Principal


def _actor(request: HttpRequest) -> Principal:
    # The admin site only serves signed-in staff users.
    return getattr(request, "principal", None) or Principal(user=cast(User, request.user))


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


@admin.register(Account)
class AccountAdmin(admin.ModelAdmin):
    list_display = ("account_id", "name", "plan", "country", "time_zone", "is_active", "created_at")
    list_filter = ("plan", "is_active", "country")
    search_fields = ("account_id", "name", "contact_email")
    readonly_fields = ("account_id", "created_at", "updated_at")
    inlines = [UserInline]

    def has_add_permission(self, request: HttpRequest) -> bool:
        # Accounts are created with their root user through the service (create_api_user, demo,
        # or sign-up), never as a bare row.
        return False


@admin.register(User)
class UserAdmin(admin.ModelAdmin):
    list_display = ("login", "kind", "account", "email", "is_active", "is_staff")
    list_filter = ("kind", "is_active", "is_staff")
    search_fields = ("login", "email", "user_name", "account__account_id")
    readonly_fields = ("login", "kind", "account", "user_name", "principal_id", "last_login")
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

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


class PolicyForm(forms.ModelForm):
    document = forms.JSONField(widget=forms.Textarea(attrs={"rows": 14, "cols": 80}))

    class Meta:
        model = Policy
        fields = ("account", "name", "description", "document")

    def clean_document(self) -> Any:
        document = self.cleaned_data["document"]
        errors = policy_eval.validate_document(document)
        if errors:
            raise forms.ValidationError(errors)
        return document


@admin.register(Policy)
class PolicyAdmin(admin.ModelAdmin):
    form = PolicyForm
    list_display = ("name", "account", "description")
    list_filter = (("account", admin.EmptyFieldListFilter),)
    search_fields = ("name", "account__account_id")


@admin.register(IamGroup)
class IamGroupAdmin(admin.ModelAdmin):
    list_display = ("name", "account")
    search_fields = ("name", "account__account_id")
    filter_horizontal = ("members", "policies")


@admin.register(AccessKey)
class AccessKeyAdmin(admin.ModelAdmin):
    list_display = ("access_key_id", "user", "status", "created_at", "last_used_at")
    list_filter = ("status",)
    search_fields = ("access_key_id", "user__login")
    # The secret is never shown again after creation; not even encrypted.
    fields = ("access_key_id", "user", "status", "created_at", "last_used_at")
    readonly_fields = fields
    actions = ["deactivate", "activate"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.action(description="Deactivate the selected keys")
    def deactivate(self, request: HttpRequest, queryset: QuerySet[AccessKey]) -> None:
        for key in queryset.select_related("user__account"):
            services.access_key_set_status(
                access_key=key, status=AccessKeyStatus.INACTIVE, actor=_actor(request)
            )
        self.message_user(request, "Keys deactivated.", messages.SUCCESS)

    @admin.action(description="Activate the selected keys")
    def activate(self, request: HttpRequest, queryset: QuerySet[AccessKey]) -> None:
        for key in queryset.select_related("user__account"):
            services.access_key_set_status(
                access_key=key, status=AccessKeyStatus.ACTIVE, actor=_actor(request)
            )
        self.message_user(request, "Keys activated.", messages.SUCCESS)
