"""Amazon EC2 Auto Scaling checks: health checks that match the load balancing, and launch
resources that still exist.

Both read region by region (`regional`). A group is attached to load balancing through classic
load balancer names or target groups (application and network load balancers); either counts as
"an associated load balancer", and a deleted target group counts as a deleted load balancer.
Groups launch from a launch configuration or a launch template (directly or in a mixed instances
policy); the AMI of either must still exist.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from advisor.checks.base import ERROR, WARNING, Environment, Evaluation, Row, check
from advisor.checks.helpers import colour, paginate, regional, try_read, yes_no
from advisor.checks.texts import phrase

LAUNCH_CONFIGURATION = phrase(gettext_noop("Launch Configuration"))
LAUNCH_TEMPLATE = phrase(gettext_noop("Launch Template"))
# Metadata values are stored once per run and served in every language: plain strings.
REASON_LOAD_BALANCER_DELETED = phrase(gettext_noop("The load balancer has been deleted."))
REASON_TARGET_GROUP_DELETED = phrase(gettext_noop("The target group has been deleted."))
REASON_AMI_DELETED = phrase(gettext_noop("The AMI has been deleted."))
LOAD_BALANCER = phrase(gettext_noop("Load Balancer"))
TARGET_GROUP = phrase(gettext_noop("Target Group"))

ASG_RESOURCES = (
    (
        _("Amazon EC2 Auto Scaling user guide"),
        "https://docs.aws.amazon.com/autoscaling/ec2/userguide/what-is-amazon-ec2-auto-scaling.html",
    ),
)


def _groups(env: Environment, region: str) -> list[dict[str, Any]]:
    autoscaling = env.client("autoscaling", region)
    groups = paginate(autoscaling, "describe_auto_scaling_groups", "AutoScalingGroups")
    return sorted(groups, key=lambda g: g["AutoScalingGroupName"])


def _load_balanced(group: dict[str, Any]) -> bool:
    return bool(group.get("LoadBalancerNames") or group.get("TargetGroupARNs"))


def _elb_health_check(group: dict[str, Any]) -> bool:
    # "ELB", or a list such as "ELB,VPC_LATTICE" when several kinds are on.
    return "ELB" in str(group.get("HealthCheckType", "")).split(",")


@check(
    "CLOG40CDO8",
    name=_("Auto Scaling Group Health Check"),
    lead=_(
        "Checks that Auto Scaling groups behind a load balancer use its health checks. Without "
        "them Auto Scaling sees only whether the instance runs, not whether the application on "
        "it answers, and keeps broken instances in service."
    ),
    criteria=[
        _(
            "Yellow: the group has a load balancer, but the Elastic Load Balancing health check "
            "is not enabled."
        ),
        _(
            "Yellow: the group has no load balancer, but the Elastic Load Balancing health "
            "check is enabled."
        ),
    ],
    action=_(
        "Turn on the Elastic Load Balancing health check for groups behind a load balancer; for "
        "a group without one, attach its load balancer or go back to EC2 health checks."
    ),
    resources=[
        (
            _("Health checks for instances in an Auto Scaling group"),
            "https://docs.aws.amazon.com/autoscaling/ec2/userguide/ec2-auto-scaling-health-checks.html",
        ),
        *ASG_RESOURCES,
    ],
)
@regional
def group_health_check(env: Environment, region: str) -> Evaluation:
    groups = _groups(env, region)
    evaluation = Evaluation(processed=len(groups))
    for group in groups:
        balanced = _load_balanced(group)
        if balanced == _elb_health_check(group):
            continue
        evaluation.rows.append(
            Row(
                status=WARNING,
                arn=group["AutoScalingGroupARN"],
                region=region,
                metadata=[
                    region,
                    group["AutoScalingGroupName"],
                    yes_no(balanced),
                    group.get("HealthCheckType"),
                    colour(WARNING),
                ],
            )
        )
    return evaluation


def _launch(group: dict[str, Any]) -> tuple[str | None, dict[str, Any] | None]:
    """The group's launch configuration name, or its launch template specification."""
    if group.get("LaunchConfigurationName"):
        return group["LaunchConfigurationName"], None
    template = group.get("LaunchTemplate") or (
        group.get("MixedInstancesPolicy", {})
        .get("LaunchTemplate", {})
        .get("LaunchTemplateSpecification")
    )
    return None, template or None


def _template_image(env: Environment, region: str, template: dict[str, Any]) -> str | None:
    """The AMI of the template version the group launches, None if it cannot be read (the
    template itself may be gone, which is not this check's finding)."""
    ec2 = env.client("ec2", region)
    params: dict[str, Any] = {"Versions": [str(template.get("Version") or "$Default")]}
    if template.get("LaunchTemplateId"):
        params["LaunchTemplateId"] = template["LaunchTemplateId"]
    else:
        params["LaunchTemplateName"] = template["LaunchTemplateName"]
    answer = try_read(ec2.describe_launch_template_versions, **params)
    versions = (answer or {}).get("LaunchTemplateVersions", [])
    return versions[0].get("LaunchTemplateData", {}).get("ImageId") if versions else None


