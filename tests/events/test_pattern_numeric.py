"""Event pattern numeric ranges and CIDR blocks, from the user guide and aws/event-ruler."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from events.pattern import matches, validate_pattern
from tests.events.pattern_cases import RULER_EVENT, event, table

TABLE: list[tuple[str, dict[str, Any], dict[str, Any], bool]] = [
    # --- numeric ----------------------------------------------------------------------------------
    (
        "guide: numeric ranges, all true",
        {
            "detail": {
                "c-count": [{"numeric": [">", 0, "<=", 5]}],
                "d-count": [{"numeric": ["<", 10]}],
                "x-limit": [{"numeric": ["=", 3.018e2]}],
            }
        },
        RULER_EVENT,
        True,
    ),
    (
        "upper bound excluded",
        {"detail": {"c-count": [{"numeric": [">", 0, "<", 5]}]}},
        RULER_EVENT,
        False,
    ),
    ("lower bound excluded", {"detail": {"c-count": [{"numeric": [">", 5]}]}}, RULER_EVENT, False),
    ("lower bound included", {"detail": {"c-count": [{"numeric": [">=", 5]}]}}, RULER_EVENT, True),
    (
        "numeric = across int and float",
        {"detail": {"c-count": [{"numeric": ["=", 5.0]}]}},
        RULER_EVENT,
        True,
    ),
    ("numeric only on numbers", {"detail": {"v": [{"numeric": ["<", 10]}]}}, event(v="5"), False),
    ("numeric not on booleans", {"detail": {"v": [{"numeric": ["=", 1]}]}}, event(v=True), False),
    (
        "negative numbers",
        {"detail": {"v": [{"numeric": [">=", -10, "<", 0]}]}},
        event(v=-2.5),
        True,
    ),
    # --- cidr -------------------------------------------------------------------------------------
    (
        "guide: IP in 10.0.0.0/24",
        {"detail": {"source-ip": [{"cidr": "10.0.0.0/24"}]}},
        RULER_EVENT,
        True,
    ),
    ("IP outside", {"detail": {"source-ip": [{"cidr": "10.0.1.0/24"}]}}, RULER_EVENT, False),
    ("IPv6", {"ip": [{"cidr": "2001:db8::/32"}]}, {"ip": "2001:db8:0:1::5"}, True),
    ("IPv4 against an IPv6 block", {"ip": [{"cidr": "::/0"}]}, {"ip": "10.0.0.1"}, False),
    ("not an address", {"ip": [{"cidr": "10.0.0.0/8"}]}, {"ip": "ten"}, False),
]


@table(TABLE)
def test_matches(pattern: dict[str, Any], event_: dict[str, Any], expected: bool) -> None:
    validate_pattern(pattern)
    assert matches(pattern, event_) is expected


# --- properties -----------------------------------------------------------------------------------


@given(
    low=st.integers(-100, 100),
    high=st.integers(-100, 100),
    value=st.one_of(st.integers(-200, 200), st.floats(-200, 200, allow_nan=False)),
)
def test_numeric_ranges_agree_with_python(low: int, high: int, value: float) -> None:
    if low > high:
        low, high = high, low
    pattern = {"n": [{"numeric": [">=", low, "<", high]}]}
    validate_pattern(pattern)
    assert matches(pattern, {"n": value}) == (low <= value < high)
