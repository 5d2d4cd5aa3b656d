"""Service limits of EBS, DynamoDB, Kinesis, SES and Route 53, against moto: each at the
thresholds (just under 80 %, exactly 80 %, 100 %), Blue where unknown."""

from __future__ import annotations

from typing import Any

import pytest

from advisor.checks.base import OK
from tests.advisor.check_helpers import _Patched, _with_clients, run
from tests.advisor.conftest import AwsClient, MakeEnv
from tests.advisor.limit_helpers import only_row, refusing, rows, with_quotas

# --- EBS ----------------------------------------------------------------------------------------

GP2 = "General Purpose SSD (gp2) volume storage (GiB)"


def _volumes(ec2: Any, volume_type: str, sizes: list[int], iops: int | None = None) -> None:
    for size in sizes:
        extra = {"Iops": iops} if iops else {}
        ec2.create_volume(AvailabilityZone="us-east-1a", Size=size, VolumeType=volume_type, **extra)


@pytest.mark.parametrize(
    ("sizes", "colour"),
    [
        # The default quota, 50 TiB: 51,200 GiB; 80 % is 40,960 GiB.
        ([16_384, 16_384, 8_191], "Green"),
        ([16_384, 16_384, 8_192], "Yellow"),
        ([16_384, 16_384, 16_384, 2_048], "Red"),
    ],
)
def test_gp2_storage(
    sizes: list[int], colour: str, aws_client: AwsClient, moto_endpoint: str, make_env: MakeEnv
) -> None:
    ec2 = aws_client("ec2")
    _volumes(ec2, "gp2", sizes)
    _volumes(ec2, "gp3", [16_384])  # another type, another quota
    usage = str(sum(sizes))
    assert only_row("dH7RR0l6J9", make_env(moto_endpoint)) == [
        "us-east-1",
        "EBS",
        GP2,
        "51200",
        usage,
        colour,
    ]


@pytest.mark.parametrize(
    ("check_id", "volume_type", "quota_code", "limit_name"),
    [
        ("gI7MM0l7J9", "io1", "L-FD252861", "Provisioned IOPS SSD (io1) volume storage (GiB)"),
        ("cG7HH0l7J9", "standard", "L-9CF3C2EB", "Magnetic (standard) volume storage (GiB)"),
        ("wH7DD0l3J9", "st1", "L-82ACEF56", "Throughput Optimized HDD (st1) volume storage (GiB)"),
        ("gH5CC0e3J9", "sc1", "L-17AF77E8", "Cold HDD (sc1) volume storage (GiB)"),
    ],
)
@pytest.mark.parametrize(
    # A quota of 5 TiB (5,120 GiB) from Service Quotas: 80 % is 4,096 GiB.
    ("sizes", "colour"),
    [([1_024] * 3 + [1_023], "Green"), ([1_024] * 4, "Yellow"), ([1_024] * 5, "Red")],
)
def test_storage_by_volume_type(
    check_id: str,
    volume_type: str,
    quota_code: str,
    limit_name: str,
    sizes: list[int],
    colour: str,
    aws_client: AwsClient,
    moto_endpoint: str,
    make_env: MakeEnv,
) -> None:
    _volumes(aws_client("ec2"), volume_type, sizes, iops=3_000 if volume_type == "io1" else None)
    env = with_quotas(make_env(moto_endpoint), {("ebs", quota_code): 5})
    assert only_row(check_id, env) == [
        "us-east-1",
        "EBS",
        limit_name,
        "5120",
        str(sum(sizes)),
        colour,
    ]


@pytest.mark.parametrize(
    ("io1", "io2", "colours"),
    [
        # Defaults: io1 300,000 IOPS (80 %: 240,000), io2 100,000 (80 %: 80,000).
        ([64_000, 64_000, 64_000, 47_999], [40_000, 39_999], ("Green", "Green")),
        ([64_000, 64_000, 64_000, 48_000], [40_000, 40_000], ("Yellow", "Yellow")),
        ([64_000] * 4 + [44_000], [64_000, 36_000], ("Red", "Red")),
    ],
)
def test_provisioned_iops(
    io1: list[int],
    io2: list[int],
    colours: tuple[str, str],
    aws_client: AwsClient,
    moto_endpoint: str,
    make_env: MakeEnv,
) -> None:
    ec2 = aws_client("ec2")
    for iops in io1:
        _volumes(ec2, "io1", [2_000], iops=iops)
    for iops in io2:
        _volumes(ec2, "io2", [2_000], iops=iops)
    _volumes(ec2, "gp3", [2_000], iops=16_000)  # not Provisioned IOPS SSD
    assert rows("tV7YY0l7J9", make_env(moto_endpoint)) == {
        "us-east-1": [
            [
                "us-east-1",
                "EBS",
                "Provisioned IOPS SSD (io1) volume aggregate IOPS",
                "300000",
                str(sum(io1)),
                colours[0],
            ],
            [
                "us-east-1",
                "EBS",
                "Provisioned IOPS SSD (io2) volume aggregate IOPS",
                "100000",
                str(sum(io2)),
                colours[1],
            ],
        ]
    }


