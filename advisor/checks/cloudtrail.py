"""AWS CloudTrail logging: every region should have a trail that is logging and delivering.

A multi-region trail shows up in each region it covers (a "shadow" trail), so it is reported
once per region, with its status read through that region's endpoint.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from advisor.checks.base import ERROR, OK, WARNING, Environment, Evaluation, Row, check
from advisor.checks.helpers import arn, colour


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
def cloudtrail_logging(env: Environment) -> Evaluation:
    evaluation = Evaluation()
    for region in env.regions:
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
                    metadata=[region, None, "Off", None, None, colour(ERROR)],
                )
            )
            continue
        for trail in sorted(trails, key=lambda t: t["TrailARN"]):
            evaluation.processed += 1
            answer = cloudtrail.get_trail_status(Name=trail["TrailARN"])
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
                    arn=trail["TrailARN"],
                    region=region,
                    metadata=[
                        region,
                        trail["Name"],
                        "On" if logging else "Off",
                        trail.get("S3BucketName"),
                        delivery_error,
                        colour(status),
                    ],
                )
            )
    return evaluation
