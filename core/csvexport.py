"""The one CSV writer for every download: files a spreadsheet opens as data, never as formulas.

A cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage return (or the full-width
`＝ ＋ － ＠`, which spreadsheets in Japanese locales also take as a formula's start) is run as a
formula when the file is opened: `=HYPERLINK("http://evil", "Click")` in a security group's name
becomes a live link in the operator's spreadsheet (OWASP "CSV injection"). Every text cell is
therefore neutralised: it gets a leading `'`, which spreadsheets show as text. Plain numbers
(`-1`, `+3.5`) are data and stay as they are.

Identifiers are different: a file is only useful if its ids are exactly the API's (a resource id
copied from the file must match `resourceId`, an event id must find the event). Prefixing them
would break that, so a column is declared an identifier (`Column(..., identifier=True)`) and its
cells are written exactly as stored, never altered. That is safe because only ids this product
generates go in such columns, and every generator guarantees its ids never start with a formula
character (`core.ids`, and `advisor.services.resource_id_for`, whose base64url alphabet includes
`-`; tests/core/test_csvexport.py checks them). Should a bug ever put such a value in an
identifier column anyway, the writer raises `UnsafeIdentifier` instead of writing it: a broken
download is a bug to fix, a live formula would be an attack. Names customers choose (IAM user
names may start with `+`, `=`, `@` or `-`) are text, not identifiers.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

from django.http import StreamingHttpResponse

# What a spreadsheet takes as the start of a formula (OWASP's list, and its full-width forms).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")
NUMBER_RE = re.compile(r"^[+-]?\d+(\.\d+)?$")
CONTENT_TYPE = "text/csv; charset=utf-8"


class UnsafeIdentifier(ValueError):
    """An identifier column held a value a spreadsheet would run as a formula."""


@dataclass(frozen=True)
class Column:
    header: str
    # Written exactly as stored: ids the product generates (see the module's docstring).
    identifier: bool = False


def is_formula(text: str) -> bool:
    """Whether a spreadsheet would run `text` as a formula."""
    return text.startswith(FORMULA_START) and not NUMBER_RE.match(text)


def text_cell(value: object) -> str:
    """A text cell: the value as text, with a leading quote when it would be a formula."""
    text = "" if value is None else str(value)
    return "'" + text if is_formula(text) else text


def identifier_cell(value: object) -> str:
    """An identifier cell: the value exactly; `UnsafeIdentifier` if it would be a formula."""
    text = "" if value is None else str(value)
    if is_formula(text):
        raise UnsafeIdentifier(f"Identifier {text[:64]!r} would start a spreadsheet formula.")
    return text


class _Echo:
    """A file-like object for csv.writer that hands each line back instead of storing it."""

    def write(self, value: str) -> str:
        return value


def csv_lines(columns: Sequence[Column], rows: Iterable[Sequence[object]]) -> Iterator[str]:
    """The header line, then one line per row (each row has one value per column)."""
    writer = csv.writer(_Echo())
    yield writer.writerow([text_cell(column.header) for column in columns])
    identifiers = {index for index, column in enumerate(columns) if column.identifier}
    for row in rows:
        # A row longer than the header (a result stored before its check's columns changed)
        # is written whole; its extra cells are text.
        yield writer.writerow(
            [
                identifier_cell(value) if index in identifiers else text_cell(value)
                for index, value in enumerate(row)
            ]
        )


def csv_download(
    filename: str, columns: Sequence[Column], rows: Iterable[Sequence[object]]
) -> StreamingHttpResponse:
    """A streamed CSV attachment; private to the person who asked (it holds account data)."""
    response = StreamingHttpResponse(csv_lines(columns, rows), content_type=CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response