@pytest.mark.parametrize(("count", "colour"), [(3, "Green"), (4, "Yellow"), (5, "Red")])
def test_active_snapshots(
    count: int, colour: str, aws_client: AwsClient, moto_endpoint: str, make_env: MakeEnv
) -> None:
    ec2 = aws_client("ec2")
    volume = ec2.create_volume(AvailabilityZone="us-east-1a", Size=8)["VolumeId"]
    for _ in range(count):
        ec2.create_snapshot(VolumeId=volume)
    env = with_quotas(make_env(moto_endpoint), {("ebs", "L-309BACF6"): 5})
    assert only_row("eI7KK0l7J9", env) == [
        "us-east-1",
        "EBS",
        "Active snapshots",
        "5",
        str(count),
        colour,
    ]
    assert only_row("eI7KK0l7J9", make_env(moto_endpoint))[3] == "100000"


def test_ebs_quota_refused_is_blue(
    aws_client: AwsClient, moto_endpoint: str, make_env: MakeEnv
) -> None:
    _volumes(aws_client("ec2"), "gp2", [100])
    env = refusing(make_env(moto_endpoint), {("service-quotas", "get_service_quota")})
    [row] = run("dH7RR0l6J9", env).rows
    assert (row.status, list(row.metadata)) == (OK, ["us-east-1", "EBS", GP2, None, "100", "Blue"])


# --- DynamoDB -----------------------------------------------------------------------------------


def _table(dynamodb: Any, name: str, table: tuple[int, int], index: tuple[int, int]) -> None:
    dynamodb.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[
            {"AttributeName": "id", "AttributeType": "S"},
            {"AttributeName": "owner", "AttributeType": "S"},
        ],
        ProvisionedThroughput={"ReadCapacityUnits": table[0], "WriteCapacityUnits": table[1]},
        GlobalSecondaryIndexes=[
            {
                "IndexName": "by-owner",
                "KeySchema": [{"AttributeName": "owner", "KeyType": "HASH"}],
                "Projection": {"ProjectionType": "KEYS_ONLY"},
                "ProvisionedThroughput": {
                    "ReadCapacityUnits": index[0],
                    "WriteCapacityUnits": index[1],
                },
            }
        ],
    )


