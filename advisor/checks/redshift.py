"""Amazon Redshift cost check: clusters nobody connects to or that barely use their CPU.

Reads region by region (`regional`). A cluster is judged on the last 7 days of hourly
CloudWatch data read in one `get_metric_data` batch per region: the hourly maximum of
DatabaseConnections, and the hourly average of the cluster-wide CPUUtilization (the series with
only the ClusterIdentifier dimension, which averages the nodes). A cluster created within the
week has no such history and is not judged.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from advisor.checks import pricing
from advisor.checks.base import WARNING, Environment, Evaluation, Row, check
from advisor.checks.helpers import (
    MetricQuery,
    Series,
    arn,
    colour,
    known_series,
    money,
    paginate,
    regional,
    try_read,
)
from advisor.checks.metric_periods import HOUR, hour_start, period_metrics
from advisor.checks.texts import phrase

WINDOW = timedelta(days=7)
LOW_CPU_PERCENT = 5.0
LOW_CPU_SHARE = 0.99
METRICS = (("DatabaseConnections", "Maximum"), ("CPUUtilization", "Average"))

REASON_NO_CONNECTIONS = phrase(gettext_noop("No connections in the last 7 days"))
# The percent signs are text, not placeholders (xgettext would read "% f" as one).
# xgettext:no-python-format
REASON_LOW_CPU = phrase(gettext_noop("CPU utilization below 5% for 99% of the last 7 days"))


def never_connected(connections: Series) -> bool:
    """No hour of the window with a connection (an hour without data had none)."""
    return not any(value for value in connections)


def low_cpu(cpu: Series) -> bool:
    """The cluster-wide CPU average was under 5 % in at least 99 % of the hours measured."""
    known = [value for value in cpu if value is not None]
    if not known:
        return False
    low = sum(1 for value in known if value < LOW_CPU_PERCENT)
    return low >= LOW_CPU_SHARE * len(known)


def _new(env: Environment, cluster: dict[str, Any]) -> bool:
    created = cluster.get("ClusterCreateTime")
    return created is not None and env.now - created < WINDOW


@check(
    "G31sQ1E9U",
    name=_("Underutilized Amazon Redshift Clusters"),
    lead=_(
        "Looks for running Redshift clusters that nobody connected to in the last week, or "
        "whose CPU hardly worked. A cluster is billed for every node hour whether or not it "
        "runs queries."
    ),
    criteria=[
        _("Yellow: a running cluster has had no connection in the last 7 days."),
        _(
            # xgettext:no-python-format
            "Yellow: a running cluster's cluster-wide average CPU utilization was below 5% for "
            "99% of the last 7 days."
        ),
    ],
    action=_(
        "Delete clusters nobody needs, keeping a final snapshot, pause the ones needed only at "
        "times, and resize the rest to fewer or smaller nodes."
    ),
    resources=[
        (
            _("Managing Amazon Redshift clusters"),
            "https://docs.aws.amazon.com/redshift/latest/mgmt/working-with-clusters.html",
        ),
        (_("Amazon Redshift pricing"), "https://aws.amazon.com/redshift/pricing/"),
    ],
)
@regional
def underutilized_clusters(env: Environment, region: str) -> Evaluation:
    evaluation = Evaluation()
    redshift = env.client("redshift", region)
    running = sorted(
        (
            cluster
            for cluster in paginate(redshift, "describe_clusters", "Clusters")
            if cluster.get("ClusterStatus") == "available"
        ),
        key=lambda c: c["ClusterIdentifier"],
    )
    watched = [cluster for cluster in running if not _new(env, cluster)]
    queries = [
        MetricQuery.of(
            "AWS/Redshift", metric, {"ClusterIdentifier": c["ClusterIdentifier"]}, statistic
        )
        for c in watched
        for metric, statistic in METRICS
    ]
    end = hour_start(env.now)
    answers = try_read(
        period_metrics, env, region, queries, start=end - WINDOW, end=end, period=HOUR
    )
    history = {
        c["ClusterIdentifier"]: known_series(answers, index * len(METRICS), len(METRICS))
        for index, c in enumerate(watched)
    }
    for cluster in running:
        name = cluster["ClusterIdentifier"]
        if name in history and history[name] is None:
            evaluation.ignored += 1  # CloudWatch could not say how busy it was
            continue
        evaluation.processed += 1
        node_type = cluster.get("NodeType", "")
        monthly = pricing.redshift_monthly(node_type, int(cluster.get("NumberOfNodes") or 1))
        evaluation.monthly_cost += monthly
        series = history.get(name)
        if series is None:  # created within the week
            continue
        connections, cpu = series
        reasons = []
        if never_connected(connections):
            reasons.append(REASON_NO_CONNECTIONS)
        if low_cpu(cpu):
            reasons.append(REASON_LOW_CPU)
        if not reasons:
            continue
        evaluation.rows.append(
            Row(
                status=WARNING,
                arn=arn("redshift", region, env.account_id, f"cluster:{name}"),
                region=region,
                metadata=[
                    colour(WARNING),
                    region,
                    name,
                    node_type,
                    "; ".join(reasons),
                    money(monthly),
                ],
                savings=monthly,
            )
        )
    return evaluation
