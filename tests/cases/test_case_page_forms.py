"""The forms on a customer's case page, through the test client: each control has its own
label, and what the user typed or chose is either kept or named when it cannot be."""

from __future__ import annotations

import re
from collections import Counter

import pytest
from django.urls import reverse

from cases import services
from tests import factories


@pytest.fixture
def root_client(client, business_account):
    client.force_login(factories.root_of(business_account))
    return client


@pytest.mark.parametrize("contact_method", ["web", "chat"])
def test_a_resolved_case_page_has_one_control_per_id(
    root_client, business_account, root, contact_method
) -> None:
    # A resolved case shows both the reply form and the reopen form; each label must lead to
    # its own textarea, or a click on "What still needs attention?" lands in the reply box.
    case = factories.make_case(business_account, root, contact_method=contact_method)
    services.case_resolve(case=case, actor=root)
    body = root_client.get(reverse("cases:detail", args=[case.case_id])).content.decode()
    ids = Counter(re.findall(r'\sid="([^"]+)"', body))
    assert [name for name, count in ids.items() if count > 1] == []
    reopen = body[body.index('class="reopen"') :]
    reopen = reopen[: reopen.index("</form>")]
    label_for = re.search(r'<label for="([^"]+)">What still needs attention\?', reopen)
    assert label_for is not None
    assert f'<textarea name="body" ' in reopen
    assert f'id="{label_for.group(1)}"' in reopen


def test_an_empty_reopen_keeps_its_error_beside_its_own_field(
    root_client, business_account, root
) -> None:
    case = factories.make_case(business_account, root)
    services.case_resolve(case=case, actor=root)
    response = root_client.post(reverse("cases:reopen", args=[case.case_id]), {"body": " "})
    assert response.status_code == 400
    body = response.content.decode()
    reopen = body[body.index('class="reopen"') :]
    reopen = reopen[: reopen.index("</form>")]
    assert "This field is required." in reopen
    assert 'aria-invalid="true"' in reopen
