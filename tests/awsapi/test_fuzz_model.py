"""The model fuzz of `python -m bench fuzz`, seeded and bounded: a few hundred requests made from
botocore's support model and their mutations, signed with a valid key, through Django's test
client. Every answer is a success in the operation's output shape or AWS's JSON error, never a
5xx; afterwards the account's event history, its record pages and downloads still answer."""

from __future__ import annotations

import csv
import io
import json

from django.urls import reverse

from audit.models import AuditEvent
from bench import fuzz
from bench.fuzz_model import MUTATIONS, Case, Generator
from tests import factories

REQUESTS = 300


def test_generated_requests_get_valid_answers(client, api_user) -> None:
    generator = Generator(seed=fuzz.DEFAULT_SEED)
    tally = fuzz.Tally()

    def send(case: Case, headers: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        meta = {
            "HTTP_" + name.upper().replace("-", "_"): value
            for name, value in headers.items()
            if name.lower() not in ("content-type", "content-length")
        }
        # CONTENT_TYPE in the environ too: the test client leaves it out when the body is empty.
        response = client.generic(
            "POST",
            "/",
            data=case.body,
            content_type=headers["Content-Type"],
            CONTENT_TYPE=headers["Content-Type"],
            **meta,
        )
        answer = {name.lower(): value for name, value in response.items()}
        return response.status_code, answer, response.content

    def sign(case: Case) -> dict[str, str]:
        return fuzz.signed_headers(
            case.operation, case.body, api_user.access_key_id, api_user.secret, "testserver"
        )

    fuzz.run_cases(generator.cases(REQUESTS), send, sign, tally, generator.pool)
    assert tally.failures == []
    assert tally.count("5xx") == 0
    # The run reached deep: every mutation, successes (ids learned and used) and refusals.
    assert set(tally.by_mutation) == set(MUTATIONS)
    assert tally.count("2xx") > 20 and tally.codes["SerializationException"] > 10
    assert generator.pool.values["caseId"] and generator.pool.values["attachmentSetId"]

    client.force_login(factories.root_of(api_user.account))
    assert client.get(reverse("cloudtrail:history")).status_code == 200
    download = client.get(reverse("cloudtrail:download", args=["json"]))
    records = json.loads(download.content.decode("utf-8"))["Records"]
    # Every call is recorded once, refused ones too; an oversized body is refused before its
    # signature is checked, so it belongs to no one's trail.
    calls = [r for r in records if r["userIdentity"].get("accessKeyId") == api_user.access_key_id]
    assert len(calls) == REQUESTS - tally.codes["RequestEntityTooLargeException"]
    rows = b"".join(client.get(reverse("cloudtrail:download", args=["csv"])).streaming_content)
    assert len(list(csv.reader(io.StringIO(rows.decode())))) == len(records) + 1
    for event in AuditEvent.objects.filter(recipient_account_id=api_user.account.account_id)[:50]:
        assert client.get(reverse("cloudtrail:event", args=[event.event_id])).status_code == 200
