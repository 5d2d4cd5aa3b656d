"""The regions' names as AWS's console writes them, for metadata columns such as S3's
"Region Name".

Every region the product lets a connection choose (`connections.services.known_regions`,
botocore's EC2 regions) is named here in English, the value the API returns; the pages show the
Japanese console's name through the translation catalogue (`advisor.checks.texts`).
"""

from __future__ import annotations

from django.utils.translation import gettext_noop

from advisor.checks.texts import phrase

REGION_NAMES = {
    code: phrase(name)
    for code, name in (
        ("af-south-1", gettext_noop("Africa (Cape Town)")),
        ("ap-east-1", gettext_noop("Asia Pacific (Hong Kong)")),
        ("ap-east-2", gettext_noop("Asia Pacific (Taipei)")),
        ("ap-northeast-1", gettext_noop("Asia Pacific (Tokyo)")),
        ("ap-northeast-2", gettext_noop("Asia Pacific (Seoul)")),
        ("ap-northeast-3", gettext_noop("Asia Pacific (Osaka)")),
        ("ap-south-1", gettext_noop("Asia Pacific (Mumbai)")),
        ("ap-south-2", gettext_noop("Asia Pacific (Hyderabad)")),
        ("ap-southeast-1", gettext_noop("Asia Pacific (Singapore)")),
        ("ap-southeast-2", gettext_noop("Asia Pacific (Sydney)")),
        ("ap-southeast-3", gettext_noop("Asia Pacific (Jakarta)")),
        ("ap-southeast-4", gettext_noop("Asia Pacific (Melbourne)")),
        ("ap-southeast-5", gettext_noop("Asia Pacific (Malaysia)")),
        ("ap-southeast-6", gettext_noop("Asia Pacific (New Zealand)")),
        ("ap-southeast-7", gettext_noop("Asia Pacific (Thailand)")),
        ("ca-central-1", gettext_noop("Canada (Central)")),
        ("ca-west-1", gettext_noop("Canada West (Calgary)")),
        ("eu-central-1", gettext_noop("Europe (Frankfurt)")),
        ("eu-central-2", gettext_noop("Europe (Zurich)")),
        ("eu-north-1", gettext_noop("Europe (Stockholm)")),
        ("eu-south-1", gettext_noop("Europe (Milan)")),
        ("eu-south-2", gettext_noop("Europe (Spain)")),
        ("eu-west-1", gettext_noop("Europe (Ireland)")),
        ("eu-west-2", gettext_noop("Europe (London)")),
        ("eu-west-3", gettext_noop("Europe (Paris)")),
        ("il-central-1", gettext_noop("Israel (Tel Aviv)")),
        ("me-central-1", gettext_noop("Middle East (UAE)")),
        ("me-south-1", gettext_noop("Middle East (Bahrain)")),
        ("mx-central-1", gettext_noop("Mexico (Central)")),
        ("sa-east-1", gettext_noop("South America (São Paulo)")),
        ("us-east-1", gettext_noop("US East (N. Virginia)")),
        ("us-east-2", gettext_noop("US East (Ohio)")),
        ("us-west-1", gettext_noop("US West (N. California)")),
        ("us-west-2", gettext_noop("US West (Oregon)")),
    )
}
