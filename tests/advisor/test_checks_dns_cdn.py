"""The Route 53 record-set checks and the CloudFront checks against moto."""

from __future__ import annotations

from typing import Any

import pytest

from advisor.checks.base import ERROR, WARNING
from advisor.checks.cloudfront import GB, delivery_status, hit_ratio_headers
from advisor.checks.metric_periods import hour_start
from advisor.checks.route53 import aliasable
from connections.metrics import DAY
from tests.advisor.check_helpers import NOW, _error, _Patched, _with_clients, by_name, run
from tests.advisor.conftest import AwsClient, MakeEnv
from tests.advisor.metric_points import put_periods

# --- Route 53 ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("d111111abcdef8.cloudfront.net", True),
        ("D111111ABCDEF8.CLOUDFRONT.NET.", True),
        ("my-lb-1234567890.us-east-1.elb.amazonaws.com", True),
        ("dualstack.my-alb-1.eu-west-1.elb.amazonaws.com", True),
        ("my-nlb-0123456789abcdef.elb.us-west-2.amazonaws.com", True),
        ("bucket.s3-website-us-east-1.amazonaws.com", True),
        ("bucket.s3-website.eu-central-1.amazonaws.com", True),
        ("bucket.s3.amazonaws.com", False),  # the REST endpoint, not a website
        ("cloudfront.net.example.com", False),
        ("www.example.org", False),
        ("elb.amazonaws.com.example.com", False),
    ],
)
def test_aliasable(target: str, expected: bool) -> None:
    assert aliasable(target) is expected


def _zone(route53: Any, name: str, records: list[dict[str, Any]]) -> str:
    zone_id = str(route53.create_hosted_zone(Name=name, CallerReference=name)["HostedZone"]["Id"])
    if records:
        route53.change_resource_record_sets(
            HostedZoneId=zone_id,
            ChangeBatch={
                "Changes": [{"Action": "CREATE", "ResourceRecordSet": r} for r in records],
            },
        )
    return zone_id.rsplit("/", 1)[-1]


def _cname(name: str, value: str, **extra: Any) -> dict[str, Any]:
    return {
        "Name": name,
        "Type": "CNAME",
        "TTL": 60,
        "ResourceRecords": [{"Value": value}],
        **extra,
    }


def _latency(name: str, region: str, record_type: str = "A") -> dict[str, Any]:
    value = "192.0.2.1" if record_type == "A" else "2001:db8::1"
    return {
        "Name": name,
        "Type": record_type,
        "TTL": 60,
        "SetIdentifier": region,
        "Region": region,
        "ResourceRecords": [{"Value": value}],
    }


@pytest.fixture
def zones(aws_client: AwsClient) -> dict[str, str]:
    route53 = aws_client("route53")
    shop = _zone(
        route53,
        "shop.example",
        [
            _cname("www.shop.example", "d111111abcdef8.cloudfront.net"),
            _cname("lb.shop.example", "my-lb-1.us-east-1.elb.amazonaws.com"),
            _cname("docs.shop.example", "docs.example.org"),
            _cname(
                "site.shop.example",
                "bucket.s3-website-us-east-1.amazonaws.com",
                SetIdentifier="primary",
                Weight=10,
            ),
            _latency("api.shop.example", "us-east-1"),  # alone: flagged
            _latency("api.shop.example", "eu-west-1", "AAAA"),  # alone for AAAA: flagged
            _latency("img.shop.example", "us-east-1"),
            _latency("img.shop.example", "ap-northeast-1"),
            {
                "Name": "edge.shop.example",
                "Type": "A",
                "AliasTarget": {
                    "HostedZoneId": "Z2FDTNDATAQYW2",
                    "DNSName": "d222222abcdef8.cloudfront.net",
                    "EvaluateTargetHealth": False,
                },
            },
        ],
    )
    empty = _zone(route53, "empty.example", [])
    return {"shop": shop, "empty": empty}


