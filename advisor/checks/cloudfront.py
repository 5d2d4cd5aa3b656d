"""Amazon CloudFront checks: request headers in distributions' cache keys, and S3 buckets whose
downloads would be better served through CloudFront.

The header check is global: it lists the distributions once and its rows have no region. A row
is one cache behavior (the default one is shown as `Default (*)`); its ARN is the
distribution's and its `key` adds the behavior's path pattern.

The content delivery check reads each region's S3 metrics in CloudWatch (they are published in
the bucket's region): the daily BucketSizeBytes of every storage class, and BytesDownloaded,
which S3 publishes only for buckets with request metrics turned on, per metrics filter. The
data transferred out is the largest filter's total (a filter over the whole bucket, the usual
one, counts every download; a narrower one counts fewer, so the figure never overstates). A
bucket without request metrics cannot be judged and is not counted. Sizes are binary: a GB is
2^30 bytes, a TB 2^40, as AWS bills data transfer.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from advisor.checks.base import ERROR, WARNING, Environment, Evaluation, Row, check
from advisor.checks.helpers import (
    MetricQuery,
    colour,
    known_series,
    paginate,
    read_resource,
    regional,
    try_read,
)
from advisor.checks.metric_periods import hour_start, period_metrics
from advisor.checks.texts import phrase
from connections.metrics import DAY

DEFAULT_BEHAVIOR = phrase(gettext_noop("Default (*)"))
# Headers whose value differs on nearly every request, so that each value makes its own cache
# entry: the request time, the browser's identity, the referring page, the client's address.
# `*` (every header) leaves almost nothing cacheable.
HIT_RATIO_HEADERS = frozenset({"*", "date", "user-agent", "referer", "x-forwarded-for"})

TRANSFER_DAYS = 30
TRANSFER_RATIO = 25.0
RED_TRANSFER_BYTES = 10 * 2**40  # 10 TB
GB = 2**30


def hit_ratio_headers(headers: list[str]) -> list[str]:
    """The headers of `headers` that are known to ruin the cache hit ratio, in their order."""
    return [header for header in headers if header.lower() in HIT_RATIO_HEADERS]


def distributions(env: Environment) -> Iterator[dict[str, Any]]:
    """Every distribution of the account (the list pages by marker)."""
    cloudfront = env.client("cloudfront")
    marker = None
    while True:
        page = cloudfront.list_distributions(**({"Marker": marker} if marker else {}))
        listing = page.get("DistributionList", {})
        yield from listing.get("Items", [])
        marker = listing.get("NextMarker")
        if not listing.get("IsTruncated") or not marker:
            return


def _behaviors(distribution: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    behaviors = [(DEFAULT_BEHAVIOR, distribution.get("DefaultCacheBehavior", {}))]
    for behavior in distribution.get("CacheBehaviors", {}).get("Items", []):
        behaviors.append((behavior.get("PathPattern", ""), behavior))
    return behaviors


class _CachePolicies:
    """The headers each cache policy puts in the cache key, read once per policy."""

    def __init__(self, env: Environment, evaluation: Evaluation) -> None:
        self.cloudfront = env.client("cloudfront")
        self.evaluation = evaluation
        self.known: dict[str, list[str] | None] = {}

    def headers(self, policy_id: str) -> list[str] | None:
        """None when the policy cannot be read (counted once as ignored)."""
        if policy_id not in self.known:
            answer = read_resource(self.evaluation, self.cloudfront.get_cache_policy, Id=policy_id)
            if answer is None:
                self.known[policy_id] = None
            else:
                config = answer["CachePolicy"]["CachePolicyConfig"]
                keyed = config.get("ParametersInCacheKeyAndForwardedToOrigin", {})
                headers = keyed.get("HeadersConfig", {})
                if headers.get("HeaderBehavior") == "whitelist":
                    self.known[policy_id] = list(headers.get("Headers", {}).get("Items", []))
                else:
                    self.known[policy_id] = []
        return self.known[policy_id]


@check(
    "N415c450f2",
    name=_("CloudFront Header Forwarding and Cache Hit Ratio"),
    lead=_(
        "Looks at the request headers each CloudFront cache behavior includes in its cache key "
        "and forwards to the origin. CloudFront keeps a separate copy for every value of such a "
        "header, so a header like Date or User-Agent makes almost every request a cache miss "
        "and sends it on to the origin."
    ),
    criteria=[
        _(
            "Yellow: a cache behavior forwards all headers, or one or more of Date, User-Agent, "
            "Referer and X-Forwarded-For, which can greatly reduce the cache hit ratio."
        ),
    ],
    action=_(
        "Forward only the headers the origin's response really depends on. If the origin "
        "needs a header but answers the same whatever its value, send it with an origin "
        "request policy, which keeps it out of the cache key."
    ),
    resources=[
        (
            _("Cache content based on request headers"),
            "https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/header-caching.html",
        ),
        (
            _("Increase the proportion of requests that are served directly from the caches"),
            "https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/cache-hit-ratio.html",
        ),
    ],
)
def header_forwarding(env: Environment) -> Evaluation:
    evaluation = Evaluation()
    policies = _CachePolicies(env, evaluation)
    for distribution in sorted(distributions(env), key=lambda d: d["Id"]):
        for path, behavior in _behaviors(distribution):
            if behavior.get("CachePolicyId"):
                headers = policies.headers(behavior["CachePolicyId"])
                if headers is None:
                    continue
            else:
                forwarded = behavior.get("ForwardedValues", {}).get("Headers", {})
                headers = list(forwarded.get("Items", []))
            evaluation.processed += 1
            flagged = hit_ratio_headers(headers)
            if not flagged:
                continue
            evaluation.rows.append(
                Row(
                    status=WARNING,
                    arn=distribution["ARN"],
                    key=f"{distribution['ARN']}#{path}",
                    metadata=[
                        colour(WARNING),
                        distribution["Id"],
                        distribution.get("DomainName"),
                        path,
                        ", ".join(flagged),
                    ],
                )
            )
    return evaluation


def delivery_status(transfer: float, storage: float) -> str | None:
    """796d6f3D83's colour for `transfer` bytes downloaded over the window from a bucket
    holding `storage` bytes on average; None when the bucket is not flagged."""
    if storage <= 0 or transfer < TRANSFER_RATIO * storage:
        return None
    return ERROR if transfer >= RED_TRANSFER_BYTES else WARNING


def _s3_metrics(env: Environment, region: str, metric: str, dimension: str) -> dict[str, list[str]]:
    """The values of `dimension` (StorageType, FilterId) each bucket publishes `metric` for.
    CloudWatch lists only the series that had data in the last two weeks, so a bucket with no
    download in that time is left out even if it served much earlier in the 30-day window."""
    cloudwatch = env.client("cloudwatch", region)
    found: dict[str, set[str]] = {}
    listed = paginate(cloudwatch, "list_metrics", "Metrics", Namespace="AWS/S3", MetricName=metric)
    for entry in listed:
        dimensions = {d["Name"]: d["Value"] for d in entry.get("Dimensions", [])}
        if "BucketName" in dimensions and dimension in dimensions:
            found.setdefault(dimensions["BucketName"], set()).add(dimensions[dimension])
    return {bucket: sorted(values) for bucket, values in found.items()}


def _average_storage(series: list[list[float | None]]) -> float:
    """The average over the days with data of the bucket's size, all storage classes added."""
    days = [
        sum(value or 0.0 for value in day)
        for day in zip(*series, strict=True)
        if any(value is not None for value in day)
    ]
    return sum(days) / len(days) if days else 0.0


