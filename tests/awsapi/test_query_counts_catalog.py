"""The catalog Describe* operations: a fixed number of queries, however big the catalog."""

from __future__ import annotations

import pytest

# Every call: 1 access key with user, account and plan; 2 the user's and its groups' policies;
# ... the operation's own reads ...; then the audit record (a read opens no transaction).
CALLS = [
    # 3 services, 4 their categories (one prefetch for all services)
    ("describe_services", {}, 5),
    # 3 the plan's severities with their names
    ("describe_severity_levels", {}, 4),
    # 3 the category with its service
    (
        "describe_supported_languages",
        {"issueType": "technical", "serviceCode": "billing", "categoryCode": "charge-inquiry"},
        4,
    ),
    (
        "describe_create_case_options",
        {
            "issueType": "technical",
            "serviceCode": "billing",
            "categoryCode": "charge-inquiry",
            "language": "en",
        },
        4,
    ),
]


@pytest.mark.parametrize(("method", "params", "expected"), CALLS, ids=[c[0] for c in CALLS])
def test_catalog_operations_query_counts(
    support, method, params, expected, django_assert_num_queries
) -> None:
    support.describe_services()  # warm: the key's last-used stamp is written once
    with django_assert_num_queries(expected):
        getattr(support, method)(**params)


def test_more_services_cost_no_more_queries(support, django_assert_num_queries) -> None:
    from catalog.models import Category, Service

    support.describe_services()
    extra = Service.objects.create(code="extra-service", name="Extra")
    Category.objects.bulk_create(
        [Category(service=extra, code=f"c{i}", name=f"C {i}") for i in range(20)]
    )
    with django_assert_num_queries(5):
        assert len(support.describe_services()["services"]) > 50
