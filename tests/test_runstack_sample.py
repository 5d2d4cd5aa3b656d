"""`make run` starts the moto sample environment (some 300 MB) only when accounts may use it."""

from __future__ import annotations

import pytest

from ops.management.commands.runstack import sample_server_needed


@pytest.mark.parametrize(
    ("enabled", "endpoint", "needed"),
    [
        (True, "", True),  # the demo (or the sample alone): one server for every process
        (False, "", False),  # SUPPORTCENTER_DEMO=0: no moto at all
        (True, "http://127.0.0.1:5000", False),  # the operator runs one
    ],
)
def test_the_sample_server_runs_only_when_the_sample_is_on(
    settings, enabled, endpoint, needed
) -> None:
    settings.ADVISOR_SAMPLE_ENABLED = enabled
    settings.ADVISOR_SAMPLE_ENDPOINT = endpoint
    assert sample_server_needed() is needed
