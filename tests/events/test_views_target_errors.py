"""What the rule page says when a target cannot be added: a reason that holds for this
installation, beside the field, with what was typed kept."""

from __future__ import annotations

from django.urls import reverse
from django.utils.html import escape

from events import services
from tests.events.conftest import make_rule


def test_a_plain_http_webhook_is_refused_without_pointing_at_localhost(
    root_client, business_account, settings
) -> None:
    """The old reason said http was allowed for localhost, which production refuses as a
    private address: following the advice only led to a second refusal."""
    settings.EVENTS_ALLOW_HTTP_WEBHOOKS = False  # as in production
    make_rule(business_account, name="mine")
    url = "http://hooks.example.com/in"
    response = root_client.post(
        reverse("events:target-create", args=["mine"]), {"kind": "webhook", "url": url}
    )
    page = response.content.decode()
    assert response.status_code == 400
    assert escape(services.MSG_WEBHOOK_HTTPS) in page
    assert "localhost" not in services.MSG_WEBHOOK_HTTPS
    assert f'value="{url}"' in page