@check(
    "796d6f3D83",
    name=_("CloudFront Content Delivery Optimization"),
    lead=_(
        "Compares how much data users download from each S3 bucket with how much the bucket "
        "holds. A bucket whose content is downloaded many times over serves its users faster, "
        "and often cheaper, through CloudFront's edge caches. Downloads are read from the "
        "bucket's request metrics for the 30 days before the last 24 hours, so buckets without "
        "request metrics are not evaluated."
    ),
    criteria=[
        _(
            "Yellow: in the 30 days before the check, users downloaded at least 25 times the "
            "average amount of data stored in the bucket."
        ),
        _(
            "Red: in the 30 days before the check, users downloaded at least 10 TB from the "
            "bucket, and at least 25 times the average amount of data stored in it."
        ),
    ],
    action=_(
        "Serve the bucket's content through a CloudFront distribution. At 10 TB a month or more, "
        "compare CloudFront's data transfer prices with S3's as well."
    ),
    resources=[
        (
            _("Use an Amazon S3 bucket as a CloudFront origin"),
            "https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/DownloadDistS3AndCustomOrigins.html",
        ),
        (
            _("Amazon S3 request metrics in CloudWatch"),
            "https://docs.aws.amazon.com/AmazonS3/latest/userguide/metrics-configurations.html",
        ),
        (_("Amazon CloudFront pricing"), "https://aws.amazon.com/cloudfront/pricing/"),
    ],
)
@regional
def content_delivery(env: Environment, region: str) -> Evaluation:
    evaluation = Evaluation()
    filters = _s3_metrics(env, region, "BytesDownloaded", "FilterId")
    if not filters:
        return evaluation
    classes = _s3_metrics(env, region, "BucketSizeBytes", "StorageType")
    buckets = sorted(bucket for bucket in filters if bucket in classes)
    queries: list[MetricQuery] = []
    for bucket in buckets:
        queries.extend(
            MetricQuery.of(
                "AWS/S3", "BytesDownloaded", {"BucketName": bucket, "FilterId": f}, "Sum"
            )
            for f in filters[bucket]
        )
        queries.extend(
            MetricQuery.of(
                "AWS/S3", "BucketSizeBytes", {"BucketName": bucket, "StorageType": c}, "Average"
            )
            for c in classes[bucket]
        )
    # The last 24 hours are left out: S3 reports storage once a day, downloads with a delay.
    end = hour_start(env.now) - DAY
    start = end - TRANSFER_DAYS * DAY
    answers = try_read(period_metrics, env, region, queries, start=start, end=end, period=DAY)
    first = 0
    for bucket in buckets:
        downloads, sizes = len(filters[bucket]), len(classes[bucket])
        series = known_series(answers, first, downloads + sizes)
        first += downloads + sizes
        if series is None:
            evaluation.ignored += 1  # CloudWatch could not say how much it served
            continue
        storage = _average_storage(series[downloads:])
        if storage <= 0:
            continue  # an empty bucket serves nothing worth caching
        evaluation.processed += 1
        transfer = max(sum(value or 0.0 for value in s) for s in series[:downloads])
        status = delivery_status(transfer, storage)
        if status is None:
            continue
        evaluation.rows.append(
            Row(
                status=status,
                arn=f"arn:aws:s3:::{bucket}",
                region=region,
                metadata=[
                    region,
                    bucket,
                    f"{storage / GB:.2f}",
                    f"{transfer / GB:.2f}",
                    f"{transfer / storage:.1f}",
                    colour(status),
                ],
            )
        )
    return evaluation
