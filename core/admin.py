"""Building blocks for the apps' admin pages (nothing is registered here).

Operators change data through the same services as customers and the API, so that their changes
are audited and obey the same rules; the admin never writes a row itself:
- `ServiceBackedAdmin`: writes go through services. Its subclasses override `save_model`,
  `save_related`/`save_formset`, `delete_model` and `delete_queryset`; the defaults here refuse
  to write, so a forgotten override fails loudly instead of writing behind the services' back.
- `ReadOnlyAdmin`: for records of what happened (audit events, cases, deliveries), which no
  operator may add, change or delete.
"""

from __future__ import annotations

from typing import Any, TypeVar

from django.contrib import admin, messages
from django.db.models import Model, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect

from core.errors import SupportApiError
from core.forms import add_service_error

M = TypeVar("M", bound=Model)

MSG_NO_SERVICE = "{admin} writes through services; override {method}."
# The request attribute that carries a service's refusal into the form shown again.
REFUSAL = "_service_refusal"


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ServiceBackedAdmin(admin.ModelAdmin):
    """An admin whose writes go through services. The views run in one transaction (Django's);
    a refusal that the forms could not foresee (a rule only the service knows, a concurrent
    change) rolls it all back. On an add or change form it comes back as the form again, the
    operator's input kept and the refusal beside its field; elsewhere as an error message on
    the page it came from."""

    def changeform_view(
        self,
        request: HttpRequest,
        object_id: str | None = None,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except SupportApiError as error:
            if request.method != "POST" or hasattr(request, REFUSAL):
                return self._refused(request, error)
            # The same post again, with the refusal as its form's error (`get_form`): the form
            # is invalid this time, so nothing is saved and Django shows it bound.
            setattr(request, REFUSAL, error)
            return super().changeform_view(request, object_id, form_url, extra_context)

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> Any:
        form = super().get_form(request, obj, change=change, **kwargs)
        error: SupportApiError | None = getattr(request, REFUSAL, None)
        if error is None:
            return form
        refusal = error

        class Refused(form):  # type: ignore[misc, valid-type]
            def clean(self) -> Any:
                cleaned = super().clean()
                add_service_error(self, refusal)
                return cleaned

        return Refused

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        try:
            return super().changelist_view(request, extra_context)
        except SupportApiError as error:
            return self._refused(request, error)

    def delete_view(
        self, request: HttpRequest, object_id: str, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        try:
            return super().delete_view(request, object_id, extra_context)
        except SupportApiError as error:
            return self._refused(request, error)

    def _refused(self, request: HttpRequest, error: SupportApiError) -> HttpResponse:
        self.message_user(request, error.display_message, messages.ERROR)
        return HttpResponseRedirect(request.get_full_path())

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: Any) -> None:
        raise NotImplementedError(
            MSG_NO_SERVICE.format(admin=type(self).__name__, method="save_model")
        )

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: Any) -> None:
        # Unlike Django's, no `form.save_m2m()`: many-to-many changes are service calls too.
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)
            _note_formset_changes(formset)

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: Any) -> None:
        raise NotImplementedError(
            MSG_NO_SERVICE.format(admin=type(self).__name__, method="save_formset")
        )

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        raise NotImplementedError(
            MSG_NO_SERVICE.format(admin=type(self).__name__, method="delete_model")
        )

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        raise NotImplementedError(
            MSG_NO_SERVICE.format(admin=type(self).__name__, method="delete_queryset")
        )


def _note_formset_changes(formset: Any) -> None:
    # The admin's history message reads what `formset.save()` would have noted; the services
    # saved instead, so note it here.
    deleted = list(formset.deleted_forms)
    changed = [form for form in formset.forms if form.has_changed() and form not in deleted]
    formset.deleted_objects = [form.instance for form in deleted if form.instance.pk is not None]
    formset.new_objects = [form.instance for form in changed if form in formset.extra_forms]
    formset.changed_objects = [
        (form.instance, form.changed_data) for form in changed if form in formset.initial_forms
    ]


def fresh(obj: M) -> M:
    """The row as stored. The admin's form has already set its changes on `obj`, so a service
    comparing old and new values needs this copy."""
    return type(obj)._default_manager.get(pk=obj.pk)


def adopt(obj: Model, saved: Model) -> None:
    """Make the admin's `obj` the row a service saved (the admin then logs and redirects to it)."""
    obj.__dict__.update(saved.__dict__)
