"""The service limit checks (IAM and VPC quotas, Blue where unknown), computed against moto."""

from __future__ import annotations

from typing import Any

import pytest

from advisor.checks.base import ERROR, OK, WARNING
from advisor.checks.helpers import usage_status
from advisor.checks.limits import RegionalQuota, regional_quota_value
from tests.advisor.check_helpers import _Patched, _refusing, _with_clients, run
from tests.advisor.conftest import AwsClient, MakeEnv


@pytest.mark.parametrize(
    ("usage", "limit", "status"),
    [(0, 5, OK), (3, 5, OK), (4, 5, WARNING), (799, 1000, OK), (800, 1000, WARNING)]
    + [(5, 5, ERROR), (6, 5, ERROR), (0, 0, OK), (1, 0, ERROR)],
)
def test_limit_colours(usage: int, limit: int, status: str) -> None:
    assert usage_status(usage, limit) == status


def test_iam_limits(aws_client: AwsClient, moto_endpoint: str, make_env: MakeEnv) -> None:
    iam = aws_client("iam")
    for name in ("alice", "bob"):
        iam.create_user(UserName=name)
    iam.create_group(GroupName="admins")
    env = make_env(moto_endpoint)
    expected = {
        "qS7VV0l7J9": ["-", "IAM", "Users", "5000", "2", "Green"],
        "oQ7TT0l7J9": ["-", "IAM", "Roles", "1000", "0", "Green"],
        "sU7XX0l7J9": ["-", "IAM", "Groups", "300", "1", "Green"],
        "nO7SS0l7J9": ["-", "IAM", "Instance profiles", "1000", "0", "Green"],
        "pR7UU0l7J9": ["-", "IAM", "Managed policies", "1500", "0", "Green"],
        "rT7WW0l7J9": ["-", "IAM", "Server certificates", "20", "0", "Green"],
    }
    for check_id, metadata in expected.items():
        evaluation = run(check_id, env)
        assert evaluation.processed == 1
        [row] = evaluation.rows
        assert (row.status, row.region, list(row.metadata)) == (OK, None, metadata)


def test_vpc_limits(aws_client: AwsClient, moto_endpoint: str, make_env: MakeEnv) -> None:
    eu = aws_client("ec2", "eu-west-1")
    for index in range(3):
        eu.create_vpc(CidrBlock=f"10.{index}.0.0/16")
    for _ in range(4):
        eu.allocate_address(Domain="vpc")
    aws_client("ec2").create_internet_gateway()
    env = make_env(moto_endpoint, regions=("us-east-1", "eu-west-1"))

    def rows(check_id: str) -> dict[str | None, list[str | None]]:
        evaluation = run(check_id, env)
        assert evaluation.processed == 2
        return {r.region: list(r.metadata) for r in evaluation.rows}

    # Each region has a default VPC; the quota (5) comes from Service Quotas.
    assert rows("jL7PP0l7J9") == {
        "us-east-1": ["us-east-1", "VPC", "VPCs", "5", "1", "Green"],
        "eu-west-1": ["eu-west-1", "VPC", "VPCs", "5", "4", "Yellow"],
    }
    assert rows("kM7QQ0l7J9")["us-east-1"] == [
        "us-east-1",
        "VPC",
        "Internet gateways",
        "5",
        "1",
        "Green",
    ]
    # moto's Service Quotas has no ec2 quotas: the limit is the vpc-max-elastic-ips attribute.
    assert rows("lN7RR0l7J9")["eu-west-1"] == [
        "eu-west-1",
        "VPC",
        "EC2-VPC Elastic IPs",
        "5",
        "4",
        "Yellow",
    ]
    unknown = RegionalQuota(
        service_code="ec2",
        quota_code="L-00000000",
        account_attribute=None,
        default=7,
        service="EC2",
        limit_name="Unknown",
        usage=lambda env, region: 0,
    )
    assert regional_quota_value(env, "us-east-1", unknown) == 7


# --- Limits that cannot be read ----------------------------------------------------------------


VPC_ROW = ["us-east-1", "VPC", "VPCs"]
EIP_ROW = ["us-east-1", "VPC", "EC2-VPC Elastic IPs"]


@pytest.mark.parametrize(
    ("check_id", "failing", "metadata"),
    [
        # Service Quotas refuses: the limit is unknown, the row Blue.
        ("jL7PP0l7J9", {("service-quotas", "get_service_quota")}, [*VPC_ROW, None, "1", "Blue"]),
        # The usage cannot be counted.
        ("jL7PP0l7J9", {("ec2", "describe_vpcs")}, [*VPC_ROW, "5", None, "Blue"]),
        # The EC2 account attribute still gives the Elastic IP limit.
        ("lN7RR0l7J9", {("service-quotas", "get_service_quota")}, [*EIP_ROW, "5", "0", "Green"]),
        (
            "lN7RR0l7J9",
            {("service-quotas", "get_service_quota"), ("ec2", "describe_account_attributes")},
            [*EIP_ROW, None, "0", "Blue"],
        ),
        # Nothing at all about the region: left out and counted, like an unusable region.
        (
            "jL7PP0l7J9",
            {("service-quotas", "get_service_quota"), ("ec2", "describe_vpcs")},
            None,
        ),
    ],
)
def test_a_limit_that_cannot_be_read_is_blue(
    check_id: str,
    failing: set[tuple[str, str]],
    metadata: list[str | None] | None,
    moto_endpoint: str,
    make_env: MakeEnv,
) -> None:
    def wrap(service: str, region: str, client: Any) -> Any:
        for failing_service, operation in failing:
            if (service, region) == (failing_service, "us-east-1"):
                client = _refusing(client, operation, "AccessDenied")
        return client

    env = _with_clients(make_env(moto_endpoint, regions=("us-east-1", "eu-west-1")), wrap)
    evaluation = run(check_id, env)
    rows = {r.region: r for r in evaluation.rows}
    assert rows["eu-west-1"].metadata[-1] == "Green"  # the other region is unaffected
    if metadata is None:
        assert set(rows) == {"eu-west-1"}
        assert (evaluation.processed, evaluation.ignored) == (1, 1)
        return
    assert (evaluation.processed, evaluation.ignored) == (2, 0)
    assert list(rows["us-east-1"].metadata) == metadata
    # Blue is not a finding: the row status stays ok.
    assert rows["us-east-1"].status == OK


def test_an_iam_limit_without_its_quota_is_blue(moto_endpoint: str, make_env: MakeEnv) -> None:
    def wrap(service: str, region: str, client: Any) -> Any:
        summary = {"SummaryMap": {"Users": 3, "Roles": 2, "RolesQuota": 1000}}
        return _Patched(client, {"get_account_summary": lambda: summary})

    env = _with_clients(make_env(moto_endpoint), wrap)
    [users] = run("qS7VV0l7J9", env).rows
    assert (users.status, list(users.metadata)) == (OK, ["-", "IAM", "Users", None, "3", "Blue"])
    [roles] = run("oQ7TT0l7J9", env).rows
    assert list(roles.metadata) == ["-", "IAM", "Roles", "1000", "2", "Green"]
