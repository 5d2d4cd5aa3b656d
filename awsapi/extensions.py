"""Members Support Center answers beyond AWS's model, by the structure they extend (docs/API.md).

Plain data, importable without Django: the operations declare them (`model.declare_extensions`)
and the fuzz benchmark accepts them when it checks answers against the model.
"""

# The first-response SLA of each case in DescribeCases (`cases.sla.first_response_sla`).
CASE_SLA_MEMBERS = ("slaFirstResponseDeadline", "slaSecondsToBreach", "slaMet")

EXTENSION_MEMBERS: dict[str, frozenset[str]] = {"CaseDetails": frozenset(CASE_SLA_MEMBERS)}
