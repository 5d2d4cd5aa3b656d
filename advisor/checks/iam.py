"""IAM checks: root MFA, IAM use, the password policy and access key age.

IAM is global, so these rows have no region. The account-level checks (root MFA, IAM use, the
password policy) always report exactly one row for the account, green or not, whose ARN is the
root user's. Their calls are account-level: when one fails nothing could be read, and the run
is abandoned with AWS's message. Access key rows are one per key, so they share the user's ARN
and carry a `key` naming the access key; a user whose keys cannot be listed is ignored.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from botocore.exceptions import ClientError
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from advisor.checks.base import ERROR, OK, WARNING, Environment, Evaluation, Row, check
from advisor.checks.helpers import (
    age_status,
    colour,
    error_code,
    paginate,
    read_resource,
    timestamp,
    yes_no,
)
from advisor.checks.texts import phrase, phrase_template

KEY_YELLOW_AFTER = timedelta(days=90)
KEY_RED_AFTER = timedelta(days=730)  # two years

REASON_KEY_YELLOW = phrase(gettext_noop("Not rotated in more than 90 days."))
REASON_KEY_RED = phrase(gettext_noop("Not rotated in more than 2 years."))
REASON_NO_POLICY = phrase(gettext_noop("No password policy is set."))
REASON_WEAK_POLICY = phrase_template(gettext_noop("The policy does not require: {}."))

# The four character classes of a password policy, in the catalog's column order.
CHARACTER_CLASSES = (
    ("RequireUppercaseCharacters", phrase(gettext_noop("uppercase letters"))),
    ("RequireLowercaseCharacters", phrase(gettext_noop("lowercase letters"))),
    ("RequireNumbers", phrase(gettext_noop("numbers"))),
    ("RequireSymbols", phrase(gettext_noop("non-alphanumeric characters"))),
)

IAM_BEST_PRACTICES = (
    _("Security best practices in IAM"),
    "https://docs.aws.amazon.com/IAM/latest/UserGuide/best-practices.html",
)


def root_arn(env: Environment) -> str:
    return f"arn:aws:iam::{env.account_id}:root"


def _account_row(env: Environment, status: str, metadata: list[str | None]) -> Evaluation:
    return Evaluation(rows=[Row(status=status, arn=root_arn(env), metadata=metadata)], processed=1)


@check(
    "7DAFEmoDos",
    name=_("MFA on Root Account"),
    core=True,
    lead=_(
        "Checks whether the account's root user signs in with multi-factor authentication. The "
        "root user can do anything in the account, so a stolen password alone should not be "
        "enough to use it."
    ),
    criteria=[_("Red: the root user has no MFA device.")],
    action=_(
        "Sign in as the root user and assign it an MFA device, preferably a hardware key or "
        "passkey kept somewhere safe."
    ),
    resources=[
        (
            _("AWS account root user"),
            "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_root-user.html",
        ),
        (
            _("AWS Multi-factor authentication in IAM"),
            "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_mfa.html",
        ),
    ],
)
def root_mfa(env: Environment) -> Evaluation:
    summary = env.client("iam").get_account_summary()["SummaryMap"]
    enabled = int(summary.get("AccountMFAEnabled", 0)) == 1
    return _account_row(env, OK if enabled else ERROR, [])


@check(
    "zXCkfM1nI3",
    name=_("IAM Use"),
    core=True,
    lead=_(
        "Checks that the account has at least one IAM user, a sign that people and programs "
        "are not all sharing the root user's credentials."
    ),
    criteria=[_("Yellow: the account has no IAM users.")],
    action=_(
        "Create IAM users or, better, sign people in through IAM Identity Center, and keep the "
        "root user for the few tasks that need it."
    ),
    resources=[
        IAM_BEST_PRACTICES,
        (_("IAM users"), "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_users.html"),
    ],
)
def iam_use(env: Environment) -> Evaluation:
    has_users = next(paginate(env.client("iam"), "list_users", "Users"), None) is not None
    return _account_row(env, OK if has_users else WARNING, [])


@check(
    "Yw2K9puPzl",
    name=_("IAM Password Policy"),
    lead=_(
        "Checks the account's password policy for IAM users. Requiring a mix of character "
        "classes makes passwords harder to guess."
    ),
    criteria=[
        _(
            "Yellow: a password policy exists but does not require uppercase letters, lowercase "
            "letters, numbers and non-alphanumeric characters."
        ),
        _("Red: the account has no password policy."),
    ],
    action=_(
        "Set a password policy that requires all four character classes and a minimum length "
        "of at least 14 characters."
    ),
    resources=[
        (
            _("Set an account password policy for IAM users"),
            "https://docs.aws.amazon.com/IAM/latest/UserGuide/"
            "id_credentials_passwords_account-policy.html",
        ),
    ],
)
def password_policy(env: Environment) -> Evaluation:
    try:
        policy = env.client("iam").get_account_password_policy()["PasswordPolicy"]
    except ClientError as error:
        if error_code(error) != "NoSuchEntity":
            raise
        return _account_row(
            env, ERROR, ["No", None, None, None, None, colour(ERROR), REASON_NO_POLICY]
        )
    missing = [label for key, label in CHARACTER_CLASSES if not policy.get(key, False)]
    status = WARNING if missing else OK
    reason = REASON_WEAK_POLICY.format(", ".join(missing)) if missing else None
    flags = [yes_no(bool(policy.get(key, False))) for key, _label in CHARACTER_CLASSES]
    return _account_row(env, status, ["Yes", *flags, colour(status), reason])


def key_rotation_status(age: timedelta) -> str:
    return age_status(age, yellow_after=KEY_YELLOW_AFTER, red_after=KEY_RED_AFTER)


def _user_keys(iam: Any, user_name: str) -> list[dict[str, Any]]:
    return list(paginate(iam, "list_access_keys", "AccessKeyMetadata", UserName=user_name))


def _active_keys(
    env: Environment, evaluation: Evaluation
) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """Every active key with its user; a user whose keys cannot be listed counts as ignored."""
    iam = env.client("iam")
    keys = []
    for user in paginate(iam, "list_users", "Users"):
        user_keys = read_resource(evaluation, _user_keys, iam, user["UserName"])
        for key in user_keys or ():
            if key.get("Status") == "Active":
                keys.append((user, key))
    return sorted(keys, key=lambda pair: (pair[0]["UserName"], pair[1]["AccessKeyId"]))


@check(
    "DqdJqYeRm5",
    name=_("IAM Access Key Rotation"),
    lead=_(
        "Looks at the age of every active IAM access key. Rotating keys regularly limits how "
        "long a leaked key stays useful."
    ),
    criteria=[
        _("Green: the key was created or rotated in the last 90 days."),
        _("Yellow: the key was last rotated between 90 days and 2 years ago."),
        _("Red: the key was last rotated more than 2 years ago."),
    ],
    action=_(
        "Create a second key for the user, move applications to it, then deactivate and "
        "delete the old key. Prefer roles and temporary credentials where possible."
    ),
    resources=[
        (
            _("Manage access keys for IAM users"),
            "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_access-keys.html",
        ),
        IAM_BEST_PRACTICES,
    ],
)
def access_key_rotation(env: Environment) -> Evaluation:
    evaluation = Evaluation()
    reasons = {OK: None, WARNING: REASON_KEY_YELLOW, ERROR: REASON_KEY_RED}
    for user, key in _active_keys(env, evaluation):
        evaluation.processed += 1
        created = key["CreateDate"]
        status = key_rotation_status(env.now - created)
        evaluation.rows.append(
            Row(
                status=status,
                arn=user["Arn"],
                key=f"{user['Arn']}|{key['AccessKeyId']}",
                metadata=[
                    colour(status),
                    user["UserName"],
                    key["AccessKeyId"],
                    timestamp(created),
                    reasons[status],
                ],
            )
        )
    return evaluation
