"""The web entry points and the admin site."""

from __future__ import annotations

import json

import pytest
from django.templatetags.static import static
from django.urls import reverse

from accounts.models import Policy
from catalog.models import PlanSeverity, SupportPlan
from tests import factories


def test_home_and_health(client, reference_data) -> None:
    response = client.get("/")
    assert response.status_code == 200
    assert b"Support Center" in response.content
    assert response["X-Content-Type-Options"] == "nosniff"
    health = client.get("/healthz")
    assert health.json() == {"status": "ok"}
    assert client.get("/livez").content == b"ok"
    # Every POST / is the AWS API: without X-Amz-Target, AWS's JSON error (not a 405 or CSRF page).
    refused = client.post("/")
    assert refused.status_code == 400
    assert json.loads(refused.content)["__type"] == "UnknownOperationException"


def test_the_favicon_browsers_ask_for_is_found(client, reference_data) -> None:
    response = client.get("/favicon.ico")
    assert response.status_code == 302
    assert response["Location"] == static("favicon.svg")


def test_home_speaks_japanese(client, reference_data) -> None:
    response = client.get("/", HTTP_ACCEPT_LANGUAGE="ja")
    assert response["Content-Language"] == "ja"


@pytest.fixture
def admin_client_(client, reference_data):
    user = factories.make_engineer(email="admin@example.com")
    user.is_superuser = True
    user.save(update_fields=["is_superuser"])
    client.force_login(user)
    return client


def test_admin_edits_the_plan_severity_matrix(admin_client_) -> None:
    plan = SupportPlan.objects.get(code="business")
    url = reverse("admin:catalog_supportplan_change", args=[plan.pk])
    page = admin_client_.get(url)
    assert page.status_code == 200
    assert b"Production system down" in page.content
    cell = PlanSeverity.objects.get(plan=plan, severity__code="urgent")
    changelist = reverse("admin:catalog_planseverity_changelist")
    rows = list(PlanSeverity.objects.order_by("plan__position", "severity__level"))
    data = {
        "form-TOTAL_FORMS": str(len(rows)),
        "form-INITIAL_FORMS": str(len(rows)),
        "_save": "Save",
    }
    for index, row in enumerate(rows):
        data[f"form-{index}-id"] = str(row.pk)
        data[f"form-{index}-response_minutes"] = (
            "30" if row.pk == cell.pk else str(row.response_minutes)
        )
        data[f"form-{index}-next_reply_minutes"] = str(row.next_reply_minutes)
    response = admin_client_.post(changelist, data)
    assert response.status_code == 302
    cell.refresh_from_db()
    assert cell.response_minutes == 30


def test_admin_refuses_malformed_policies(admin_client_) -> None:
    url = reverse("admin:accounts_policy_add")
    response = admin_client_.post(
        url,
        {
            "name": "bad",
            "description": "",
            "document": json.dumps(
                {"Statement": [{"Effect": "Allow", "Action": "ec2:*", "Resource": "*"}]}
            ),
        },
    )
    assert response.status_code == 200
    assert b"unknown service prefix" in response.content
    assert not Policy.objects.filter(name="bad").exists()


@pytest.mark.parametrize(
    "name",
    [
        "accounts_account",
        "accounts_user",
        "accounts_accesskey",
        "catalog_severity",
        "catalog_service",
        "cases_case",
        "audit_auditevent",
    ],
)
def test_admin_changelists_render(admin_client_, name) -> None:
    account = factories.make_account("business")
    factories.make_case(account)
    app, model = name.split("_", 1)
    response = admin_client_.get(reverse(f"admin:{app}_{model}_changelist"))
    assert response.status_code == 200


def test_case_text_is_read_only_in_admin(admin_client_) -> None:
    case = factories.make_case(factories.make_account("business"))
    page = admin_client_.get(reverse("admin:cases_case_change", args=[case.pk]))
    assert page.status_code == 200
    assert b'name="subject"' not in page.content
    response = admin_client_.post(
        reverse("admin:cases_case_change", args=[case.pk]), {"subject": "changed"}
    )
    assert response.status_code == 403


def test_pages_vary_on_hx_request(client, reference_data) -> None:
    """A page and its htmx fragment share a URL; caches must keep them apart (Back/Forward
    after an htmx update would otherwise show the fragment as the page)."""
    response = client.get("/signin/")
    assert "HX-Request" in response["Vary"]


# --- main navigation ----------------------------------------------------------------------------

NAV = {
    "cases": ("cases:list", "Your support cases"),
    "create_case": ("cases:create", "Create case"),
    "iam": ("accounts:iam", "IAM"),
    "advisor": ("advisor:dashboard", "Trusted Advisor"),
    "event_history": ("cloudtrail:history", "Event history"),
    "event_rules": ("events:rules", "Event rules"),
}


