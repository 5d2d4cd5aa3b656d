"""Test data, built through the services (as every interface builds it)."""

from __future__ import annotations

import itertools
from datetime import timedelta

import factory
from django.utils import timezone

from accounts.models import Account, Policy, User
from accounts.principals import SYSTEM, Principal
from accounts.services import account_create, engineer_create, iam_user_create
from cases import lifecycle
from cases import services as case_services
from cases.models import Case, CaseStatus
from catalog.models import SupportPlan
from macros import services as macro_services
from macros.models import Macro

_account_ids = itertools.count(100000000001)
_counter = itertools.count(1)

PASSWORD = "correct-horse-battery"


def make_account(plan: str = "business", **kwargs: object) -> Account:
    account_id = str(kwargs.pop("account_id", None) or next(_account_ids))
    return account_create(
        account_id=account_id,
        name=str(kwargs.pop("name", f"Account {account_id}")),
        plan=SupportPlan.objects.get(code=plan),
        root_email=str(kwargs.pop("root_email", f"root-{account_id}@example.com")),
        root_password=PASSWORD,
        actor=SYSTEM,
        **kwargs,  # type: ignore[arg-type]
    )


def root_of(account: Account) -> User:
    return User.objects.get(account=account, kind="root")


def principal(user: User, via: str = "console", **kwargs: str) -> Principal:
    return Principal(user=user, via=via, **kwargs)


def make_iam_user(account: Account, *, policy: str | None = "AWSSupportAccess", **kwargs) -> User:
    policies = [Policy.objects.get(account=None, name=policy)] if policy else []
    return iam_user_create(
        account=account,
        user_name=kwargs.pop("user_name", f"user{next(_counter)}"),
        password=kwargs.pop("password", PASSWORD),
        email=kwargs.pop("email", ""),
        policies=policies,
        actor=SYSTEM,
    )


def make_engineer(**kwargs: object) -> User:
    return engineer_create(
        email=str(kwargs.pop("email", f"engineer{next(_counter)}@example.com")),
        password=PASSWORD,
        is_superuser=bool(kwargs.pop("is_superuser", False)),
        actor=SYSTEM,
    )


def make_case(account: Account, actor: Principal | None = None, **kwargs: object) -> Case:
    actor = actor or principal(root_of(account))
    fields = {
        "subject": "Instance unreachable",
        "service_code": "amazon-elastic-compute-cloud-linux",
        "category_code": "instance-issue",
        "severity_code": "low",
        "body": "It stopped answering at 09:00 UTC.",
    }
    fields.update(kwargs)
    return case_services.case_create(actor=actor, account=account, **fields)  # type: ignore[arg-type]


def make_resolved_case(account: Account, days_ago: float) -> Case:
    """A case resolved `days_ago` days ago (reopening is refused after fourteen)."""
    root = principal(root_of(account))
    case = make_case(account, root, subject="Disk full")
    lifecycle.transition(case, to=CaseStatus.RESOLVED, actor=root)
    Case.objects.filter(pk=case.pk).update(resolved_at=timezone.now() - timedelta(days=days_ago))
    return Case.objects.get(pk=case.pk)


def make_macro(name: str | None = None, **values: object) -> Macro:
    fields: dict[str, object] = {
        "name": name or f"Macro {next(_counter)}",
        "body": "Hello {customer_name}, about case {display_id}: we are on it.",
    }
    fields.update(values)
    return macro_services.macro_save(macro=None, values=fields, actor=SYSTEM)


class SeverityFactory(factory.django.DjangoModelFactory):
    """For tests about the model itself (the reference data covers the rest)."""

    class Meta:
        model = "catalog.Severity"

    code = factory.Sequence(lambda n: f"sev{n}")
    name = factory.Sequence(lambda n: f"Severity {n}")
    level = factory.Sequence(lambda n: 100 + n)
