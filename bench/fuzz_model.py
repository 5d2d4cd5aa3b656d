"""Requests generated from botocore's support model for `python -m bench fuzz` and
tests/awsapi/test_fuzz_model.py: bodies of the right shape (known codes, ids the server handed
out) and their mutations (wrong types, missing and extra members, nulls, boundary and huge
lengths, random Unicode with lone surrogates and NUL, NaN and Infinity, huge integers, deep
nesting, random enum values, broken bytes). Seeded: the same seed makes the same choices.
"""

from __future__ import annotations

import base64
import json
import random
import threading
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import botocore.session
from botocore.model import ServiceModel, Shape

TARGET_PREFIX = "AWSSupport_20130415"
CONTENT_TYPE = "application/x-amz-json-1.1"
DEFAULT_SEED = 20261206
# Bodies stay under the API's cap for most operations (256 KB), so most reach the parser.
MAX_BODY = 250_000

MUTATIONS = (
    "valid",
    "wrong_type",
    "missing_required",
    "extra_member",
    "null_member",
    "boundary_length",
    "huge_length",
    "unicode",
    "non_finite",
    "huge_integer",
    "deep_nesting",
    "random_enum",
    "raw_bytes",
)

# Values that pass validation, by member name (the rest are made from the shape).
KNOWN: dict[str, list[Any]] = {
    "serviceCode": ["billing", "amazon-elastic-compute-cloud-linux", "general-info", "nope"],
    "categoryCode": ["charge-inquiry", "instance-issue", "other", "using-aws"],
    "severityCode": ["low", "normal", "high", "urgent", "critical"],
    "language": ["en", "ja"],
    "issueType": ["technical", "customer-service"],
    "subject": ["Fuzzed case", "件名"],
    "communicationBody": ["Body text.", "本文です。"],
    "ccEmailAddresses": ["cc@example.com"],
    "afterTime": ["2026-01-01T00:00:00Z", "2026-12-01"],
    "beforeTime": ["2030-01-01T00:00:00.000Z"],
    "fileName": ["log.txt", "screen.png"],
    "eTag": ["0123456789abcdef0123456789abcdef"],
    "checkId": ["Pfx0RwqBli", "HCP4007jGY"],
}
# Service, category and issue type that go together (a case's classification).
COMBINATIONS = [
    {"serviceCode": "billing", "categoryCode": "charge-inquiry", "issueType": "customer-service"},
    {
        "serviceCode": "amazon-elastic-compute-cloud-linux",
        "categoryCode": "instance-issue",
        "issueType": "technical",
    },
]
# Optional in the model, but an attachment or a case is rarely anything without them.
USUAL = frozenset({"fileName", "data"})
# The member name a list's items are known by.
ITEM_NAMES = {
    "caseIdList": "caseId",
    "checkIds": "checkId",
    "serviceCodeList": "serviceCode",
    "uploadIds": "uploadId",
}
# Members whose values the server hands out: learned from answers, then used in requests.
LEARNED = ("caseId", "attachmentSetId", "attachmentId", "uploadId", "displayId", "nextToken")
UNICODE_RANGES = (
    (0x0000, 0x001F),  # controls, NUL included
    (0x0020, 0x007E),
    (0x00A0, 0x024F),
    (0x0300, 0x036F),  # combining marks
    (0x200B, 0x202E),  # zero-width and bidi controls
    (0x3040, 0x30FF),
    (0xD800, 0xDFFF),  # lone surrogates
    (0xFDD0, 0xFDEF),  # noncharacters
    (0xFFF0, 0xFFFF),
    (0x1F300, 0x1F6FF),
    (0x10FFF0, 0x10FFFF),
)
RAW = "\x00RAW\x00"  # a placeholder replaced by raw JSON text (NaN, 1e400, ...) after dumping


@dataclass(frozen=True)
class Case:
    operation: str
    mutation: str
    body: bytes


@dataclass
class Pool:
    """Ids the server handed out, shared by the threads that learn and use them."""

    values: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    lock: threading.Lock = field(default_factory=threading.Lock)

    def learn(self, payload: Any) -> None:
        stack = [payload]
        with self.lock:
            while stack:
                item = stack.pop()
                if isinstance(item, dict):
                    for key, value in item.items():
                        if key in LEARNED and isinstance(value, str):
                            known = self.values[key]
                            if value not in known and len(known) < 50:
                                known.append(value)
                        elif key == "id" and isinstance(value, str):
                            known = self.values["checkId"]
                            if value not in known and len(known) < 50:
                                known.append(value)
                        else:
                            stack.append(value)
                elif isinstance(item, list):
                    stack.extend(item[:20])

    def pick(self, key: str, rng: random.Random) -> str | None:
        with self.lock:
            known = self.values.get(key) or []
            return rng.choice(known) if known else None


@lru_cache(maxsize=1)
def service_model() -> ServiceModel:
    return botocore.session.get_session().get_service_model("support")


