"""connections.sample_perfcost repeats two of connections.sample's constants (it cannot import
them: that module imports it)."""

from __future__ import annotations

from connections import sample, sample_perfcost


def test_constants_match_the_sample() -> None:
    assert sample_perfcost.ACCOUNT_ID == sample.SAMPLE_ACCOUNT_ID
    assert sample_perfcost.IMAGE_ID == sample.IMAGE_ID
