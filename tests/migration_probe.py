"""Migrate a database made by an earlier schema and check that no row was lost.

Run by tests/test_migrations.py in a process of its own, against a database of its own
(DATABASE_URL): it migrates every app to the schema `BEFORE` names (the last one before the
structural step of issue #11), fills it through the historical models of that schema, migrates
to the newest schema, and prints what it finds there through today's models, as JSON.

The rows cover every table the step moved between apps or changed: plans, severities and the
response-time matrix (accounts -> catalog), audit records (foreign key -> account number),
trails (audit -> cloudtrail), the AWS connection (advisor -> connections) and case emails (case
foreign key -> topic and account).
"""

from __future__ import annotations

import json
import os
import sys
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "supportcenter.settings_test")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.db.migrations.executor import MigrationExecutor  # noqa: E402

BEFORE = [
    ("core", "0001_initial"),
    ("catalog", "0001_initial"),
    ("accounts", "0001_initial"),
    ("cases", "0002_engineer_queue_index"),
    ("audit", "0001_initial"),
    ("awsapi", "0001_initial"),
    ("notifications", "0001_initial"),
    ("advisor", "0001_initial"),
    ("events", "0002_email_confirmation_and_queueing"),
]
WHEN = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)


def fill(apps) -> None:  # type: ignore[no-untyped-def]
    """Rows in the old schema, made through its historical models."""
    model = apps.get_model
    low = model("accounts", "Severity").objects.create(code="low", name="General guidance", level=1)
    urgent = model("accounts", "Severity").objects.create(
        code="urgent", name="Production system down", level=4
    )
    plan = model("accounts", "SupportPlan").objects.create(
        code="business", name="Business", position=3, allows_technical=True, api_access=True
    )
    model("accounts", "PlanSeverity").objects.create(plan=plan, severity=low, response_minutes=1440)
    model("accounts", "PlanSeverity").objects.create(
        plan=plan, severity=urgent, response_minutes=60
    )
    # A target no deadline can reach (saved before targets were bounded, catalog 0008).
    high = model("accounts", "Severity").objects.create(
        code="high", name="Production system impaired", level=3
    )
    model("accounts", "PlanSeverity").objects.create(
        plan=plan, severity=high, response_minutes=10**9
    )
    account = model("accounts", "Account").objects.create(
        account_id="111122223333", name="Example", plan=plan
    )
    root = model("accounts", "User").objects.create(
        login="root@example.com",
        kind="root",
        account=account,
        email="root@example.com",
        principal_id="111122223333",
        password="!",
    )
    model("accounts", "Policy").objects.create(
        account=account, name="ReadCases", document={"Statement": []}, created_at=WHEN
    )
    service = model("catalog", "Service").objects.create(
        code="amazon-ec2", name="EC2", case_type="technical"
    )
    category = model("catalog", "Category").objects.create(
        service=service,
        code="instance-issue",
        name="Instance issue",
        extra_field_label="Instance ID(s)",
    )
    # Shipped names get their Japanese (catalog 0010); a name an operator changed does not
    # ("Instance issue" above).
    account_service = model("catalog", "Service").objects.create(
        code="customer-account", name="Account", case_type="account-and-billing"
    )
    # The shipped link gets its Japanese title (catalog 0012); the links an operator added or
    # retitled, keeping the shipped URL, do not.
    managing = "https://docs.aws.amazon.com/accounts/latest/reference/managing-accounts.html"
    model("catalog", "Category").objects.create(
        service=account_service,
        code="other-account-issues",
        name="Other Account Issues",
        help_links=[
            {"title": "Managing an AWS account", "url": managing},
            {"title": "Our account runbook", "url": "https://wiki.example.com/accounts"},
            {"title": "Managing accounts (internal notes)", "url": managing},
        ],
    )
    case = model("cases", "Case").objects.create(
        account=account,
        case_id="case-111122223333-muen-2026-0123456789abcdef",
        display_id=1000001,
        case_type="technical",
        service=service,
        category=category,
        severity=urgent,
        subject="Instance unreachable",
        submitter=root,
        submitted_by="root@example.com",
    )
    model("cases", "Communication").objects.create(
        case=case,
        communication_id="comm-probe-1",
        body="Kernel panic after the resize.",
        origin="customer",
        submitted_by="root@example.com",
    )
    model("notifications", "Notification").objects.create(
        case=case,
        kind="created",
        recipients=["root@example.com"],
        subject="Case 1000001",
        body_text="Hello",
        next_attempt_at=WHEN,
    )
    audit_event = model("audit", "AuditEvent")
    for account_or_none, name in ((account, "CreateCase"), (None, "PurgeCases")):
        audit_event.objects.create(
            event_time=WHEN,
            event_source="support.amazonaws.com",
            event_name=name,
            event_type="AwsApiCall",
            aws_region="us-east-1",
            account=account_or_none,
        )
    trail = model("audit", "Trail").objects.create(
        account=account, name="org-trail", destination="local", folder="org-trail"
    )
    model("audit", "TrailDelivery").objects.create(
        trail=trail,
        log_key="log.json.gz",
        digest_key="digest.json.gz",
        record_count=1,
        log_hash="a" * 64,
        digest_hash="b" * 64,
        first_event_pk=1,
        last_event_pk=1,
        delivered_at=WHEN,
    )
    model("advisor", "AwsConnection").objects.create(
        account=account, mode="role", role_arn="arn:aws:iam::111122223333:role/Advisor"
    )


