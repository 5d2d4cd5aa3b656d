"""The Auto Scaling checks (health check, resources), computed against moto."""

from __future__ import annotations

from typing import Any

from advisor.checks.base import ERROR, WARNING
from connections.sample import IMAGE_ID
from tests.advisor.check_helpers import by_name, run
from tests.advisor.conftest import AwsClient, MakeEnv

LISTENERS = [{"Protocol": "HTTP", "LoadBalancerPort": 80, "InstancePort": 80}]


def _group(autoscaling: Any, name: str, **params: Any) -> None:
    if "LaunchTemplate" not in params:
        params.setdefault("LaunchConfigurationName", "web-config")
    autoscaling.create_auto_scaling_group(
        AutoScalingGroupName=name,
        MinSize=0,
        MaxSize=2,
        AvailabilityZones=["us-east-1a"],
        **params,
    )


def _image(ec2: Any) -> str:
    [instance] = ec2.run_instances(ImageId=IMAGE_ID, MinCount=1, MaxCount=1)["Instances"]
    return str(ec2.create_image(InstanceId=instance["InstanceId"], Name="web")["ImageId"])


def test_group_health_check(aws_client: AwsClient, moto_endpoint: str, make_env: MakeEnv) -> None:
    ec2, elb, elbv2 = aws_client("ec2"), aws_client("elb"), aws_client("elbv2")
    autoscaling = aws_client("autoscaling")
    elb.create_load_balancer(
        LoadBalancerName="front", Listeners=LISTENERS, AvailabilityZones=["us-east-1a"]
    )
    vpc = ec2.describe_vpcs()["Vpcs"][0]["VpcId"]
    target_group = elbv2.create_target_group(Name="api", Protocol="HTTP", Port=80, VpcId=vpc)
    target_group_arn = target_group["TargetGroups"][0]["TargetGroupArn"]
    autoscaling.create_launch_configuration(
        LaunchConfigurationName="web-config", ImageId=_image(ec2), InstanceType="t3.micro"
    )
    _group(autoscaling, "balanced-ec2", LoadBalancerNames=["front"])
    _group(autoscaling, "balanced-elb", LoadBalancerNames=["front"], HealthCheckType="ELB")
    _group(autoscaling, "targets-ec2", TargetGroupARNs=[target_group_arn])
    _group(autoscaling, "alone-elb", HealthCheckType="ELB")
    _group(autoscaling, "alone-ec2")

    evaluation = run("CLOG40CDO8", make_env(moto_endpoint))
    assert evaluation.processed == 5
    rows = by_name(evaluation, 1)
    assert set(rows) == {"balanced-ec2", "targets-ec2", "alone-elb"}
    assert rows["balanced-ec2"].metadata == ["us-east-1", "balanced-ec2", "Yes", "EC2", "Yellow"]
    assert rows["alone-elb"].metadata == ["us-east-1", "alone-elb", "No", "ELB", "Yellow"]
    assert rows["targets-ec2"].status == WARNING
    assert rows["targets-ec2"].arn.startswith("arn:aws:autoscaling:us-east-1:")


def test_group_resources(aws_client: AwsClient, moto_endpoint: str, make_env: MakeEnv) -> None:
    ec2, elb, elbv2 = aws_client("ec2"), aws_client("elb"), aws_client("elbv2")
    autoscaling = aws_client("autoscaling")
    for name in ("kept", "dropped"):
        elb.create_load_balancer(
            LoadBalancerName=name, Listeners=LISTENERS, AvailabilityZones=["us-east-1a"]
        )
    vpc = ec2.describe_vpcs()["Vpcs"][0]["VpcId"]
    target_group_arn = elbv2.create_target_group(Name="api", Protocol="HTTP", Port=80, VpcId=vpc)[
        "TargetGroups"
    ][0]["TargetGroupArn"]
    live, dead = _image(ec2), _image(ec2)
    autoscaling.create_launch_configuration(
        LaunchConfigurationName="web-config", ImageId=live, InstanceType="t3.micro"
    )
    autoscaling.create_launch_configuration(
        LaunchConfigurationName="old-config", ImageId=dead, InstanceType="t3.micro"
    )
    ec2.create_launch_template(
        LaunchTemplateName="old-template", LaunchTemplateData={"ImageId": dead}
    )
    ec2.create_launch_template(
        LaunchTemplateName="new-template", LaunchTemplateData={"ImageId": live}
    )
    _group(autoscaling, "healthy", LoadBalancerNames=["kept"])
    _group(autoscaling, "orphaned", LoadBalancerNames=["kept", "dropped"])
    _group(autoscaling, "stale-config", LaunchConfigurationName="old-config")
    _group(
        autoscaling,
        "stale-template",
        LaunchTemplate={"LaunchTemplateName": "old-template", "Version": "$Latest"},
        TargetGroupARNs=[target_group_arn],
    )
    _group(
        autoscaling,
        "templated",
        LaunchTemplate={"LaunchTemplateName": "new-template", "Version": "$Default"},
    )
    elb.delete_load_balancer(LoadBalancerName="dropped")
    elbv2.delete_target_group(TargetGroupArn=target_group_arn)
    ec2.deregister_image(ImageId=dead)

    evaluation = run("8CNsSllI5v", make_env(moto_endpoint))
    assert evaluation.processed == 9  # load balancers, target groups and AMIs relied on
    assert all(row.status == ERROR for row in evaluation.rows)
    found = {(row.metadata[1], row.metadata[5]): row.metadata for row in evaluation.rows}
    assert set(found) == {
        ("orphaned", "Load Balancer"),
        ("stale-config", "AMI"),
        ("stale-template", "AMI"),
        ("stale-template", "Target Group"),
    }
    assert found[("orphaned", "Load Balancer")] == [
        "us-east-1",
        "orphaned",
        "web-config",
        "Launch Configuration",
        "web-config",
        "Load Balancer",
        "dropped",
        "Red",
        "The load balancer has been deleted.",
    ]
    assert found[("stale-config", "AMI")][6:] == [dead, "Red", "The AMI has been deleted."]
    assert found[("stale-template", "AMI")][2:7] == [
        None,
        "Launch Template",
        "old-template",
        "AMI",
        dead,
    ]
    assert found[("stale-template", "Target Group")][6] == target_group_arn
    rows = evaluation.rows
    assert len({row.identity for row in rows}) == len(rows)
