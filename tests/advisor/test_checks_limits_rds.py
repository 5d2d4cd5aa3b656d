"""RDS service limits against moto: each at the thresholds (just under 80 %, exactly 80 %,
100 %) of a quota of 5 (Service Quotas' answer, or AWS's fixed quota scaled down), Blue where
unknown."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from advisor.checks import limits_rds
from tests.advisor.check_helpers import run
from tests.advisor.conftest import AwsClient, MakeEnv
from tests.advisor.limit_helpers import only_row, refusing, with_quotas


def _instance(rds: Any, name: str, storage: int = 20) -> None:
    rds.create_db_instance(
        DBInstanceIdentifier=name,
        DBInstanceClass="db.t3.micro",
        Engine="mysql",
        MasterUsername="admin",
        MasterUserPassword="sample-password",
        AllocatedStorage=storage,
    )


def _cluster(rds: Any, name: str) -> None:
    rds.create_db_cluster(
        DBClusterIdentifier=name,
        Engine="aurora-mysql",
        MasterUsername="admin",
        MasterUserPassword="sample-password",
    )


def _instances(aws: AwsClient, n: int) -> None:
    for index in range(n):
        _instance(aws("rds"), f"db-{index}")


def _clusters(aws: AwsClient, n: int) -> None:
    for index in range(n):
        _cluster(aws("rds"), f"cluster-{index}")


def _cluster_parameter_groups(aws: AwsClient, n: int) -> None:
    for index in range(n):
        aws("rds").create_db_cluster_parameter_group(
            DBClusterParameterGroupName=f"cluster-params-{index}",
            DBParameterGroupFamily="aurora-mysql8.0",
            Description="tuned",
        )


def _parameter_groups(aws: AwsClient, n: int) -> None:
    _instance(aws("rds"), "db-0")  # AWS's default.mysql group appears: not counted
    for index in range(n):
        aws("rds").create_db_parameter_group(
            DBParameterGroupName=f"params-{index}",
            DBParameterGroupFamily="mysql8.0",
            Description="tuned",
        )


def _vpc_subnets(aws: AwsClient, n: int) -> list[str]:
    ec2 = aws("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.60.0.0/16")["Vpc"]["VpcId"]
    return [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.60.{i}.0/24", AvailabilityZone="us-east-1a")[
            "Subnet"
        ]["SubnetId"]
        for i in range(n)
    ]


def _subnet_groups(aws: AwsClient, n: int) -> None:
    subnets = _vpc_subnets(aws, 1)
    for index in range(n):
        aws("rds").create_db_subnet_group(
            DBSubnetGroupName=f"subnets-{index}", DBSubnetGroupDescription="db", SubnetIds=subnets
        )


def _subnets_per_group(aws: AwsClient, n: int) -> None:
    # The quota is 20 subnets: 4 times n subnets in the fullest group, one in another.
    subnets = _vpc_subnets(aws, 4 * n)
    rds = aws("rds")
    rds.create_db_subnet_group(
        DBSubnetGroupName="wide", DBSubnetGroupDescription="db", SubnetIds=subnets
    )
    rds.create_db_subnet_group(
        DBSubnetGroupName="narrow", DBSubnetGroupDescription="db", SubnetIds=subnets[:1]
    )


def _event_subscriptions(aws: AwsClient, n: int) -> None:
    for index in range(n):
        aws("rds").create_event_subscription(
            SubscriptionName=f"alerts-{index}",
            SnsTopicArn="arn:aws:sns:us-east-1:123456789012:alerts",
        )


def _manual_snapshots(aws: AwsClient, n: int) -> None:
    _instance(aws("rds"), "db-0")  # its automated snapshot does not count
    for index in range(n):
        aws("rds").create_db_snapshot(
            DBSnapshotIdentifier=f"snap-{index}", DBInstanceIdentifier="db-0"
        )


def _storage(aws: AwsClient, n: int) -> None:
    # A quota of 5 GiB is below RDS's smallest volume: 5 TiB (Service Quotas says 5 * 1024).
    _instance(aws("rds"), "db-0", storage=1024 * n)
    _cluster(aws("rds"), "aurora")  # Aurora's storage is outside the quota


def _read_replicas(aws: AwsClient, n: int) -> None:
    rds = aws("rds")
    _instance(rds, "primary")
    _instance(rds, "other")
    for index in range(n):
        rds.create_db_instance_read_replica(
            DBInstanceIdentifier=f"replica-{index}", SourceDBInstanceIdentifier="primary"
        )
    rds.create_db_instance_read_replica(
        DBInstanceIdentifier="other-replica", SourceDBInstanceIdentifier="other"
    )


def _security_groups(aws: AwsClient, n: int) -> None:
    for index in range(n):
        aws("rds").create_db_security_group(
            DBSecurityGroupName=f"legacy-{index}", DBSecurityGroupDescription="classic"
        )


def _authorizations(aws: AwsClient, n: int) -> None:
    # The quota is 20 authorizations: 4 times n in the fullest group.
    rds = aws("rds")
    for group, count in (("wide", 4 * n), ("narrow", 1)):
        rds.create_db_security_group(DBSecurityGroupName=group, DBSecurityGroupDescription="c")
        for index in range(count):
            rds.authorize_db_security_group_ingress(
                DBSecurityGroupName=group, CIDRIP=f"10.70.{index}.0/24"
            )


def _cluster_roles(aws: AwsClient, n: int) -> None:
    rds = aws("rds")
    _cluster(rds, "roles")
    _cluster(rds, "plain")
    for index in range(n):
        role = aws("iam").create_role(RoleName=f"rds-{index}", AssumeRolePolicyDocument="{}")
        rds.add_role_to_db_cluster(
            DBClusterIdentifier="roles", RoleArn=role["Role"]["Arn"], FeatureName=f"f{index}"
        )


Build = Callable[[AwsClient, int], None]
# (check id, builder, quota code or None for a fixed quota, Limit Name, scale of the figures)
CASES: list[tuple[str, Build, str | None, str, int]] = [
    ("XG0aXHpIEt", _instances, "L-7B6409FD", "DB instances", 1),
    ("gjqMBn6pjz", _clusters, "L-952B80B8", "Clusters", 1),
    ("jtlIMO3qZM", _cluster_parameter_groups, "L-E4C808A8", "Cluster parameter groups", 1),
    ("jEECYg2YVU", _parameter_groups, "L-DE55804A", "DB parameter groups", 1),
    ("dYWBaXaaMM", _subnet_groups, "L-48C6BF61", "Subnet groups", 1),
    ("jEhCtdJKOY", _subnets_per_group, None, "Subnets per subnet group", 4),
    ("keAhfbH5yb", _event_subscriptions, "L-A59F4C87", "Event subscriptions", 1),
    ("dV84wpqRUs", _manual_snapshots, "L-272F1212", "Manual snapshots", 1),
    ("P1jhKWEmLa", _storage, "L-7ADDB58A", "Total storage (GiB)", 1024),
    ("pYW8UkYz2w", _read_replicas, "L-5BC124EF", "Read replicas per master", 1),
    ("gfZAn3W7wl", _security_groups, "L-732153D0", "DB security groups", 1),
    ("dBkuNCvqn5", _authorizations, None, "Authorizations per DB security group", 4),
    ("7fuccf1Mx7", _cluster_roles, "L-E094F43D", "Cluster roles", 1),
]


@pytest.mark.parametrize(("check_id", "build", "quota_code", "limit_name", "scale"), CASES)
@pytest.mark.parametrize(("units", "colour"), [(3, "Green"), (4, "Yellow"), (5, "Red")])
def test_rds_limits(
    check_id: str,
    build: Build,
    quota_code: str | None,
    limit_name: str,
    scale: int,
    units: int,
    colour: str,
    aws_client: AwsClient,
    moto_endpoint: str,
    make_env: MakeEnv,
) -> None:
    build(aws_client, units)
    env = make_env(moto_endpoint)
    if quota_code is not None:
        env = with_quotas(env, {("rds", quota_code): 5 * scale})
    assert only_row(check_id, env) == [
        "us-east-1",
        "RDS",
        limit_name,
        str(5 * scale),
        str(units * scale),
        colour,
    ]


def test_rds_defaults(moto_endpoint: str, make_env: MakeEnv) -> None:
    # moto's Service Quotas has no rds quotas: AWS's defaults, per region where they differ.
    env = make_env(moto_endpoint, regions=("us-east-1", "ap-south-1"))
    evaluation = run("XG0aXHpIEt", env)
    assert [list(row.metadata) for row in evaluation.rows] == [
        ["us-east-1", "RDS", "DB instances", "40", "0", "Green"],
        ["ap-south-1", "RDS", "DB instances", "20", "0", "Green"],
    ]
    expected = {code: str(int(value)) for code, value in limits_rds.RDS_DEFAULTS.items()}
    for check_id, _build, quota_code, _name, _scale in CASES:
        limit = expected[quota_code] if quota_code else "20"
        assert only_row(check_id, make_env(moto_endpoint))[3:] == [limit, "0", "Green"], check_id


@pytest.mark.parametrize(
    ("check_id", "operation", "metadata"),
    [
        ("XG0aXHpIEt", "describe_db_instances", ["40", None, "Blue"]),
        # A fixed quota needs no reading: with the usage refused, nothing was read at all.
        ("jEhCtdJKOY", "describe_db_subnet_groups", None),
    ],
)
def test_rds_usage_that_cannot_be_read(
    check_id: str,
    operation: str,
    metadata: list[str | None] | None,
    moto_endpoint: str,
    make_env: MakeEnv,
) -> None:
    env = refusing(make_env(moto_endpoint), {("rds", operation)})
    if metadata is None:
        with pytest.raises(Exception, match="AccessDenied"):
            run(check_id, env)
        return
    assert only_row(check_id, env)[3:] == metadata