def test_alias_record_sets(zones: dict[str, str], moto_endpoint: str, make_env: MakeEnv) -> None:
    evaluation = run("B913Ef6fb4", make_env(moto_endpoint, now=NOW))
    # Every record set of both zones, their NS and SOA records included.
    assert evaluation.processed == 9 + 2 + 2
    rows = by_name(evaluation, 2)
    assert set(rows) == {"www.shop.example.", "lb.shop.example.", "site.shop.example."}
    shop = zones["shop"]
    assert rows["www.shop.example."].metadata == [
        "shop.example.",
        shop,
        "www.shop.example.",
        "CNAME",
        None,
        "d111111abcdef8.cloudfront.net",
        "Yellow",
    ]
    site = rows["site.shop.example."]
    assert site.metadata[4:6] == ["primary", "bucket.s3-website-us-east-1.amazonaws.com"]
    assert (site.status, site.region) == (WARNING, None)
    assert site.arn == f"arn:aws:route53:::hostedzone/{shop}"
    assert site.key == f"arn:aws:route53:::hostedzone/{shop}/site.shop.example./CNAME/primary"


def test_latency_record_sets(zones: dict[str, str], moto_endpoint: str, make_env: MakeEnv) -> None:
    evaluation = run("51fC20e7I2", make_env(moto_endpoint, now=NOW))
    assert evaluation.processed == 3  # api A, api AAAA, img A
    assert sorted(row.metadata for row in evaluation.rows) == [
        ["shop.example.", zones["shop"], "api.shop.example.", "A"],
        ["shop.example.", zones["shop"], "api.shop.example.", "AAAA"],
    ]
    assert {row.savings for row in evaluation.rows} == {0.0}
    assert len({row.identity for row in evaluation.rows}) == 2


def test_a_zone_whose_records_cannot_be_read_is_ignored(
    zones: dict[str, str], moto_endpoint: str, make_env: MakeEnv
) -> None:
    def wrap(service: str, region: str, client: Any) -> Any:
        if service != "route53":
            return client
        real = client.list_resource_record_sets

        def records(**params: Any) -> Any:
            if params["HostedZoneId"].endswith(zones["shop"]):
                raise _error("AccessDenied", "ListResourceRecordSets")
            return real(**params)

        return _Patched(client, {"list_resource_record_sets": records})

    evaluation = run("B913Ef6fb4", _with_clients(make_env(moto_endpoint, now=NOW), wrap))
    assert (evaluation.processed, evaluation.ignored, evaluation.rows) == (2, 1, [])


# --- CloudFront --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("headers", "flagged"),
    [
        ([], []),
        (["Host", "Origin", "Authorization"], []),
        (["date", "Host"], ["date"]),
        (
            ["User-Agent", "Referer", "X-Forwarded-For"],
            ["User-Agent", "Referer", "X-Forwarded-For"],
        ),
        (["*"], ["*"]),
    ],
)
def test_hit_ratio_headers(headers: list[str], flagged: list[str]) -> None:
    assert hit_ratio_headers(headers) == flagged


def _behavior(headers: list[str], path: str | None = None) -> dict[str, Any]:
    behavior: dict[str, Any] = {
        "TargetOriginId": "origin",
        "ViewerProtocolPolicy": "allow-all",
        "MinTTL": 0,
        "ForwardedValues": {
            "QueryString": False,
            "Cookies": {"Forward": "none"},
            "Headers": {"Quantity": len(headers), "Items": headers},
        },
    }
    if path:
        behavior["PathPattern"] = path
    return behavior


def _distribution(cloudfront: Any, reference: str, default: list[str], **paths: list[str]) -> Any:
    behaviors = [_behavior(headers, path) for path, headers in paths.items()]
    return cloudfront.create_distribution(
        DistributionConfig={
            "CallerReference": reference,
            "Comment": reference,
            "Enabled": True,
            "Origins": {
                "Quantity": 1,
                "Items": [
                    {
                        "Id": "origin",
                        "DomainName": "bucket.s3.amazonaws.com",
                        "S3OriginConfig": {"OriginAccessIdentity": ""},
                    }
                ],
            },
            "DefaultCacheBehavior": _behavior(default),
            "CacheBehaviors": {"Quantity": len(behaviors), "Items": behaviors},
        }
    )["Distribution"]


