"""Test data for the Trusted Advisor console: a few check specs built from the captured catalog
(so the console tests do not depend on which check modules are registered) and results stored
through `advisor.services.result_store`, without AWS."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager

from accounts.models import Account
from accounts.principals import SYSTEM
from advisor import services as advisor
from advisor.checks.base import REGISTRY, CheckSpec, Environment, Evaluation, Row, catalog
from advisor.models import CheckResult, CheckState
from connections import services as connections
from connections.models import AwsConnection

SG = "HCP4007jGY"  # Security Groups - Specific Ports Unrestricted (security, core)
EIP = "Z4AUBRNSmz"  # Unassociated Elastic IP Addresses (cost optimizing, not core)
MFA = "7DAFEmoDos"  # MFA on Root Account (security, core, account level: no columns)


def _nothing(env: Environment) -> Evaluation:
    return Evaluation()


def make_spec(
    check_id: str, *, core: bool, evaluate: Callable[[Environment], Evaluation] = _nothing
) -> CheckSpec:
    facts = catalog()[check_id]
    return CheckSpec(
        id=check_id,
        name=facts["name"],
        category=facts["category"],
        metadata=tuple(facts["metadata"]),
        evaluate=evaluate,
        core=core,
        lead=f"Checks {facts['name']} <for tests>.",
        criteria=("Red: something is wrong.", "Green: nothing is wrong."),
        action="Fix what is flagged.",
        resources=(("Documentation", "https://docs.aws.amazon.com/"),),
    )


def default_specs() -> dict[str, CheckSpec]:
    return {
        SG: make_spec(SG, core=True),
        EIP: make_spec(EIP, core=False),
        MFA: make_spec(MFA, core=True),
    }


@contextmanager
def registry(specs: dict[str, CheckSpec]) -> Iterator[None]:
    """Only `specs` are registered for the duration (the real ones are put back after)."""
    saved = dict(REGISTRY)
    REGISTRY.clear()
    REGISTRY.update(specs)
    try:
        yield
    finally:
        REGISTRY.clear()
        REGISTRY.update(saved)


def sg_row(
    status: str, name: str, group_id: str, *, ports: str = "22", region: str = "us-east-1"
) -> Row:
    colour = {"ok": "Green", "warning": "Yellow", "error": "Red"}[status]
    return Row(
        status=status,
        arn=f"arn:aws:ec2:{region}:123456789012:security-group/{group_id}",
        metadata=[region, name, group_id, "tcp", colour, ports],
        region=region,
    )


def eip_row(address: str, *, savings: float = 3.6) -> Row:
    return Row(
        status="warning",
        arn=f"arn:aws:ec2:us-east-1:123456789012:eip/{address}",
        metadata=["us-east-1", address],
        region="us-east-1",
        savings=savings,
    )


def store(
    account: Account, check_id: str, rows: Sequence[Row], processed: int | None = None
) -> CheckResult:
    state, _ = CheckState.objects.get_or_create(account=account, check_id=check_id)
    return advisor.result_store(
        state=state,
        spec=REGISTRY[check_id],
        evaluation=Evaluation(rows=list(rows), processed=processed or len(rows)),
    )


def connect_sample(account: Account) -> AwsConnection:
    return connections.aws_connection_set(
        account=account, actor=SYSTEM, mode="sample", regions=["us-east-1"]
    )


def seed(account: Account) -> None:
    """Red, yellow and green security groups, two idle addresses, root without MFA."""
    store(
        account,
        SG,
        [
            sg_row("error", "ssh-open", "sg-0000000000000000a", ports="22"),
            sg_row("warning", "odd-port", "sg-0000000000000000b", ports="8080"),
            sg_row("ok", "web", "sg-0000000000000000c", ports="443"),
        ],
        processed=5,
    )
    store(account, EIP, [eip_row("203.0.113.10"), eip_row("203.0.113.11")], processed=4)
    store(account, MFA, [Row(status="error", arn="arn:aws:iam::123456789012:root", metadata=[])])


def raw_resource_id(check_id: str, identity: str) -> str:
    """The resource id as it was before ids were kept from starting with "-"."""
    digest = hashlib.sha256(f"{check_id}\n{identity}\n0".encode()).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def dash_identity(check_id: str = SG) -> str:
    """A security group ARN whose raw resource id started with "-" (one in 64 do)."""
    for number in range(10_000):
        arn = f"arn:aws:ec2:us-east-1:123456789012:security-group/sg-{number:017d}"
        if raw_resource_id(check_id, arn).startswith("-"):
            return arn
    raise AssertionError("no such identity")
