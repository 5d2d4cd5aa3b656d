"""Writes for canned responses: operators create, change and delete them in the admin. Macros
belong to no account, so their audit records have none."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import transaction
from django.utils.translation import gettext_noop

from accounts.principals import Principal
from audit import services as audit
from audit.names import AuditEventName
from core.errors import InvalidParameterValueException
from macros import placeholders
from macros.models import Macro

MSG_UNKNOWN_FIELDS = "Macro has no editable field(s) {fields}."
MSG_UNKNOWN_PLACEHOLDER = gettext_noop(
    "Unknown placeholder. Use only {customer_name}, {case_id}, {display_id}, {subject} and"
    " {engineer_name}, each in single braces."
)

MACRO_FIELDS = frozenset({"name", "body", "body_ja", "next_status", "is_active", "position"})
# Written to customers; the audit record says that they changed, not what they say.
TEXT_FIELDS = frozenset({"body", "body_ja"})


def macro_text_check(text: str, *, field: str) -> None:
    """Raise `InvalidParameterValueException` (for `field`) if `text` has a placeholder other
    than `placeholders.PLACEHOLDERS`. The admin's form runs it before anything is saved."""
    if placeholders.unknown(text):
        raise InvalidParameterValueException(MSG_UNKNOWN_PLACEHOLDER, field=field)


@transaction.atomic
def macro_save(*, macro: Macro | None, values: Mapping[str, Any], actor: Principal) -> Macro:
    """Create a macro (`macro=None`) or change one; `values` holds fields of `MACRO_FIELDS`.
    Engineers see the change the next time they open a case page.

    Raises `InvalidParameterValueException` for an unknown field, an unknown placeholder in
    either text, a taken name, or any other value the model refuses. Writes a PutMacro audit
    record with what changed (the texts by name only), and nothing when nothing did.
    """
    unknown_fields = sorted(set(values) - MACRO_FIELDS)
    if unknown_fields:
        raise InvalidParameterValueException(
            MSG_UNKNOWN_FIELDS.format(fields=", ".join(unknown_fields)), field=unknown_fields[0]
        )
    for field in sorted(TEXT_FIELDS & set(values)):
        macro_text_check(str(values[field]), field=field)
    target = macro if macro is not None else Macro()
    created = target._state.adding
    changed = {
        field: value
        for field, value in values.items()
        if created or getattr(target, field) != value
    }
    if not changed:
        return target
    previous_name = target.name
    for field, value in changed.items():
        setattr(target, field, value)
    try:
        target.full_clean()
    except ValidationError as exc:
        field, messages = next(iter(exc.message_dict.items()))
        raise InvalidParameterValueException(
            " ".join(messages), field=None if field == NON_FIELD_ERRORS else field
        ) from None
    target.save()
    parameters: dict[str, Any] = {
        "macroName": target.name,
        "created": created,
        "changes": {k: v for k, v in changed.items() if k not in TEXT_FIELDS},
        "textsChanged": sorted(TEXT_FIELDS & set(changed)),
    }
    if not created and "name" in changed:
        parameters["previousName"] = previous_name
    audit.record(
        actor=actor,
        event_name=AuditEventName.PUT_MACRO,
        account=None,
        request_parameters=parameters,
    )
    return target


@transaction.atomic
def macro_delete(*, macro: Macro, actor: Principal) -> None:
    """Delete a macro. Replies it was inserted into keep their text (nothing points at macros);
    to stop offering one for a while, make it inactive instead. Writes a DeleteMacro audit
    record."""
    name = macro.name
    macro.delete()
    audit.record(
        actor=actor,
        event_name=AuditEventName.DELETE_MACRO,
        account=None,
        request_parameters={"macroName": name},
    )
