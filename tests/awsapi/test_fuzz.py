"""Model-generated bodies for every operation never get a 5xx, and every error has a __type."""

from __future__ import annotations

import json

import pytest
from botocore.model import Shape
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from awsapi import dispatch, model
from tests.awsapi.conftest import call_with_body

_strings = st.one_of(
    st.text(max_size=20),
    st.sampled_from(
        ["technical", "customer-service", "en", "ja", "low", "billing", "charge-inquiry", "case-1"]
    ),
    # PostgreSQL refuses NUL in text: found by this test on the PostgreSQL run.
    st.just("a\x00b"),
)


def strategy_for(shape: Shape, depth: int = 0) -> st.SearchStrategy:
    kind = shape.type_name
    if kind == "structure":
        members = {name: strategy_for(member, depth + 1) for name, member in shape.members.items()}
        return st.fixed_dictionaries({}, optional=members)
    if kind == "list":
        return st.lists(strategy_for(shape.member, depth + 1), max_size=3 if depth else 4)
    if kind == "string":
        return _strings
    if kind in ("integer", "long"):
        return st.integers(min_value=-5, max_value=200)
    if kind == "boolean":
        return st.booleans()
    if kind == "blob":
        return st.sampled_from(["", "YWJj", "not base64!"])
    return st.none()


# Random junk too: wrong types for any member.
junk = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=10),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=5), children, max_size=3)
    ),
    max_leaves=6,
)


@pytest.mark.parametrize("operation", sorted(dispatch.REGISTRY))
def test_generated_bodies_never_5xx(operation, make_client, api_user) -> None:
    client = make_client(api_user)
    method = client.meta.method_to_api_mapping
    python_name = next(name for name, api in method.items() if api == operation)
    shape = model.operation_model(operation).input_shape
    bodies = st.one_of(
        strategy_for(shape), st.dictionaries(st.sampled_from(list(shape.members)), junk, max_size=3)
    )

    @settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
    @given(bodies)
    def check(body) -> None:
        raw = json.dumps(body).encode()
        try:
            call_with_body(client, python_name, raw)
        except client.exceptions.ClientError as exc:
            status = exc.response["ResponseMetadata"]["HTTPStatusCode"]
            assert status < 500, (operation, body, exc.response)
            assert exc.response["Error"]["Code"] not in ("", "500")

    check()