def _nav_link(section: str) -> str:
    name, label = NAV[section]
    return f'<a href="{reverse(name)}">{label}</a>'


@pytest.mark.parametrize(
    ("policy", "shown"),
    [
        ("AWSSupportAccess", {"cases", "create_case"}),
        ("SupportCenterReadOnlyAccess", {"cases", "advisor"}),
        ("SupportCenterTrustedAdvisorAccess", {"advisor"}),
        ("AmazonEventBridgeReadOnlyAccess", {"event_rules"}),
        (None, set()),
        ("root", set(NAV)),
    ],
)
def test_navigation_links_only_pages_the_user_may_open(
    client, reference_data, policy, shown
) -> None:
    """Every link shown opens (200) and every link hidden would have been a 403: the links use
    the very actions the views require."""
    account = factories.make_account("business")
    if policy == "root":
        client.force_login(factories.root_of(account))
    else:
        client.force_login(factories.make_iam_user(account, policy=policy))
    page = client.get("/").content.decode()
    for section, (name, _label) in NAV.items():
        if section in shown:
            assert _nav_link(section) in page, section
            assert client.get(reverse(name)).status_code == 200, section
        else:
            assert _nav_link(section) not in page, section
            assert client.get(reverse(name)).status_code == 403, section


def test_navigation_for_engineers_and_visitors(client, reference_data) -> None:
    page = client.get("/").content.decode()
    assert all(_nav_link(section) not in page for section in NAV)
    client.force_login(factories.make_engineer())
    page = client.get("/").content.decode()
    assert all(_nav_link(section) not in page for section in NAV)
    assert f'<a href="{reverse("console:queue")}">' in page


def test_navigation_costs_no_query_of_its_own(
    client, reference_data, django_assert_num_queries
) -> None:
    """The decision reuses the policy documents the view has read; the htmx fragments that never
    draw the navigation do not decide at all."""
    account = factories.make_account("business")
    client.force_login(factories.make_iam_user(account, policy="SupportCenterReadOnlyAccess"))
    url = reverse("advisor:dashboard")
    # 1 session; 2 user with account and plan; 3 the user's and its groups' policies (read
    # once for the view and all six links); 4 check states; 5 AWS connection; 6 history.
    with django_assert_num_queries(6):
        response = client.get(url)
    assert _nav_link("advisor") in response.content.decode()
    assert _nav_link("create_case") not in response.content.decode()
    # 1 session; 2 user; 3 policies (the view's own check); 4 whether a run is under way.
    with django_assert_num_queries(4):
        client.get(url, {"part": "progress"}, HTTP_HX_REQUEST="true")


def test_only_operators_are_offered_the_admin_site(client, reference_data) -> None:
    """The admin is the operators' (superusers'): an engineer without it would land on Django's
    "You don't have permission to view or edit anything". Nor does the landing page offer it to
    visitors, or "Sign in" to someone signed in; it leads each to their own pages."""
    admin_link = f'href="{reverse("admin:index")}"'
    page = client.get("/").content.decode()
    assert admin_link not in page
    assert f'href="{reverse("accounts:sign-in")}"' in page

    engineer = factories.make_engineer()
    client.force_login(engineer)
    page = client.get("/").content.decode()
    assert admin_link not in page
    assert client.get(reverse("console:queue")).content.decode().count(admin_link) == 0
    hero = page[page.index('class="hero"') :]
    assert f'href="{reverse("console:queue")}"' in hero
    assert f'href="{reverse("accounts:sign-in")}"' not in hero

    operator = factories.make_engineer(email="operator@example.com")
    operator.is_superuser = True
    operator.save(update_fields=["is_superuser"])
    client.force_login(operator)
    assert admin_link in client.get(reverse("console:queue")).content.decode()
    assert admin_link in client.get("/").content.decode()

    # A customer whose policies do not allow the case list is not sent to it.
    account = factories.make_account("business")
    client.force_login(factories.make_iam_user(account, policy="SupportCenterTrustedAdvisorAccess"))
    hero = client.get("/").content.decode()
    hero = hero[hero.index('class="hero"') :]
    assert f'href="{reverse("cases:list")}"' not in hero
    assert f'href="{reverse("accounts:sign-in")}"' not in hero


def test_the_language_switcher_names_each_language_in_itself(client, reference_data) -> None:
    """Someone who landed on the Japanese pages and reads no Japanese still finds "English"."""
    for accept in ("ja", "en"):
        page = client.get("/", HTTP_ACCEPT_LANGUAGE=accept).content.decode()
        switcher = page[page.index('id="language-select"') :]
        switcher = switcher[: switcher.index("</select>")]
        assert '<option value="en"' in switcher and ">English</option>" in switcher
        assert ">日本語</option>" in switcher
        assert "英語" not in switcher
