"""Reference data from the spec: severities, support plans and their response-time targets.

Severity names, descriptions and targets come from the user guide's "Choosing a Severity" table;
plan features from "Features of AWS Support Plans" and "Case Management". Loaded by
`catalog.services.reference_data_load`, which only adds what is missing, so operators' edits in
the admin survive a reload.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

SEVERITIES: list[dict[str, Any]] = [
    {
        "code": "low",
        "name_ja": "一般的なガイダンス",
        "name": "General guidance",
        "level": 1,
        "description": "You have a general development question, or you want to request a feature.",
    },
    {
        "code": "normal",
        "name_ja": "システム障害",
        "name": "System impaired",
        "level": 2,
        "description": "Non-critical functions of your application are behaving abnormally, or "
        "you have a time-sensitive development question.",
    },
    {
        "code": "high",
        "name_ja": "本番システムの障害",
        "name": "Production system impaired",
        "level": 3,
        "description": "Important functions of your application are impaired or degraded.",
    },
    {
        "code": "urgent",
        "name_ja": "本番システムのダウン",
        "name": "Production system down",
        "level": 4,
        "description": "Your business is significantly impacted. Important functions of your "
        "application are unavailable.",
    },
    {
        "code": "critical",
        "name_ja": "ビジネスクリティカルなシステムのダウン",
        "name": "Business-critical system down",
        "level": 5,
        "description": "Your business is at risk. Critical functions of your application are "
        "unavailable.",
    },
]

# First-response targets in minutes.
TARGETS = {"low": 24 * 60, "normal": 12 * 60, "high": 4 * 60, "urgent": 60, "critical": 15}
# Our defaults for the replies after the first: the severity's first-response target, but never
# under an hour (an engineer working a critical case needs time to find something to say).
NEXT_REPLY_TARGETS = {code: max(minutes, 60) for code, minutes in TARGETS.items()}

PLANS: list[dict[str, Any]] = [
    {
        "code": "basic",
        "name": "Basic",
        "name_ja": "ベーシック",
        "position": 1,
        "allows_account_and_billing": True,
        "allows_service_limit_increase": True,
        "allows_technical": False,
        "allows_web": True,
        "allows_chat": False,
        "allows_phone": False,
        "allows_cc": False,
        "api_access": False,
        "full_trusted_advisor": False,
        "business_hours_only": False,
        # Basic opens only account, billing and limit cases; they get general-guidance targets.
        "severities": ["low"],
    },
    {
        "code": "developer",
        "name": "Developer",
        "name_ja": "デベロッパー",
        "position": 2,
        "allows_account_and_billing": True,
        "allows_service_limit_increase": True,
        "allows_technical": True,
        "allows_web": True,
        "allows_chat": False,
        "allows_phone": False,
        "allows_cc": False,
        "api_access": False,
        "full_trusted_advisor": False,
        "business_hours_only": True,
        "severities": ["low", "normal"],
    },
    {
        "code": "business",
        "name": "Business",
        "name_ja": "ビジネス",
        "position": 3,
        "allows_account_and_billing": True,
        "allows_service_limit_increase": True,
        "allows_technical": True,
        "allows_web": True,
        "allows_chat": True,
        "allows_phone": True,
        "allows_cc": True,
        "api_access": True,
        "full_trusted_advisor": True,
        "business_hours_only": False,
        "severities": ["low", "normal", "high", "urgent"],
    },
    {
        "code": "enterprise",
        "name": "Enterprise",
        "name_ja": "エンタープライズ",
        "position": 4,
        "allows_account_and_billing": True,
        "allows_service_limit_increase": True,
        "allows_technical": True,
        "allows_web": True,
        "allows_chat": True,
        "allows_phone": True,
        "allows_cc": True,
        "api_access": True,
        "full_trusted_advisor": True,
        "business_hours_only": False,
        "severities": ["low", "normal", "high", "urgent", "critical"],
    },
]

SERVICES_FILE = Path(__file__).resolve().parent / "data" / "services.json"


def services() -> list[dict[str, Any]]:
    return json.loads(SERVICES_FILE.read_text(encoding="utf-8"))["services"]
