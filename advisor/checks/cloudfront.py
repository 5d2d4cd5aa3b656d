"""Amazon CloudFront checks on distributions' configuration: request headers in the cache key.

CloudFront is global: the check lists the distributions once and its rows have no region. A
row is one cache behavior (the default one is shown as `Default (*)`); its ARN is the
distribution's and its `key` adds the behavior's path pattern.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.utils.translation import gettext_lazy as _

from advisor.checks.base import WARNING, Environment, Evaluation, Row, check
from advisor.checks.helpers import colour, read_resource

DEFAULT_BEHAVIOR = "Default (*)"
# Headers whose value differs on nearly every request, so that each value makes its own cache
# entry: the request time, the browser's identity, the referring page, the client's address.
# `*` (every header) leaves almost nothing cacheable.
HIT_RATIO_HEADERS = frozenset({"*", "date", "user-agent", "referer", "x-forwarded-for"})


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
