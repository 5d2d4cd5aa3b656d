"""The Content-Security-Policy: on every page, htmx fragments, errors and the admin included;
attachments keep their own stricter sandbox; templates hold nothing the policy would block.
The browser checks that nothing is reported in practice (tests/test_browser_csp.py)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.urls import reverse

from accounts.principals import SYSTEM
from accounts.services import engineer_create
from cases import services
from cases.http import SANDBOX_CSP
from cases.services import NewAttachment
from tests import factories

TEMPLATES = Path(__file__).resolve().parent.parent.parent / "templates"
HTMX = {"HTTP_HX_REQUEST": "true"}


def directives(header: str) -> dict[str, set[str]]:
    parsed = {}
    for part in header.split(";"):
        name, *values = part.split()
        parsed[name] = set(values)
    return parsed


def assert_site_policy(response) -> None:
    policy = directives(response["Content-Security-Policy"])
    assert policy["default-src"] == {"'none'"}
    assert policy["script-src"] == {"'self'"}
    assert policy["style-src"] == {"'self'"}
    assert policy["frame-ancestors"] == {"'none'"}
    assert policy["object-src"] == {"'none'"}
    assert policy["base-uri"] == {"'none'"}
    assert policy["form-action"] == {"'self'"}


def test_every_kind_of_page_carries_the_policy(client, business_account, engineer) -> None:
    case = factories.make_case(business_account, contact_method="chat")
    for url in ("/", reverse("accounts:sign-in"), "/no-such-page/", "/livez"):
        assert_site_policy(client.get(url))
    client.force_login(factories.root_of(business_account))
    assert_site_policy(client.get(reverse("cases:list")))
    assert_site_policy(client.get(reverse("cases:list"), **HTMX))
    assert_site_policy(client.get(reverse("cases:detail", args=[case.case_id])))
    client.force_login(engineer.user)
    assert_site_policy(client.get(reverse("console:queue")))
    operator = engineer_create(
        email="operator@example.com", actor=SYSTEM, password="x-operator-1", is_superuser=True
    )
    client.force_login(operator)
    assert_site_policy(client.get(reverse("admin:index")))


def test_api_answers_carry_no_page_policy(client, db) -> None:
    """The AWS API answers JSON no browser renders; its answers skip the page policy (as
    AWS's do), while the same path's page (GET /) keeps it."""
    response = client.post(
        "/",
        data=b"{}",
        content_type="application/x-amz-json-1.1",
        HTTP_X_AMZ_TARGET="AWSSupport_20130415.DescribeServices",
    )
    assert response["Content-Type"].startswith("application/x-amz-json-1.1")
    assert "Content-Security-Policy" not in response
    assert response["X-Content-Type-Options"] == "nosniff"
    assert_site_policy(client.get("/"))


def test_attachments_keep_their_stricter_sandbox(client, business_account, engineer) -> None:
    case = factories.make_case(business_account)
    services.case_support_reply_with_files(
        case=case,
        actor=engineer,
        body="See the log",
        next_status="pending-customer-action",
        files=[NewAttachment(file_name="note.txt", data=b"hello")],
    )
    attachment = case.communications.get(attachment_set__isnull=False).attachment_set
    url = reverse(
        "cases:attachment", args=[case.case_id, attachment.attachments.get().attachment_id]
    )
    client.force_login(factories.root_of(business_account))
    download = client.get(url)
    assert download["Content-Security-Policy"] == "default-src 'none'; sandbox"
    client.force_login(engineer.user)
    preview = client.get(
        reverse(
            "console:attachment", args=[case.case_id, attachment.attachments.get().attachment_id]
        ),
        {"preview": "1"},
    )
    assert preview["Content-Security-Policy"] == SANDBOX_CSP
    assert "sandbox" in directives(SANDBOX_CSP) and "script-src" not in SANDBOX_CSP


# What the policy blocks, written into a template: an inline script (one with no src, other
# than a JSON data block), an event-handler attribute, a style element or attribute, a
# javascript: URL, htmx attributes that evaluate JavaScript, a trigger filter.
FORBIDDEN = [
    (re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>"), "inline script"),
    (re.compile(r"\son[a-z]+\s*=", re.IGNORECASE), "event handler attribute"),
    (re.compile(r"<style\b|\sstyle\s*=", re.IGNORECASE), "inline style"),
    (re.compile(r"javascript:", re.IGNORECASE), "javascript: URL"),
    (re.compile(r"hx-on|hx-vars|(hx-vals|hx-headers)=['\"]\s*(js|javascript):"), "htmx eval"),
    (re.compile(r"hx-trigger=\"[^\"]*\["), "htmx trigger filter (eval)"),
]


@pytest.mark.parametrize(
    "template",
    [
        path
        for path in sorted(TEMPLATES.rglob("*.html"))
        if "email" not in path.relative_to(TEMPLATES).parts
    ],
    ids=lambda path: str(path.relative_to(TEMPLATES)),
)
def test_templates_hold_nothing_the_policy_blocks(template: Path) -> None:
    text = template.read_text()
    for pattern, what in FORBIDDEN:
        found = pattern.search(text)
        assert found is None, f"{what}: {found.group(0) if found else ''}"
