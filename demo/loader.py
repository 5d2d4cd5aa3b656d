"""The demo tenant: one account per plan, each with a root user and an IAM user with Support
access, a support engineer, cases in different statuses with correspondence, Trusted Advisor
connected to the moto sample environment, and a few canned responses for the console.

Built entirely through the services, like any other interface. Idempotent: an account that
already exists is left alone, so loading twice changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

from django.db import transaction

from accounts.models import Account, Policy, User
from accounts.principals import SYSTEM, Principal
from accounts.services import account_create, engineer_create, iam_user_create
from advisor import services as advisor
from cases import services as case_services
from cases.models import CaseStatus
from catalog.models import SupportPlan
from connections import sample
from connections import services as connections
from events import services as events
from macros.models import Macro
from macros.services import macro_save

DEMO_PASSWORD = "support-center-demo"
ENGINEER_EMAIL = "engineer@example.com"


@dataclass(frozen=True)
class DemoAccount:
    account_id: str
    name: str
    plan: str
    country: str
    time_zone: str

    @property
    def root_email(self) -> str:
        return f"root+{self.plan}@example.com"


DEMO_ACCOUNTS = [
    DemoAccount("111111111111", "Basic Bakery", "basic", "US", "America/New_York"),
    DemoAccount("222222222222", "Developer Dojo", "developer", "JP", "Asia/Tokyo"),
    DemoAccount("333333333333", "Business Bikes", "business", "GB", "Europe/London"),
    DemoAccount("444444444444", "Enterprise Energy", "enterprise", "US", "America/Los_Angeles"),
]
IAM_USER_NAME = "support-user"


def sign_ins() -> list[dict[str, str]]:
    """What `make run` prints: where and how to sign in."""
    rows = [{"who": "Support engineer", "login": ENGINEER_EMAIL, "password": DEMO_PASSWORD}]
    for demo in DEMO_ACCOUNTS:
        rows.append(
            {
                "who": f"{demo.name} ({demo.plan}) root user",
                "login": demo.root_email,
                "password": DEMO_PASSWORD,
            }
        )
        rows.append(
            {
                "who": f"{demo.name} ({demo.plan}) IAM user",
                "login": f"{demo.account_id} / {IAM_USER_NAME}",
                "password": DEMO_PASSWORD,
            }
        )
    return rows


def _cases_for(demo: DemoAccount, root: User, iam: User, engineer: User) -> None:
    customer = Principal(user=root, via="console", user_agent="demo-loader")
    iam_customer = Principal(user=iam, via="console", user_agent="demo-loader")
    support = Principal(user=engineer, via="console", user_agent="demo-loader")
    technical = demo.plan != "basic"
    service, category = (
        ("amazon-elastic-compute-cloud-linux", "instance-issue")
        if technical
        else ("billing", "charge-inquiry")
    )
    severities = {
        "basic": "low",
        "developer": "normal",
        "business": "high",
        "enterprise": "critical",
    }
    new_case = case_services.case_create(
        actor=customer,
        account=cast(Account, root.account),  # a root user always has an account
        subject="Instance fails its status checks after a reboot"
        if technical
        else "Question about last month's invoice",
        service_code=service,
        category_code=category,
        severity_code=severities[demo.plan],
        body="Since this morning (09:12 local time) one instance fails the system status check. "
        "Nothing changed in our configuration. What should we look at?"
        if technical
        else "Our invoice shows a charge we do not recognise. Can you explain it?",
    )
    waiting = case_services.case_create(
        actor=iam_customer,
        account=cast(Account, root.account),  # a root user always has an account
        subject="Raise the limit of Elastic IP addresses",
        service_code="service-limit-increase",
        category_code="elastic-ips",
        severity_code="low",
        body="We need 20 Elastic IP addresses in us-east-1 for a launch next month.",
    )
    case_services.case_assign(case=waiting, engineer=engineer, actor=support)
    case_services.case_support_reply(
        case=waiting,
        actor=support,
        body="Thanks for the request. Which region and how many addresses do you need in all?",
        next_status=CaseStatus.PENDING_CUSTOMER_ACTION,
    )
    investigating = case_services.case_create(
        actor=customer,
        account=cast(Account, root.account),  # a root user always has an account
        subject="Account contact details will not save",
        service_code="customer-account",
        category_code="other-account-issues",
        severity_code="low",
        body="Saving the alternate billing contact gives an error every time.",
    )
    case_services.case_support_reply(
        case=investigating,
        actor=support,
        body="We reproduced this and are investigating. We will update you shortly.",
        next_status=CaseStatus.OPENED,
    )
    case_services.case_add_communication(
        case=investigating, actor=customer, body="Thank you, we will wait for your update."
    )
    done = case_services.case_create(
        actor=iam_customer,
        account=cast(Account, root.account),  # a root user always has an account
        subject="How do I close an unused Region's resources?",
        service_code="customer-account",
        category_code="other-account-issues",
        severity_code="low",
        body="We want to make sure nothing is left running in eu-west-3.",
    )
    case_services.case_support_reply(
        case=done,
        actor=support,
        body="You can list resources per Region with the Tag Editor. Let us know if this helps.",
        next_status=CaseStatus.PENDING_CUSTOMER_ACTION,
    )
    case_services.case_add_communication(
        case=done, actor=iam_customer, body="That worked, thank you."
    )
    case_services.case_resolve(case=done, actor=iam_customer)
    del new_case


# The console's canned responses (name, next status, English, Japanese): without any, the
# reply form has no picker and the feature cannot be tried.
DEMO_MACROS = (
    (
        "Ask for details",
        CaseStatus.PENDING_CUSTOMER_ACTION,
        'Hello {customer_name},\n\nThank you for contacting AWS Support about "{subject}". '
        "To look into it, could you send us the IDs of the resources concerned, their Region, "
        "and when (with the time zone) you first saw the problem?\n\nBest regards,\n"
        "{engineer_name}\nAmazon Web Services",
        "{customer_name} 様\n\n「{subject}」についてお問い合わせいただき、ありがとうございます。"
        "調査のため、対象のリソース ID とリージョン、問題に最初に気付かれた日時 (タイムゾーンを"
        "含む) をお知らせいただけますでしょうか。\n\nよろしくお願いいたします。\n"
        "{engineer_name}\nアマゾン ウェブ サービス",
    ),
    (
        "Investigating",
        CaseStatus.OPENED,
        "Hello {customer_name},\n\nThank you for the details. We are investigating case "
        "{display_id} and will update you as soon as we know more.\n\nBest regards,\n"
        "{engineer_name}\nAmazon Web Services",
        "{customer_name} 様\n\n詳細をお知らせいただき、ありがとうございます。ケース "
        "{display_id} を調査しております。詳しいことがわかり次第、ご連絡いたします。\n\n"
        "よろしくお願いいたします。\n{engineer_name}\nアマゾン ウェブ サービス",
    ),
    (
        "Resolved",
        CaseStatus.RESOLVED,
        "Hello {customer_name},\n\nWe believe case {display_id} is resolved. If anything still "
        "needs attention, reply on the case to reopen it.\n\nBest regards,\n"
        "{engineer_name}\nAmazon Web Services",
        "{customer_name} 様\n\nケース {display_id} は解決したものと判断いたしました。引き続き"
        "対応が必要な点がございましたら、ケースに返信して再オープンしてください。\n\n"
        "よろしくお願いいたします。\n{engineer_name}\nアマゾン ウェブ サービス",
    ),
)


def _macros() -> None:
    for position, (name, next_status, body, body_ja) in enumerate(DEMO_MACROS):
        if Macro.objects.filter(name=name).exists():
            continue
        macro_save(
            macro=None,
            values={
                "name": name,
                "body": body,
                "body_ja": body_ja,
                "next_status": next_status.value,
                "position": position,
            },
            actor=SYSTEM,
        )


def _advisor_for(account: Account) -> None:
    """Connect the moto sample environment and queue a first run of every check the plan has,
    so Trusted Advisor shows results as soon as the worker is up."""
    connections.aws_connection_set(
        account=account, actor=SYSTEM, mode="sample", regions=list(sample.SAMPLE_REGIONS)
    )
    # A rule that sends the account's Trusted Advisor and case events to a queue in the sample
    # environment, so the delivery log fills as soon as the first runs finish.
    rule = events.rule_create(
        account=account,
        actor=SYSTEM,
        name="all-events-to-sqs",
        description="Every Trusted Advisor item change and case update, to the sample SQS queue.",
        event_pattern={"source": ["aws.trustedadvisor", "aws.support"]},
    )
    events.target_create(rule=rule, actor=SYSTEM, kind="sqs", arn=sample.EVENTS_QUEUE_ARN)
    for spec in advisor.checks_available(account):
        advisor.advisor_check_refresh(account=account, check_id=spec.id, actor=SYSTEM)


@transaction.atomic
def demo_load() -> list[str]:
    """Load the demo tenant; returns the account ids created (empty when all exist)."""
    engineer = User.objects.filter(login=ENGINEER_EMAIL).first()
    if engineer is None:
        engineer = engineer_create(
            email=ENGINEER_EMAIL,
            password=DEMO_PASSWORD,
            display_name="Sam Engineer",
            actor=SYSTEM,
        )
    support_policy = Policy.objects.get(account=None, name="AWSSupportAccess")
    created = []
    for demo in DEMO_ACCOUNTS:
        if Account.objects.filter(account_id=demo.account_id).exists():
            continue
        account = account_create(
            account_id=demo.account_id,
            name=demo.name,
            plan=SupportPlan.objects.get(code=demo.plan),
            root_email=demo.root_email,
            root_password=DEMO_PASSWORD,
            country=demo.country,
            time_zone=demo.time_zone,
            actor=SYSTEM,
        )
        iam = iam_user_create(
            account=account,
            user_name=IAM_USER_NAME,
            password=DEMO_PASSWORD,
            email=f"{IAM_USER_NAME}+{demo.plan}@example.com",
            policies=[support_policy],
            actor=SYSTEM,
        )
        root = User.objects.get(account=account, kind="root")
        _cases_for(demo, root, iam, engineer)
        _advisor_for(account)
        created.append(demo.account_id)
    # With the accounts, not on every load: a macro an operator deleted stays deleted.
    if created:
        _macros()
    return created
