"""A check's page shows the texts checks compute (reasons, Yes/No, colours, region names) in the
reader's language; what is stored, the API and the CSV keep AWS's English."""

from __future__ import annotations

from django.utils import translation

from advisor.checks import REGISTRY, Row
from advisor.checks.ebs import REASON_OLD_SNAPSHOT
from advisor.checks.helpers import colour, region_name, yes_no
from advisor.checks.iam import REASON_WEAK_POLICY
from advisor.checks.regions import REGION_NAMES
from advisor.checks.texts import value_label
from connections.services import known_regions
from tests.advisor import console_data as data
from tests.advisor.view_helpers import check_url, text

S3_PERMISSIONS = "Pfx0RwqBli"  # Amazon S3 Bucket Permissions: "Region Name" column
SNAPSHOT_AGE = "H7IgTzjTYb"  # Amazon EBS Snapshots: "Reason" with the age in it
PASSWORD_POLICY = "Yw2K9puPzl"  # IAM Password Policy: "Reason" listing what is missing


def bucket_row(region: str, name: str, *, public: bool) -> Row:
    status = "error" if public else "ok"
    return Row(
        status=status,
        arn=f"arn:aws:s3:::{name}",
        region=region,
        metadata=[region_name(region), region, name, yes_no(public), yes_no(public)]
        + [colour(status), yes_no(False), None],
    )


def seed(account) -> None:
    data.store(
        account,
        S3_PERMISSIONS,
        [
            bucket_row("us-east-1", "open-bucket", public=True),
            bucket_row("ap-northeast-1", "closed-bucket", public=False),
        ],
    )
    data.store(
        account,
        SNAPSHOT_AGE,
        [
            Row(
                status="warning",
                arn="arn:aws:ec2:us-east-1:123456789012:volume/vol-0abc",
                region="us-east-1",
                metadata=["us-east-1", "vol-0abc", "data", "snap-0abc", None, "42", "/dev/sdf"]
                + [colour("warning"), REASON_OLD_SNAPSHOT.format(42)],
            )
        ],
    )
    data.store(
        account,
        PASSWORD_POLICY,
        [
            Row(
                status="warning",
                arn="arn:aws:iam::123456789012:account-password-policy",
                metadata=["Yes", "No", "Yes", "No", "Yes", colour("warning")]
                + [REASON_WEAK_POLICY.format("uppercase letters, numbers")],
            )
        ],
    )


def test_japanese_check_page_shows_reasons_and_region_names_in_japanese(
    root_client, business_account
) -> None:
    seed(business_account)
    page = text(root_client.get(check_url("check", S3_PERMISSIONS), HTTP_ACCEPT_LANGUAGE="ja"))
    assert ">米国東部 (バージニア北部)</td>" in page
    assert ">アジアパシフィック (東京)</td>" in page
    assert ">あり</td>" in page and ">なし</td>" in page
    assert ">赤</td>" in page and ">緑</td>" in page
    assert "US East (N. Virginia)" not in page and "Asia Pacific (Tokyo)" not in page
    # Names and codes are the customer's and AWS's: as they are.
    assert ">open-bucket</td>" in page and ">us-east-1</td>" in page

    snapshots = text(root_client.get(check_url("check", SNAPSHOT_AGE), HTTP_ACCEPT_LANGUAGE="ja"))
    assert ">最新のスナップショットは 42 日前のものです。</td>" in snapshots
    assert ">黄</td>" in snapshots

    policy = text(root_client.get(check_url("check", PASSWORD_POLICY), HTTP_ACCEPT_LANGUAGE="ja"))
    assert ">ポリシーで次が必須になっていません: 大文字, 数字。</td>" in policy


def test_english_check_page_shows_the_stored_english(root_client, business_account) -> None:
    seed(business_account)
    page = text(root_client.get(check_url("check", S3_PERMISSIONS), HTTP_ACCEPT_LANGUAGE="en"))
    assert ">US East (N. Virginia)</td>" in page and ">Asia Pacific (Tokyo)</td>" in page
    assert ">Yes</td>" in page and ">Red</td>" in page and ">Green</td>" in page
    snapshots = text(root_client.get(check_url("check", SNAPSHOT_AGE), HTTP_ACCEPT_LANGUAGE="en"))
    assert ">The newest snapshot is 42 days old.</td>" in snapshots


def test_csv_download_keeps_the_api_english(root_client, business_account) -> None:
    seed(business_account)
    response = root_client.get(
        check_url("check-download", S3_PERMISSIONS), HTTP_ACCEPT_LANGUAGE="ja"
    )
    body = b"".join(response.streaming_content).decode()
    assert "US East (N. Virginia)" in body and "Red" in body
    assert "米国東部" not in body


def test_every_region_the_product_knows_has_its_japanese_console_name() -> None:
    assert set(known_regions()) <= set(REGION_NAMES)
    with translation.override("ja"):
        assert value_label(REGION_NAMES["ap-northeast-3"]) == "アジアパシフィック (大阪)"
        assert value_label(REGION_NAMES["sa-east-1"]) == "南米 (サンパウロ)"
        for code, name in REGION_NAMES.items():
            assert value_label(name) != name, code


def test_only_registered_texts_are_translated() -> None:
    with translation.override("ja"):
        assert value_label("Yes") == "あり"
        assert value_label("Status") == "Status"  # a resource's own name, say
        copied = "The newest snapshot is 42 days old. (copied)"
        assert value_label(copied) == copied
        assert value_label(None) == "" and value_label(7) == "7"
    assert REGISTRY  # the check modules (which register the texts) are loaded
