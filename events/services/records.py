"""How rules and targets appear in their audit records (shared by the rule, target and replay
services): the rule as CloudTrail's resource, and a target's destination without its secret."""

from __future__ import annotations

from events.models import EventTarget, TargetKind
from events.redact import webhook_fingerprint, webhook_origin


def rule_resources(name: str) -> list[dict[str, str]]:
    return [{"ResourceType": "AWS::Events::Rule", "ResourceName": name}]


def audit_destination(target: EventTarget) -> dict[str, str]:
    """How a target appears in the audit trail: never the secret, and of a webhook URL only the
    scheme, host and port with a fingerprint of the whole URL (Slack, Teams and Discord keep
    their webhook's secret in the path)."""
    if target.kind == TargetKind.WEBHOOK:
        return {
            "id": target.target_id,
            "webhook": webhook_origin(target.url),
            "urlSha256": webhook_fingerprint(target.url),
        }
    if target.kind == TargetKind.EMAIL:
        return {"id": target.target_id, "email": target.email}
    return {"id": target.target_id, "arn": target.arn}
