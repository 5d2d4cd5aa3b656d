"""The sample environment's share for the performance checks and the cost checks beyond EC2,
EBS, ELB and RDS: each of them finds something here.

- us-east-1 keeps most instances in zone a (Availability Zone balance: yellow); eu-west-1 has
  one instance, so one zone (red).
- build-1 runs above 90 % CPU every day (high utilization).
- db-1 is an m3.xlarge, a type that can be EBS-optimized, launched without it, with a
  Provisioned IOPS volume (attachment configuration) and a magnetic volume that serves a steady
  ~120 IOPS around the clock (overutilized magnetic volume).
- etl-1's scratch volume writes at the limit of its instance type's EBS bandwidth
  (EC2 to EBS throughput).
- partner-gw in eu-west-1 sits behind a security group of 56 rules (both rule-count checks).
- A Route 53 zone has CNAMEs to CloudFront and a load balancer (alias record sets) and a
  latency record with no second region; a CloudFront distribution puts User-Agent in its
  cache key for /api/*.
- The Redshift cluster analytics has had no connection all week; warehouse is in use.
- The public website bucket in eu-west-1 holds 2 GB and serves 10 GB a day (CloudFront
  content delivery).

Metric history is written like the rest of the sample's (`_MetricWriter`: a point a day,
14 days back and 60 ahead). The finer series cost more points, so they cover less: hourly IOPS
for 14 days back and 14 ahead, five-minute throughput from the day before the seed to two days
after it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from connections.metrics import DAY
from connections.sample_ids import IMAGE_ID
from connections.sample_ids import SAMPLE_ACCOUNT_ID as ACCOUNT_ID

if TYPE_CHECKING:
    from connections.sample import _MetricWriter

HOUR = timedelta(hours=1)
FIVE_MINUTES = timedelta(minutes=5)
# The age the sample claims for its Redshift clusters: the check leaves out week-old ones.
CLUSTER_AGE = timedelta(days=60)

MAGNETIC_HOURLY_OPS = (118 * 3600.0, 122 * 3600.0)  # ~120 IOPS, steady
MAGNETIC_DAYS_BACK = MAGNETIC_DAYS_AHEAD = 14
# m5.large moves at most 593.75 MB/s to EBS; the scratch volume writes 590 MB/s (above 95 %).
ETL_BYTES_PER_PERIOD = 590e6 * FIVE_MINUTES.total_seconds()
THROUGHPUT_DAYS_AHEAD = 2

GIB = 2**30
SAMPLE_ZONE = "example-shop.com"
API_BEHAVIOR = "/api/*"


def seed_perfcost(client: Callable[..., Any], metrics: _MetricWriter, now: datetime) -> None:
    """Create this module's resources and their metric history (called once, from
    `connections.sample.seed`)."""
    _seed_instances(client, metrics, now)
    _seed_partner_gateway(client("ec2", "eu-west-1"))
    _seed_route53(client("route53"))
    _seed_cloudfront(client("cloudfront"))
    _seed_redshift(client("redshift"), metrics, now)
    _seed_downloads(metrics)


def _name(resource_type: str, name: str) -> list[dict[str, Any]]:
    return [{"ResourceType": resource_type, "Tags": [{"Key": "Name", "Value": name}]}]


def _run(ec2: Any, name: str, instance_type: str, zone: str, **params: Any) -> str:
    reservation = ec2.run_instances(
        ImageId=IMAGE_ID,
        MinCount=1,
        MaxCount=1,
        InstanceType=instance_type,
        Placement={"AvailabilityZone": zone},
        TagSpecifications=_name("instance", name),
        **params,
    )
    return str(reservation["Instances"][0]["InstanceId"])


def _volume(ec2: Any, name: str, zone: str, volume_type: str, size: int, **params: Any) -> str:
    return str(
        ec2.create_volume(
            AvailabilityZone=zone,
            Size=size,
            VolumeType=volume_type,
            TagSpecifications=_name("volume", name),
            **params,
        )["VolumeId"]
    )


def _seed_instances(client: Callable[..., Any], metrics: _MetricWriter, now: datetime) -> None:
    ec2 = client("ec2")
    build = _run(ec2, "build-1", "c5.large", "us-east-1a")
    metrics.daily("us-east-1", "AWS/EC2", "CPUUtilization", {"InstanceId": build}, 96.0, "Percent")

    db = _run(ec2, "db-1", "m3.xlarge", "us-east-1b", EbsOptimized=False)
    data = _volume(ec2, "db-data", "us-east-1b", "io1", 100, Iops=3000)
    ec2.attach_volume(VolumeId=data, InstanceId=db, Device="/dev/sdf")
    logs = _volume(ec2, "db-logs", "us-east-1b", "standard", 200)
    ec2.attach_volume(VolumeId=logs, InstanceId=db, Device="/dev/sdg")

    etl = _run(ec2, "etl-1", "m5.large", "us-east-1a", EbsOptimized=True)
    scratch = _volume(ec2, "etl-scratch", "us-east-1a", "gp3", 500)
    ec2.attach_volume(VolumeId=scratch, InstanceId=etl, Device="/dev/sdf")

    # Busy enough that the underutilized-volume check leaves the data volumes alone, also once
    # the magnetic volume's hourly history has run out.
    for volume in (data, scratch):
        dimensions = {"VolumeId": volume}
        metrics.daily("us-east-1", "AWS/EBS", "VolumeWriteOps", dimensions, 900_000.0, "Count")
    # Small next to the hourly writes (about 28 IOPS more in one hour a day), so the magnetic
    # volume's days stay steady.
    dimensions = {"VolumeId": logs}
    metrics.daily("us-east-1", "AWS/EBS", "VolumeReadOps", dimensions, 100_000.0, "Count")
    cloudwatch = client("cloudwatch")
    hour = now.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    steps = range(-MAGNETIC_DAYS_AHEAD * 24, MAGNETIC_DAYS_BACK * 24 + 1)
    _put(
        cloudwatch,
        "AWS/EBS",
        "VolumeWriteOps",
        {"VolumeId": logs},
        [(hour - step * HOUR + FIVE_MINUTES, MAGNETIC_HOURLY_OPS[step % 2]) for step in steps],
        "Count",
    )
    midnight = hour.replace(hour=0)
    periods = int((THROUGHPUT_DAYS_AHEAD + 1) * DAY / FIVE_MINUTES)
    _put(
        cloudwatch,
        "AWS/EBS",
        "VolumeWriteBytes",
        {"VolumeId": scratch},
        [
            (midnight - DAY + index * FIVE_MINUTES + timedelta(minutes=1), ETL_BYTES_PER_PERIOD)
            for index in range(periods)
        ],
        "Bytes",
    )


def _put(
    cloudwatch: Any,
    namespace: str,
    metric: str,
    dimensions: dict[str, str],
    points: list[tuple[datetime, float]],
    unit: str,
) -> None:
    """Write `points` (timestamp, value), 1000 to a call (PutMetricData's limit)."""
    for offset in range(0, len(points), 1000):
        cloudwatch.put_metric_data(
            Namespace=namespace,
            MetricData=[
                {
                    "MetricName": metric,
                    "Dimensions": [{"Name": k, "Value": v} for k, v in dimensions.items()],
                    "Timestamp": moment,
                    "Value": value,
                    "Unit": unit,
                }
                for moment, value in points[offset : offset + 1000]
            ],
        )


def _seed_partner_gateway(eu: Any) -> None:
    """A group that allows 55 partner addresses one by one, plus the default outbound rule."""
    group = eu.create_security_group(
        GroupName="partner-allowlist", Description="Partner API callers"
    )["GroupId"]
    eu.authorize_security_group_ingress(
        GroupId=group,
        IpPermissions=[
            {
                "IpProtocol": "tcp",
                "FromPort": 443,
                "ToPort": 443,
                "IpRanges": [{"CidrIp": f"10.30.{index}.10/32"} for index in range(55)],
            }
        ],
    )
    _run(eu, "partner-gw", "t3.medium", "eu-west-1a", SecurityGroupIds=[group])


def _seed_route53(route53: Any) -> None:
    zone = route53.create_hosted_zone(Name=SAMPLE_ZONE, CallerReference="supportcenter-sample")
    records = [
        ("www", "CNAME", {"ResourceRecords": [{"Value": "d3kx1example.cloudfront.net"}]}),
        (
            "shop",
            "CNAME",
            {"ResourceRecords": [{"Value": "app-lb-1234567890.us-east-1.elb.amazonaws.com"}]},
        ),
        ("blog", "CNAME", {"ResourceRecords": [{"Value": "blog.example-hosting.net"}]}),
        ("api", "A", _latency("us-east-1", "192.0.2.10")),
        ("search", "A", _latency("us-east-1", "192.0.2.20")),
        ("search", "A", _latency("eu-west-1", "198.51.100.20")),
    ]
    changes = [
        {
            "Action": "CREATE",
            "ResourceRecordSet": {
                "Name": f"{label}.{SAMPLE_ZONE}",
                "Type": record_type,
                "TTL": 300,
                **details,
            },
        }
        for label, record_type, details in records
    ]
    route53.change_resource_record_sets(
        HostedZoneId=zone["HostedZone"]["Id"], ChangeBatch={"Changes": changes}
    )


def _latency(region: str, address: str) -> dict[str, Any]:
    return {"SetIdentifier": region, "Region": region, "ResourceRecords": [{"Value": address}]}


def _forwarding(headers: list[str]) -> dict[str, Any]:
    return {
        "QueryString": False,
        "Cookies": {"Forward": "none"},
        "Headers": {"Quantity": len(headers), "Items": headers},
    }


def _seed_cloudfront(cloudfront: Any) -> None:
    origin = "supportcenter-sample-documents.s3.amazonaws.com"
    behavior = {"TargetOriginId": "documents", "ViewerProtocolPolicy": "redirect-to-https"}
    cloudfront.create_distribution(
        DistributionConfig={
            "CallerReference": "supportcenter-sample-shop",
            "Comment": "Shop front",
            "Enabled": True,
            "Origins": {
                "Quantity": 1,
                "Items": [
                    {
                        "Id": "documents",
                        "DomainName": origin,
                        "S3OriginConfig": {"OriginAccessIdentity": ""},
                    }
                ],
            },
            "DefaultCacheBehavior": {**behavior, "MinTTL": 0, "ForwardedValues": _forwarding([])},
            "CacheBehaviors": {
                "Quantity": 1,
                "Items": [
                    {
                        **behavior,
                        "PathPattern": API_BEHAVIOR,
                        "MinTTL": 0,
                        "ForwardedValues": _forwarding(["Authorization", "User-Agent"]),
                    }
                ],
            },
        }
    )


def _seed_redshift(redshift: Any, metrics: _MetricWriter, now: datetime) -> None:
    for name, nodes, connections in (("analytics", 2, 0.0), ("warehouse", 1, 8.0)):
        redshift.create_cluster(
            ClusterIdentifier=name,
            NodeType="dc2.large",
            MasterUsername="admin",
            MasterUserPassword="Sample-password-1",
            ClusterType="multi-node" if nodes > 1 else "single-node",
            NumberOfNodes=nodes,
        )
        dimensions = {"ClusterIdentifier": name}
        metric = "DatabaseConnections"
        metrics.daily("us-east-1", "AWS/Redshift", metric, dimensions, connections, "Count")
    _backdate_clusters(now - CLUSTER_AGE)


def _backdate_clusters(created: datetime) -> None:
    """Make the sample's clusters older than they are, as `connections.sample` does for its
    databases: moto stamps ClusterCreateTime with the real clock and has no API to change it."""
    from moto.redshift.models import redshift_backends

    stamp = created.astimezone(UTC).replace(tzinfo=None)  # moto keeps naive UTC times
    for cluster in redshift_backends[ACCOUNT_ID]["us-east-1"].clusters.values():
        cluster.create_time = stamp


def _seed_downloads(metrics: _MetricWriter) -> None:
    """S3's daily storage and request metrics for the sample's public website bucket."""
    bucket = "supportcenter-sample-eu-website"
    for (
        metric,
        dimension,
        value,
    ) in (
        ("BucketSizeBytes", ("StorageType", "StandardStorage"), 2.0 * GIB),
        ("BytesDownloaded", ("FilterId", "EntireBucket"), 10.0 * GIB),
    ):
        dimensions = {"BucketName": bucket, dimension[0]: dimension[1]}
        metrics.daily("eu-west-1", "AWS/S3", metric, dimensions, value, "Bytes")
