"""Similar resolved cases suggested on the create form, and related cases: a real link between
an account's cases, set on the create form (web only), shown on both sides' case pages."""

from __future__ import annotations

import pytest
from django.db import connection
from django.urls import reverse

from accounts.principals import SYSTEM
from accounts.services import iam_user_create, policy_create
from cases import selectors, services
from cases.models import Case, CaseStatus
from tests import factories
from tests.cases.test_views import create_payload

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def root_client(client, business_account):
    client.force_login(factories.root_of(business_account))
    return client


def _resolved(account, actor, engineer, subject: str, answer: str, **fields) -> Case:  # type: ignore[no-untyped-def]
    case = factories.make_case(account, actor, subject=subject, **fields)
    services.case_support_reply(
        case=case, actor=engineer, body="Looking into it.", next_status="work-in-progress"
    )
    services.case_support_reply(case=case, actor=engineer, body=answer, next_status="resolved")
    return case


@pytest.fixture
def history(business_account, other_account, root, engineer):  # type: ignore[no-untyped-def]
    other_root = factories.principal(factories.root_of(other_account))
    return {
        "throttled": _resolved(
            business_account,
            root,
            engineer,
            "DynamoDB writes throttled at peak",
            "Raise the table's write capacity or switch it to on-demand.",
        ),
        "throttled_lambda": _resolved(
            business_account,
            root,
            engineer,
            "Lambda throttled during deploys",
            "Your concurrency limit was reached; we raised it to 3,000.",
        ),
        "unrelated": _resolved(
            business_account, root, engineer, "Invoice address wrong", "Corrected the address."
        ),
        # Open, so not a resolution to suggest.
        "open": factories.make_case(business_account, root, subject="DynamoDB throttled again"),
        # Another account's: never shown.
        "theirs": _resolved(
            other_account,
            other_root,
            engineer,
            "DynamoDB throttled at peak",
            "Their secret resolution.",
        ),
    }


def test_similar_resolved_cases_are_ranked_with_their_resolution(
    business_account, root, history, django_assert_num_queries
) -> None:
    # The ranked matches among the account's resolved cases (after leaving out the words in
    # most cases: counted on SQLite, from the planner's statistics on PostgreSQL), then those
    # cases with their last answer from Support.
    with django_assert_num_queries(3):
        found = selectors.similar_resolved_cases(root, "dynamodb throttled writ")
    assert [s.case for s in found] == [history["throttled"], history["throttled_lambda"]]
    assert found[0].resolution == "Raise the table's write capacity or switch it to on-demand."
    # Words too short to tell anything, or none, ask nothing of the database.
    with django_assert_num_queries(0):
        assert selectors.similar_resolved_cases(root, "a to") == []
    assert selectors.similar_resolved_cases(root, "nothing matches this") == []


def test_suggestions_as_the_subject_is_typed_and_without_javascript(root_client, history) -> None:
    url = reverse("cases:similar")
    fragment = root_client.get(url, {"subject": "DynamoDB throttled"}, **HTMX)
    assert fragment.status_code == 200
    text = fragment.content.decode()
    assert "<html" not in text
    assert "DynamoDB writes throttled at peak" in text
    assert "switch it to on-demand" in text
    assert "Their secret resolution" not in text
    assert "Invoice" not in text
    assert f'data-related-case="{history["throttled"].display_id}"' in text
    # The plain page (the create form's link), for browsers without JavaScript.
    page = root_client.get(url, {"subject": "DynamoDB throttled"})
    assert "<html" in page.content.decode()
    assert "switch it to on-demand" in page.content.decode()
    nothing = root_client.get(url, {"subject": "kubernetes"}, **HTMX)
    assert "No resolved case of your account matches" in nothing.content.decode()
    # The create form asks for them as the subject is typed, debounced.
    form = root_client.get(reverse("cases:create")).content.decode()
    assert f'hx-get="{url}"' in form
    assert 'hx-trigger="input changed delay:400ms, search"' in form
    assert f'href="{url}"' in form


def test_readers_without_correspondence_see_subjects_only(business_account, root, history) -> None:
    policy = policy_create(
        account=business_account,
        name="CasesOnly",
        document={
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Action": ["support:DescribeCases"], "Resource": "*"}
            ],
        },
        actor=SYSTEM,
    )
    user = iam_user_create(
        account=business_account,
        user_name="cases-only",
        password=factories.PASSWORD,
        email="",
        policies=[policy],
        actor=SYSTEM,
    )
    reader = factories.principal(user)
    # "capacity" is only in a resolution, which this reader may not read.
    assert selectors.similar_resolved_cases(reader, "capacity") == []
    assert [s.resolution for s in selectors.similar_resolved_cases(root, "capacity")] == [
        "Raise the table's write capacity or switch it to on-demand."
    ]
    (found,) = selectors.similar_resolved_cases(reader, "dynamodb")
    assert found.case == history["throttled"] and found.resolution == ""


def test_a_case_is_opened_related_to_an_earlier_one(
    root_client, client, business_account, root, engineer, history
) -> None:
    earlier = history["throttled"]
    response = root_client.post(
        reverse("cases:create"),
        create_payload(subject="Throttled again", related_case=str(earlier.display_id)),
    )
    assert response.status_code == 302
    case = Case.objects.latest("pk")
    assert case.related_case == earlier
    page = root_client.get(reverse("cases:detail", args=[case.case_id])).content.decode()
    assert f'href="{reverse("cases:detail", args=[earlier.case_id])}" class="related-case"' in page
    # By the API case ID too.
    root_client.post(
        reverse("cases:create"), create_payload(subject="And again", related_case=earlier.case_id)
    )
    assert Case.objects.latest("pk").related_case == earlier
    # Engineers see the link in the console.
    client.force_login(engineer.user)
    console = client.get(reverse("console:case", args=[case.case_id])).content.decode()
    assert f'href="{reverse("console:case", args=[earlier.case_id])}"' in console


def test_another_accounts_case_cannot_be_related(root_client, history) -> None:
    count = Case.objects.count()
    for value in (str(history["theirs"].display_id), history["theirs"].case_id, "99999999"):
        response = root_client.post(
            reverse("cases:create"), create_payload(subject="Related?", related_case=value)
        )
        assert response.status_code == 200
        assert f"No case {value} in your account." in response.content.decode()
    assert Case.objects.count() == count


def test_the_reopen_window_link_prefills_the_related_case(root_client, history) -> None:
    earlier = history["throttled"]
    form = root_client.get(reverse("cases:create"), {"related": earlier.case_id})
    assert form.context["form"]["related_case"].value() == str(earlier.display_id)
    assert (
        form.context["form"]["subject"].value().startswith(f"Related to case {earlier.display_id}")
    )


def test_the_service_refuses_another_accounts_case(
    business_account, other_account, history
) -> None:
    from core.errors import InvalidParameterValueException

    with pytest.raises(InvalidParameterValueException):
        factories.make_case(other_account, related_case=history["throttled"])
    assert history["throttled"].status == CaseStatus.RESOLVED


def test_words_in_most_cases_do_not_suggest(root, history, monkeypatch) -> None:
    from cases import search

    # "throttled" is in four cases (of all accounts: SQLite counts its whole index; PostgreSQL
    # reads the planner's statistics, which ANALYZE makes); past the limit it says too little
    # to suggest by.
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE cases_casesearch")
    monkeypatch.setattr(search, "RANK_COMMON", 2)
    assert selectors.similar_resolved_cases(root, "throttled") == []
    found = selectors.similar_resolved_cases(root, "throttled lambda")
    assert [s.case for s in found] == [history["throttled_lambda"]]
