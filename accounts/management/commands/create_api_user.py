"""Create (if needed) an account and an IAM user with AWSSupportAccess and a new access key.

Prints one JSON object on stdout: {"accountId", "userName", "accessKeyId", "secretAccessKey"}.
"""

import json

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from accounts.managed_policies import MANAGED_SUPPORT_POLICY
from accounts.models import Account, Policy, User
from accounts.principals import principal_for_cli
from accounts.services import (
    access_key_create,
    account_create,
    iam_user_create,
    policy_attach_to_user,
)
from catalog.models import SupportPlan
from core.errors import SupportApiError


class Command(BaseCommand):
    help = "Create an API user (and its account if needed); print its access key as JSON."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--account-id", required=True)
        parser.add_argument("--plan", default="business", help="Plan for a new account.")
        parser.add_argument("--email", help="Root email for a new account.")
        parser.add_argument("--user", default="api-user", help="IAM user name.")
        parser.add_argument("--name", help="Account name for a new account.")

    def handle(self, *args: object, **options: object) -> None:
        account_id = str(options["account_id"])
        user_name = str(options["user"])
        actor = principal_for_cli(None)
        try:
            with transaction.atomic():
                account = Account.objects.filter(account_id=account_id).first()
                if account is None:
                    plan = SupportPlan.objects.filter(code=options["plan"]).first()
                    if plan is None:
                        codes = ", ".join(SupportPlan.objects.values_list("code", flat=True))
                        codes = codes or "(none: run seed_reference_data)"
                        raise CommandError(
                            f"Unknown plan {options['plan']!r}; choose one of: {codes}."
                        )
                    account = account_create(
                        account_id=account_id,
                        name=str(options["name"] or f"Account {account_id}"),
                        plan=plan,
                        root_email=str(options["email"] or f"root+{account_id}@example.com"),
                        root_password=None,
                        actor=actor,
                    )
                policy = Policy.objects.get(account=None, name=MANAGED_SUPPORT_POLICY)
                user = User.objects.filter(account=account, kind="iam", user_name=user_name).first()
                if user is None:
                    user = iam_user_create(
                        account=account, user_name=user_name, policies=[policy], actor=actor
                    )
                elif not user.policies.filter(pk=policy.pk).exists():
                    policy_attach_to_user(user=user, policy=policy, actor=actor)
                key, secret = access_key_create(user=user, actor=actor)
        except SupportApiError as exc:
            raise CommandError(f"{exc.code}: {exc.message}") from None
        except Policy.DoesNotExist:
            raise CommandError(
                "Reference data missing: run `manage.py seed_reference_data`."
            ) from None
        self.stdout.write(
            json.dumps(
                {
                    "accountId": account.account_id,
                    "userName": user.user_name,
                    "accessKeyId": key.access_key_id,
                    "secretAccessKey": secret,
                }
            )
        )
