"""The RDS access checks (DB security group rules, Aurora accessibility), against moto."""

from __future__ import annotations

from typing import Any

import pytest

from advisor.checks.base import ERROR, WARNING
from advisor.checks.rds_access import _opens_risky_port
from tests.advisor.check_helpers import ACCOUNT, _Patched, _with_clients, by_name, run
from tests.advisor.conftest import AwsClient, MakeEnv


def _db_group(rds: Any, name: str, *cidrs: str) -> None:
    rds.create_db_security_group(DBSecurityGroupName=name, DBSecurityGroupDescription=name)
    for cidr in cidrs:
        rds.authorize_db_security_group_ingress(DBSecurityGroupName=name, CIDRIP=cidr)


def test_db_security_group_ranges(
    aws_client: AwsClient, moto_endpoint: str, make_env: MakeEnv
) -> None:
    rds = aws_client("rds")
    _db_group(rds, "tight", "203.0.113.7/32")
    _db_group(rds, "office", "203.0.113.0/24", "198.51.100.1/32")
    _db_group(rds, "open", "0.0.0.0/0")
    evaluation = run("nNauJisYIT", make_env(moto_endpoint))
    assert evaluation.processed == 4  # one per rule
    rows = by_name(evaluation, 1)
    assert set(rows) == {"office", "open"}
    assert rows["open"].metadata == [
        "us-east-1",
        "open",
        "0.0.0.0/0",
        "Red",
        "The rule grants access to every IP address.",
    ]
    assert rows["open"].status == ERROR
    assert rows["office"].metadata[2:] == [
        "203.0.113.0/24",
        "Yellow",
        "The rule grants access to more than one IP address.",
    ]
    assert rows["office"].arn == f"arn:aws:rds:us-east-1:{ACCOUNT}:secgrp:office"


def _sg(*permissions: dict[str, Any]) -> dict[str, Any]:
    return {"IpPermissions": list(permissions)}


def _perm(protocol: str, low: int, high: int, cidr: str = "0.0.0.0/0") -> dict[str, Any]:
    key = ("Ipv6Ranges", "CidrIpv6") if ":" in cidr else ("IpRanges", "CidrIp")
    return {"IpProtocol": protocol, "FromPort": low, "ToPort": high, key[0]: [{key[1]: cidr}]}


@pytest.mark.parametrize(
    ("group", "risky"),
    [
        (_sg(_perm("tcp", 22, 22)), True),
        (_sg(_perm("tcp", 5500, 5500)), True),
        (_sg(_perm("tcp", 3000, 4000)), True),  # contains 3306 and 3389
        (_sg(_perm("tcp", 3306, 3306, "::/0")), True),
        (_sg({"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}), True),
        (_sg(_perm("tcp", 443, 443)), False),
        (_sg(_perm("tcp", 23, 1432)), False),
        (_sg(_perm("tcp", 3306, 3306, "10.0.0.0/8")), False),
        (_sg(_perm("icmp", -1, -1)), False),
    ],
)
def test_risky_ec2_groups(group: dict[str, Any], risky: bool) -> None:
    assert _opens_risky_port(group) is risky


def test_db_security_group_trusting_an_open_ec2_group(
    aws_client: AwsClient, moto_endpoint: str, make_env: MakeEnv
) -> None:
    ec2, rds = aws_client("ec2"), aws_client("rds")
    open_id = ec2.create_security_group(GroupName="bastion", Description="b")["GroupId"]
    ec2.authorize_security_group_ingress(GroupId=open_id, IpPermissions=[_perm("tcp", 22, 22)])
    closed_id = ec2.create_security_group(GroupName="app", Description="a")["GroupId"]
    ec2.authorize_security_group_ingress(
        GroupId=closed_id, IpPermissions=[_perm("tcp", 22, 22, "10.0.0.0/8")]
    )
    _db_group(rds, "legacy")
    # moto records an EC2 security group rule as an empty IP range, so the group's rules are
    # given the shape RDS answers with.
    real = rds.describe_db_security_groups()

    def describe(**params: Any) -> Any:
        [group] = real["DBSecurityGroups"]
        group["EC2SecurityGroups"] = [
            {"Status": "authorized", "EC2SecurityGroupName": name, "EC2SecurityGroupId": gid}
            for name, gid in (("bastion", open_id), ("app", closed_id))
        ] + [{"Status": "revoking", "EC2SecurityGroupName": "bastion"}]
        return real

    def wrap(service: str, region: str, client: Any) -> Any:
        if service != "rds":
            return client
        return _Patched(client, {"describe_db_security_groups": describe})

    evaluation = run("nNauJisYIT", _with_clients(make_env(moto_endpoint), wrap))
    [row] = evaluation.rows
    assert row.status == WARNING
    assert row.metadata == [
        "us-east-1",
        "legacy",
        "bastion",
        "Yellow",
        "The EC2 security group grants global access to a sensitive port.",
    ]


def test_aurora_accessibility(aws_client: AwsClient, moto_endpoint: str, make_env: MakeEnv) -> None:
    rds = aws_client("rds")
    layout = {"mixed": (True, False, True), "private": (False, False), "public": (True,)}
    for cluster, members in layout.items():
        rds.create_db_cluster(
            DBClusterIdentifier=cluster,
            Engine="aurora-mysql",
            MasterUsername="admin",
            MasterUserPassword="password123",
        )
        for index, public in enumerate(members):
            rds.create_db_instance(
                DBInstanceIdentifier=f"{cluster}-{index}",
                DBClusterIdentifier=cluster,
                Engine="aurora-mysql",
                DBInstanceClass="db.r5.large",
                PubliclyAccessible=public,
            )
    # Not Aurora: not evaluated.
    rds.create_db_instance(
        DBInstanceIdentifier="plain",
        Engine="postgres",
        DBInstanceClass="db.t3.micro",
        AllocatedStorage=20,
        MasterUsername="admin",
        MasterUserPassword="password123",
    )
    evaluation = run("xuy7H1avtl", make_env(moto_endpoint))
    assert evaluation.processed == 3
    [row] = evaluation.rows
    assert row.metadata == [
        "Yellow",
        "us-east-1",
        "mixed",
        "mixed-0, mixed-2",
        "mixed-1",
        "The cluster has both public and private DB instances.",
    ]
    assert (row.status, row.region) == (WARNING, "us-east-1")
    assert row.arn == f"arn:aws:rds:us-east-1:{ACCOUNT}:cluster:mixed"
