"""Canned responses in the admin: written through the macros services, audited with the
operator's identity; an unknown placeholder is a form error, and nothing is saved."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.models import User
from macros.models import Macro
from macros.services import MSG_UNKNOWN_PLACEHOLDER
from tests import factories
from tests.admin_pages import OPERATOR_ARN, delete_url, make_operator, post_change, records

ADD_URL = reverse("admin:macros_macro_add")


@pytest.fixture
def operator(reference_data) -> User:
    return make_operator()


@pytest.fixture
def admin_client_(client, operator):
    client.force_login(operator)
    return client


def _new(**values: str) -> dict[str, str]:
    return {
        "name": "Need logs",
        "body": "Hello {customer_name}, please send the logs for case {display_id}.",
        "body_ja": "{customer_name} 様、ケース {display_id} のログをお送りください。",
        "next_status": "pending-customer-action",
        "is_active": "on",
        "position": "1",
        "_save": "Save",
        **values,
    }


def test_operators_add_a_macro_with_its_translation(admin_client_) -> None:
    response = admin_client_.post(ADD_URL, _new())
    assert response.status_code == 302
    macro = Macro.objects.get()
    assert macro.body_ja.startswith("{customer_name} 様")
    assert (macro.next_status, macro.is_active, macro.position) == (
        "pending-customer-action",
        True,
        1,
    )
    [record] = records("PutMacro")
    assert (record.principal_arn, record.recipient_account_id) == (OPERATOR_ARN, "")
    assert record.request_parameters == {
        "macroName": "Need logs",
        "created": True,
        "changes": {
            "name": "Need logs",
            "next_status": "pending-customer-action",
            "is_active": True,
            "position": 1,
        },
        "textsChanged": ["body", "body_ja"],
    }


@pytest.mark.parametrize("field", ["body", "body_ja"])
def test_an_unknown_placeholder_is_a_form_error(admin_client_, field) -> None:
    response = admin_client_.post(ADD_URL, _new(**{field: "Hello {{ customer_name }}."}))
    assert response.status_code == 200
    form = response.context["adminform"].form
    assert form.errors == {field: [MSG_UNKNOWN_PLACEHOLDER]}
    assert not Macro.objects.exists()
    assert records("PutMacro") == []


def test_the_error_is_translated(admin_client_) -> None:
    response = admin_client_.post(
        ADD_URL, _new(body="Hello {customer}."), HTTP_ACCEPT_LANGUAGE="ja"
    )
    assert response.status_code == 200
    [error] = response.context["adminform"].form.errors["body"]
    assert error != MSG_UNKNOWN_PLACEHOLDER and "{customer_name}" in error


def test_operators_edit_and_retire_a_macro(admin_client_) -> None:
    macro = factories.make_macro("Need logs", body="Logs, please.")
    response = post_change(
        admin_client_, macro, body="Logs, please, {customer_name}.", next_status="resolved"
    )
    assert response.status_code == 302
    macro.refresh_from_db()
    assert (macro.body, macro.next_status) == ("Logs, please, {customer_name}.", "resolved")
    _, record = records("PutMacro")
    assert (record.principal_arn, record.request_parameters) == (
        OPERATOR_ARN,
        {
            "macroName": "Need logs",
            "created": False,
            "changes": {"next_status": "resolved"},
            "textsChanged": ["body"],
        },
    )

    refused = post_change(admin_client_, macro, body="Logs, {name}.")
    assert refused.status_code == 200
    macro.refresh_from_db()
    assert macro.body == "Logs, please, {customer_name}."

    assert post_change(admin_client_, macro, is_active=False).status_code == 302
    macro.refresh_from_db()
    assert not macro.is_active
    assert records("PutMacro")[-1].request_parameters["changes"] == {"is_active": False}


def test_deleting_macros_is_audited(admin_client_) -> None:
    one, two, three = (factories.make_macro(name) for name in ("One", "Two", "Three"))
    assert admin_client_.post(delete_url(one), {"post": "yes"}).status_code == 302
    response = admin_client_.post(
        reverse("admin:macros_macro_changelist"),
        {"action": "delete_selected", "_selected_action": [two.pk, three.pk], "post": "yes"},
    )
    assert response.status_code == 302
    assert not Macro.objects.exists()
    deleted = [record.request_parameters["macroName"] for record in records("DeleteMacro")]
    assert sorted(deleted) == ["One", "Three", "Two"]
    assert {record.principal_arn for record in records("DeleteMacro")} == {OPERATOR_ARN}
