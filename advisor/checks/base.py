"""The check engine's interface: a check is a function from an `Environment` to an `Evaluation`.

A check module registers each check with `@check(...)`. The facts (id, category, metadata
column order) come from the captured catalog in `advisor/data/catalog.json`, so a typo in an id
or a column fails at import; the name is repeated in the decorator as a translatable literal and
checked against the catalog. The description is ours: a lead paragraph, the alert criteria, the
recommended action and additional resources, which `description_html` assembles the way the
real API's HTML descriptions are laid out.

A check talks to AWS only through `env.client(service, region)`; it never sees credentials, so
the same code runs against a customer's account, an assumed role or the moto sample environment.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

from botocore.config import Config
from django.utils.functional import Promise
from django.utils.html import escape, format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

CATALOG_PATH = Path(__file__).resolve().parent.parent / "data" / "catalog.json"

OK, WARNING, ERROR = "ok", "warning", "error"
STATUS_RANK = {OK: 0, WARNING: 1, ERROR: 2}
# The colour words the real checks repeat in their `Status` metadata column.
STATUS_COLOUR = {OK: "Green", WARNING: "Yellow", ERROR: "Red"}


@dataclass(frozen=True)
class Row:
    """One resource a check reports.

    `arn` identifies the resource (an ARN, or an ARN-like string for things without one); the
    stored `resourceId` is a hash of it, and EventBridge events carry it as `resource_id`.
    `metadata` has exactly one value per catalog column (None allowed, as the real API does).
    `region` is None for global resources. `savings` is the estimated monthly saving in USD
    (cost checks only). `key` identifies the row when one resource gives several rows (a
    security group's rules, a user's access keys, a multi-region trail per region): the stored
    `resourceId` hashes `key` (default: `arn`), so exclusions and events follow the same finding
    from run to run whatever order the rows come in.
    """

    status: str
    arn: str
    metadata: Sequence[str | None]
    region: str | None = None
    savings: float = 0.0
    key: str | None = None

    @property
    def identity(self) -> str:
        return self.key or self.arn


@dataclass
class Evaluation:
    """What one run of a check found.

    `rows` lists flagged resources and, for checks whose criteria have a Green case, the green
    ones too. `processed` counts every resource looked at (listed or not); `ignored` those whose
    information could not be read. `monthly_cost` (cost checks) is the current monthly cost of the
    processed resources, the base of `estimatedPercentMonthlySavings`.
    """

    rows: list[Row] = field(default_factory=list)
    processed: int = 0
    ignored: int = 0
    monthly_cost: float = 0.0


class Environment:
    """The AWS account a check inspects: a boto3 session, the regions to look at, the clock."""

    def __init__(
        self,
        *,
        session: Any,
        regions: Sequence[str],
        account_id: str,
        now: datetime,
        endpoint_url: str | None = None,
    ) -> None:
        self.session = session
        self.regions = list(regions)
        self.account_id = account_id
        self.now = now
        self.endpoint_url = endpoint_url
        self._clients: dict[tuple[str, str], Any] = {}

    def client(self, service: str, region: str | None = None) -> Any:
        region = region or "us-east-1"
        key = (service, region)
        if key not in self._clients:
            self._clients[key] = self.session.client(
                service,
                region_name=region,
                endpoint_url=self.endpoint_url,
                config=Config(retries={"max_attempts": 3, "mode": "standard"}, read_timeout=30),
            )
        return self._clients[key]


Evaluate = Callable[[Environment], Evaluation]


@dataclass(frozen=True)
class CheckSpec:
    id: str
    name: str | Promise
    category: str
    metadata: tuple[str, ...]
    evaluate: Evaluate
    core: bool
    lead: str | Promise
    criteria: tuple[str | Promise, ...]
    action: str | Promise
    resources: tuple[tuple[str | Promise, str], ...]

    def description_html(self) -> str:
        """The API's `description`: HTML with the three sections consumers look for."""
        criteria = format_html_join("", "{}<br>\n", ((str(c),) for c in self.criteria))
        links = format_html_join(
            mark_safe("<br>\n"),
            '<a href="{}" target="_blank">{}</a>',
            ((url, str(title)) for title, url in self.resources),
        )
        return format_html(
            "{}<br>\n<br>\n<b>{}</b><br>\n{}<br>\n<b>{}</b><br>\n{}<br>\n<br>\n<b>{}</b><br>\n{}",
            escape(str(self.lead)),
            _("Alert Criteria"),
            criteria,
            _("Recommended Action"),
            escape(str(self.action)),
            _("Additional Resources"),
            links,
        )


@cache
def catalog() -> dict[str, dict[str, Any]]:
    with open(CATALOG_PATH, encoding="utf-8") as fh:
        return {c["id"]: c for c in json.load(fh)["checks"]}


REGISTRY: dict[str, CheckSpec] = {}


def check(
    check_id: str,
    *,
    name: str | Promise,
    core: bool = False,
    lead: str | Promise,
    criteria: Sequence[str | Promise],
    action: str | Promise,
    resources: Sequence[tuple[str | Promise, str]] = (),
) -> Callable[[Evaluate], Evaluate]:
    """Register `evaluate` as the implementation of catalog check `check_id`."""
    facts = catalog()[check_id]  # KeyError: not a real check id
    if str(name) != facts["name"]:
        raise ValueError(f"{check_id}: name {name!r} differs from the catalog {facts['name']!r}")

    def register(evaluate: Evaluate) -> Evaluate:
        if check_id in REGISTRY:
            raise ValueError(f"{check_id} registered twice")
        REGISTRY[check_id] = CheckSpec(
            id=check_id,
            name=name,
            category=facts["category"],
            metadata=tuple(facts["metadata"]),
            evaluate=evaluate,
            core=core,
            lead=lead,
            criteria=tuple(criteria),
            action=action,
            resources=tuple(resources),
        )
        return evaluate

    return register


def worst(statuses: Sequence[str]) -> str:
    """The check status: the worst resource status, `ok` when nothing is flagged."""
    return max(statuses, key=STATUS_RANK.__getitem__, default=OK)
