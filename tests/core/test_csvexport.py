"""The one CSV writer (core.csvexport): text neutralised, identifiers exact, and every id the
product writes into an identifier column unable to start a formula. The downloads themselves are
tested through their views (tests/advisor/test_views_check.py, tests/cloudtrail/)."""

from __future__ import annotations

import csv
import importlib
import io
from datetime import UTC, datetime

import pytest
from django.apps import apps
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from advisor.models import CheckResource, CheckResult, ResourceExclusion
from advisor.services import resource_id_for
from core import ids
from core.csvexport import (
    FORMULA_START,
    Column,
    UnsafeIdentifier,
    csv_lines,
    identifier_cell,
    is_formula,
    text_cell,
)
from tests import factories
from tests.advisor.console_data import SG, dash_identity, raw_resource_id


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ('=HYPERLINK("http://evil")', '\'=HYPERLINK("http://evil")'),
        ("=1+2", "'=1+2"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("-x", "'-x"),
        ("+x", "'+x"),
        ("\tA", "'\tA"),
        ("\r=1", "'\r=1"),
        ("＝1+2", "'＝1+2"),
        ("+1", "+1"),
        ("-3.5", "-3.5"),
        ("web", "web"),
        ("a=b", "a=b"),
        (None, ""),
        (7, "7"),
    ],
)
def test_text_cells_are_neutralised(value: object, expected: str) -> None:
    assert text_cell(value) == expected


def test_identifiers_are_written_exactly_or_refused() -> None:
    assert identifier_cell("_abc-def") == "_abc-def"
    assert identifier_cell(None) == ""
    with pytest.raises(UnsafeIdentifier):
        identifier_cell("-abc")


def test_lines_quote_what_csv_needs_and_mark_identifier_columns() -> None:
    columns = [Column("id", identifier=True), Column("name")]
    text = "".join(csv_lines(columns, [["ASCKX", "=cmd|' /C calc'!A0"], ["b,1", 'say "hi"']]))
    assert list(csv.reader(io.StringIO(text))) == [
        ["id", "name"],
        ["ASCKX", "'=cmd|' /C calc'!A0"],
        ["b,1", 'say "hi"'],
    ]


def test_resource_ids_never_start_a_formula() -> None:
    arn = dash_identity()
    raw = raw_resource_id(SG, arn)
    assert resource_id_for(SG, arn) == "_" + raw[1:]
    # Ids that never started with "-" are unchanged (stable across the upgrade).
    other = "arn:aws:ec2:us-east-1:123456789012:security-group/sg-web"
    if not raw_resource_id(SG, other).startswith("-"):
        assert resource_id_for(SG, other) == raw_resource_id(SG, other)


@given(st.text(max_size=40), st.integers(min_value=0, max_value=5))
def test_no_generated_identifier_starts_a_formula(identity: str, occurrence: int) -> None:
    assert not is_formula(resource_id_for(SG, identity, occurrence))


def test_core_id_generators_never_start_a_formula() -> None:
    when = datetime(2025, 1, 1, tzinfo=UTC)
    for _ in range(200):
        for value in (
            ids.case_id_new("123456789012", when),
            ids.attachment_set_id_new(),
            ids.attachment_id_new(),
            ids.access_key_id_new(),
            ids.principal_id_new("AIDS"),
            ids.communication_id_new(),
        ):
            assert not value.startswith(FORMULA_START)


MIGRATION = "advisor.migrations.0003_resource_ids_without_formula_start"


@pytest.mark.django_db
def test_migration_renames_stored_ids_that_started_with_a_dash() -> None:
    account = factories.make_account()
    result = CheckResult.objects.create(
        account=account, check_id=SG, status="error", computed_at=timezone.now()
    )
    CheckResource.objects.create(result=result, resource_id="-abc", arn="arn:x", status="error")
    ResourceExclusion.objects.create(account=account, check_id=SG, resource_id="-abc")
    ResourceExclusion.objects.create(account=account, check_id=SG, resource_id="keep-me")
    migration = importlib.import_module(
        "advisor.migrations.0003_resource_ids_without_formula_start"
    )
    migration.rename(apps, None)
    assert list(CheckResource.objects.values_list("resource_id", flat=True)) == ["_abc"]
    assert sorted(ResourceExclusion.objects.values_list("resource_id", flat=True)) == [
        "_abc",
        "keep-me",
    ]