def test_header_forwarding(aws_client: AwsClient, moto_endpoint: str, make_env: MakeEnv) -> None:
    cloudfront = aws_client("cloudfront")
    site = _distribution(cloudfront, "site", ["User-Agent", "Host"], **{"/api/*": ["Origin"]})
    media = _distribution(cloudfront, "media", [], **{"/live/*": ["*"], "/vod/*": ["Date"]})

    evaluation = run("N415c450f2", make_env(moto_endpoint, now=NOW))
    assert evaluation.processed == 5  # every cache behavior
    found = {(row.metadata[1], row.metadata[3]): row for row in evaluation.rows}
    assert set(found) == {
        (site["Id"], "Default (*)"),
        (media["Id"], "/live/*"),
        (media["Id"], "/vod/*"),
    }
    row = found[(site["Id"], "Default (*)")]
    assert row.metadata == ["Yellow", site["Id"], site["DomainName"], "Default (*)", "User-Agent"]
    assert (row.status, row.region, row.arn) == (WARNING, None, site["ARN"])
    assert row.key == f"{site['ARN']}#Default (*)"


def test_header_forwarding_reads_cache_policies(moto_endpoint: str, make_env: MakeEnv) -> None:
    """A behavior with a cache policy is judged on the headers of its cache key (moto has no
    cache policies, so the distribution and the policies are answered here)."""
    arn = "arn:aws:cloudfront::123456789012:distribution/EDFDVBD6EXAMPLE"
    distribution = {
        "Id": "EDFDVBD6EXAMPLE",
        "ARN": arn,
        "DomainName": "d111111abcdef8.cloudfront.net",
        "DefaultCacheBehavior": {"CachePolicyId": "keyed-on-date"},
        "CacheBehaviors": {
            "Quantity": 3,
            "Items": [
                {"PathPattern": "/a/*", "CachePolicyId": "keyed-on-date"},
                {"PathPattern": "/b/*", "CachePolicyId": "no-headers"},
                {"PathPattern": "/c/*", "CachePolicyId": "secret"},
            ],
        },
    }
    policies = {
        "keyed-on-date": {"HeaderBehavior": "whitelist", "Headers": {"Items": ["Date", "Host"]}},
        "no-headers": {"HeaderBehavior": "none"},
    }
    asked: list[str] = []

    def get_cache_policy(*, Id: str) -> Any:  # noqa: N803 (boto3's parameter name)
        asked.append(Id)
        if Id not in policies:
            raise _error("AccessDenied", "GetCachePolicy")
        keyed = {"HeadersConfig": policies[Id]}
        config = {"ParametersInCacheKeyAndForwardedToOrigin": keyed}
        return {"CachePolicy": {"CachePolicyConfig": config}}

    def list_distributions(**params: Any) -> Any:
        return {"DistributionList": {"Items": [distribution], "IsTruncated": False}}

    calls = {"get_cache_policy": get_cache_policy, "list_distributions": list_distributions}
    env = _with_clients(
        make_env(moto_endpoint, now=NOW), lambda service, region, client: _Patched(client, calls)
    )
    evaluation = run("N415c450f2", env)
    assert sorted(asked) == ["keyed-on-date", "no-headers", "secret"]  # each policy read once
    assert (evaluation.processed, evaluation.ignored) == (3, 1)
    assert [(row.metadata[3], row.metadata[4]) for row in evaluation.rows] == [
        ("Default (*)", "Date"),
        ("/a/*", "Date"),
    ]


# --- CloudFront content delivery ---------------------------------------------------------------

TB = 2**40


