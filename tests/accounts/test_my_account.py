"""My Account (root user): contact information, alternate contacts that receive the matching
case emails, and the support plan page with its comparison and the plan change."""

from __future__ import annotations

import re

from django.urls import reverse

from accounts.models import AlternateContact
from audit.models import AuditEvent
from cases.models import Case
from notifications.models import Notification
from tests import factories


def test_the_root_user_edits_the_accounts_contact_information(client, reference_data) -> None:
    account = factories.make_account("developer")
    client.force_login(factories.root_of(account))
    page = client.get(reverse("accounts:my-account")).content.decode()
    assert "Contact information" in page and reverse("accounts:my-account") in page
    data = {
        "action": "contact",
        "name": "Example Corp",
        "contact_email": "ops-desk@example.com",
        "contact_phone": "+81 3-1234-5678",
        "country": "JP",
        "time_zone": "Asia/Tokyo",
        "language": "ja",
    }
    bad = client.post(reverse("accounts:my-account"), {**data, "contact_phone": "call me"})
    assert "Enter a phone number" in bad.content.decode()
    assert "Example Corp" in bad.content.decode()  # what was typed stays
    client.post(reverse("accounts:my-account"), data)
    account.refresh_from_db()
    assert (account.name, account.country, account.time_zone, account.language) == (
        "Example Corp",
        "JP",
        "Asia/Tokyo",
        "ja",
    )
    record = AuditEvent.objects.get(event_name="PutContactInformation")
    assert record.event_source == "account.amazonaws.com"
    # The pages stay in the browser's language: the account's default is for its emails.
    iam = factories.make_iam_user(account)
    client.logout()
    signed_in = client.post(
        reverse("accounts:iam-sign-in", args=[account.account_id]),
        {"user_name": iam.user_name, "password": factories.PASSWORD},
    )
    assert signed_in.status_code == 302
    assert "django_language" not in signed_in.cookies


def test_alternate_contacts_get_copies_of_the_matching_case_emails(client, reference_data) -> None:
    account = factories.make_account("business")
    root = factories.root_of(account)
    client.force_login(root)
    for kind, email in (("BILLING", "billing@example.com"), ("OPERATIONS", "ops@example.com")):
        client.post(
            reverse("accounts:my-account"),
            {
                "action": f"put-{kind}",
                f"{kind.lower()}-name": kind.title(),
                f"{kind.lower()}-email": email,
            },
        )
    assert AlternateContact.objects.filter(account=account).count() == 2
    technical = factories.make_case(account, factories.principal(root))
    billing = factories.make_case(
        account,
        factories.principal(root),
        service_code="billing",
        category_code="other-billing-questions",
    )
    assert "ops@example.com" in Notification.objects.get(topic=technical.case_id).recipients
    assert "billing@example.com" not in Notification.objects.get(topic=technical.case_id).recipients
    assert "billing@example.com" in Notification.objects.get(topic=billing.case_id).recipients
    client.post(reverse("accounts:my-account"), {"action": "delete-OPERATIONS"})
    assert not AlternateContact.objects.filter(contact_type="OPERATIONS").exists()


def test_iam_users_cannot_open_my_account(client, reference_data) -> None:
    account = factories.make_account("business")
    client.force_login(factories.make_iam_user(account))
    assert client.get(reverse("accounts:my-account")).status_code == 403


def test_the_plan_page_compares_and_the_root_user_changes_the_plan(client, reference_data) -> None:
    account = factories.make_account("basic")
    root = factories.root_of(account)
    client.force_login(root)
    form = client.get(reverse("cases:create")).content.decode()
    assert "Technical support is not included in the Basic plan" in form
    assert reverse("cases:plan") in form
    page = client.get(reverse("cases:plan")).content.decode()
    for name in ("Basic", "Developer", "Business", "Enterprise"):
        assert name in page
    client.post(reverse("cases:plan"), {"plan": "business"})
    account.refresh_from_db()
    assert account.plan.code == "business"
    assert AuditEvent.objects.filter(event_name="UpdateSupportPlan").exists()
    email = Notification.objects.get(kind="plan-changed")
    assert root.email in email.recipients and "Business" in email.subject
    # Cases opened from now on follow the new plan: technical ones are open to it.
    assert 'value="technical"' in client.get(reverse("cases:create")).content.decode()

    iam = factories.make_iam_user(account)
    client.force_login(iam)
    assert client.get(reverse("cases:plan")).status_code == 200
    assert client.post(reverse("cases:plan"), {"plan": "basic"}).status_code == 403
    account.refresh_from_db()
    assert account.plan.code == "business"
    assert Case.objects.count() == 0


