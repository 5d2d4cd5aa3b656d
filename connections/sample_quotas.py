"""The sample environment's quotas that a few dozen cheap calls can fill.

`seed_quotas` adds, in eu-west-1 (where `connections.sample` has only the idle reports-db),
the estate of a team that leans on its quotas:

- A Kinesis stream of 4,800 shards, 80 % of the 6,000 shards `describe_limits` reports
  (Kinesis Shards per Region: yellow).
- 16 Application Load Balancers and 20 Network Load Balancers, against the 20 of each that
  Elastic Load Balancing's `describe_account_limits` reports (yellow and red).
- A catalog database with 12 read replicas, each 6,200 GiB: 12 of the 15 replicas a primary
  may have, and 80,600 GiB of the 100,000 GiB of DB instance storage (both yellow). They are
  Multi-AZ, backed up and in use, so the other RDS checks leave them alone.
- 20 DB security groups (of 25), one of them admitting 16 single addresses (of 20 rules); 16
  RDS event subscriptions (of 20); a DB subnet group spanning 16 subnets (of 20); 40 DB
  parameter groups (of 50); 32 Aurora clusters (of 40): all yellow.

The quotas are AWS's defaults (`advisor.checks.limits_rds`) or what the services' own APIs
report in moto; each count is 80 % of its quota (the storage just past it), the Network Load
Balancers' 100 %. The seed adds about 200 calls (some 1.7 s).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from connections.sample_limits import WAREHOUSE_REGION, DailyMetrics

QUOTAS_REGION = WAREHOUSE_REGION

CLICKSTREAM_SHARDS = 4_800
APPLICATION_LOAD_BALANCERS = 16
NETWORK_LOAD_BALANCERS = 20

CATALOG_PRIMARY = "catalog-db"
CATALOG_REPLICAS = 12
CATALOG_STORAGE = 6_200  # GiB, the primary's and so each replica's
CATALOG_CONNECTIONS = 40.0  # the daily maximum: in use, not idle

DB_SECURITY_GROUPS = 20
OFFICE_ADDRESSES = 16  # single-address rules of one DB security group
EVENT_SUBSCRIPTIONS = 16
SUBNETS_IN_GROUP = 16
DB_PARAMETER_GROUPS = 40
AURORA_CLUSTERS = 32


def seed_quotas(client: Callable[..., Any], metrics: DailyMetrics) -> None:
    client("kinesis", QUOTAS_REGION).create_stream(
        StreamName="clickstream", ShardCount=CLICKSTREAM_SHARDS
    )
    ec2 = client("ec2", QUOTAS_REGION)
    _seed_load_balancers(client("elbv2", QUOTAS_REGION), ec2)
    rds = client("rds", QUOTAS_REGION)
    _seed_catalog(rds, metrics)
    _seed_rds_groups(rds, ec2, client("sns", QUOTAS_REGION))


def _default_subnets(ec2: Any) -> list[str]:
    subnets = ec2.describe_subnets(Filters=[{"Name": "default-for-az", "Values": ["true"]}])
    return sorted(subnet["SubnetId"] for subnet in subnets["Subnets"])


def _seed_load_balancers(elbv2: Any, ec2: Any) -> None:
    subnets = _default_subnets(ec2)[:2]
    for kind, count in (
        ("application", APPLICATION_LOAD_BALANCERS),
        ("network", NETWORK_LOAD_BALANCERS),
    ):
        for number in range(1, count + 1):
            elbv2.create_load_balancer(
                Name=f"tenant-{kind[:3]}-{number}", Subnets=subnets, Type=kind
            )


def _seed_catalog(rds: Any, metrics: DailyMetrics) -> None:
    rds.create_db_instance(
        DBInstanceIdentifier=CATALOG_PRIMARY,
        DBInstanceClass="db.r5.xlarge",
        Engine="mysql",
        MasterUsername="admin",
        MasterUserPassword="sample-catalog-password",
        AllocatedStorage=CATALOG_STORAGE,
        BackupRetentionPeriod=7,
        MultiAZ=True,
    )
    names = [CATALOG_PRIMARY]
    for number in range(1, CATALOG_REPLICAS + 1):
        # A replica takes the primary's storage and backup retention.
        name = f"{CATALOG_PRIMARY}-replica-{number}"
        rds.create_db_instance_read_replica(
            DBInstanceIdentifier=name, SourceDBInstanceIdentifier=CATALOG_PRIMARY, MultiAZ=True
        )
        names.append(name)
    for name in names:
        metrics.daily(
            QUOTAS_REGION,
            "AWS/RDS",
            "DatabaseConnections",
            {"DBInstanceIdentifier": name},
            CATALOG_CONNECTIONS,
            "Count",
        )


def _seed_rds_groups(rds: Any, ec2: Any, sns: Any) -> None:
    for number in range(1, DB_SECURITY_GROUPS + 1):
        rds.create_db_security_group(
            DBSecurityGroupName=f"legacy-app-{number}",
            DBSecurityGroupDescription="EC2-Classic era access",
        )
    # Single addresses only: the access-risk check has nothing to say about them.
    for number in range(1, OFFICE_ADDRESSES + 1):
        rds.authorize_db_security_group_ingress(
            DBSecurityGroupName="legacy-app-1", CIDRIP=f"192.0.2.{number}/32"
        )
    topic = sns.create_topic(Name="database-events")["TopicArn"]
    for number in range(1, EVENT_SUBSCRIPTIONS + 1):
        rds.create_event_subscription(
            SubscriptionName=f"team-{number}-db-events", SnsTopicArn=topic
        )
    vpc = ec2.describe_vpcs(Filters=[{"Name": "is-default", "Values": ["true"]}])["Vpcs"][0]
    zones = ("a", "b", "c")
    subnets = [
        ec2.create_subnet(
            VpcId=vpc["VpcId"],
            # The default VPC's own subnets take 172.31.0.0 to 172.31.47.255.
            CidrBlock=f"172.31.{128 + number}.0/24",
            AvailabilityZone=f"{QUOTAS_REGION}{zones[number % len(zones)]}",
        )["Subnet"]["SubnetId"]
        for number in range(SUBNETS_IN_GROUP)
    ]
    rds.create_db_subnet_group(
        DBSubnetGroupName="catalog-subnets",
        DBSubnetGroupDescription="Every subnet the catalog has used",
        SubnetIds=subnets,
    )
    for number in range(1, DB_PARAMETER_GROUPS + 1):
        rds.create_db_parameter_group(
            DBParameterGroupName=f"tuning-{number}",
            DBParameterGroupFamily="mysql8.0",
            Description="A tuning experiment",
        )
    for number in range(1, AURORA_CLUSTERS + 1):
        rds.create_db_cluster(
            DBClusterIdentifier=f"tenant-{number}-aurora",
            Engine="aurora-mysql",
            MasterUsername="admin",
            MasterUserPassword="sample-tenant-password",
            BackupRetentionPeriod=7,
        )