@pytest.mark.parametrize(
    ("transfer", "storage", "status"),
    [
        (25 * GB, GB, WARNING),  # exactly 25 times
        (25 * GB - 1, GB, None),
        (10 * TB, 10 * TB / 25, ERROR),  # exactly 10 TB and 25 times
        (10 * TB - 1, (10 * TB - 1) / 25, WARNING),
        (20 * TB, TB, None),  # 20 times: however large, not flagged
        (GB, 0, None),
    ],
)
def test_delivery_status(transfer: float, storage: float, status: str | None) -> None:
    assert delivery_status(transfer, storage) == status


def _s3_daily(
    cloudwatch: Any, bucket: str, metric: str, dimension: tuple[str, str], values: list[float]
) -> None:
    """values[i] on day i of the 30 days before the last 24 hours."""
    put_periods(
        cloudwatch,
        start=hour_start(NOW) - 31 * DAY,
        period=DAY,
        namespace="AWS/S3",
        metric=metric,
        dimensions={"BucketName": bucket, dimension[0]: dimension[1]},
        values=values,
    )


def test_content_delivery(aws_client: AwsClient, moto_endpoint: str, make_env: MakeEnv) -> None:
    cloudwatch = aws_client("cloudwatch", "eu-west-1")
    whole = ("FilterId", "EntireBucket")
    standard = ("StorageType", "StandardStorage")
    infrequent = ("StorageType", "StandardIAStorage")
    # popular: 2 GB stored in two classes, 50 GB downloaded: 25 times.
    _s3_daily(cloudwatch, "popular", "BucketSizeBytes", standard, [1.5 * GB] * 30)
    _s3_daily(cloudwatch, "popular", "BucketSizeBytes", infrequent, [0.5 * GB] * 30)
    _s3_daily(cloudwatch, "popular", "BytesDownloaded", whole, [GB] * 20 + [3 * GB] * 10)
    # A narrower filter counts less and does not change the figure.
    _s3_daily(cloudwatch, "popular", "BytesDownloaded", ("FilterId", "images"), [GB] * 30)
    # huge: 400 GB stored, 10 TB downloaded.
    _s3_daily(cloudwatch, "huge", "BucketSizeBytes", standard, [400.0 * GB] * 30)
    _s3_daily(cloudwatch, "huge", "BytesDownloaded", whole, [10 * TB / 30] * 30)
    # quiet: 2 GB stored, 49.9 GB downloaded.
    _s3_daily(cloudwatch, "quiet", "BucketSizeBytes", standard, [2.0 * GB] * 30)
    _s3_daily(cloudwatch, "quiet", "BytesDownloaded", whole, [49.9 * GB / 30] * 30)
    # no-metrics: no request metrics, so it cannot be judged.
    _s3_daily(cloudwatch, "no-metrics", "BucketSizeBytes", standard, [GB] * 30)
    # Downloads in the last 24 hours are not counted.
    put_periods(
        cloudwatch,
        start=hour_start(NOW) - DAY,
        period=DAY,
        namespace="AWS/S3",
        metric="BytesDownloaded",
        dimensions={"BucketName": "quiet", "FilterId": "EntireBucket"},
        values=[100 * GB],
    )
    env = make_env(moto_endpoint, regions=("us-east-1", "eu-west-1"), now=NOW)

    evaluation = run("796d6f3D83", env)
    assert evaluation.processed == 3
    rows = by_name(evaluation, 1)
    assert set(rows) == {"popular", "huge"}
    assert rows["popular"].metadata == ["eu-west-1", "popular", "2.00", "50.00", "25.0", "Yellow"]
    assert (rows["popular"].status, rows["popular"].region) == (WARNING, "eu-west-1")
    assert rows["popular"].arn == "arn:aws:s3:::popular"
    assert rows["huge"].status == ERROR
    assert rows["huge"].metadata[2:] == ["400.00", "10240.00", "25.6", "Red"]
