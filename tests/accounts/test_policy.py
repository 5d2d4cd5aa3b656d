"""The policy evaluator, as a table."""

from __future__ import annotations

import pytest

from accounts.policy import Decision, evaluate, validate_document


def allow(action, resource="*"):
    return {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": action, "Resource": resource}],
    }


def deny(action, resource="*"):
    return {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Deny", "Action": action, "Resource": resource}],
    }


A, D, N = Decision.ALLOW, Decision.EXPLICIT_DENY, Decision.IMPLICIT_DENY

TABLE = [
    # (policies, action, expected)
    ([], "support:CreateCase", N),  # default deny
    ([allow("support:*")], "support:CreateCase", A),
    ([allow("support:*")], "trustedadvisor:DescribeChecks", N),  # separate namespace
    ([allow("SUPPORT:createcase")], "support:CreateCase", A),  # case-insensitive
    ([allow("support:Describe*")], "support:DescribeCases", A),
    ([allow("support:Describe*")], "support:CreateCase", N),
    ([allow("support:Describe?ases")], "support:DescribeCases", A),
    ([allow("support:Describe?ases")], "support:DescribeXXases", N),
    ([allow(["support:CreateCase", "support:ResolveCase"])], "support:ResolveCase", A),
    ([allow("*")], "support:ResolveCase", A),
    ([allow("trustedadvisor:*")], "trustedadvisor:DescribeChecks", A),
    ([allow("support:*"), deny("support:ResolveCase")], "support:ResolveCase", D),  # deny wins
    (
        [deny("support:ResolveCase"), allow("support:*")],
        "support:ResolveCase",
        D,
    ),  # order irrelevant
    ([allow("support:*"), deny("support:ResolveCase")], "support:CreateCase", A),
    ([deny("support:*")], "support:DescribeCases", D),
    ([allow("support:*", resource="arn:aws:support::*:case/*")], "support:CreateCase", N),
    (
        [{"Statement": {"Effect": "Allow", "NotAction": "support:ResolveCase", "Resource": "*"}}],
        "support:CreateCase",
        A,
    ),
    (
        [{"Statement": {"Effect": "Allow", "NotAction": "support:ResolveCase", "Resource": "*"}}],
        "support:ResolveCase",
        N,
    ),
    (
        [
            allow("support:*"),
            {"Statement": [{"Effect": "Deny", "NotAction": "support:Describe*", "Resource": "*"}]},
        ],
        "support:CreateCase",
        D,
    ),
    # Conditions are unsupported: a conditional Allow never applies, a conditional Deny always does.
    (
        [
            {
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Action": "support:*",
                        "Resource": "*",
                        "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}},
                    }
                ]
            }
        ],
        "support:CreateCase",
        N,
    ),
    (
        [
            allow("support:*"),
            {
                "Statement": [
                    {
                        "Effect": "Deny",
                        "Action": "support:*",
                        "Resource": "*",
                        "Condition": {"x": {}},
                    }
                ]
            },
        ],
        "support:CreateCase",
        D,
    ),
    ([allow("support:*.")], "support:CreateCase", N),  # regex metacharacters are literal
]


@pytest.mark.parametrize(("policies", "action", "expected"), TABLE)
def test_evaluate(policies, action, expected) -> None:
    assert evaluate(policies, action) is expected


def test_managed_support_policy_allows_support_only() -> None:
    from accounts.managed_policies import MANAGED_POLICIES

    document = next(p["document"] for p in MANAGED_POLICIES if p["name"] == "AWSSupportAccess")
    assert evaluate([document], "support:CreateCase").allowed
    assert not evaluate([document], "trustedadvisor:RefreshCheck").allowed
    assert validate_document(document) == []


@pytest.mark.parametrize(
    ("document", "fragment"),
    [
        ("{not json", "not valid JSON"),
        # json.loads raises a plain ValueError (not a JSONDecodeError) for this one.
        ('{"Version": ' + "9" * 5000 + "}", "not valid JSON"),
        ([], "must be a JSON object"),
        ({"Statement": []}, "non-empty list"),
        ({}, "needs a Statement"),
        ({"Version": "2020-01-01", "Statement": [allow("support:*")["Statement"][0]]}, "Version"),
        ({"Statement": [{"Effect": "Maybe", "Action": "support:*", "Resource": "*"}]}, "Effect"),
        ({"Statement": [{"Effect": "Allow", "Resource": "*"}]}, "Action or NotAction"),
        ({"Statement": [{"Effect": "Allow", "Action": "support:*"}]}, "Resource or NotResource"),
        (
            {"Statement": [{"Effect": "Allow", "Action": "bogus", "Resource": "*"}]},
            "service:Action",
        ),
        (
            {"Statement": [{"Effect": "Allow", "Action": "ec2:*", "Resource": "*"}]},
            "unknown service",
        ),
        (
            {
                "Statement": [
                    {"Effect": "Allow", "Action": "support:*", "Resource": "*", "Condition": {}}
                ]
            },
            "Condition",
        ),
        (
            {
                "Statement": [
                    {"Effect": "Allow", "Action": "support:*", "Resource": "*", "Extra": 1}
                ]
            },
            "unknown element",
        ),
        ({"Statement": [{"Effect": "Allow", "Action": [], "Resource": "*"}]}, "non-empty list"),
        # Bounded before anything walks them; what no JSON column stores is not JSON.
        ('{"Id": ' + "[" * 1000 + "]" * 1000 + "}", "nests deeper than 32 levels"),
        ('{"Id": ' + "[" * 100_000 + "]" * 100_000 + "}", "longer than 6144 characters"),
        (
            {"Id": [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]},
            "nests deeper",
        ),
        ('{"Id": NaN, "Statement": []}', "not valid JSON: NaN"),
        ('{"Id": 1e400, "Statement": []}', "not valid JSON"),
        ('{"Id": "\\ud800", "Statement": []}', "not valid JSON"),
        ('{"Id": "a\\u0000", "Statement": []}', "not valid JSON"),
        ({"Id": float("nan"), "Statement": []}, "not valid JSON"),
        ('{"Id": "' + "x" * 6200 + '"}', "longer than 6144 characters"),
    ],
)
def test_validate_document_explains_problems(document, fragment) -> None:
    errors = validate_document(document)
    assert errors, document
    assert any(fragment in str(e) for e in errors), errors


def test_whitespace_does_not_count_toward_the_length() -> None:
    statement = '{"Effect": "Allow", "Action": "support:*", "Resource": "*"}'
    assert validate_document('{"Statement": [' + statement + "]" + " " * 10_000 + "}") == []
    nested = '{"Id": ' + "[" * 31 + "]" * 31 + ', "Statement": [' + statement + "]}"
    assert validate_document(nested) == []  # 32 levels, the limit


def test_valid_documents_pass() -> None:
    assert (
        validate_document(
            '{"Version": "2012-10-17", "Statement": '
            '{"Effect": "Deny", "Action": "support:ResolveCase", "Resource": "*"}}'
        )
        == []
    )
    assert validate_document(allow(["support:Describe*", "trustedadvisor:*"])) == []
