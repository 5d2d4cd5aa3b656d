"""Operators' edits of canned responses: validated, and audited without the texts."""

from __future__ import annotations

import pytest

from accounts.principals import SYSTEM
from audit.models import AuditEvent
from core.errors import InvalidParameterValueException
from macros import services
from macros.models import Macro
from tests import factories


def _records(name: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(event_name=name).order_by("pk"))


def test_a_new_macro_is_audited_without_its_texts(reference_data) -> None:
    macro = factories.make_macro(
        "Need logs",
        body="Please send the logs, {customer_name}.",
        body_ja="{customer_name} 様、ログをお送りください。",
        next_status="pending-customer-action",
    )
    assert (macro.name, macro.is_active, macro.position) == ("Need logs", True, 0)
    [record] = _records("PutMacro")
    assert record.recipient_account_id == ""
    assert record.request_parameters == {
        "macroName": "Need logs",
        "created": True,
        "changes": {"name": "Need logs", "next_status": "pending-customer-action"},
        "textsChanged": ["body", "body_ja"],
    }


def test_a_change_records_what_changed_and_nothing_when_nothing_did(reference_data) -> None:
    macro = factories.make_macro("Need logs")
    saved = services.macro_save(
        macro=macro, values={"name": "Logs, please", "is_active": False}, actor=SYSTEM
    )
    assert (saved.name, saved.is_active) == ("Logs, please", False)
    _, record = _records("PutMacro")
    assert record.request_parameters == {
        "macroName": "Logs, please",
        "created": False,
        "changes": {"name": "Logs, please", "is_active": False},
        "textsChanged": [],
        "previousName": "Need logs",
    }
    services.macro_save(macro=saved, values={"name": "Logs, please"}, actor=SYSTEM)
    assert len(_records("PutMacro")) == 2


@pytest.mark.parametrize("field", ["body", "body_ja"])
def test_unknown_placeholders_are_refused(reference_data, field) -> None:
    values = {"name": "Typo", "body": "Hello.", field: "Hello {customer}."}
    with pytest.raises(InvalidParameterValueException) as refused:
        services.macro_save(macro=None, values=values, actor=SYSTEM)
    assert refused.value.message == services.MSG_UNKNOWN_PLACEHOLDER
    assert refused.value.field == field
    assert not Macro.objects.exists()
    assert _records("PutMacro") == []


def test_saves_refuse_unknown_fields_taken_names_and_other_statuses(reference_data) -> None:
    factories.make_macro("Taken")
    with pytest.raises(InvalidParameterValueException, match="no editable field"):
        services.macro_save(macro=None, values={"colour": "red"}, actor=SYSTEM)
    with pytest.raises(InvalidParameterValueException, match="already exists") as taken:
        services.macro_save(macro=None, values={"name": "Taken", "body": "x"}, actor=SYSTEM)
    assert taken.value.field == "name"
    # Only the statuses a reply can choose: not work-in-progress.
    with pytest.raises(InvalidParameterValueException) as status:
        services.macro_save(
            macro=None,
            values={"name": "Busy", "body": "x", "next_status": "work-in-progress"},
            actor=SYSTEM,
        )
    assert status.value.field == "next_status"
    with pytest.raises(InvalidParameterValueException) as long:
        services.macro_save(macro=None, values={"name": "Long", "body": "x" * 4001}, actor=SYSTEM)
    assert long.value.field == "body"
    assert list(Macro.objects.values_list("name", flat=True)) == ["Taken"]
    assert len(_records("PutMacro")) == 1


def test_deleting_a_macro_is_audited(reference_data) -> None:
    macro = factories.make_macro("Old")
    services.macro_delete(macro=macro, actor=SYSTEM)
    assert not Macro.objects.exists()
    [record] = _records("DeleteMacro")
    assert record.request_parameters == {"macroName": "Old"}
