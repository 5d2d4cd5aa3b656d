"""Customer case pages through Django's test client, htmx partials included."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation

from accounts.principals import SYSTEM
from cases import lifecycle, services
from cases.models import Case, CaseStatus, Communication
from core.errors import SupportApiError
from tests import factories

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def root_client(client, business_account):
    client.force_login(factories.root_of(business_account))
    return client


@pytest.fixture
def iam_client(client, business_account):
    user = factories.make_iam_user(business_account, email="iam@example.com")
    client.force_login(user)
    return client


def create_payload(**overrides):
    data = {
        "case_type": "technical",
        "service": "amazon-elastic-compute-cloud-linux",
        "category": "instance-issue",
        "severity": "high",
        "subject": "Instance unreachable",
        "description": "Since 09:00 UTC, no SSH.",
        "cc": "",
        "language": "en",
        "contact_method": "web",
        "callback_number": "",
        "callback_when": "",
        "extra_field_value": "i-0123456789abcdef0",
    }
    data.update(overrides)
    return data


def test_anonymous_users_are_sent_to_sign_in(client, reference_data) -> None:
    for url in (reverse("cases:list"), reverse("cases:create")):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("accounts:sign-in"))


def test_severities_read_naturally_in_japanese(root_client, business_account) -> None:
    # "4 時間以内", not "4 時間 以内": the unit and 以内 are one phrase.
    page = root_client.get(reverse("cases:create"), HTTP_ACCEPT_LANGUAGE="ja").content.decode()
    assert "本番システムの障害 (初回応答 4 時間以内)" in page


def test_create_case_end_to_end(root_client, business_account) -> None:
    page = root_client.get(reverse("cases:create"))
    assert page.status_code == 200
    assert b"Production system impaired" in page.content
    assert b"first response within 4 hours" in page.content
    log = SimpleUploadedFile("trace.log", b"stack trace", content_type="text/plain")
    response = root_client.post(
        reverse("cases:create"),
        {**create_payload(cc="ops@example.com; dev@example.com"), "attachments": [log]},
    )
    case = Case.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("cases:detail", args=[case.case_id])
    assert case.cc_email_addresses == ["ops@example.com", "dev@example.com"]
    assert case.extra_field_value == "i-0123456789abcdef0"
    communication = Communication.objects.get(case=case)
    attachment = communication.attachment_set.attachments.get()
    detail = root_client.get(response["Location"])
    assert b"Instance unreachable" in detail.content
    assert attachment.file_name.encode() in detail.content
    download = root_client.get(
        reverse("cases:attachment", args=[case.case_id, attachment.attachment_id])
    )
    assert download["Content-Disposition"].startswith("attachment")
    assert download["X-Content-Type-Options"] == "nosniff"
    assert b"".join(download.streaming_content) == b"stack trace"


def test_rejected_form_keeps_what_was_typed(root_client) -> None:
    response = root_client.post(
        reverse("cases:create"),
        create_payload(subject="Keep me", description="My long description", severity="critical"),
    )
    assert response.status_code == 200
    assert b"Keep me" in response.content and b"My long description" in response.content
    assert b"Select a valid choice" in response.content  # critical is not on the Business plan
    response = root_client.post(
        reverse("cases:create"), create_payload(cc="not-an-address", subject="Still here")
    )
    assert b"Invalid email address" in response.content and b"Still here" in response.content
    big = SimpleUploadedFile("big.bin", b"x" * (5 * 1024 * 1024 + 1))
    response = root_client.post(reverse("cases:create"), {**create_payload(), "attachments": [big]})
    assert b"larger than 5 MB" in response.content
    files = [SimpleUploadedFile(f"f{i}.txt", b"x") for i in range(4)]
    response = root_client.post(reverse("cases:create"), {**create_payload(), "attachments": files})
    assert b"at most 3 files" in response.content
    response = root_client.post(reverse("cases:create"), create_payload(contact_method="phone"))
    assert b"Enter the number we should call" in response.content
    assert not Case.objects.exists()


def test_iam_users_must_give_a_cc(iam_client) -> None:
    page = iam_client.get(reverse("cases:create"))
    assert b"iam@example.com" in page.content  # prefilled with their own address
    response = iam_client.post(reverse("cases:create"), create_payload(cc=""))
    assert response.status_code == 200
    assert b"This field is required" in response.content
    assert not Case.objects.exists()


def test_a_bad_cc_is_flagged_with_the_other_mistakes(root_client) -> None:
    """All the form's mistakes show at once: a CC address that is not one is not left for a
    second submission once the rest is fixed."""
    response = root_client.post(
        reverse("cases:create"), create_payload(description="", cc="ops@example.com, not-an-email")
    )
    page = response.content.decode()
    assert "This field is required" in page
    assert "Invalid email address in the CC list: not-an-email." in page
    assert 'value="ops@example.com, not-an-email"' in page
    assert not Case.objects.exists()


def test_basic_plan_cannot_open_technical_cases(client, reference_data) -> None:
    basic = factories.make_account("basic")
    client.force_login(factories.root_of(basic))
    page = client.get(reverse("cases:create"))
    assert b'value="technical"' not in page.content
    response = client.post(reverse("cases:create"), create_payload(severity="low"))
    assert response.status_code == 200
    assert not Case.objects.exists()


def test_catalog_partial_loads_categories(root_client) -> None:
    response = root_client.get(
        reverse("cases:create-options"),
        {
            "case_type": "technical",
            "service": "amazon-elastic-compute-cloud-linux",
            "category": "instance-issue",
        },
        **HTMX,
    )
    assert response.status_code == 200
    assert b'id="catalog"' in response.content
    assert b"Instance Issue" in response.content
    assert b"<html" not in response.content


def test_case_list_filters_search_and_pages(root_client, business_account, root) -> None:
    first = factories.make_case(business_account, root, subject="Alpha outage")
    second = factories.make_case(
        business_account, root, subject="Beta question", severity_code="urgent"
    )
    services.case_add_communication(case=second, actor=root, body="mentions zebra")
    services.case_resolve(case=first, actor=root)
    page = root_client.get(reverse("cases:list"))
    assert b"Beta question" in page.content and b"Alpha outage" not in page.content
    assert b"Alpha outage" in root_client.get(reverse("cases:list"), {"state": "all"}).content
    found = root_client.get(reverse("cases:list"), {"q": "zebra", "state": "all"}, **HTMX)
    assert b"Beta question" in found.content and b"Alpha outage" not in found.content
    assert b"<html" not in found.content
    by_severity = root_client.get(reverse("cases:list"), {"severity": "low", "state": "all"})
    assert b"Alpha outage" in by_severity.content and b"Beta question" not in by_severity.content


@pytest.mark.parametrize("count", [5, 60])
def test_case_list_query_count_does_not_depend_on_size(
    root_client, business_account, root, count, django_assert_num_queries
) -> None:
    for index in range(count):
        factories.make_case(business_account, root, subject=f"case {index}")
    # 1 session; 2 user with account and plan; 3 the plan's severities (filter choices);
    # 4 the page with service (keyset: no count, no separate ids); 5 the page's severities.
    with django_assert_num_queries(5):
        response = root_client.get(reverse("cases:list"))
    assert response.status_code == 200


def test_detail_actions_reply_cc_resolve_reopen(root_client, business_account, root) -> None:
    case = factories.make_case(business_account, root)
    url = reverse("cases:detail", args=[case.case_id])
    reply = root_client.post(
        reverse("cases:reply", args=[case.case_id]),
        {"body": "Here are the logs.", "attachments": [SimpleUploadedFile("a.txt", b"a")]},
    )
    assert reply.status_code == 302
    assert Communication.objects.filter(case=case).count() == 2
    cc = root_client.post(
        reverse("cases:add-cc", args=[case.case_id]), {"cc": "x@example.com"}, **HTMX
    )
    assert cc.status_code == 200 and b"x@example.com" in cc.content and b"<html" not in cc.content
    bad = root_client.post(
        reverse("cases:add-cc", args=[case.case_id]), {"cc": "Name <x@example.com>"}
    )
    assert bad.status_code == 400 and b"Invalid email address" in bad.content
    resolved = root_client.post(reverse("cases:resolve", args=[case.case_id]), **HTMX)
    assert b"Reopen case" in resolved.content
    case.refresh_from_db()
    assert case.status == "resolved"
    root_client.post(reverse("cases:reopen", args=[case.case_id]), {"body": "Back again."})
    case.refresh_from_db()
    assert case.status == "reopened"
    assert root_client.get(url).status_code == 200
    assert root_client.get(reverse("cases:resolve", args=[case.case_id])).status_code == 405


def test_user_text_is_escaped(root_client, business_account, root) -> None:
    case = factories.make_case(
        business_account,
        root,
        subject="<script>alert(1)</script>",
        body="<img src=x onerror=alert(1)>",
    )
    page = root_client.get(reverse("cases:detail", args=[case.case_id]))
    assert b"<script>alert(1)</script>" not in page.content
    assert b"&lt;script&gt;" in page.content
    assert b"<img src=x" not in page.content


def test_other_accounts_get_not_found(client, business_account, other_account, root) -> None:
    case = factories.make_case(business_account, root)
    attachment_set = services.attachment_set_add(
        account=business_account,
        attachments=[services.NewAttachment("s.txt", b"secret")],
        actor=root,
    )
    services.case_add_communication(
        case=case, actor=root, body="file", attachment_set=attachment_set
    )
    attachment = attachment_set.attachments.get()
    client.force_login(factories.root_of(other_account))
    for url in (
        reverse("cases:detail", args=[case.case_id]),
        reverse("cases:messages", args=[case.case_id]),
        reverse("cases:attachment", args=[case.case_id, attachment.attachment_id]),
    ):
        assert client.get(url).status_code == 404
        assert client.get(url, **HTMX).status_code == 404
    for name in ("reply", "add-cc", "resolve", "reopen"):
        assert (
            client.post(
                reverse(f"cases:{name}", args=[case.case_id]), {"body": "x", "cc": "a@b.co"}
            ).status_code
            == 404
        )
    case.refresh_from_db()
    assert case.status == "unassigned"
    # The other account's own case cannot serve this attachment either.
    own = factories.make_case(other_account)
    assert (
        client.get(
            reverse("cases:attachment", args=[own.case_id, attachment.attachment_id])
        ).status_code
        == 404
    )


def test_users_without_support_access_see_a_no_access_page(client, business_account) -> None:
    user = factories.make_iam_user(business_account, policy=None)
    client.force_login(user)
    for url in (reverse("cases:list"), reverse("cases:create")):
        response = client.get(url)
        assert response.status_code == 403
        assert b"You do not have access to this page" in response.content
    reader = factories.make_iam_user(business_account, policy="SupportCenterReadOnlyAccess")
    client.force_login(reader)
    assert client.get(reverse("cases:list")).status_code == 200
    assert client.get(reverse("cases:create")).status_code == 403


def test_chat_cases_poll_for_messages(root_client, business_account, root, engineer) -> None:
    case = factories.make_case(business_account, root, contact_method="chat")
    page = root_client.get(reverse("cases:detail", args=[case.case_id]))
    assert b'hx-trigger="every 3s"' in page.content
    services.case_support_reply(
        case=case, actor=engineer, body="Hello from support", next_status="opened"
    )
    partial = root_client.get(reverse("cases:messages", args=[case.case_id]), **HTMX)
    assert b"Hello from support" in partial.content and b"<html" not in partial.content


def test_japanese_interface(root_client) -> None:
    response = root_client.get(reverse("cases:list"), HTTP_ACCEPT_LANGUAGE="ja")
    assert response["Content-Language"] == "ja"
    assert "サポートケース".encode() in response.content


def test_an_iam_user_without_email_opens_cases_copied_to_the_accounts_contacts(
    client, reference_data
) -> None:
    from notifications.models import Notification

    developer = factories.make_account("developer")
    user = factories.make_iam_user(developer, email="")
    client.force_login(user)
    page = client.get(reverse("cases:create")).content.decode()
    assert "Required for IAM users" not in page
    response = client.post(reverse("cases:create"), create_payload(severity="normal", cc=""))
    assert response.status_code == 302, response.content.decode()[:2000]
    case = Case.objects.get()
    root = factories.root_of(developer)
    expected = developer.contact_email or root.email
    assert expected
    sent = Notification.objects.filter(topic=case.case_id)
    assert sent.exists()
    assert all(expected in n.recipients for n in sent)
    # Without a contact address on the account, the root user's address stands in.
    from cases.effects import case_recipients

    developer.contact_email = ""
    developer.save(update_fields=["contact_email"])
    assert case_recipients(Case.objects.select_related("account").get()) == [root.email]


def test_the_create_form_offers_what_the_plan_allows(client, reference_data) -> None:
    developer = factories.make_account("developer")
    client.force_login(factories.root_of(developer))
    page = client.get(reverse("cases:create")).content.decode()
    assert 'name="cc"' not in page
    assert "does not include CC lists" in page
    assert 'name="callback_number"' not in page  # no phone on Developer
    enterprise = factories.make_account("enterprise")
    client.force_login(factories.root_of(enterprise))
    page = client.get(reverse("cases:create")).content.decode()
    assert 'name="cc"' in page and "does not include CC lists" not in page
    assert 'data-shown-for-contact="phone"' in page and 'name="callback_number"' in page
    # An IAM user on Developer gives only their own address, as AWS asks.
    iam = factories.make_iam_user(developer, email="dev-iam@example.com")
    client.force_login(iam)
    page = client.get(reverse("cases:create")).content.decode()
    assert 'name="cc"' in page and "your own email address" in page
    assert "dev-iam@example.com" in page


def test_the_case_page_offers_add_cc_only_where_the_plan_has_cc(client, reference_data) -> None:
    developer = factories.make_account("developer")
    root = factories.root_of(developer)
    case = factories.make_case(developer, factories.principal(root), severity_code="normal")
    client.force_login(root)
    page = client.get(reverse("cases:detail", args=[case.case_id])).content.decode()
    assert "does not include CC lists" in page
    assert reverse("cases:add-cc", args=[case.case_id]) not in page

    business = factories.make_account("business")
    root = factories.root_of(business)
    case = factories.make_case(business, factories.principal(root))
    client.force_login(root)
    page = client.get(reverse("cases:detail", args=[case.case_id])).content.decode()
    form = page[page.index(reverse("cases:add-cc", args=[case.case_id])) :]
    label = form[form.index("<label") : form.index("</label>")]
    assert "*" not in label  # an optional action is not marked required
    response = client.post(reverse("cases:add-cc", args=[case.case_id]), {"cc": "  "})
    assert "Enter the addresses to add." in response.content.decode()


def test_the_case_list_shows_the_deadline_who_opened_it_and_the_last_update(
    client, reference_data
) -> None:
    from core.templatetags.when import when

    account = factories.make_account("business")
    iam = factories.make_iam_user(account, email="opener@example.com")
    case = factories.make_case(account, factories.principal(iam), cc_email_addresses=[])
    client.force_login(factories.root_of(account))
    page = client.get(reverse("cases:list")).content.decode()
    for heading in ("Response due", "Opened by", "Last updated"):
        assert heading in page
    assert case.submitted_by in page  # the root user sees who in the account opened it
    assert case.response_due_at == case.first_response_due_at is not None
    assert str(when(case.response_due_at)) in page


def test_a_refused_cc_address_is_flagged_on_the_cc_field(
    root_client, business_account, root
) -> None:
    # The service names the field cc_email_addresses; the forms call it cc. The error belongs
    # beside the field (aria-describedby points at it), not in the summary at the top of the form.
    response = root_client.post(reverse("cases:create"), create_payload(cc="not-an-address"))
    form = response.context["form"]
    assert form.errors["cc"] == ["Invalid email address in the CC list: not-an-address."]
    assert not form.non_field_errors()
    assert b'id="id_cc_error"' in response.content
    case = factories.make_case(business_account, root)
    addresses = ",".join(f"a{i}@example.com" for i in range(11))
    response = root_client.post(reverse("cases:add-cc", args=[case.case_id]), {"cc": addresses})
    assert response.status_code == 400
    assert response.context["cc_form"].errors["cc"] == ["A case can have at most 10 CC addresses."]
    assert addresses.encode() in response.content


def test_service_errors_with_values_in_them_are_shown_in_japanese(client, reference_data) -> None:
    # The API answers in English; a page shows the same refusal in the reader's language, the
    # values (the address, the day count) filled into the translated sentence.
    ja = {"HTTP_ACCEPT_LANGUAGE": "ja"}
    account = factories.make_account("business")
    case = factories.make_resolved_case(account, days_ago=15)
    client.force_login(factories.root_of(account))
    response = client.post(reverse("cases:reply", args=[case.case_id]), {"body": "Again."}, **ja)
    assert "14 日以上前に解決済みになったため、再オープンできません" in response.content.decode()
    response = client.post(reverse("cases:create"), create_payload(cc="keep@@example.com"), **ja)
    assert response.context["form"].errors["cc"] == [
        "CC リストに無効なメールアドレスがあります: keep@@example.com"
    ]
    empty = SimpleUploadedFile("empty.log", b"")
    response = client.post(
        reverse("cases:create"), {**create_payload(), "attachments": [empty]}, **ja
    )
    assert response.context["form"].errors["attachments"] == ["添付ファイル empty.log は空です。"]
    assert not Case.objects.exclude(pk=case.pk).exists()
    # The lifecycle's refusal too: the statuses in the sentence are translated labels. (The
    # console's reply offers only the statuses a case can take, so no page sends this one.)
    with pytest.raises(SupportApiError) as refused:
        lifecycle.transition(case, to=CaseStatus.PENDING_CUSTOMER_ACTION, actor=SYSTEM)
    with translation.override("ja"):
        assert refused.value.display_message == (
            "ケースを「解決済み」から「お客様の対応待ち」に変更することはできません。"
        )


def test_the_hourly_case_limit_is_shown_in_the_readers_language(
    client, reference_data, settings
) -> None:
    settings.SUPPORTCENTER_CASE_CREATION_LIMIT = 1
    account = factories.make_account("business")
    client.force_login(factories.root_of(account))
    ja = {"HTTP_ACCEPT_LANGUAGE": "ja"}
    assert client.post(reverse("cases:create"), create_payload(), **ja).status_code == 302
    response = client.post(reverse("cases:create"), create_payload(subject="Kept"), **ja)
    page = response.content.decode()
    assert "1 時間あたりに作成できるケースの上限 (1 件) に達しました。" in page
    assert 'value="Kept"' in page  # the customer's subject is still in its field
    assert Case.objects.count() == 1


def test_a_refused_resource_id_field_says_why(root_client) -> None:
    # The category's own field (EC2 instance issues: the instance IDs) is drawn by hand in the
    # template; its error must be too, or the form comes back refused with no reason on it.
    response = root_client.post(
        reverse("cases:create"), create_payload(extra_field_value="i-" + "0" * 1100)
    )
    assert response.status_code == 200
    assert response.context["form"].errors["extra_field_value"]
    assert "at most 1000 characters" in response.content.decode()
    assert not Case.objects.exists()


def test_a_too_long_callback_number_gets_one_error(root_client) -> None:
    response = root_client.post(
        reverse("cases:create"),
        create_payload(
            contact_method="phone", callback_number="+1" + "2" * 40, callback_when="later"
        ),
    )
    errors = response.context["form"].errors
    assert errors["callback_number"] == ["Ensure this value has at most 32 characters (it has 42)."]
    assert errors["callback_when"] == [
        "Select a valid choice. later is not one of the available choices."
    ]
    assert "Enter the number we should call" not in response.content.decode()
