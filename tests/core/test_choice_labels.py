"""Choice labels (`get_FOO_display`) from a map kept per field: the same labels as Django's,
translated into the active language when read."""

from __future__ import annotations

from django.db import models
from django.utils import translation

from cases.models import Case, CaseStatus, Language
from core.models import _choice_labels


def test_labels_are_djangos_in_each_language() -> None:
    field = Case._meta.get_field("status")
    for language in ("en", "ja"):
        with translation.override(language):
            for status in CaseStatus.values:
                case = Case(status=status, language="ja")
                assert case.get_status_display() == models.Model._get_FIELD_display(case, field)
                assert isinstance(case.get_status_display(), str)
            assert Case(language="ja").get_language_display() == str(Language.JA.label)
    with translation.override("ja"):
        assert Case(status="resolved").get_status_display() == "解決済み"
    with translation.override("en"):
        assert Case(status="resolved").get_status_display() == "Resolved"


def test_a_value_without_a_choice_is_shown_as_it_is() -> None:
    assert Case(status="no-such-status").get_status_display() == "no-such-status"
    assert Case(status=None).get_status_display() is None


def test_choices_that_cannot_be_keys_are_left_to_django() -> None:
    # A JSON field's choices: no map (Django's own lookup makes the values hashable).
    field = models.JSONField(choices=[([1, 2], "one two"), ({"a": 1}, "a dict")])
    assert _choice_labels(field) is None
    # A callable's choices can change: no map either.
    assert _choice_labels(models.CharField(choices=lambda: [("a", "A")])) is None
    assert _choice_labels(Case._meta.get_field("status")) is not None
