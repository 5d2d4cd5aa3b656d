"""The sample environment's service-limit findings beyond IAM and VPC.

`seed_limits` adds, to the estate `connections.sample` builds:

- SES in us-east-1 has sent 170 of its 200 emails for the day (Daily Sending Quota: yellow).
- A DynamoDB table in eu-west-1 whose provisioned throughput, with its index, takes 16,000 of
  the account's 20,000 read capacity units (exactly 80 %: yellow) and all 20,000 write
  capacity units (red).
- A data-warehouse host in eu-west-1 with large data volumes: General Purpose SSD (gp2) 96 %,
  Throughput Optimized HDD (st1) 82 % and Cold HDD (sc1) 96 % of their storage quotas
  (yellow), Provisioned IOPS SSD (io1) storage at 100 % (red) and its IOPS at exactly 80 %
  (yellow). The volumes are attached and written to every day, so the underutilized-volume
  check leaves them alone.
- An Aurora cluster in us-east-1 with 4 of its 5 IAM roles (RDS Cluster Roles: yellow).

EC2 On-Demand Instances trips without help: the two us-east-1 instances hold 4 of the 5
Standard vCPUs a new account gets. `connections.sample_quotas` fills the quotas a few dozen
calls can reach (Kinesis, Application and Network Load Balancers, most RDS quotas). The others
are out of a cheap seed's reach (hundreds or thousands of Auto Scaling groups, launch
configurations, stacks, hosted zones, health checks, EBS snapshots; 1 TiB magnetic volumes by
the dozen; 80 delegation sets or RDS snapshots, 40 subnet groups or cluster parameter groups,
18 more DB instances; 16 Classic Load Balancers set up so the ELB checks find nothing to flag), so
those checks show green.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from connections.sample_ids import IMAGE_ID

SES_SENDER = "alerts@example.com"
# SES counts every recipient of a message against the quota.
SES_RECIPIENTS_SENT = 170
SES_RECIPIENTS_PER_MESSAGE = 50  # SES's maximum per message

WAREHOUSE_REGION = "eu-west-1"
# (name, type, size GiB, provisioned IOPS): 16 TiB is the largest gp2, io1, st1 or sc1 volume.
WAREHOUSE_VOLUMES = (
    *((f"warehouse-ssd-{n}", "gp2", 16_384, None) for n in (1, 2, 3)),
    *((f"ledger-io1-{n}", "io1", 12_800, 60_000) for n in (1, 2, 3, 4)),
    *((f"log-archive-st1-{n}", "st1", 14_000, None) for n in (1, 2, 3)),
    *((f"cold-archive-sc1-{n}", "sc1", 16_384, None) for n in (1, 2, 3)),
)


class DailyMetrics(Protocol):
    """`connections.sample._MetricWriter`: one datapoint a day around the seed's anchor."""

    def daily(
        self,
        region: str,
        namespace: str,
        metric: str,
        dimensions: dict[str, str],
        value: float,
        unit: str,
    ) -> None: ...


def seed_limits(client: Callable[..., Any], metrics: DailyMetrics) -> None:
    _seed_ses(client("ses"))
    _seed_dynamodb(client("dynamodb", WAREHOUSE_REGION))
    _seed_warehouse(client("ec2", WAREHOUSE_REGION), metrics)
    _seed_cluster_roles(client("rds"), client("iam"))


# The features an Aurora MySQL cluster gives IAM roles, one role each.
CLUSTER_FEATURES = ("s3Import", "s3Export", "Lambda", "Comprehend")
RDS_TRUST = (
    '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": '
    '{"Service": "rds.amazonaws.com"}, "Action": "sts:AssumeRole"}]}'
)


def _seed_cluster_roles(rds: Any, iam: Any) -> None:
    rds.create_db_cluster(
        DBClusterIdentifier="analytics-aurora",
        Engine="aurora-mysql",
        MasterUsername="admin",
        MasterUserPassword="sample-aurora-password",
        BackupRetentionPeriod=7,
    )
    for feature in CLUSTER_FEATURES:
        role = iam.create_role(
            RoleName=f"analytics-aurora-{feature.lower()}", AssumeRolePolicyDocument=RDS_TRUST
        )["Role"]["Arn"]
        rds.add_role_to_db_cluster(
            DBClusterIdentifier="analytics-aurora", RoleArn=role, FeatureName=feature
        )


def _seed_ses(ses: Any) -> None:
    ses.verify_email_identity(EmailAddress=SES_SENDER)
    remaining = SES_RECIPIENTS_SENT
    batch = 0
    while remaining:
        count = min(remaining, SES_RECIPIENTS_PER_MESSAGE)
        ses.send_email(
            Source=SES_SENDER,
            Destination={
                "ToAddresses": [f"customer-{batch}-{n}@example.com" for n in range(count)]
            },
            Message={
                "Subject": {"Data": "Your order has shipped"},
                "Body": {"Text": {"Data": "It is on its way."}},
            },
        )
        remaining -= count
        batch += 1


def _seed_dynamodb(dynamodb: Any) -> None:
    dynamodb.create_table(
        TableName="orders",
        KeySchema=[{"AttributeName": "order_id", "KeyType": "HASH"}],
        AttributeDefinitions=[
            {"AttributeName": "order_id", "AttributeType": "S"},
            {"AttributeName": "customer_id", "AttributeType": "S"},
        ],
        ProvisionedThroughput={"ReadCapacityUnits": 10_000, "WriteCapacityUnits": 10_000},
        GlobalSecondaryIndexes=[
            {
                "IndexName": "by-customer",
                "KeySchema": [{"AttributeName": "customer_id", "KeyType": "HASH"}],
                "Projection": {"ProjectionType": "ALL"},
                "ProvisionedThroughput": {
                    "ReadCapacityUnits": 6_000,
                    "WriteCapacityUnits": 10_000,
                },
            }
        ],
    )


def _seed_warehouse(ec2: Any, metrics: DailyMetrics) -> None:
    zone = f"{WAREHOUSE_REGION}a"
    instance = ec2.run_instances(
        ImageId=IMAGE_ID,
        MinCount=1,
        MaxCount=1,
        InstanceType="r5.large",
        Placement={"AvailabilityZone": zone},
        TagSpecifications=_named("instance", "warehouse-1"),
    )["Instances"][0]["InstanceId"]
    # Busy: the low-utilization check leaves it alone.
    dimensions = {"InstanceId": instance}
    metrics.daily(WAREHOUSE_REGION, "AWS/EC2", "CPUUtilization", dimensions, 55.0, "Percent")
    for metric in ("NetworkIn", "NetworkOut"):
        metrics.daily(WAREHOUSE_REGION, "AWS/EC2", metric, dimensions, 800_000_000.0, "Bytes")
    for index, (name, volume_type, size, iops) in enumerate(WAREHOUSE_VOLUMES):
        extra = {"Iops": iops} if iops else {}
        volume = ec2.create_volume(
            AvailabilityZone=zone,
            Size=size,
            VolumeType=volume_type,
            TagSpecifications=_named("volume", name),
            **extra,
        )["VolumeId"]
        # /dev/sdf to /dev/sdr
        ec2.attach_volume(VolumeId=volume, InstanceId=instance, Device=f"/dev/sd{chr(102 + index)}")
        metrics.daily(
            WAREHOUSE_REGION, "AWS/EBS", "VolumeWriteOps", {"VolumeId": volume}, 400_000.0, "Count"
        )


def _named(resource_type: str, name: str) -> list[dict[str, Any]]:
    return [{"ResourceType": resource_type, "Tags": [{"Key": "Name", "Value": name}]}]
