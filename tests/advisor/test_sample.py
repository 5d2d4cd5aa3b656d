"""The sample AWS environment: seeding, every check against it, and how it is served."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections import Counter
from datetime import timedelta
from pathlib import Path
from typing import Any

import boto3
import requests
from django.utils import timezone

from advisor.checks import REGISTRY
from advisor.checks.base import ERROR, OK, WARNING
from connections import sample
from tests.advisor.conftest import AwsClient, MakeEnv

ROOT = Path(__file__).resolve().parents[2]


def _inventory(aws_client: AwsClient) -> dict[str, int]:
    ec2 = aws_client("ec2")
    return {
        "buckets": len(aws_client("s3").list_buckets()["Buckets"]),
        "users": len(aws_client("iam").list_users()["Users"]),
        "instances": sum(len(r["Instances"]) for r in ec2.describe_instances()["Reservations"]),
        "volumes": len(ec2.describe_volumes()["Volumes"]),
        "addresses": len(ec2.describe_addresses()["Addresses"]),
        "databases": len(aws_client("rds", "eu-west-1").describe_db_instances()["DBInstances"]),
        "clusters": len(aws_client("redshift").describe_clusters()["Clusters"]),
        "hosted zones": len(aws_client("route53").list_hosted_zones()["HostedZones"]),
        "distributions": aws_client("cloudfront").list_distributions()["DistributionList"][
            "Quantity"
        ],
    }


def test_seed_is_idempotent(aws_client: AwsClient, moto_endpoint: str) -> None:
    now = timezone.now()
    sample.seed(moto_endpoint, now=now)
    first = _inventory(aws_client)
    assert first == {
        "buckets": 7,
        "users": 4,
        "instances": 5,
        "volumes": 10,
        "addresses": 2,
        # reports-db, and connections/sample_quotas.py's catalog-db with its 12 replicas.
        "databases": 14,
        "clusters": 2,
        "hosted zones": 2,
        "distributions": 3,
    }
    sample.seed(moto_endpoint, now=now)
    assert _inventory(aws_client) == first


def test_every_check_runs_against_the_sample(moto_endpoint: str, make_env: MakeEnv) -> None:
    now = timezone.now()
    sample.seed(moto_endpoint, now=now)
    env = make_env(moto_endpoint, regions=sample.SAMPLE_REGIONS, now=now)
    statuses: Counter[str] = Counter()
    by_check: dict[str, set[str]] = {}
    for check_id, spec in REGISTRY.items():
        evaluation = spec.evaluate(env)
        assert evaluation.processed >= len(evaluation.rows), check_id
        for row in evaluation.rows:
            assert len(row.metadata) == len(spec.metadata), (check_id, row)
            assert row.region in (None, *sample.SAMPLE_REGIONS)
        # The stored resourceId hashes the row's identity: one per row.
        identities = [row.identity for row in evaluation.rows]
        assert len(set(identities)) == len(identities), check_id
        # The performance sample's zone is for a domain registered elsewhere: only a public DNS
        # lookup would show its delegation, so that check leaves it out (ignored) by design.
        assert evaluation.ignored == (1 if check_id == "cF171Db240" else 0), check_id
        by_check[check_id] = {row.status for row in evaluation.rows}
        statuses.update(row.status for row in evaluation.rows)
    assert statuses[WARNING] >= 1
    assert statuses[ERROR] >= 1
    # The sample is built to show each colour in the checks people look at first.
    assert by_check["HCP4007jGY"] == {OK, WARNING, ERROR}
    assert by_check["Pfx0RwqBli"] == {OK, WARNING, ERROR}
    assert by_check["jL7PP0l7J9"] == {WARNING, ERROR}
    for check_id in ("Qch7DwouX1", "Ti39halfu8", "Z4AUBRNSmz", "DAvU99Dc4C", "hjLMh88uM8"):
        assert by_check[check_id] == {WARNING}, check_id
    for check_id in ("ePs02jT06w", "rSs93HQwa1", "7DAFEmoDos", "opQPADkZvH"):
        assert by_check[check_id] == {ERROR}, check_id
    # Service limits (connections/sample_limits.py); the other regions' rows are green.
    limits = {
        # us-east-1's instances (the performance checks' too) are past the default 5 vCPUs.
        "0Xc6LMYG8P": {WARNING, ERROR},
        "hJ7NN0l7J9": {OK, WARNING},
        "6gtQddfEw6": {OK, WARNING},
        "c5ftjdfkMr": {OK, ERROR},
        "dH7RR0l6J9": {OK, WARNING},
        "gI7MM0l7J9": {OK, ERROR},
        "wH7DD0l3J9": {OK, WARNING},
        "gH5CC0e3J9": {OK, WARNING},
        "tV7YY0l7J9": {OK, WARNING},
        "7fuccf1Mx7": {OK, WARNING},
        # connections/sample_quotas.py, in eu-west-1.
        "bW7HH0l7J9": {OK, WARNING},  # 4,800 of 6,000 Kinesis shards
        "EM8b3yLRTr": {OK, WARNING},  # 16 of 20 Application Load Balancers
        "8wIqYSt25K": {OK, ERROR},  # 20 of 20 Network Load Balancers
        "pYW8UkYz2w": {OK, WARNING},  # 12 of 15 read replicas
        "P1jhKWEmLa": {OK, WARNING},  # 80,620 of 100,000 GiB
        "gfZAn3W7wl": {OK, WARNING},  # 20 of 25 DB security groups
        "dBkuNCvqn5": {OK, WARNING},  # 16 of 20 rules in one of them
        "keAhfbH5yb": {OK, WARNING},  # 16 of 20 event subscriptions
        "jEhCtdJKOY": {OK, WARNING},  # 16 of 20 subnets in a subnet group
        "jEECYg2YVU": {OK, WARNING},  # 40 of 50 DB parameter groups
        "gjqMBn6pjz": {OK, WARNING},  # 32 of 40 DB clusters
    }
    for check_id, expected in limits.items():
        assert by_check[check_id] == expected, check_id
    # Quotas out of a cheap seed's reach: green. Each would take hundreds or thousands of
    # resources (Auto Scaling groups 500, launch configurations 200, stacks 2,000, hosted zones
    # 500, health checks 200, EBS snapshots 100,000, 40 TiB of 1 TiB magnetic volumes), or
    # 40 to 80 more calls than the seed can afford (delegation sets 100, RDS manual snapshots
    # 100, subnet groups 50, cluster parameter groups 50, DB instances 40), or clean copies of
    # load balancers the ELB checks would otherwise flag (Classic Load Balancers 20).
    green = ("fW7HH0l7J9", "aW7HH0l7J9", "gW7HH0l7J9", "iK7OO0l7J9", "cG7HH0l7J9")
    green += ("eI7KK0l7J9", "dx3xfcdfMr", "ru4xfcdfMr", "ty3xfcdfMr")
    green += ("XG0aXHpIEt", "jtlIMO3qZM", "dYWBaXaaMM", "dV84wpqRUs")
    for check_id in green:
        assert by_check[check_id] == {OK}, check_id
    # connections/sample_perfcost.py trips each performance check and the newer cost checks.
    assert by_check["wuy7G1zxql"] == {WARNING, ERROR}
    for check_id in (
        "iqdCTZKCUp",
        "ZRxQlPsb6c",
        "PPkZrjsH2q",
        "tfg86AVHAZ",
        "j3DFqYTe29",
        "k3J2hns32g",
        "Bh2xRR2FGH",
        "B913Ef6fb4",
        "N415c450f2",
        "51fC20e7I2",
        "G31sQ1E9U",
        "796d6f3D83",
    ):
        assert by_check[check_id] == {WARNING}, check_id
    # connections/sample_checks_a.py's mistakes, one check each.
    for check_id, colours in {
        "B913Ef6fb4": {WARNING},  # a CNAME to a load balancer
        "b73EEdD790": {WARNING},  # a primary without a secondary
        "C056F80cR3": {WARNING},  # ... cached for five minutes
        "Cb877eB72b": {WARNING},  # a deleted health check
        "c9D319e7sG": {WARNING},  # mail without SPF
        "cF171Db240": {WARNING},  # delegated to two of four name servers
        "CLOG40CDO8": {WARNING},  # behind a load balancer, EC2 health checks
        "8CNsSllI5v": {ERROR},  # a deleted load balancer
        "nNauJisYIT": {WARNING, ERROR},  # 0.0.0.0/0 and a /24
        "xuy7H1avtl": {WARNING},  # a public writer, a private replica
        "a2sEc6ILx": {WARNING},  # HTTP only; a 2015 policy
        "N425c450f2": {WARNING},  # expiring, and missing a name
        "N415c450f2": {WARNING},  # User-Agent in the cache key
    }.items():
        assert by_check[check_id] == colours, check_id


def test_utilization_findings_last_while_the_demo_runs(
    moto_endpoint: str, make_env: MakeEnv
) -> None:
    now = timezone.now()
    sample.seed(moto_endpoint, now=now)
    for later in (now, now + timedelta(days=10, hours=5), now + timedelta(days=45)):
        env = make_env(moto_endpoint, regions=sample.SAMPLE_REGIONS, now=later)
        flagged = {
            check_id: sorted(str(row.metadata[1]) for row in REGISTRY[check_id].evaluate(env).rows)
            for check_id in ("Qch7DwouX1", "Ti39halfu8", "DAvU99Dc4C", "hjLMh88uM8")
        }
        assert flagged["Ti39halfu8"] == ["reports-db"]
        assert flagged["hjLMh88uM8"] == ["legacy-web"]
        assert len(flagged["Qch7DwouX1"]) == len(flagged["DAvU99Dc4C"]) == 1


def test_endpoint_prefers_the_configured_server(settings: Any, monkeypatch: Any) -> None:
    settings.ADVISOR_SAMPLE_ENDPOINT = "http://sample.example:4566"
    waited: list[str] = []
    # Nothing answers at that address: record the wait instead of sitting out its timeout.
    monkeypatch.setattr(sample, "_wait_until_seeded", waited.append)
    assert sample.endpoint() == "http://sample.example:4566"
    assert waited == ["http://sample.example:4566"]


def test_endpoint_starts_and_reseeds_an_in_process_server(
    settings: Any, moto_endpoint: str
) -> None:
    settings.ADVISOR_SAMPLE_ENDPOINT = ""
    url = sample.endpoint()
    s3 = boto3.Session(**sample.SAMPLE_CREDENTIALS).client(
        "s3", region_name="us-east-1", endpoint_url=url
    )
    s3.head_bucket(Bucket=sample.MARKER_BUCKET)
    # moto's state is per process: resetting any in-process server wipes the sample too, and
    # the next call seeds it again on the same server.
    requests.post(f"{moto_endpoint}/moto-api/reset", timeout=10).raise_for_status()
    assert not s3.list_buckets()["Buckets"]
    assert sample.endpoint() == url
    s3.head_bucket(Bucket=sample.MARKER_BUCKET)


def test_management_command_serves_until_sigterm(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "supportcenter.settings_test",
        "SUPPORTCENTER_TEST_DATA_DIR": str(tmp_path),
    }
    process = subprocess.Popen(
        [sys.executable, "manage.py", "advisor_sample", "--port", "0"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()  # printed once the server is seeded
        assert line.startswith("Sample AWS environment (moto) at http://127.0.0.1:")
        url = line.rsplit(" ", 1)[1].strip()
        iam = boto3.Session(**sample.SAMPLE_CREDENTIALS).client(
            "iam", region_name="us-east-1", endpoint_url=url
        )
        assert len(iam.list_users()["Users"]) == 4
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
