"""The seeding itself, run inside a Django process (`bench.seeding` starts it with the
benchmark's environment; import this module only after `django.setup()`).

Cases are written with bulk inserts (`Writer`), 5,000 to a transaction, with what a real case
has for the pages and the API to read: one customer communication and the search text (the full-text
index's rows; SQLite's FTS5 triggers fill the engine as they would for a case created by the
service). Display ids are taken from the product's own sequence, a block at a time.
"""

from __future__ import annotations

import random
import sys
import time
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import DateTimeField, F, Model
from django.db.models.fields import AutoFieldMixin
from django.utils import timezone

from accounts.models import Account, User
from accounts.principals import SYSTEM
from accounts.services import engineer_create
from cases.models import Case, CaseSearch, CaseStatus, Communication, CommunicationOrigin
from cases.search import prepare
from catalog.models import Category, Service, Severity
from core import ids
from core.models import Sequence
from core.services import database_optimize, sequence_next

BATCH = 5000
DISPLAY_ID_SEQUENCE = "case-display-id"
DISPLAY_ID_START = 1_000_001
# Cases that are neither stale nor past the retention: a mix of the open statuses and resolved
# history, as a busy account has.
FRESH_STATUSES = [
    CaseStatus.UNASSIGNED,
    CaseStatus.WORK_IN_PROGRESS,
    CaseStatus.OPENED,
    CaseStatus.RESOLVED,
    CaseStatus.RESOLVED,
    CaseStatus.RESOLVED,
]


class Vocabulary:
    """Words drawn as natural text draws them (Zipf: word n with weight 1/n), so a word's share
    of the cases is the same at every size: `term1` is in nearly every case, `term400` in about
    one in three hundred, `term20000` in a handful per hundred thousand."""

    def __init__(self, size: int = 50_000, seed: int = 11) -> None:
        self.words = [f"term{n}" for n in range(1, size + 1)]
        self.cumulative: list[float] = []
        total = 0.0
        for n in range(1, size + 1):
            total += 1.0 / n
            self.cumulative.append(total)
        self.random = random.Random(seed)
        # The words are already what the search index stores (lower-case ASCII tokens), so the
        # seeding skips `prepare`'s per-character work; checked once here.
        assert prepare(" ".join(self.words[:100])) == " ".join(self.words[:100])

    def text(self, words: int) -> str:
        return " ".join(self.random.choices(self.words, cum_weights=self.cumulative, k=words))


def _display_ids(count: int) -> range:
    """A block of `count` display ids from the product's sequence (inside a transaction)."""
    sequence_next(DISPLAY_ID_SEQUENCE, start=DISPLAY_ID_START)
    Sequence.objects.filter(name=DISPLAY_ID_SEQUENCE).update(value=F("value") + count - 1)
    last = Sequence.objects.values_list("value", flat=True).get(name=DISPLAY_ID_SEQUENCE)
    return range(last - count + 1, last + 1)


class Writer:
    """Rows of `model` inserted with one prepared INSERT run by `executemany`.

    Django's `bulk_create` spends about 30 microseconds per row preparing values field by field
    (most of a million-case seeding); here the values every row shares are prepared once,
    by the fields themselves, from a prototype, and each row only supplies the columns that
    vary, with datetimes adapted by the backend as the ORM adapts them."""

    def __init__(self, model: type[Model], **shared: Any) -> None:
        self.fields = [
            f
            for f in model._meta.concrete_fields
            if not (f.primary_key and isinstance(f, AutoFieldMixin))
        ]
        prototype = model(**shared)
        self.shared = [
            f.get_db_prep_save(getattr(prototype, f.attname), connection) for f in self.fields
        ]
        self.index = {f.attname: i for i, f in enumerate(self.fields)}
        self.dates = {f.attname for f in self.fields if isinstance(f, DateTimeField)}
        quote = connection.ops.quote_name
        columns = ", ".join(quote(f.column) for f in self.fields)
        marks = ", ".join(["%s"] * len(self.fields))
        self.sql = f"INSERT INTO {quote(model._meta.db_table)} ({columns}) VALUES ({marks})"
        self.rows: list[list[Any]] = []

    def add(self, **values: Any) -> None:
        row = list(self.shared)
        adapt = connection.ops.adapt_datetimefield_value
        for name, value in values.items():
            row[self.index[name]] = adapt(value) if name in self.dates else value
        self.rows.append(row)

    def flush(self) -> None:
        with connection.cursor() as cursor:
            cursor.executemany(self.sql, self.rows)
        self.rows = []


