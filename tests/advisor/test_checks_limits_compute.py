"""Service limits of compute (EC2 On-Demand vCPUs, Auto Scaling, CloudFormation, ELB), against
moto: each at the thresholds (just under 80 %, exactly 80 %, 100 %), Blue where unknown."""

from __future__ import annotations

import json
from typing import Any

import pytest

from advisor.checks.base import ERROR, OK, WARNING
from advisor.checks.limits_compute import family_of
from tests.advisor.check_helpers import _Patched, _with_clients, run
from tests.advisor.conftest import AwsClient, MakeEnv
from tests.advisor.limit_helpers import only_row, refusing, rows, with_quotas

IMAGE = "ami-12c6146b"
STANDARD = "Running On-Demand Standard (A, C, D, H, I, M, R, T, Z) instances"


def _launch(ec2: Any, instance_type: str, **extra: Any) -> str:
    reservation = ec2.run_instances(
        ImageId=IMAGE, MinCount=1, MaxCount=1, InstanceType=instance_type, **extra
    )
    return str(reservation["Instances"][0]["InstanceId"])


# --- EC2 On-Demand ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("instance_types", "usage", "colour"),
    [
        # A quota of 10 vCPUs: t3.large has 2, t2.micro 1.
        (["t3.large"] * 3 + ["t2.micro"], "7", "Green"),  # just under 80 %
        (["t3.large"] * 4, "8", "Yellow"),  # exactly 80 %
        (["t3.large"] * 4 + ["t2.micro"], "9", "Yellow"),
        (["t3.large"] * 5, "10", "Red"),  # 100 %
    ],
)
def test_on_demand_vcpus_against_the_quota(
    instance_types: list[str],
    usage: str,
    colour: str,
    aws_client: AwsClient,
    moto_endpoint: str,
    make_env: MakeEnv,
) -> None:
    ec2 = aws_client("ec2")
    for instance_type in instance_types:
        _launch(ec2, instance_type)
    env = with_quotas(make_env(moto_endpoint), {("ec2", "L-1216C47A"): 10})
    assert only_row("0Xc6LMYG8P", env) == ["us-east-1", "EC2", STANDARD, "10", usage, colour]


def test_on_demand_counts_running_on_demand_instances_per_region_and_family(
    aws_client: AwsClient, moto_endpoint: str, make_env: MakeEnv
) -> None:
    ec2 = aws_client("ec2")
    _launch(ec2, "t3.large")
    _launch(ec2, "m5.large")
    # Neither counts: a stopped instance holds no vCPUs, a Spot one has its own quota.
    ec2.stop_instances(InstanceIds=[_launch(ec2, "m5.large")])
    _launch(ec2, "t3.large", InstanceMarketOptions={"MarketType": "spot"})
    _launch(ec2, "g4dn.xlarge")  # G and VT: 4 vCPUs
    _launch(aws_client("ec2", "eu-west-1"), "t2.micro")
    env = make_env(moto_endpoint, regions=("us-east-1", "eu-west-1"))
    # Service Quotas does not know EC2's quotas in moto: AWS's default (5) for Standard; no
    # default is documented for the other families, so theirs is unknown (Blue).
    assert rows("0Xc6LMYG8P", env) == {
        "us-east-1": [
            ["us-east-1", "EC2", "Running On-Demand G and VT instances", None, "4", "Blue"],
            ["us-east-1", "EC2", STANDARD, "5", "4", "Yellow"],
        ],
        "eu-west-1": [["eu-west-1", "EC2", STANDARD, "5", "1", "Green"]],
    }
    raised = with_quotas(make_env(moto_endpoint), {("ec2", "L-DB2E81BA"): 4})
    assert rows("0Xc6LMYG8P", raised)["us-east-1"][0][3:] == ["4", "4", "Red"]


def test_on_demand_instance_type_ec2_does_not_describe_is_blue(
    aws_client: AwsClient, moto_endpoint: str, make_env: MakeEnv
) -> None:
    ec2 = aws_client("ec2")
    _launch(ec2, "t3.large")
    _launch(ec2, "p2.xlarge")  # moto runs it but does not describe the type
    assert rows("0Xc6LMYG8P", make_env(moto_endpoint))["us-east-1"] == [
        ["us-east-1", "EC2", "Running On-Demand P instances", None, None, "Blue"],
        ["us-east-1", "EC2", STANDARD, "5", "2", "Green"],
    ]


@pytest.mark.parametrize(
    ("instance_type", "limit_name"),
    [
        ("t3.large", STANDARD),
        ("m5.large", STANDARD),
        ("z1d.large", STANDARD),
        ("hpc6a.48xlarge", "Running On-Demand HPC instances"),
        ("h1.2xlarge", STANDARD),
        ("inf1.xlarge", "Running On-Demand Inf instances"),
        ("i3.large", STANDARD),
        ("dl1.24xlarge", "Running On-Demand DL instances"),
        ("d3.xlarge", STANDARD),
        ("trn1.2xlarge", "Running On-Demand Trn instances"),
        ("u-6tb1.metal", "Running On-Demand High Memory instances"),
        ("vt1.3xlarge", "Running On-Demand G and VT instances"),
        ("x2idn.16xlarge", "Running On-Demand X instances"),
        ("f1.2xlarge", "Running On-Demand F instances"),
    ],
)
def test_instance_families(instance_type: str, limit_name: str) -> None:
    family = family_of(instance_type)
    assert family is not None
    assert family.limit_name == limit_name