def _existing_images(env: Environment, region: str, image_ids: set[str]) -> set[str]:
    if not image_ids:
        return set()
    # A filter rather than ImageIds, which fails whole when one of them is gone. Deprecated and
    # disabled images still exist: a group can launch from them.
    images = paginate(
        env.client("ec2", region),
        "describe_images",
        "Images",
        Filters=[{"Name": "image-id", "Values": sorted(image_ids)}],
        IncludeDeprecated=True,
    )
    return {image["ImageId"] for image in images}


@check(
    "8CNsSllI5v",
    name=_("Auto Scaling Group Resources"),
    lead=_(
        "Checks that the load balancers and machine images Auto Scaling groups depend on still "
        "exist. A group that points at a deleted one cannot launch instances, so it cannot "
        "scale out or replace failed instances."
    ),
    criteria=[
        _("Red: an Auto Scaling group is associated with a deleted load balancer."),
        _("Red: a launch configuration or launch template uses a deleted AMI."),
    ],
    action=_(
        "Attach the group to an existing load balancer (or detach the deleted one), and give it "
        "a launch configuration or launch template version with an AMI that exists."
    ),
    resources=[
        (
            _("Troubleshoot Amazon EC2 Auto Scaling: AMI issues"),
            "https://docs.aws.amazon.com/autoscaling/ec2/userguide/ts-as-ami.html",
        ),
        (
            _("Troubleshoot Amazon EC2 Auto Scaling: load balancer issues"),
            "https://docs.aws.amazon.com/autoscaling/ec2/userguide/ts-as-loadbalancer.html",
        ),
    ],
)
@regional
def group_resources(env: Environment, region: str) -> Evaluation:
    groups = _groups(env, region)
    # The resources are what the groups depend on: each load balancer, target group and AMI.
    evaluation = Evaluation()
    if not groups:
        return evaluation
    autoscaling = env.client("autoscaling", region)
    configuration_images = {
        c["LaunchConfigurationName"]: c.get("ImageId")
        for c in paginate(autoscaling, "describe_launch_configurations", "LaunchConfigurations")
    }
    balancers = {
        lb["LoadBalancerName"]
        for lb in paginate(
            env.client("elb", region), "describe_load_balancers", "LoadBalancerDescriptions"
        )
    }
    target_groups = (
        {
            tg["TargetGroupArn"]
            for tg in paginate(
                env.client("elbv2", region), "describe_target_groups", "TargetGroups"
            )
        }
        if any(g.get("TargetGroupARNs") for g in groups)
        else set()
    )
    launches = [_launch(group) for group in groups]
    images: list[str | None] = []
    for configuration, template in launches:
        if configuration is not None:
            images.append(configuration_images.get(configuration))
        elif template is not None:
            images.append(_template_image(env, region, template))
        else:
            images.append(None)
    existing = _existing_images(env, region, {i for i in images if i})

    for group, (configuration, template), image in zip(groups, launches, images, strict=True):
        launch_type = (
            LAUNCH_CONFIGURATION if configuration else LAUNCH_TEMPLATE if template else None
        )
        launch_name = (
            configuration
            or (template or {}).get("LaunchTemplateName")
            or (template or {}).get("LaunchTemplateId")
        )
        missing: list[tuple[str, str, str]] = [
            (LOAD_BALANCER, name, REASON_LOAD_BALANCER_DELETED)
            for name in group.get("LoadBalancerNames", [])
            if name not in balancers
        ]
        missing += [
            (TARGET_GROUP, arn, REASON_TARGET_GROUP_DELETED)
            for arn in group.get("TargetGroupARNs", [])
            if arn not in target_groups
        ]
        evaluation.processed += (
            len(group.get("LoadBalancerNames", []))
            + len(group.get("TargetGroupARNs", []))
            + (1 if image else 0)
        )
        if image and image not in existing:
            missing.append(("AMI", image, REASON_AMI_DELETED))
        for resource_type, resource_name, reason in missing:
            evaluation.rows.append(
                Row(
                    status=ERROR,
                    arn=group["AutoScalingGroupARN"],
                    key=f"{group['AutoScalingGroupARN']}|{resource_type}|{resource_name}",
                    region=region,
                    metadata=[
                        region,
                        group["AutoScalingGroupName"],
                        configuration,
                        launch_type,
                        launch_name,
                        resource_type,
                        resource_name,
                        colour(ERROR),
                        reason,
                    ],
                )
            )
    return evaluation
