"""The managed IAM policies every account can attach (AWS's names where AWS has the policy).

Loaded by `accounts.services.managed_policies_load`, which only adds what is missing, so
operators' edits in the admin survive a reload.
"""

from __future__ import annotations

from typing import Any

MANAGED_SUPPORT_POLICY = "AWSSupportAccess"

MANAGED_POLICIES: list[dict[str, Any]] = [
    {
        "name": "AWSSupportAccess",
        "description": "Full access to Support Center and the AWS Support API.",
        "document": {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Action": ["support:*", "support-console:*"], "Resource": "*"}
            ],
        },
    },
    {
        "name": "SupportCenterTrustedAdvisorAccess",
        "description": "Full access to Trusted Advisor: results, refreshes, exclusions and the "
        "AWS connection.",
        "document": {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": ["trustedadvisor:*"], "Resource": "*"}],
        },
    },
    {
        "name": "AmazonEventBridgeFullAccess",
        "description": "Create and change event rules and their targets; replay deliveries.",
        "document": {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": ["events:*"], "Resource": "*"}],
        },
    },
    {
        "name": "AmazonEventBridgeReadOnlyAccess",
        "description": "See event rules, their targets and delivery logs; change nothing.",
        "document": {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Action": ["events:Describe*", "events:List*"],
                    "Resource": "*",
                }
            ],
        },
    },
    {
        "name": "AWSCloudTrail_ReadOnlyAccess",
        "description": "See event history (in the console and through CloudTrail's "
        "LookupEvents) and trails; change nothing.",
        "document": {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Action": [
                        "cloudtrail:Describe*",
                        "cloudtrail:Get*",
                        "cloudtrail:List*",
                        "cloudtrail:LookupEvents",
                    ],
                    "Resource": "*",
                }
            ],
        },
    },
    {
        "name": "SupportCenterReadOnlyAccess",
        "description": "Read cases and Trusted Advisor results; change nothing.",
        "document": {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Action": ["support:Describe*", "trustedadvisor:Describe*"],
                    "Resource": "*",
                }
            ],
        },
    },
]
