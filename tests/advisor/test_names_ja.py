"""Every Trusted Advisor check the product lists is named in Japanese on Japanese pages: the
computed ones through the .po catalogue, the ones only listed through the catalog's name_ja."""

from __future__ import annotations

from django.utils import translation

from advisor.checks.base import REGISTRY, catalog
from advisor.selectors import checks_not_computed

# Names that are product names only, which AWS's Japanese console leaves in English.
PRODUCT_NAMES = {"VPC", "ELB Classic Load Balancer", "ELB Application Load Balancer"}
PRODUCT_NAMES |= {"ELB Network Load Balancer"}


def _japanese(text: str) -> bool:
    return any(ord(char) >= 0x3000 for char in text)


def test_every_listed_check_has_a_japanese_name() -> None:
    with translation.override("ja"):
        computed = {check_id: str(spec.name) for check_id, spec in REGISTRY.items()}
        listed = {check.id: check.local_name for check in checks_not_computed()}
    assert set(computed) | set(listed) == set(catalog())
    names = {**computed, **listed}
    assert [n for n in names.values() if not _japanese(n) and n not in PRODUCT_NAMES] == []
