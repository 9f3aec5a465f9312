"""A session's record errors as CSV, streamed page by page (a keyset on the error id), so that
no export holds every row in memory whatever the session's size."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator, Iterable

from app.db import sessionmaker
from app.models import RecordError
from app.sessions.service import errors_query

HEADER = ("entity", "source_id", "stage", "code", "message")
PAGE = 500
# A spreadsheet runs a cell starting with one of these as a formula (CSV injection): source
# data is anyone's, so such a cell gets a leading quote and stays text.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def filename(session_id: str) -> str:
    return f"ferry-{session_id}-errors.csv"


def neutralised(cell: str | None) -> str:
    text = cell or ""
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


def _lines(rows: Iterable[tuple[str | None, ...]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerows([neutralised(cell) for cell in row] for row in rows)
    return buffer.getvalue()


async def csv_chunks(
    session_id: str, entity: str | None = None, code: str | None = None
) -> AsyncIterator[str]:
    """The header, then one chunk per page of errors. Each page is read in its own short
    database session: a slow download holds no connection between pages."""
    yield _lines([HEADER])
    after: int | None = None
    while True:
        async with sessionmaker()() as db:
            query = errors_query(session_id, entity, code, after).limit(PAGE)
            page: list[RecordError] = list((await db.execute(query)).scalars())
        if not page:
            return
        yield _lines((r.entity, r.source_id, r.stage, r.code, r.message) for r in page)
        if len(page) < PAGE:
            return
        after = page[-1].id
