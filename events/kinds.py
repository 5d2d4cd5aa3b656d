"""The kinds of event Support Center publishes, in AWS's spelling: what rules match on. The apps
that publish them build their details (`cases.effects`, `advisor.services.refresh`)."""

from __future__ import annotations

import enum

# Trusted Advisor's item refresh events.
TA_SOURCE = "aws.trustedadvisor"
TA_DETAIL_TYPE = "Trusted Advisor Check Item Refresh Notification"
# AWS Support's case events.
CASE_SOURCE = "aws.support"
CASE_DETAIL_TYPE = "Support Case Update"
# Our fields of a Support Case Update, after AWS's five: the case's first-response SLA when the
# event happened (docs/API.md).
SLA_DEADLINE = "sla-first-response-deadline"
SLA_SECONDS_TO_BREACH = "sla-seconds-to-breach"
SLA_MET = "sla-met"


class CaseEventName(enum.StrEnum):
    """The `event-name` of a Support Case Update."""

    CREATE_CASE = "CreateCase"
    ADD_COMMUNICATION_TO_CASE = "AddCommunicationToCase"
    RESOLVE_CASE = "ResolveCase"
    REOPEN_CASE = "ReopenCase"