def test_on_demand_unreadable(moto_endpoint: str, make_env: MakeEnv, aws_client: AwsClient) -> None:
    _launch(aws_client("ec2"), "t3.large")
    env = refusing(make_env(moto_endpoint), {("ec2", "describe_instances")})
    assert only_row("0Xc6LMYG8P", env) == ["us-east-1", "EC2", STANDARD, "5", None, "Blue"]
    env = refusing(make_env(moto_endpoint), {("service-quotas", "get_service_quota")})
    assert only_row("0Xc6LMYG8P", env) == ["us-east-1", "EC2", STANDARD, None, "2", "Blue"]


# --- Auto Scaling and CloudFormation ------------------------------------------------------------


def _launch_configurations(aws_client: AwsClient, count: int) -> None:
    autoscaling = aws_client("autoscaling")
    for index in range(count):
        autoscaling.create_launch_configuration(
            LaunchConfigurationName=f"web-{index}", ImageId=IMAGE, InstanceType="t3.micro"
        )


@pytest.mark.parametrize(("count", "colour"), [(3, "Green"), (4, "Yellow"), (5, "Red")])
def test_launch_configurations(
    count: int, colour: str, aws_client: AwsClient, moto_endpoint: str, make_env: MakeEnv
) -> None:
    _launch_configurations(aws_client, count)
    env = with_quotas(make_env(moto_endpoint), {("autoscaling", "L-6B80B8FA"): 5})
    assert only_row("aW7HH0l7J9", env) == [
        "us-east-1",
        "AutoScaling",
        "Launch configurations",
        "5",
        str(count),
        colour,
    ]


@pytest.mark.parametrize(("count", "colour"), [(3, "Green"), (4, "Yellow"), (5, "Red")])
def test_auto_scaling_groups(
    count: int, colour: str, aws_client: AwsClient, moto_endpoint: str, make_env: MakeEnv
) -> None:
    _launch_configurations(aws_client, 1)
    autoscaling = aws_client("autoscaling")
    for index in range(count):
        autoscaling.create_auto_scaling_group(
            AutoScalingGroupName=f"web-{index}",
            LaunchConfigurationName="web-0",
            MinSize=0,
            MaxSize=1,
            AvailabilityZones=["us-east-1a"],
        )
    env = with_quotas(make_env(moto_endpoint), {("autoscaling", "L-CDE20ADC"): 5})
    assert only_row("fW7HH0l7J9", env)[3:] == ["5", str(count), colour]


def test_auto_scaling_defaults(moto_endpoint: str, make_env: MakeEnv) -> None:
    # moto's Service Quotas has no autoscaling quotas: AWS's defaults.
    env = make_env(moto_endpoint)
    assert only_row("fW7HH0l7J9", env) == [
        "us-east-1",
        "AutoScaling",
        "Auto Scaling groups",
        "500",
        "0",
        "Green",
    ]
    assert only_row("aW7HH0l7J9", env)[3:] == ["200", "0", "Green"]


TEMPLATE = json.dumps(
    {"Resources": {"Topic": {"Type": "AWS::SNS::Topic", "Properties": {"TopicName": "t"}}}}
)


@pytest.mark.parametrize(("count", "colour"), [(3, "Green"), (4, "Yellow"), (5, "Red")])
def test_cloudformation_stacks(
    count: int, colour: str, aws_client: AwsClient, moto_endpoint: str, make_env: MakeEnv
) -> None:
    cloudformation = aws_client("cloudformation")
    for index in range(count + 1):
        cloudformation.create_stack(StackName=f"stack-{index}", TemplateBody=TEMPLATE)
    # A deleted stack no longer counts.
    cloudformation.delete_stack(StackName=f"stack-{count}")
    env = with_quotas(make_env(moto_endpoint), {("cloudformation", "L-0485CB21"): 5})
    assert only_row("gW7HH0l7J9", env) == [
        "us-east-1",
        "CloudFormation",
        "Stacks",
        "5",
        str(count),
        colour,
    ]
    assert only_row("gW7HH0l7J9", make_env(moto_endpoint))[3] == "2000"


# --- Elastic Load Balancing ---------------------------------------------------------------------


@pytest.mark.parametrize(("count", "colour"), [(15, "Green"), (16, "Yellow"), (20, "Red")])
def test_classic_load_balancers_against_the_default(
    count: int, colour: str, aws_client: AwsClient, moto_endpoint: str, make_env: MakeEnv
) -> None:
    elb = aws_client("elb")
    listeners = [{"Protocol": "HTTP", "LoadBalancerPort": 80, "InstancePort": 80}]
    for index in range(count):
        elb.create_load_balancer(
            LoadBalancerName=f"web-{index}", Listeners=listeners, AvailabilityZones=["us-east-1a"]
        )
    assert only_row("iK7OO0l7J9", make_env(moto_endpoint)) == [
        "us-east-1",
        "ELB",
        "Active load balancers",
        "20",
        str(count),
        colour,
    ]