def found() -> dict[str, object]:
    """What today's models see after the migration."""
    from accounts.models import Account, PolicyVersion
    from audit.models import AuditEvent
    from cases import search
    from cases.models import Case
    from catalog.models import Category, PlanSeverity, Service, SupportPlan
    from cloudtrail.models import Trail
    from connections.models import AwsConnection
    from notifications.models import Notification

    account = Account.objects.select_related("plan").get(account_id="111122223333")
    case = Case.objects.select_related("severity").get()
    trail = Trail.objects.get()
    connection_row = AwsConnection.objects.get()
    notification = Notification.objects.get()
    return {
        "plans": list(SupportPlan.objects.values_list("code", flat=True)),
        # The plans loaded before got their Japanese names (catalog 0011).
        "plan_name_ja": list(SupportPlan.objects.values_list("name_ja", flat=True)),
        "matrix": sorted(
            PlanSeverity.objects.values_list("plan__code", "severity__code", "response_minutes")
        ),
        "account_plan": account.plan.code,
        "case_severity": case.severity.code,
        # The reference data's extra-field labels gained their Japanese (0007).
        "category_label_ja": Category.objects.get(code="instance-issue").extra_field_label_ja,
        "help_links": Category.objects.get(code="other-account-issues").help_links,
        "names_ja": sorted(Service.objects.values_list("name", "name_ja"))
        + sorted(Category.objects.values_list("name", "name_ja")),
        # Its level copied beside it (0015), for the list's indexed "highest severity" order.
        "case_severity_level": [case.severity_level, case.severity.level],
        "audit": sorted(AuditEvent.objects.values_list("event_name", "recipient_account_id")),
        "trail": [trail.name, trail.account.account_id, trail.deliveries.count()],
        "connection": [connection_row.account.account_id, connection_row.role_arn],
        "notification": [notification.topic, notification.account.account_id],
        # The cases written before search are indexed by the migration that adds it.
        "search": [
            list(search.matching(Case.objects.all(), q).values_list("display_id", flat=True))
            for q in ("unreach*", "panic resiz*", "unrelated")
        ],
        # On PostgreSQL the stored vectors gained their account (0016): one account's matches.
        # Policies saved before versions have their document as v1, the default (accounts 0006).
        "policy_versions": [
            [
                v.policy.name,
                v.version_id,
                v.policy.default_version,
                v.document,
                v.created_at == WHEN,
            ]
            for v in PolicyVersion.objects.select_related("policy")
        ],
        "search_in_account": list(
            search.matching(
                Case.objects.filter(account=account), "unreach*", account_pk=account.pk
            ).values_list("display_id", flat=True)
        ),
    }


def main() -> None:
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    fill(executor.loader.project_state(BEFORE).apps)
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
    print(json.dumps(found()))


if __name__ == "__main__":
    main()
