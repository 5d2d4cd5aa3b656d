"""Reopening a resolved case from its page: with a message within fourteen days, after that
through a new case related to it."""

from __future__ import annotations

from django.urls import reverse

from cases.models import Case
from tests import factories


def test_a_case_reopens_with_a_message_within_fourteen_days(client, reference_data) -> None:
    account = factories.make_account("business")
    case = factories.make_resolved_case(account, days_ago=13)
    client.force_login(factories.root_of(account))
    url = reverse("cases:detail", args=[case.case_id])
    page = client.get(url).content.decode()
    assert "What still needs attention?" in page and "You can reopen this case until" in page
    response = client.post(reverse("cases:reopen", args=[case.case_id]), {"body": ""})
    assert "This field is required" in response.content.decode()
    assert Case.objects.get(pk=case.pk).status == "resolved"
    client.post(reverse("cases:reopen", args=[case.case_id]), {"body": "It filled up again."})
    case.refresh_from_db()
    assert case.status == "reopened"
    assert case.communications.filter(body="It filled up again.").exists()


def test_after_fourteen_days_a_related_case_is_offered_instead(client, reference_data) -> None:
    account = factories.make_account("business")
    case = factories.make_resolved_case(account, days_ago=15)
    client.force_login(factories.root_of(account))
    page = client.get(reverse("cases:detail", args=[case.case_id])).content.decode()
    assert "What still needs attention?" not in page
    # Nor a reply form: a reply would reopen the case, so it could only be refused.
    assert f'action="{reverse("cases:reply", args=[case.case_id])}"' not in page
    link = f"{reverse('cases:create')}?related={case.case_id}"
    assert link in page
    response = client.post(reverse("cases:reopen", args=[case.case_id]), {"body": "Again."})
    assert "can no longer be reopened" in response.content.decode()
    assert Case.objects.get(pk=case.pk).status == "resolved"
    # A reply would reopen it: refused the same way, on the web and through the API's service.
    response = client.post(reverse("cases:reply", args=[case.case_id]), {"body": "Again."})
    assert "can no longer be reopened" in response.content.decode()

    form = client.get(link).content.decode()
    assert f"Related to case {case.display_id}: Disk full" in form
    assert 'value="amazon-elastic-compute-cloud-linux"' in form or "amazon-elastic" in form
    # Another account's case pre-fills nothing, as if it did not exist.
    other = factories.make_account("business")
    client.force_login(factories.root_of(other))
    assert "Related to case" not in client.get(link).content.decode()
