"""Nutshell's tags (as labels) and lead files, held, rendered and read.

Vendor facts (nutshell.com/api/files.html "Working with files"; a getContact answer in
karlwnw/pynutshell's test stubs for `tags`):
- Accounts, contacts and leads carry `tags`, a list of tag names. Nutshell's leads are the
  deals here: it has no separate lead object, so the reference leads are not held.
- Files: "Leads have a file property", an array of File objects (`entityType` "Files", `id`,
  `uri` "where to download this file via HTTPS", `name`, `mime` "an accurate MIME
  representation", `rev`, `size` in bytes), so a lead list names every file with no request
  per file. The bytes are at `uri` with the same HTTP Basic authentication (Range requests are
  served too). A File has no creation time. Logged activities also carry files (`logNote`
  `files`), but those are their audio or video log, not documents: not read.
- The docs' sample `uri` is `https://app01.nutshell.com/file/api/1234`: on the API host, which
  the current docs name as app.nutshell.com for every account; the source asks
  `/file/api/{id}` on the account's host (Assumption: not a host of its own).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from typing import Any

from adapters.core.mapping import Getter, Raw, ref
from adapters.reference.dataset import ReferenceCompany
from adapters.reference.ids import IdScheme

FILE_PATH = "/file/api/{id}"


def held_step(ids: IdScheme) -> Any:
    """A file keeps no time of its own; its reference is its id."""

    def held(company: ReferenceCompany) -> ReferenceCompany:
        files = [
            f.model_copy(update={"add_time": None, "content_ref": str(ids.integer(f.source_id))})
            for f in company.files
        ]
        return dataclasses.replace(company, files=files)

    return held


def lead_files(kept: ReferenceCompany, ids: IdScheme, deal_id: str) -> list[Raw]:
    """A lead's `file` array (the `uri` is made absolute when served)."""
    return [
        {
            "entityType": "Files",
            "id": ids.integer(f.source_id),
            "rev": "1",
            "uri": FILE_PATH.format(id=ids.integer(f.source_id)),
            "name": f.name,
            "mime": f.mime_type,
            "size": f.size,
        }
        for f in kept.files
        if f.deal_source_id == deal_id
    ]


def file_bytes(kept: ReferenceCompany, ids: IdScheme) -> list[Raw]:
    return [
        {"id": ids.integer(f.source_id), "mime": f.mime_type, "data": kept.file_bytes[f.source_id]}
        for f in kept.files
    ]


def absolute(lead: Raw, base: str) -> Raw:
    """A lead as served: its files' `uri` on the account's host."""
    if not lead.get("file"):
        return lead
    return {**lead, "file": [{**f, "uri": base + f["uri"]} for f in lead["file"]]}


# --- reading -----------------------------------------------------------------------------------


def tags(raw: Raw) -> list[str]:
    return [str(tag) for tag in raw.get("tags") or [] if tag]


def files_of(lead: Raw) -> Iterable[Raw]:
    return [{**f, "_lead": lead.get("id")} for f in lead.get("file") or [] if isinstance(f, dict)]


FILE_FIELDS: dict[str, Getter] = {
    "source_id": ref("id"),
    "name": lambda raw: str(raw.get("name") or ""),
    "mime_type": lambda raw: raw.get("mime") or None,
    "size": lambda raw: int(raw["size"]) if raw.get("size") is not None else None,
    "deal_source_id": ref("_lead"),
    "content_ref": ref("id"),
}
