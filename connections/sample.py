"""The sample AWS environment: a moto server seeded with resources that trip most Trusted Advisor
checks.

The demo and the tests connect accounts to it instead of a real AWS account. Its contents are a
small, plausible estate in two regions with deliberate mistakes: security groups open to the
world, public buckets and snapshots, a weak password policy, a trail that is not logging, idle
and unbacked-up resources, and a region at its VPC quota. Some resources are healthy, so each
check shows a mix of colours.

`endpoint()` is what the rest of the code calls: the operator-run server
(`manage.py advisor_sample`, named by `settings.ADVISOR_SAMPLE_ENDPOINT`), or else one started in
this process. moto keeps its state in memory per process, so separate processes only agree on
the sample through a shared server.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

# Without this moto registers ~1300 public AMIs whose snapshots all look self-owned. It is read
# whenever moto builds an EC2 backend, so it must be set before the first EC2 call.
os.environ.setdefault("MOTO_EC2_LOAD_DEFAULT_AMIS", "false")

import boto3  # noqa: E402
from botocore.exceptions import ClientError  # noqa: E402
from django.conf import settings  # noqa: E402
from django.utils import timezone  # noqa: E402

from connections.metrics import DAY, window_end  # noqa: E402
from connections.sample_checks_a import seed_checks_a  # noqa: E402
from connections.sample_ids import IMAGE_ID, SAMPLE_ACCOUNT_ID  # noqa: E402
from connections.sample_limits import seed_limits  # noqa: E402
from connections.sample_perfcost import seed_perfcost  # noqa: E402
from connections.sample_quotas import seed_quotas  # noqa: E402

if TYPE_CHECKING:
    from moto.server import ThreadedMotoServer

SAMPLE_REGIONS = ("us-east-1", "eu-west-1")
SAMPLE_CREDENTIALS = {
    "aws_access_key_id": "AKIASAMPLEENVIRONMNT",
    "aws_secret_access_key": "sample/environment/secret/key/for/moto/0",
}
MARKER_BUCKET = "supportcenter-sample-marker"
EVENTS_QUEUE = "support-center-events"
EVENTS_QUEUE_ARN = f"arn:aws:sqs:us-east-1:{SAMPLE_ACCOUNT_ID}:{EVENTS_QUEUE}"

ALL_USERS = "http://acs.amazonaws.com/groups/global/AllUsers"
LOG_DELIVERY = "http://acs.amazonaws.com/groups/s3/LogDelivery"
HOUR = DAY / 24
# How old the sample's databases claim to be: the idle-database check leaves out instances
# created in the last week.
DATABASE_AGE = 90 * DAY


@dataclass(frozen=True)
class SampleDatabase:
    region: str
    name: str
    instance_class: str
    storage: int  # GiB
    backup_days: int  # the backup retention period
    multi_az: bool
    connections: float  # the daily maximum of DatabaseConnections


SAMPLE_DATABASES = (
    # Multi-AZ, backed up, in use (green everywhere).
    SampleDatabase("us-east-1", "orders-db", "db.m5.large", 100, 7, True, 35.0),
    # Single-AZ, no backups, nobody connects; `_seed_rds` adds a public snapshot.
    SampleDatabase("eu-west-1", "reports-db", "db.t3.medium", 20, 0, False, 0.0),
)

_lock = threading.Lock()
_local_url: str | None = None
_local_server: ThreadedMotoServer | None = None


def start_server(host: str = "127.0.0.1", port: int = 0) -> tuple[ThreadedMotoServer, str]:
    """Start a moto server in a background thread; port 0 picks a free port.

    Returns the server (call `.stop()` to end it) and its base URL.
    """
    from moto.server import ThreadedMotoServer

    # werkzeug logs every request at INFO on stderr; the sample is chatty enough without it.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    server = ThreadedMotoServer(ip_address=host, port=port, verbose=False)
    server.start()
    bound_host, bound_port = server.get_host_and_port()
    if bound_host in ("0.0.0.0", "::"):
        bound_host = "127.0.0.1"
    return server, f"http://{bound_host}:{bound_port}"


def endpoint() -> str:
    """The sample environment's URL: the configured server, or one started (once) and seeded in
    this process. The in-process one is re-seeded if something reset it (tests do)."""
    configured = settings.ADVISOR_SAMPLE_ENDPOINT
    if configured:
        _wait_until_seeded(str(configured))
        return str(configured)
    global _local_url, _local_server
    with _lock:
        if _local_url is None:
            _local_server, _local_url = start_server()
        seed(_local_url)
        return _local_url


_ready: set[str] = set()


def _wait_until_seeded(url: str, timeout: float = 60.0) -> None:
    """Wait for the operator-run server's seed to finish (runstack starts the worker alongside
    it, so the first check may come a moment before the marker exists). Checked once per
    process; after the timeout, go on and let the check fail on its own terms."""
    if url in _ready:
        return
    s3 = boto3.Session(**SAMPLE_CREDENTIALS).client("s3", region_name="us-east-1", endpoint_url=url)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            s3.head_bucket(Bucket=MARKER_BUCKET)
            _ready.add(url)
            return
        except Exception:  # not up yet, or not seeded yet
            time.sleep(0.5)


def seed(endpoint_url: str, *, now: datetime | None = None) -> None:
    """Create the sample resources, unless the marker bucket says it was done already.

    CloudWatch metrics are written daily from 14 days before `now` (default: the current time)
    to 60 days after it, so utilization checks run any time in that span see two weeks of
    history. The marker is created last: a seed that failed half-way is not mistaken for a
    finished one.
    """
    session = boto3.Session(**SAMPLE_CREDENTIALS)

    def client(service: str, region: str = "us-east-1") -> Any:
        return session.client(service, region_name=region, endpoint_url=endpoint_url)

    try:
        client("s3").head_bucket(Bucket=MARKER_BUCKET)
        return
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") not in ("404", "NoSuchBucket"):
            raise
    now = now or timezone.now()
    metrics = _MetricWriter(client, window_end(now))
    _seed_iam(client("iam"))
    _seed_s3(client)
    _seed_cloudtrail(client)
    instances = _seed_ec2(client, metrics)
    _seed_elb(client("elb"), instances, metrics)
    _seed_rds(client, metrics)
    _backdate_databases(now - DATABASE_AGE)
    seed_limits(client, metrics)
    seed_quotas(client, metrics)
    seed_perfcost(client, metrics, now)
    seed_checks_a(client, now, metrics.daily)
    # Where the demo's event rules deliver (an SQS target reached through the connection).
    client("sqs").create_queue(QueueName=EVENTS_QUEUE)
    client("s3").create_bucket(Bucket=MARKER_BUCKET)


class _MetricWriter:
    """Writes one CloudWatch datapoint a day, the same value every day, around `anchor`.

    The point for d days ago lands at anchor - d days + 1 hour: inside day 14 - d of a 14-day
    window ending at the anchor, and day 7 - d of a 7-day one. Points are also written for the
    next FUTURE_DAYS days (CloudWatch takes future timestamps), so a long-running demo keeps
    the same findings instead of seeing its history slide out of the checks' windows.
    """

    PAST_DAYS = 14
    FUTURE_DAYS = 60

    def __init__(self, client: Callable[..., Any], anchor: datetime) -> None:
        self.client = client
        self.anchor = anchor

    def daily(
        self,
        region: str,
        namespace: str,
        metric: str,
        dimensions: dict[str, str],
        value: float,
        unit: str,
    ) -> None:
        self.client("cloudwatch", region).put_metric_data(
            Namespace=namespace,
            MetricData=[
                {
                    "MetricName": metric,
                    "Dimensions": [{"Name": k, "Value": v} for k, v in dimensions.items()],
                    "Timestamp": self.anchor - days_ago * DAY + HOUR,
                    "Value": value,
                    "Unit": unit,
                }
                for days_ago in range(-self.FUTURE_DAYS, self.PAST_DAYS + 1)
            ],
        )


def _seed_iam(iam: Any) -> None:
    for user in ("alice", "bob", "carol", "deploy-bot"):
        iam.create_user(UserName=user)
    for user in ("alice", "bob", "deploy-bot"):
        iam.create_access_key(UserName=user)
    # deploy-bot is half-way through a key rotation: two active keys, two rows for one user.
    iam.create_access_key(UserName="deploy-bot")
    spare = iam.create_access_key(UserName="bob")["AccessKey"]["AccessKeyId"]
    iam.update_access_key(UserName="bob", AccessKeyId=spare, Status="Inactive")
    for group, members in (("admins", ["alice"]), ("developers", ["bob", "carol"])):
        iam.create_group(GroupName=group)
        for member in members:
            iam.add_user_to_group(GroupName=group, UserName=member)
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "ec2.amazonaws.com"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
    iam.create_role(RoleName="app-server", AssumeRolePolicyDocument=json.dumps(trust))
    iam.create_instance_profile(InstanceProfileName="app-server")
    iam.add_role_to_instance_profile(InstanceProfileName="app-server", RoleName="app-server")
    read_only = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}],
    }
    iam.create_policy(PolicyName="s3-read-only", PolicyDocument=json.dumps(read_only))
    # Weak on purpose: no numbers or symbols required (IAM Password Policy: yellow).
    iam.update_account_password_policy(
        MinimumPasswordLength=8,
        RequireUppercaseCharacters=True,
        RequireLowercaseCharacters=True,
        RequireNumbers=False,
        RequireSymbols=False,
    )


def _seed_s3(client: Callable[..., Any]) -> None:
    s3 = client("s3")
    s3.create_bucket(Bucket="supportcenter-sample-public-read", ACL="public-read")
    # moto's canned public-read-write ACL grants only READ; spell out the WRITE grant.
    s3.create_bucket(Bucket="supportcenter-sample-public-write")
    owner = s3.get_bucket_acl(Bucket="supportcenter-sample-public-write")["Owner"]
    _put_acl(s3, "supportcenter-sample-public-write", owner, (ALL_USERS, "WRITE"))
    # The access-log target: S3 log delivery may write to it (moto enforces that).
    s3.create_bucket(Bucket="supportcenter-sample-access-logs")
    log_delivery = ((LOG_DELIVERY, "WRITE"), (LOG_DELIVERY, "READ_ACP"))
    _put_acl(s3, "supportcenter-sample-access-logs", owner, *log_delivery)
    s3.create_bucket(Bucket="supportcenter-sample-documents")
    s3.put_bucket_versioning(
        Bucket="supportcenter-sample-documents", VersioningConfiguration={"Status": "Enabled"}
    )
    s3.put_bucket_logging(
        Bucket="supportcenter-sample-documents",
        BucketLoggingStatus={
            "LoggingEnabled": {
                "TargetBucket": "supportcenter-sample-access-logs",
                "TargetPrefix": "documents/",
            }
        },
    )
    eu = client("s3", "eu-west-1")
    eu.create_bucket(
        Bucket="supportcenter-sample-eu-website",
        CreateBucketConfiguration={"LocationConstraint": "eu-west-1"},
    )
    public_policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": "*",
                "Action": "s3:GetObject",
                "Resource": "arn:aws:s3:::supportcenter-sample-eu-website/*",
            }
        ],
    }
    eu.put_bucket_policy(Bucket="supportcenter-sample-eu-website", Policy=json.dumps(public_policy))


def _put_acl(s3: Any, bucket: str, owner: dict[str, str], *groups: tuple[str, str]) -> None:
    """Set `bucket`'s ACL: full control for `owner`, and each (group URI, permission) of
    `groups`."""
    grants = [
        {"Grantee": {"Type": "CanonicalUser", "ID": owner["ID"]}, "Permission": "FULL_CONTROL"},
        *(
            {"Grantee": {"Type": "Group", "URI": uri}, "Permission": permission}
            for uri, permission in groups
        ),
    ]
    s3.put_bucket_acl(Bucket=bucket, AccessControlPolicy={"Owner": owner, "Grants": grants})


def _seed_cloudtrail(client: Callable[..., Any]) -> None:
    client("s3").create_bucket(Bucket="supportcenter-sample-trail-logs")
    # us-east-1: a trail whose logging was never started (red); eu-west-1: a working one.
    client("cloudtrail").create_trail(
        Name="management-events", S3BucketName="supportcenter-sample-trail-logs"
    )
    eu = client("cloudtrail", "eu-west-1")
    eu.create_trail(Name="eu-audit", S3BucketName="supportcenter-sample-trail-logs")
    eu.start_logging(Name="eu-audit")
    # A multi-region trail, reported once in each region it covers.
    client("cloudtrail").create_trail(
        Name="organization-audit",
        S3BucketName="supportcenter-sample-trail-logs",
        IsMultiRegionTrail=True,
    )
    client("cloudtrail").start_logging(Name="organization-audit")


def _name(resource_type: str, name: str) -> list[dict[str, Any]]:
    return [{"ResourceType": resource_type, "Tags": [{"Key": "Name", "Value": name}]}]


def _seed_ec2(client: Callable[..., Any], metrics: _MetricWriter) -> dict[str, str]:
    """Security groups, instances, addresses, volumes and VPCs; returns instance ids by name."""
    ec2 = client("ec2")
    web_sg = ec2.create_security_group(GroupName="web-public", Description="Public web")["GroupId"]
    admin_sg = ec2.create_security_group(GroupName="admin-access", Description="Admin")["GroupId"]
    _open(ec2, web_sg, [80, 443])  # green: public web ports
    _open(ec2, admin_sg, [22, 3389])  # yellow (22) and red (3389)
    instances: dict[str, str] = {}
    for name, instance_type in (("web-1", "t3.large"), ("app-1", "m5.large")):
        reservation = ec2.run_instances(
            ImageId=IMAGE_ID,
            MinCount=1,
            MaxCount=1,
            InstanceType=instance_type,
            SecurityGroupIds=[web_sg, admin_sg],
            TagSpecifications=_name("instance", name),
        )
        instances[name] = reservation["Instances"][0]["InstanceId"]
    # web-1 idles (low utilization: yellow); app-1 is busy.
    for name, cpu, network in (("web-1", 2.5, 400_000.0), ("app-1", 61.0, 900_000_000.0)):
        dimensions = {"InstanceId": instances[name]}
        metrics.daily("us-east-1", "AWS/EC2", "CPUUtilization", dimensions, cpu, "Percent")
        for metric in ("NetworkIn", "NetworkOut"):
            metrics.daily("us-east-1", "AWS/EC2", metric, dimensions, network, "Bytes")
    busy_eip = ec2.allocate_address(Domain="vpc")["AllocationId"]
    ec2.associate_address(AllocationId=busy_eip, InstanceId=instances["app-1"])
    ec2.allocate_address(Domain="vpc")  # nobody uses it (yellow)

    data = ec2.create_volume(
        AvailabilityZone="us-east-1a",
        Size=50,
        VolumeType="gp3",
        TagSpecifications=_name("volume", "app-data"),
    )["VolumeId"]
    ec2.attach_volume(VolumeId=data, InstanceId=instances["app-1"], Device="/dev/sdf")
    ops = 250_000.0
    metrics.daily("us-east-1", "AWS/EBS", "VolumeWriteOps", {"VolumeId": data}, ops, "Count")
    snapshot = ec2.create_snapshot(
        VolumeId=data,
        Description="app-data nightly",
        TagSpecifications=_name("snapshot", "app-data-nightly"),
    )["SnapshotId"]
    # Shared with everyone by mistake (EBS public snapshots: red).
    ec2.modify_snapshot_attribute(
        SnapshotId=snapshot,
        Attribute="createVolumePermission",
        OperationType="add",
        GroupNames=["all"],
    )
    # Left behind: unattached and never snapshotted.
    ec2.create_volume(
        AvailabilityZone="us-east-1b",
        Size=200,
        VolumeType="gp2",
        TagSpecifications=_name("volume", "old-build-cache"),
    )
    vpc = ec2.create_vpc(CidrBlock="10.10.0.0/16")["Vpc"]["VpcId"]
    gateway = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=gateway, VpcId=vpc)
    # With the default VPC: 4 of 5 VPCs in us-east-1 (yellow), 5 of 5 in eu-west-1 (red).
    for index in (11, 12):
        ec2.create_vpc(CidrBlock=f"10.{index}.0.0/16")
    eu = client("ec2", "eu-west-1")
    for index in (20, 21, 22, 23):
        eu.create_vpc(CidrBlock=f"10.{index}.0.0/16")
    db_sg = eu.create_security_group(GroupName="db-open", Description="Database")["GroupId"]
    _open(eu, db_sg, [3306])
    return instances


def _open(ec2: Any, group_id: str, ports: list[int]) -> None:
    ec2.authorize_security_group_ingress(
        GroupId=group_id,
        IpPermissions=[
            {
                "IpProtocol": "tcp",
                "FromPort": port,
                "ToPort": port,
                "IpRanges": [{"CidrIp": "0.0.0.0/0"}],
            }
            for port in ports
        ],
    )


def _seed_elb(elb: Any, instances: dict[str, str], metrics: _MetricWriter) -> None:
    listeners = [{"Protocol": "HTTP", "LoadBalancerPort": 80, "InstancePort": 80}]
    # legacy-web: nothing behind it, no draining, no cross-zone (yellow in three checks).
    elb.create_load_balancer(
        LoadBalancerName="legacy-web", Listeners=listeners, AvailabilityZones=["us-east-1a"]
    )
    elb.create_load_balancer(
        LoadBalancerName="app-lb",
        Listeners=listeners,
        AvailabilityZones=["us-east-1a", "us-east-1b"],
    )
    elb.register_instances_with_load_balancer(
        LoadBalancerName="app-lb", Instances=[{"InstanceId": instances["app-1"]}]
    )
    elb.modify_load_balancer_attributes(
        LoadBalancerName="app-lb",
        LoadBalancerAttributes={
            "ConnectionDraining": {"Enabled": True, "Timeout": 300},
            "CrossZoneLoadBalancing": {"Enabled": True},
        },
    )
    dimensions = {"LoadBalancerName": "app-lb"}
    metrics.daily("us-east-1", "AWS/ELB", "RequestCount", dimensions, 5200.0, "Count")


def _backdate_databases(created: datetime) -> None:
    """Make the sample's databases older than they are. moto stamps InstanceCreateTime with the
    real clock and has no API to change it, so this edits moto's in-process state; the seeding
    process always runs the server it seeds (`endpoint()` and `manage.py advisor_sample` both
    do). A database moto does not hold here is left alone."""
    from moto.rds.models import rds_backends

    stamp = created.astimezone(UTC).replace(tzinfo=None)  # moto keeps naive UTC times
    for sample in SAMPLE_DATABASES:
        database = rds_backends[SAMPLE_ACCOUNT_ID][sample.region].databases.get(sample.name)
        if database is not None:
            database.instance_create_time = stamp


def _seed_rds(client: Callable[..., Any], metrics: _MetricWriter) -> None:
    for number, database in enumerate(SAMPLE_DATABASES, start=1):
        client("rds", database.region).create_db_instance(
            DBInstanceIdentifier=database.name,
            DBInstanceClass=database.instance_class,
            Engine="mysql",
            MasterUsername="admin",
            MasterUserPassword=f"sample-password-{number}",
            AllocatedStorage=database.storage,
            BackupRetentionPeriod=database.backup_days,
            MultiAZ=database.multi_az,
        )
        dimensions = {"DBInstanceIdentifier": database.name}
        value = database.connections
        metrics.daily(database.region, "AWS/RDS", "DatabaseConnections", dimensions, value, "Count")
    # Shared with everyone by mistake (RDS public snapshots: red).
    eu = client("rds", "eu-west-1")
    eu.create_db_snapshot(
        DBSnapshotIdentifier="reports-db-export", DBInstanceIdentifier="reports-db"
    )
    eu.modify_db_snapshot_attribute(
        DBSnapshotIdentifier="reports-db-export", AttributeName="restore", ValuesToAdd=["all"]
    )