class Generator:
    """Seeded cases: `case()` builds one; the same seed gives the same sequence of choices."""

    def __init__(self, seed: int = DEFAULT_SEED, pool: Pool | None = None) -> None:
        self.rng = random.Random(seed)
        self.pool = pool or Pool()
        self.model = service_model()
        self.operations = sorted(self.model.operation_names)

    def cases(self, count: int) -> Iterator[Case]:
        for _ in range(count):
            yield self.case()

    def case(self) -> Case:
        operation = self.rng.choice(self.operations)
        # Valid bodies thrice as often as each mutation: successes hand out the ids that take
        # later requests deeper.
        mutation = self.rng.choice(("valid", "valid", *MUTATIONS))
        shape = self.model.operation_model(operation).input_shape
        body = self.valid(shape, "") if shape is not None else {}
        combination = self.rng.choice(COMBINATIONS)
        if operation == "CreateCase":
            body.update(combination)
        elif any(key in body for key in combination):
            body.update((k, v) for k, v in combination.items() if k in body)
        if mutation == "raw_bytes":
            return Case(operation, mutation, self.raw_bytes(body))
        text = getattr(self, mutation)(body, shape) if mutation != "valid" else None
        return Case(operation, mutation, self.dump(body, text))

    # --- valid values -------------------------------------------------------------------------

    def valid(self, shape: Shape, name: str, depth: int = 0) -> Any:
        rng = self.rng
        kind = shape.type_name
        if kind == "structure":
            required = set(shape.required_members)
            body = {}
            for member, sub in shape.members.items():
                if member not in required:
                    if member == "dryRun":
                        chance = 0.1
                    elif member in USUAL:
                        chance = 0.9
                    elif ITEM_NAMES.get(member, member) in LEARNED:
                        # An id nobody handed out yet is only a not-found.
                        chance = 0.5 if self.pool.pick(ITEM_NAMES.get(member, member), rng) else 0
                    else:
                        chance = 0.5
                    if rng.random() >= chance:
                        continue
                body[member] = self.valid(sub, member, depth + 1)
            return body
        if kind == "list":
            low = shape.metadata.get("min", 0)
            if name == "attachments":
                count = rng.choice([1, 1, 2, 3, 4])
            else:
                count = max(low, rng.randint(0, 3))
            item = ITEM_NAMES.get(name, name)
            return [self.valid(shape.member, item, depth + 1) for _ in range(count)]
        if kind == "string":
            learned = self.pool.pick(name, rng)
            if learned is not None and rng.random() < 0.8:
                return learned
            if name in KNOWN:
                return rng.choice(KNOWN[name])
            if getattr(shape, "enum", None):
                return rng.choice(shape.enum)
            low = shape.metadata.get("min", 1)
            return "x" * max(low, min(shape.metadata.get("max", 12), rng.randint(1, 12)))
        if kind in ("integer", "long"):
            low = shape.metadata.get("min", 1)
            return rng.randint(low, shape.metadata.get("max", low + 5))
        if kind == "boolean":
            return rng.random() < 0.5
        if kind == "blob":
            return base64.b64encode(rng.randbytes(rng.randint(1, 64))).decode()
        return None

    # --- mutations (each changes `body` in place; some return raw JSON for the placeholder) ---

    def _members(self, body: dict[str, Any]) -> list[tuple[dict[str, Any], str]]:
        """Every (object, key) in the body, nested ones included."""
        found: list[tuple[dict[str, Any], str]] = []
        stack: list[Any] = [body]
        while stack:
            item = stack.pop()
            if isinstance(item, dict):
                found.extend((item, key) for key in item)
                stack.extend(item.values())
            elif isinstance(item, list):
                stack.extend(item)
        return found

    def _target(self, body: dict[str, Any]) -> tuple[dict[str, Any], str]:
        members = self._members(body)
        if members and self.rng.random() < 0.85:
            return self.rng.choice(members)
        return body, self.rng.choice(["language", "caseId", "maxResults", "attachments", "x"])

    def wrong_type(self, body: dict[str, Any], shape: Shape) -> None:
        parent, key = self._target(body)
        parent[key] = self.rng.choice(
            [123, -1, 0, 1.5, True, False, "text", "", [], {}, [1, "a", None], {"a": {"b": 1}}]
        )

    def missing_required(self, body: dict[str, Any], shape: Shape) -> None:
        required = [m for m in (shape.required_members if shape else []) if m in body]
        if required:
            del body[self.rng.choice(required)]
        elif body:
            del body[self.rng.choice(list(body))]

    def extra_member(self, body: dict[str, Any], shape: Shape) -> None:
        containers = [body] + [p[k] for p, k in self._members(body) if isinstance(p[k], dict)]
        target = self.rng.choice(containers)
        target[self.rng.choice(["unknown", "CaseId", "__proto__", "", "dryrun", "x" * 300])] = (
            self.rng.choice([1, "v", None, [1], {"a": 1}])
        )

    def null_member(self, body: dict[str, Any], shape: Shape) -> None:
        for parent, key in self._members(body):
            if self.rng.random() < 0.5:
                parent[key] = None

    def boundary_length(self, body: dict[str, Any], shape: Shape) -> None:
        parent, key = self._target(body)
        edge = self.rng.choice([0, 1, 8, 9, 10, 22, 23, 100, 101, 256, 2048, 2049, 8000, 8001])
        value = parent.get(key)
        if isinstance(value, list):
            parent[key] = (value or ["x"]) * edge
        elif isinstance(value, int) and not isinstance(value, bool):
            parent[key] = self.rng.choice([edge, edge - 1, -edge, 157286400, 157286401])
        else:
            parent[key] = "a" * edge

    def huge_length(self, body: dict[str, Any], shape: Shape) -> None:
        parent, key = self._target(body)
        size = self.rng.choice([10_000, 60_000, 200_000])
        if isinstance(parent.get(key), list):
            parent[key] = [self.rng.choice(["x", 1, {}])] * (size // 8)
        else:
            parent[key] = self.rng.choice(["a", "é", "字", "😀"]) * (size // 4)

    def unicode(self, body: dict[str, Any], shape: Shape) -> None:
        parent, key = self._target(body)
        text = self.random_text(self.rng.randint(1, 40))
        if self.rng.random() < 0.2:
            parent[text] = "v"  # as a key
        else:
            parent[key] = text

    def random_text(self, length: int) -> str:
        chars = []
        for _ in range(length):
            low, high = self.rng.choice(UNICODE_RANGES)
            chars.append(chr(self.rng.randint(low, high)))
        return "".join(chars)

    def non_finite(self, body: dict[str, Any], shape: Shape) -> str:
        parent, key = self._target(body)
        parent[key] = RAW
        return self.rng.choice(["NaN", "Infinity", "-Infinity", "1e400", "-1e999", "[NaN]"])

    def huge_integer(self, body: dict[str, Any], shape: Shape) -> str:
        parent, key = self._target(body)
        parent[key] = RAW
        # As text: Python will not print an int of more than 4,300 digits.
        return self.rng.choice(
            [str(n) for n in (2**31, 2**31 - 1, -(2**31) - 1, 2**53 + 1, 2**63, 2**64, 10**30)]
            + ["-" + "9" * 20, "1" + "0" * self.rng.randint(300, 5000), "1" + "0" * 40 + ".0"]
        )

    def deep_nesting(self, body: dict[str, Any], shape: Shape) -> str:
        parent, key = self._target(body)
        parent[key] = RAW
        depth = self.rng.choice([15, 16, 17, 32, 33, 330, 1000, 5000, 50_000])
        if self.rng.random() < 0.5:
            return "[" * depth + "]" * depth
        return '{"a":' * min(depth, MAX_BODY // 6) + "1" + "}" * min(depth, MAX_BODY // 6)

    def random_enum(self, body: dict[str, Any], shape: Shape) -> None:
        parent, key = self._target(body)
        value = parent.get(key)
        base = value if isinstance(value, str) else self.rng.choice(KNOWN["serviceCode"])
        parent[key] = self.rng.choice(
            [base.upper(), base + " ", " " + base, base[:-1], base + "\t", "", "*", "%", "../x"]
            + [self.random_text(8), "".join(self.rng.choices("abcdefghij-", k=12))]
        )

    def raw_bytes(self, body: dict[str, Any]) -> bytes:
        text = json.dumps(body)
        return self.rng.choice(
            [
                text[: max(1, len(text) // 2)].encode(),  # truncated
                text.encode()[:-1] + b"\xed\xa0\x80}",  # a raw surrogate (CESU-8)
                text.encode().replace(b"{", b'{"k": "\xff\xfe",', 1),  # invalid UTF-8
                b"\xef\xbb\xbf" + text.encode(),  # a byte-order mark
                text.encode("utf-16"),
                b"[" + text.encode() + b"]",
                b'"just a string"',
                b"12",
                b"null",
                b"",
                text.encode() + b" trailing",
                text.encode().replace(b"{", b'{"caseId": "a", "caseId": "b",', 1),  # duplicates
                b"{/* comment */}",
                b"{'single': 'quotes'}",
                b"{" + b" " * 10_000 + b"}",
            ]
        )

    # --- serializing ----------------------------------------------------------------------------

    def dump(self, body: dict[str, Any], raw: str | None) -> bytes:
        ascii_only = self.rng.random() < 0.5
        text = json.dumps(body, ensure_ascii=ascii_only)
        if raw is not None:
            text = text.replace(json.dumps(RAW), raw, 1)
        # Raw bytes for lone surrogates when not escaped: what json.loads(bytes) used to accept.
        return text.encode("utf-8", "surrogatepass")