def test_the_plan_page_gives_response_times_as_the_create_form_does(client, reference_data) -> None:
    """The comparison said "1440 minutes" (and "1440 分") where the create form says "24 hours"."""
    account = factories.make_account("business")
    client.force_login(factories.root_of(account))
    page = client.get(reverse("cases:plan")).content.decode()
    assert "General guidance: 24 hours" in page
    assert "Production system down: 1 hour" in page
    assert "Business-critical system down: 15 minutes" in page
    assert "1440" not in page
    japanese = client.get(reverse("cases:plan"), HTTP_ACCEPT_LANGUAGE="ja").content.decode()
    assert "一般的なガイダンス: 24 時間" in japanese
    assert "1440" not in japanese


def test_the_plan_page_costs_the_same_queries_however_many_plans(client, reference_data) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from catalog.models import SupportPlan

    account = factories.make_account("business")
    client.force_login(factories.root_of(account))
    client.get(reverse("cases:plan"))
    with CaptureQueriesContext(connection) as before:
        client.get(reverse("cases:plan"))
    SupportPlan.objects.create(code="extra", name="Extra", position=9)
    with CaptureQueriesContext(connection) as after:
        assert client.get(reverse("cases:plan")).status_code == 200
    # session, user with account and plan, the plans, their severity cells.
    assert len(after.captured_queries) == len(before.captured_queries) == 4


def test_an_address_longer_than_its_column_is_refused_on_the_form(client, reference_data) -> None:
    # Django's validator accepts up to 320 characters; the columns keep 254 (PostgreSQL would
    # refuse the UPDATE: a 500). The form says so instead, with what was typed kept.
    account = factories.make_account("business")
    client.force_login(factories.root_of(account))
    long_address = "a" * 64 + "@" + ("b" * 63 + ".") * 3 + "com"  # 260 characters
    data = {
        "action": "contact",
        "name": "Kept Corp",
        "contact_email": long_address,
        "contact_phone": "",
        "country": "US",
        "time_zone": "UTC",
        "language": "en",
    }
    response = client.post(reverse("accounts:my-account"), data)
    assert response.status_code == 200
    assert response.context["contact_form"].errors["contact_email"] == [
        "Enter a valid email address."
    ]
    assert "Kept Corp" in response.content.decode()
    account.refresh_from_db()
    assert account.contact_email != long_address
    contact = {
        "action": "put-BILLING",
        "billing-name": "Billing desk",
        "billing-email": long_address,
    }
    response = client.post(reverse("accounts:my-account"), contact)
    assert response.status_code == 200
    billing_form = response.context["alternates"][0][2]
    assert billing_form.errors["email"] == ["Enter a valid email address."]
    assert not AlternateContact.objects.filter(account=account).exists()


def test_countries_are_listed_once_each_by_name(client, business_account) -> None:
    client.force_login(factories.root_of(business_account))
    page = client.get(reverse("accounts:my-account")).content.decode()
    assert '<option value="JP">Japan (JP)</option>' in page
    assert '<option value="US" selected>United States (US)</option>' in page
    # The library's other spellings of the same countries are not offered again.
    for alias in ("JPN", "GBR", "UK", "USA"):
        assert f'<option value="{alias}"' not in page
    # ISO 3166's common names, and the countries in the reader's language.
    assert '<option value="TW">Taiwan (TW)</option>' in page
    assert '<option value="XK">Kosovo (XK)</option>' in page
    japanese = client.get(reverse("accounts:my-account"), HTTP_ACCEPT_LANGUAGE="ja")
    assert '<option value="JP">日本 (JP)</option>' in japanese.content.decode()
    assert '<option value="US" selected>米国 (US)</option>' in japanese.content.decode()


def test_japanese_countries_run_in_kana_order(client, business_account) -> None:
    """Names that begin with kanji (日本, 米国, 韓国) file under their reading, among the katakana
    names, not after all of them by code point."""
    client.force_login(factories.root_of(business_account))
    page = client.get(reverse("accounts:my-account"), HTTP_ACCEPT_LANGUAGE="ja").content.decode()
    countries = re.findall(r'<option value="([A-Z]{2})"', page)
    # ナイジェリア, 日本 (にほん), ニュージーランド; 米国 (べいこく), ベトナム, ペルー;
    # ガボン, 韓国 (かんこく), カンボジア: voicing marks count only between otherwise equal names.
    assert countries.index("NG") < countries.index("JP") < countries.index("NZ")
    assert countries.index("US") < countries.index("VN") < countries.index("PE")
    assert countries.index("GA") < countries.index("KR") < countries.index("KH")
    # Kosovo, which ISO 3166 leaves out, is named in Japanese too, and filed among the others.
    assert '<option value="XK">コソボ (XK)</option>' in page
    assert countries.index("CR") < countries.index("XK") < countries.index("CO")