def _subnets(aws_client: AwsClient) -> list[str]:
    ec2 = aws_client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.50.0.0/16")["Vpc"]["VpcId"]
    return [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.50.{n}.0/24", AvailabilityZone=f"us-east-1{z}")[
            "Subnet"
        ]["SubnetId"]
        for n, z in ((1, "a"), (2, "b"))
    ]


def _limits(limits: dict[str, str]) -> Any:
    def wrap(service: str, region: str, client: Any) -> Any:
        if service != "elbv2":
            return client
        answer = {"Limits": [{"Name": k, "Max": v} for k, v in limits.items()]}
        return _Patched(client, {"describe_account_limits": lambda **params: answer})

    return wrap


@pytest.mark.parametrize(
    ("applications", "colour"), [(3, "Green"), (4, "Yellow"), (5, "Red"), (6, "Red")]
)
def test_application_and_network_load_balancers(
    applications: int, colour: str, aws_client: AwsClient, moto_endpoint: str, make_env: MakeEnv
) -> None:
    elbv2 = aws_client("elbv2")
    subnets = _subnets(aws_client)
    for index in range(applications):
        elbv2.create_load_balancer(Name=f"app-{index}", Subnets=subnets, Type="application")
    elbv2.create_load_balancer(Name="tcp-0", Subnets=subnets, Type="network")
    # describe_account_limits answers for the account (a quota of 5 ALBs, 20 NLBs).
    limits = {"application-load-balancers": "5", "network-load-balancers": "20"}
    env = _with_clients(make_env(moto_endpoint), _limits(limits))
    assert only_row("EM8b3yLRTr", env) == [
        "us-east-1",
        "ELB",
        "Application Load Balancers",
        "5",
        str(applications),
        colour,
    ]
    assert only_row("8wIqYSt25K", env) == [
        "us-east-1",
        "ELB",
        "Network Load Balancers",
        "20",
        "1",
        "Green",
    ]


def test_elbv2_limits_from_moto_then_the_quota(moto_endpoint: str, make_env: MakeEnv) -> None:
    # moto's describe_account_limits says 20 for both.
    assert only_row("EM8b3yLRTr", make_env(moto_endpoint))[3:] == ["20", "0", "Green"]
    # A limit describe_account_limits leaves out: Service Quotas, else AWS's default (50).
    env = _with_clients(make_env(moto_endpoint), _limits({}))
    assert only_row("8wIqYSt25K", env)[3:] == ["50", "0", "Green"]
    raised = with_quotas(env, {("elasticloadbalancing", "L-53DA6B97"): 80})
    assert only_row("EM8b3yLRTr", raised)[3:] == ["80", "0", "Green"]


@pytest.mark.parametrize(
    ("check_id", "failing"),
    [
        ("fW7HH0l7J9", ("autoscaling", "describe_auto_scaling_groups")),
        ("aW7HH0l7J9", ("autoscaling", "describe_launch_configurations")),
        ("gW7HH0l7J9", ("cloudformation", "list_stacks")),
        ("iK7OO0l7J9", ("elb", "describe_load_balancers")),
        ("EM8b3yLRTr", ("elbv2", "describe_load_balancers")),
        ("8wIqYSt25K", ("elbv2", "describe_load_balancers")),
    ],
)
def test_usage_that_cannot_be_read_is_blue(
    check_id: str, failing: tuple[str, str], moto_endpoint: str, make_env: MakeEnv
) -> None:
    env = refusing(make_env(moto_endpoint, regions=("us-east-1", "eu-west-1")), {failing})
    evaluation = run(check_id, env)
    assert [row.metadata[-2:] for row in evaluation.rows] == [[None, "Blue"]] * 2
    assert {row.status for row in evaluation.rows} == {OK}
    # Neither figure: the regions are left out, and with none left the run is abandoned.
    both = refusing(
        make_env(moto_endpoint),
        {failing, ("service-quotas", "get_service_quota"), ("elbv2", "describe_account_limits")},
    )
    with pytest.raises(Exception, match="AccessDenied"):
        run(check_id, both)


def test_statuses_follow_the_colours(
    aws_client: AwsClient, moto_endpoint: str, make_env: MakeEnv
) -> None:
    _launch_configurations(aws_client, 4)
    env = with_quotas(make_env(moto_endpoint), {("autoscaling", "L-6B80B8FA"): 5})
    [row] = run("aW7HH0l7J9", env).rows
    assert row.status == WARNING
    env = with_quotas(make_env(moto_endpoint), {("autoscaling", "L-6B80B8FA"): 4})
    [row] = run("aW7HH0l7J9", env).rows
    assert (row.status, row.metadata[-1]) == (ERROR, "Red")
    assert row.arn == "arn:aws:servicequotas:us-east-1:123456789012:autoscaling/L-6B80B8FA"
