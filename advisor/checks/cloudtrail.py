"""AWS CloudTrail logging: every region should have a trail that is logging and delivering.

A multi-region trail shows up in each region it covers (a "shadow" trail), so it is reported
once per region, with its status read through that region's endpoint. Those rows share the
trail's ARN; a shadow row's `key` adds the region (the row in the trail's home region keeps the
plain ARN). A region that cannot be read is left out and counted as ignored; a trail whose
status cannot be read (an organization trail seen from a member account, say) is ignored too.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from advisor.checks.base import ERROR, OK, WARNING, Environment, Evaluation, Row, check
from advisor.checks.helpers import arn, colour, read_resource, regional
from advisor.checks.texts import phrase


def _home_region(trail: dict[str, Any]) -> str:
    # arn:aws:cloudtrail:<region>:<account>:trail/<name>
    return str(trail.get("HomeRegion") or trail["TrailARN"].split(":")[3])


# The "Logging Status" column's values.
ON, OFF = phrase(gettext_noop("On")), phrase(gettext_noop("Off"))


@check(
    "vjafUGJ9H0",
    name=_("AWS CloudTrail Logging"),
    lead=_(
        "Checks that CloudTrail records API activity in every region you use. Without a trail "
        "there is no history to investigate a security incident or an unexpected change."
    ),
    criteria=[
        _("Green: a trail covers the region, is logging and delivers its log files."),
        _("Yellow: the trail reported an error the last time it delivered logs to Amazon S3."),
        _("Red: no trail covers the region, or logging is turned off for the trail."),
    ],
    action=_(
        "Create a multi-region trail that logs to an S3 bucket only administrators can change, "
        "turn logging on, and fix the bucket policy if deliveries fail."
    ),
    resources=[
        (
            _("Creating a trail"),
            "https://docs.aws.amazon.com/awscloudtrail/latest/userguide/"
            "cloudtrail-create-and-update-a-trail.html",
        ),
        (
            _("Amazon S3 bucket policy for CloudTrail"),
            "https://docs.aws.amazon.com/awscloudtrail/latest/userguide/"
            "create-s3-bucket-policy-for-cloudtrail.html",
        ),
    ],
)
@regional
def cloudtrail_logging(env: Environment, region: str) -> Evaluation:
    evaluation = Evaluation()
    cloudtrail = env.client("cloudtrail", region)
    trails = cloudtrail.describe_trails(includeShadowTrails=True).get("trailList", [])
    if not trails:
        evaluation.processed += 1
        evaluation.rows.append(
            Row(
                status=ERROR,
                # No trail to name: an ARN-like id for "the trails of this region".
                arn=arn("cloudtrail", region, env.account_id, "trail/*"),
                region=region,
                metadata=[region, None, OFF, None, None, colour(ERROR)],
            )
        )
        return evaluation
    for trail in sorted(trails, key=lambda t: t["TrailARN"]):
        trail_arn = trail["TrailARN"]
        answer = read_resource(evaluation, cloudtrail.get_trail_status, Name=trail_arn)
        if answer is None:
            continue
        evaluation.processed += 1
        logging = bool(answer.get("IsLogging"))
        delivery_error = answer.get("LatestDeliveryError") or None
        if not logging:
            status = ERROR
        elif delivery_error:
            status = WARNING
        else:
            status = OK
        evaluation.rows.append(
            Row(
                status=status,
                arn=trail_arn,
                key=None if _home_region(trail) == region else f"{trail_arn}|{region}",
                region=region,
                metadata=[
                    region,
                    trail["Name"],
                    ON if logging else OFF,
                    trail.get("S3BucketName"),
                    delivery_error,
                    colour(status),
                ],
            )
        )
    return evaluation
