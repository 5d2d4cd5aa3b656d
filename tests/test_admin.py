"""The admin site writes through the services: operators' changes are audited with their
identity and obey the rules the customer pages and the API obey. More in
tests/accounts/test_admin.py (users, policies, groups, keys), tests/catalog/test_admin.py
(reference data) and tests/macros/test_admin.py (canned responses)."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse
from django.utils import translation
from django.utils.text import capfirst

from accounts import services as account_services
from accounts.models import Account, IamGroup, User
from accounts.principals import SYSTEM
from accounts.services.iam import MSG_GROUP_OTHER_ACCOUNT
from audit.models import AuditEvent
from catalog.models import PlanSeverity, SupportPlan
from events import services as event_services
from events.models import EventRule
from tests import factories
from tests.admin_pages import (
    OPERATOR_ARN,
    change_url,
    customer_policy,
    delete_url,
    form_data,
    make_operator,
    page_labels,
    post_change,
    records,
)


@pytest.fixture
def operator(reference_data) -> User:
    return make_operator()


@pytest.fixture
def admin_client_(client, operator):
    client.force_login(operator)
    return client


# --- accounts -----------------------------------------------------------------------------------


def test_changing_an_accounts_plan_is_audited_with_the_operator(
    admin_client_, business_account
) -> None:
    enterprise = SupportPlan.objects.get(code="enterprise")
    response = post_change(admin_client_, business_account, plan=str(enterprise.pk))
    assert response.status_code == 302
    business_account.refresh_from_db()
    assert business_account.plan == enterprise
    [record] = records("UpdateSupportPlan")
    assert (record.principal_arn, record.recipient_account_id, record.request_parameters) == (
        OPERATOR_ARN,
        business_account.account_id,
        {"plan": "enterprise"},
    )
    assert record.user_identity["invokedBy"] == "support.amazonaws.com"
    # Only the plan changed: no UpdateAccount record for untouched settings.
    assert records("UpdateAccount") == []


def test_account_settings_are_validated_and_audited(admin_client_, business_account) -> None:
    refused = post_change(admin_client_, business_account, country="XX")
    assert refused.status_code == 200
    assert b"Unknown country code" in refused.content
    business_account.refresh_from_db()
    assert business_account.country == "US"
    assert records("UpdateAccount") == []

    response = post_change(
        admin_client_, business_account, country="jp", time_zone="Asia/Tokyo", is_active=False
    )
    assert response.status_code == 302
    business_account.refresh_from_db()
    assert (business_account.country, business_account.time_zone) == ("JP", "Asia/Tokyo")
    assert not business_account.is_active
    [record] = records("UpdateAccount")
    assert record.principal_arn == OPERATOR_ARN
    assert record.recipient_account_id == business_account.account_id
    assert record.request_parameters == {
        "accountId": business_account.account_id,
        "country": "JP",
        "timeZone": "Asia/Tokyo",
        "isActive": False,
    }
    assert records("UpdateSupportPlan") == []


def test_deactivating_a_user_from_the_account_page_is_audited(
    admin_client_, business_account
) -> None:
    alice = factories.make_iam_user(business_account, user_name="alice")
    page = admin_client_.get(change_url(business_account))
    data = form_data(page)
    forms = page.context["inline_admin_formsets"][0].formset.forms
    [index] = [i for i, form in enumerate(forms) if form.instance.pk == alice.pk]
    data.pop(f"users-{index}-is_active")
    response = admin_client_.post(change_url(business_account), data)
    assert response.status_code == 302
    alice.refresh_from_db()
    assert not alice.is_active
    [record] = records("UpdateUser")
    assert (record.principal_arn, record.recipient_account_id, record.request_parameters) == (
        OPERATOR_ARN,
        business_account.account_id,
        {"userName": "alice", "isActive": False},
    )


def test_accounts_cannot_be_deleted_from_the_admin(admin_client_, business_account) -> None:
    response = admin_client_.post(delete_url(business_account), {"post": "yes"})
    assert response.status_code == 403
    assert Account.objects.filter(pk=business_account.pk).exists()


# --- IAM groups: the cross-account rule ---------------------------------------------------------


def test_a_group_refuses_another_accounts_user(
    admin_client_, business_account, other_account
) -> None:
    group = account_services.group_create(account=business_account, name="team", actor=SYSTEM)
    stranger = factories.make_iam_user(other_account, user_name="stranger")
    response = post_change(admin_client_, group, members=[str(stranger.pk)])
    assert response.status_code == 200
    assert MSG_GROUP_OTHER_ACCOUNT.encode() in response.content
    assert list(group.members.all()) == []
    assert records("AddUserToGroup") == []


def test_a_new_group_refuses_another_accounts_user(
    admin_client_, business_account, other_account
) -> None:
    stranger = factories.make_iam_user(other_account, user_name="stranger")
    response = admin_client_.post(
        reverse("admin:accounts_iamgroup_add"),
        {"account": str(business_account.pk), "name": "team", "members": [str(stranger.pk)]},
    )
    assert response.status_code == 200
    assert MSG_GROUP_OTHER_ACCOUNT.encode() in response.content
    assert not IamGroup.objects.exists()
    assert records("CreateGroup") == records("AddUserToGroup") == []


def test_group_membership_in_the_same_account_is_audited(admin_client_, business_account) -> None:
    alice = factories.make_iam_user(business_account, user_name="alice")
    response = admin_client_.post(
        reverse("admin:accounts_iamgroup_add"),
        {"account": str(business_account.pk), "name": "team", "members": [str(alice.pk)]},
    )
    assert response.status_code == 302
    group = IamGroup.objects.get()
    assert (group.account, group.name, list(group.members.all())) == (
        business_account,
        "team",
        [alice],
    )
    account_id = business_account.account_id
    audited = [
        (r.event_name, r.principal_arn, r.recipient_account_id, r.request_parameters)
        for r in records("CreateGroup") + records("AddUserToGroup")
    ]
    assert audited == [
        ("CreateGroup", OPERATOR_ARN, account_id, {"groupName": "team"}),
        ("AddUserToGroup", OPERATOR_ARN, account_id, {"groupName": "team", "userName": "alice"}),
    ]

    response = post_change(admin_client_, group, members=[])
    assert response.status_code == 302
    assert list(group.members.all()) == []
    [removed] = records("RemoveUserFromGroup")
    assert (removed.principal_arn, removed.recipient_account_id) == (OPERATOR_ARN, account_id)
    assert removed.request_parameters == {"groupName": "team", "userName": "alice"}


def test_a_group_refuses_another_accounts_policy(
    admin_client_, business_account, other_account
) -> None:
    group = account_services.group_create(account=business_account, name="team", actor=SYSTEM)
    theirs = customer_policy(other_account, "theirs")
    ours = customer_policy(business_account, "ours")
    response = post_change(admin_client_, group, policies=[str(theirs.pk)])
    assert response.status_code == 200
    assert b"Policy theirs belongs to another account." in response.content
    assert list(group.policies.all()) == []
    assert records("AttachGroupPolicy") == []

    response = post_change(admin_client_, group, policies=[str(ours.pk)])
    assert response.status_code == 302
    assert list(group.policies.all()) == [ours]
    [record] = records("AttachGroupPolicy")
    assert (record.principal_arn, record.request_parameters) == (
        OPERATOR_ARN,
        {"groupName": "team", "policyArn": ours.arn},
    )


# --- users and policies -------------------------------------------------------------------------


def test_a_user_refuses_another_accounts_policy(
    admin_client_, business_account, other_account
) -> None:
    alice = factories.make_iam_user(business_account, user_name="alice", policy=None)
    theirs = customer_policy(other_account, "theirs")
    response = post_change(admin_client_, alice, policies=[str(theirs.pk)])
    assert response.status_code == 200
    assert b"Policy theirs belongs to another account." in response.content
    assert list(alice.policies.all()) == []
    assert records("AttachUserPolicy") == []


# --- reference data -----------------------------------------------------------------------------


def test_a_plans_response_time_target_edit_is_audited(admin_client_) -> None:
    plan = SupportPlan.objects.get(code="business")
    page = admin_client_.get(change_url(plan))
    data = form_data(page)
    forms = page.context["inline_admin_formsets"][0].formset.forms
    [index] = [i for i, form in enumerate(forms) if form.instance.severity.code == "urgent"]
    previous = forms[index].instance.response_minutes
    data[f"plan_severities-{index}-response_minutes"] = "45"
    response = admin_client_.post(change_url(plan), data)
    assert response.status_code == 302
    assert PlanSeverity.objects.get(plan=plan, severity__code="urgent").response_minutes == 45
    [record] = records("PutResponseTimeTarget")
    assert (record.principal_arn, record.recipient_account_id, record.request_parameters) == (
        OPERATOR_ARN,
        "",
        {
            "planCode": "business",
            "severityCode": "urgent",
            "responseMinutes": 45,
            "nextReplyMinutes": 60,
            "previousResponseMinutes": previous,
            "previousNextReplyMinutes": 60,
        },
    )
    # The plan's own fields did not change, so the plan has no record.
    assert records("PutSupportPlan") == []


# --- read-only admins ---------------------------------------------------------------------------


@pytest.fixture
def history(business_account) -> dict[str, Any]:
    root = factories.principal(factories.root_of(business_account))
    case = factories.make_case(business_account, root)
    rule = event_services.rule_create(
        account=business_account,
        actor=root,
        name="case-updates",
        event_pattern={"source": ["aws.support"]},
    )
    return {"audit": AuditEvent.objects.order_by("pk").first(), "case": case, "rule": rule}


@pytest.mark.parametrize("name", ["audit", "case", "rule"])
def test_read_only_admins_refuse_changes_and_deletes(admin_client_, history, name) -> None:
    obj = history[name]
    model = type(obj)
    before = model.objects.values().get(pk=obj.pk)
    assert admin_client_.get(change_url(obj)).status_code == 200
    assert admin_client_.post(change_url(obj), {"name": "changed"}).status_code == 403
    assert admin_client_.post(delete_url(obj), {"post": "yes"}).status_code == 403
    add_url = reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_add")
    assert admin_client_.post(add_url, {}).status_code == 403
    assert model.objects.values().get(pk=obj.pk) == before
    assert EventRule.objects.count() == 1


ADDABLE = {
    "accounts.Account",
    "accounts.User",
    "accounts.Policy",
    "accounts.IamGroup",
    "macros.Macro",
} | {
    f"catalog.{name}" for name in ("Service", "Category", "SupportPlan", "Severity", "PlanSeverity")
}


def test_every_admin_page_renders(admin_client_, history) -> None:
    """Every project model's changelist, add page and the change page of its rows answer (the
    add page only where operators may add), and every project admin writes through services or
    not at all."""
    from django.contrib import admin

    from core.admin import ReadOnlyAdmin, ServiceBackedAdmin

    factories.make_iam_user(history["case"].account, user_name="alice")
    account_services.group_create(account=history["case"].account, name="team", actor=SYSTEM)
    factories.make_macro("Need logs")
    checked = set()
    for model, model_admin in admin.site._registry.items():
        opts = model._meta
        if opts.app_label in ("auth", "axes"):
            continue  # Django's and django-axes' own admins
        checked.add(opts.label)
        assert isinstance(model_admin, ReadOnlyAdmin | ServiceBackedAdmin), opts.label
        prefix = f"admin:{opts.app_label}_{opts.model_name}"
        assert admin_client_.get(reverse(f"{prefix}_changelist")).status_code == 200, opts.label
        add = admin_client_.get(reverse(f"{prefix}_add"))
        assert add.status_code == (200 if opts.label in ADDABLE else 403), opts.label
        for row in model._default_manager.all()[:5]:
            assert admin_client_.get(change_url(row)).status_code == 200, (opts.label, row)
    assert ADDABLE < checked


# --- the admin in the operator's language ---------------------------------------------------------

# Every page is translated, django-axes' too (its lockout records: accounts/lockouts.py).
UNTRANSLATED_APPS: set[str] = set()
# The action menu's empty choice, written the same in every language.
SAME_IN_EVERY_LANGUAGE = {"---------"}


def test_the_admin_is_japanese_for_a_japanese_operator(admin_client_, history) -> None:
    """Every page an operator reaches from the index (the index, each model's list, add page
    and first row) has, in Japanese, none of the titles, headers and labels it has in English."""
    from django.contrib import admin

    pages: list[tuple[str, set[str]]] = [(reverse("admin:index"), set())]
    # The navigation beside every page lists the untranslated apps' names too.
    untranslated = set(SAME_IN_EVERY_LANGUAGE)
    for model, model_admin in admin.site._registry.items():
        opts = model._meta
        if opts.app_label in UNTRANSLATED_APPS:
            with translation.override("en"):
                untranslated |= {
                    str(opts.app_config.verbose_name),
                    capfirst(opts.verbose_name_plural),
                }
            continue
        with translation.override("en"):
            english = [str(opts.verbose_name), str(opts.verbose_name_plural)]
            english.append(str(opts.app_config.verbose_name))
        with translation.override("ja"):
            japanese = [str(opts.verbose_name), str(opts.verbose_name_plural)]
            japanese.append(str(opts.app_config.verbose_name))
        assert all(en != ja for en, ja in zip(english, japanese, strict=True)), english
        prefix = f"admin:{opts.app_label}_{opts.model_name}"
        pages += [(reverse(f"{prefix}_changelist"), set()), (reverse(f"{prefix}_add"), set())]
        # A change page's breadcrumbs end with its row, and its inlines head theirs: data.
        inline_rows = {str(r) for i in model_admin.inlines for r in i.model._default_manager.all()}
        for row in model._default_manager.all()[:1]:
            pages.append((change_url(row), {str(row), *inline_rows}))
    for url, data in pages:
        en = admin_client_.get(url, HTTP_ACCEPT_LANGUAGE="en")
        if en.status_code == 403:
            continue  # an add page operators do not have
        ja = admin_client_.get(url, HTTP_ACCEPT_LANGUAGE="ja")
        left = page_labels(en.content.decode()) & page_labels(ja.content.decode())
        assert left <= untranslated | data, (url, left - untranslated - data)


def test_the_admins_japanese_words(admin_client_, history) -> None:
    index = admin_client_.get(reverse("admin:index"), HTTP_ACCEPT_LANGUAGE="ja").content.decode()
    for text in ("サポートセンター管理", "サービスカタログ", "サポートプラン", "重要度", "ケース"):
        assert text in index, text
    plans = admin_client_.get(
        reverse("admin:catalog_supportplan_changelist"), HTTP_ACCEPT_LANGUAGE="ja"
    ).content.decode()
    assert {"サポートプラン", "コード", "技術サポートのケース"} <= page_labels(plans)
    cases = admin_client_.get(
        reverse("admin:cases_case_changelist"), HTTP_ACCEPT_LANGUAGE="ja"
    ).content.decode()
    labels = page_labels(cases)
    assert {"表示 ID", "件名", "ステータス", "重要度", "作成日時"} <= labels
    assert "選択したケースにリーガルホールドを設定" in labels
    # django-axes' lockout records, whose own catalogue has no Japanese (accounts/lockouts.py).
    attempts = admin_client_.get(
        reverse("admin:axes_accessattempt_changelist"), HTTP_ACCEPT_LANGUAGE="ja"
    ).content.decode()
    assert {"サインインのロックアウト", "アクセス試行"} <= page_labels(attempts)