@pytest.mark.parametrize(
    ("reads", "writes", "colours"),
    [
        # moto's account limits: 20,000 each (80 %: 16,000).
        ((10_000, 5_999), (1_000, 1_000), ("Green", "Green")),
        ((10_000, 6_000), (14_999, 1_000), ("Yellow", "Green")),
        ((10_000, 6_001), (10_000, 10_000), ("Yellow", "Red")),
        ((10_000, 10_000), (19_999, 1), ("Red", "Red")),
    ],
)
def test_dynamodb_capacity(
    reads: tuple[int, int],
    writes: tuple[int, int],
    colours: tuple[str, str],
    aws_client: AwsClient,
    moto_endpoint: str,
    make_env: MakeEnv,
) -> None:
    dynamodb = aws_client("dynamodb")
    _table(dynamodb, "orders", (reads[0], writes[0]), (reads[1], writes[1]))
    # An on-demand table provisions nothing.
    dynamodb.create_table(
        TableName="sessions",
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    env = make_env(moto_endpoint)
    read = only_row("6gtQddfEw6", env)
    write = only_row("c5ftjdfkMr", env)
    assert read == [
        "us-east-1",
        "DynamoDB",
        "Account read capacity units",
        "20000",
        str(sum(reads)),
        colours[0],
    ]
    assert write == [
        "us-east-1",
        "DynamoDB",
        "Account write capacity units",
        "20000",
        str(sum(writes)),
        colours[1],
    ]


def test_dynamodb_limits_refused_are_blue(moto_endpoint: str, make_env: MakeEnv) -> None:
    env = refusing(make_env(moto_endpoint), {("dynamodb", "describe_limits")})
    assert only_row("6gtQddfEw6", env)[3:] == [None, "0", "Blue"]


# --- Kinesis ------------------------------------------------------------------------------------


def _shard_limit(limit: int) -> Any:
    def wrap(service: str, region: str, client: Any) -> Any:
        if service != "kinesis":
            return client
        answer = {"ShardLimit": limit, "OpenShardCount": 0}
        return _Patched(client, {"describe_limits": lambda: answer})

    return wrap


@pytest.mark.parametrize(
    ("shards", "colour"), [([2, 1], "Green"), ([2, 2], "Yellow"), ([5], "Red")]
)
def test_kinesis_shards(
    shards: list[int], colour: str, aws_client: AwsClient, moto_endpoint: str, make_env: MakeEnv
) -> None:
    kinesis = aws_client("kinesis")
    for index, count in enumerate(shards):
        kinesis.create_stream(StreamName=f"events-{index}", ShardCount=count)
    # A limit of 5 shards (moto says 6000); the open shards are counted stream by stream.
    env = _with_clients(make_env(moto_endpoint), _shard_limit(5))
    assert only_row("bW7HH0l7J9", env) == [
        "us-east-1",
        "Kinesis",
        "Shards per region",
        "5",
        str(sum(shards)),
        colour,
    ]
    assert only_row("bW7HH0l7J9", make_env(moto_endpoint))[3] == "6000"


# --- SES ----------------------------------------------------------------------------------------


def _send(ses: Any, recipients: int) -> None:
    ses.verify_email_identity(EmailAddress="shop@example.com")
    for offset in range(0, recipients, 50):
        count = min(50, recipients - offset)
        ses.send_email(
            Source="shop@example.com",
            Destination={"ToAddresses": [f"c{offset + n}@example.com" for n in range(count)]},
            Message={"Subject": {"Data": "Hello"}, "Body": {"Text": {"Data": "Hi"}}},
        )


@pytest.mark.parametrize(("sent", "colour"), [(159, "Green"), (160, "Yellow"), (200, "Red")])
def test_ses_daily_sending_quota(
    sent: int, colour: str, aws_client: AwsClient, moto_endpoint: str, make_env: MakeEnv
) -> None:
    _send(aws_client("ses"), sent)
    env = make_env(moto_endpoint, regions=("us-east-1", "eu-west-1"))
    assert rows("hJ7NN0l7J9", env) == {
        "us-east-1": [["us-east-1", "SES", "Daily sending quota", "200", str(sent), colour]],
        "eu-west-1": [["eu-west-1", "SES", "Daily sending quota", "200", "0", "Green"]],
    }


def test_ses_without_a_quota(moto_endpoint: str, make_env: MakeEnv) -> None:
    quota = {"Max24HourSend": -1.0, "MaxSendRate": 50.0, "SentLast24Hours": 90_000.0}

    def wrap(service: str, region: str, client: Any) -> Any:
        return _Patched(client, {"get_send_quota": lambda: quota})

    env = _with_clients(make_env(moto_endpoint), wrap)
    assert only_row("hJ7NN0l7J9", env)[3:] == ["Unlimited", "90000", "Green"]


# --- Route 53 -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("count", "colour"), [(3, "Green"), (4, "Yellow"), (5, "Red")])
def test_route53_limits(
    count: int, colour: str, aws_client: AwsClient, moto_endpoint: str, make_env: MakeEnv
) -> None:
    route53 = aws_client("route53")
    for index in range(count):
        route53.create_hosted_zone(Name=f"shop{index}.example.com", CallerReference=f"zone-{index}")
        config = {"Type": "HTTPS", "FullyQualifiedDomainName": f"shop{index}.example.com"}
        route53.create_health_check(CallerReference=f"check-{index}", HealthCheckConfig=config)
        route53.create_reusable_delegation_set(CallerReference=f"set-{index}")
    quotas = {("route53", code): 5 for code in ("L-4EA4796A", "L-ACB674F3", "L-A72C7F6E")}
    # Global: one row, Region "-", whatever the regions.
    env = with_quotas(make_env(moto_endpoint, regions=("us-east-1", "eu-west-1")), quotas)
    for check_id, limit_name in (
        ("dx3xfcdfMr", "Hosted zones"),
        ("ru4xfcdfMr", "Health checks"),
        ("ty3xfcdfMr", "Reusable delegation sets"),
    ):
        evaluation = run(check_id, env)
        [row] = evaluation.rows
        assert row.region is None
        assert list(row.metadata) == ["-", "Route 53", limit_name, "5", str(count), colour]


def test_route53_defaults_and_blue(moto_endpoint: str, make_env: MakeEnv) -> None:
    env = make_env(moto_endpoint)
    assert only_row("dx3xfcdfMr", env)[3:] == ["500", "0", "Green"]
    assert only_row("ru4xfcdfMr", env)[3:] == ["200", "0", "Green"]
    assert only_row("ty3xfcdfMr", env)[3:] == ["100", "0", "Green"]
    refused = refusing(make_env(moto_endpoint), {("route53", "list_hosted_zones")})
    assert only_row("dx3xfcdfMr", refused)[3:] == ["500", None, "Blue"]
    nothing = refusing(
        make_env(moto_endpoint),
        {("route53", "list_hosted_zones"), ("service-quotas", "get_service_quota")},
    )
    with pytest.raises(Exception, match="AccessDenied"):
        run("dx3xfcdfMr", nothing)
