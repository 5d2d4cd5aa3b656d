"""Small things on pages that were wrong: what the header, the IAM page, the case page and the
admin say, and what a form sends back."""

from __future__ import annotations

import re

from django.urls import reverse

from accounts.models import Policy
from accounts.principals import SYSTEM
from accounts.services import engineer_create
from cases import lifecycle
from cases.models import CaseStatus
from tests import factories


def test_the_header_names_an_iam_user_and_the_account_once(client, reference_data) -> None:
    account = factories.make_account("business")
    user = factories.make_iam_user(account)
    client.force_login(user)
    page = client.get(reverse("cases:list")).content.decode()
    who = re.search(r'class="who"[^>]*>(.*?)</a>', page, re.S).group(1)
    assert who.count(account.account_id) == 1
    assert user.user_name in who


def test_the_iam_page_counts_the_managed_policies_there_are(client, reference_data) -> None:
    account = factories.make_account("business")
    client.force_login(factories.root_of(account))
    page = client.get(reverse("accounts:iam")).content.decode()
    names = list(Policy.objects.filter(account=None).values_list("name", flat=True))
    assert len(names) == 6  # the CloudTrail read-only policy is the sixth
    assert f"{len(names)} managed policies can be attached" in page
    assert all(name in page for name in names)


def test_a_refused_iam_user_form_does_not_send_the_password_back(client, reference_data) -> None:
    account = factories.make_account("business")
    client.force_login(factories.root_of(account))
    secret = "Typed-Secret-Password-91"
    response = client.post(
        reverse("accounts:iam-user-create"),
        {"user_name": "bad name with spaces", "password": secret, "policy": "AWSSupportAccess"},
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "bad name with spaces" in page  # the rest of what was typed stays
    assert secret not in page


def test_a_case_resolved_before_any_answer_has_no_due_time(client, reference_data) -> None:
    account = factories.make_account("business")
    root = factories.root_of(account)
    case = factories.make_case(account, factories.principal(root))
    lifecycle.transition(case, to=CaseStatus.RESOLVED, actor=factories.principal(root))
    client.force_login(root)
    page = client.get(reverse("cases:detail", args=[case.case_id])).content.decode()
    assert "Resolved before a response was needed" in page
    assert "Due by" not in page and "Overdue since" not in page


def test_the_admin_spells_event_deliveries(client, reference_data) -> None:
    operator = engineer_create(
        email="operator@example.com", actor=SYSTEM, password="x-operator-1", is_superuser=True
    )
    client.force_login(operator)
    page = client.get(reverse("admin:index")).content.decode()
    assert "Event deliveries" in page
    assert "deliverys" not in page


def test_error_pages_are_the_products_own_and_translated(client, reference_data) -> None:
    from django.test import override_settings
    from django.views import defaults

    from tests.factories import root_of

    account = factories.make_account("business")
    client.force_login(root_of(account))
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    page = response.content.decode()
    assert "Page not found" in page
    assert reverse("cases:list") in page  # the navigation is there
    response = client.get("/no-such-page/", HTTP_ACCEPT_LANGUAGE="ja")
    assert "ページが見つかりません" in response.content.decode()

    with override_settings(DEBUG=False):
        from django.test import RequestFactory
        from django.utils import translation

        with translation.override("ja"):
            page = defaults.server_error(RequestFactory().get("/")).content.decode()
    assert "問題が発生しました" in page
    assert 'lang="ja"' in page


def test_catalog_names_are_japanese_on_japanese_pages_and_emails(client, reference_data) -> None:
    from notifications.models import Notification
    from notifications.services import notifications_drain

    account = factories.make_account("business")
    root = factories.root_of(account)
    case = factories.make_case(account, factories.principal(root), language="ja")
    client.force_login(root)
    page = client.get(
        reverse("cases:detail", args=[case.case_id]), HTTP_ACCEPT_LANGUAGE="ja"
    ).content.decode()
    assert case.severity.name_ja and case.severity.name_ja in page
    assert case.severity.name not in page
    # Composed by the sender, in the case's language.
    notifications_drain()
    email = Notification.objects.filter(topic=case.case_id, kind="created").first()
    assert email is not None and case.severity.name_ja in email.body_text
    english = client.get(
        reverse("cases:detail", args=[case.case_id]), HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()
    assert case.severity.name in english