def cases_top_up(
    *, account_id: str, total: int, stale_share: float = 0.0, old_share: float = 0.0
) -> dict[str, Any]:
    """Add cases to the account until it holds `total`. Of the account's cases, `stale_share`
    end up pending the customer's action for longer than auto-resolve waits and `old_share`
    resolved and older than the retention (purge's work), counting those already there, so a
    size reached after the jobs ran has its shares again. Returns what was added."""
    started = time.perf_counter()
    account = Account.objects.get(account_id=account_id)
    now = timezone.now()
    cases = Case.objects.filter(account=account)
    have = cases.count()
    add = max(0, total - have)
    wait = timedelta(days=settings.SUPPORTCENTER_AUTO_RESOLVE_DAYS)
    retention = timedelta(days=settings.SUPPORTCENTER_CASE_RETENTION_DAYS)
    stale_have = cases.filter(
        status=CaseStatus.PENDING_CUSTOMER_ACTION, status_changed_at__lt=now - wait
    ).count()
    old_have = cases.filter(status=CaseStatus.RESOLVED, created_at__lt=now - retention).count()
    stale = max(0, min(add, round(total * stale_share) - stale_have))
    old = max(0, min(add - stale, round(total * old_share) - old_have))
    kinds = ["stale"] * stale + ["old"] * old + ["fresh"] * (add - stale - old)
    randomly = random.Random(total)
    randomly.shuffle(kinds)
    vocabulary = Vocabulary(seed=total)
    service = Service.objects.get(code="amazon-elastic-compute-cloud-linux")
    severities = [(s.pk, s.level) for s in Severity.objects.order_by("pk")]
    case_rows = Writer(
        Case,
        account=account,
        case_type="technical",
        service=service,
        category=Category.objects.get(service=service, code="instance-issue"),
        severity_id=severities[0][0],
        severity_level=severities[0][1],
        updated_at=now,
    )
    communication_rows = Writer(
        Communication, case_id=0, origin=str(CommunicationOrigin.CUSTOMER), updated_at=now
    )
    search_rows = Writer(CaseSearch, case_id=0)
    recent = (retention - timedelta(days=30)).total_seconds()
    stale_changed = now - wait - timedelta(days=1)

    def created_for(kind: str) -> datetime:
        created = now - timedelta(seconds=randomly.uniform(0, recent))
        if kind == "stale":
            return min(created, stale_changed - timedelta(hours=2))
        if kind == "old":
            return now - retention - timedelta(days=randomly.uniform(1, 180))
        return created

    # Oldest first, as a real install's rows are: primary keys (and the tables' and most
    # indexes' page order) follow creation time, which is what the jobs' batches walk. Random
    # times in key order would make every batch touch pages all over every index.
    rows = sorted(((created_for(kind), kind) for kind in kinds), key=lambda row: row[0])
    for offset in range(0, add, BATCH):
        chunk = rows[offset : offset + BATCH]
        texts = []
        with transaction.atomic():
            display_ids = _display_ids(len(chunk))
            for i, (created, kind) in enumerate(chunk):
                n = have + offset + i
                status = FRESH_STATUSES[n % len(FRESH_STATUSES)]
                changed = min(now, created + timedelta(hours=2))
                if kind == "stale":
                    status = CaseStatus.PENDING_CUSTOMER_ACTION
                    changed = stale_changed
                elif kind == "old":
                    status = CaseStatus.RESOLVED
                    changed = created + timedelta(days=2)
                answered = status != CaseStatus.UNASSIGNED
                subject, body = vocabulary.text(4), vocabulary.text(12)
                submitter = f"user{n % 500}@example.com"
                texts.append((display_ids[i], subject, body, submitter, created))
                case_rows.add(
                    case_id=ids.case_id_new(account.account_id, created),
                    display_id=display_ids[i],
                    severity_id=severities[n % len(severities)][0],
                    severity_level=severities[n % len(severities)][1],
                    subject=subject,
                    status=str(status),
                    submitted_by=submitter,
                    created_at=created,
                    status_changed_at=changed,
                    resolved_at=changed if status == CaseStatus.RESOLVED else None,
                    first_response_due_at=created + timedelta(hours=12),
                    first_responded_at=created + timedelta(hours=1) if answered else None,
                    first_response_met=True if answered else None,
                )
            case_rows.flush()
            # The new cases' primary keys, by their display ids (one block of the sequence).
            pks = dict(
                Case.objects.filter(
                    display_id__gte=display_ids[0], display_id__lte=display_ids[-1]
                ).values_list("display_id", "pk")
            )
            for display_id, subject, body, submitter, created in texts:
                communication_rows.add(
                    case_id=pks[display_id],
                    communication_id=ids.communication_id_new(),
                    body=body,
                    submitted_by=submitter,
                    created_at=created,
                )
                search_rows.add(case_id=pks[display_id], subject=subject, body=body)
            communication_rows.flush()
            search_rows.flush()
        done = offset + len(chunk)
        if done % 100_000 < BATCH or done == add:
            rate = done / (time.perf_counter() - started)
            print(f"  seeded {have + done:,} cases ({rate:,.0f}/s)", file=sys.stderr, flush=True)
    # What the daily database-optimize job does: planner statistics for the new rows.
    database_optimize()
    return {
        "added": add,
        "stale": stale,
        "old": old,
        "total": have + add,
        "seconds": time.perf_counter() - started,
    }


def engineer_ensure(email: str, password: str) -> None:
    if not User.objects.filter(login=email).exists():
        engineer_create(email=email, password=password, actor=SYSTEM)
