"""DescribeTrustedAdvisorCheckResult returns metadata as AWS does: in English, whatever
`language` asks for (pages translate it; the API never does)."""

from __future__ import annotations

from tests.advisor.test_values_ja import S3_PERMISSIONS, SNAPSHOT_AGE, seed


def test_check_result_metadata_is_english_in_both_languages(make_client, api_user) -> None:
    seed(api_user.account)
    support = make_client(api_user)
    for language in ("en", "ja"):
        result = support.describe_trusted_advisor_check_result(
            checkId=S3_PERMISSIONS, language=language
        )["result"]
        rows = sorted(r["metadata"] for r in result["flaggedResources"])
        assert rows == [
            ["Asia Pacific (Tokyo)", "ap-northeast-1", "closed-bucket", "No", "No", "Green"]
            + ["No", None],
            ["US East (N. Virginia)", "us-east-1", "open-bucket", "Yes", "Yes", "Red", "No", None],
        ]
        snapshots = support.describe_trusted_advisor_check_result(
            checkId=SNAPSHOT_AGE, language=language
        )["result"]["flaggedResources"]
        assert snapshots[0]["metadata"][-1] == "The newest snapshot is 42 days old."
