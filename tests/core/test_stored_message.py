"""Messages kept in a log as msgid and values (`Phrase.as_json`), shown later in the reader's
language (`stored_message`)."""

from __future__ import annotations

import json

from django.utils import translation

from core import netguard
from core.errors import Phrase, stored_message


def test_a_stored_phrase_reads_in_the_active_language() -> None:
    inner = Phrase(netguard.MSG_DEADLINE, {"seconds": 15})
    phrase = Phrase("{name}: {message}", {"name": "DeadlineExceeded", "message": inner})
    stored = json.loads(json.dumps(phrase.as_json()))  # as the JSON column gives it back
    assert Phrase.from_json(stored) == phrase
    english = "DeadlineExceeded: No complete answer within 15 seconds."
    assert stored_message(str(phrase), stored) == english
    with translation.override("ja"):
        assert stored_message(str(phrase), stored) == (
            "DeadlineExceeded: 15 秒以内に完全な応答がありませんでした。"
        )


def test_text_without_a_phrase_is_shown_as_written() -> None:
    with translation.override("ja"):
        assert stored_message("HTTP 500", None) == "HTTP 500"


def test_a_phrase_that_cannot_be_filled_in_falls_back_to_its_text() -> None:
    stored = {"template": "Not sent: {host} did not resolve to any address.", "params": {}}
    assert stored_message("the English", stored) == "the English"
