"""Keap's tags (as labels) and files, held, rendered and read (REST v1; the facts below are in
../shared/specs/keap/keap-rest-v1-openapi.ballerina.yml).

- Tags: `/tags` lists them (`{"tags": [{id, name, description, category}], "count", "next"}`).
  A contact names its tags in `tag_ids`, an optional property `/contacts` leaves out unless
  `optional_properties` names it. A company lists none: `/tags/{tagId}/companies` lists the
  companies of one tag (`{"companies": [{"company": {id, company_name}, "date_applied"}]}`), so
  companies' labels come in tag order (one list per tag). Opportunities have no tags.
- Files: `/files` lists every file's FileDescriptor (`id`, `file_name`, `file_size`,
  `contact_id`, `category`, `file_box_type`, `public`, `date_created`...; no MIME type) with no
  request per file, `contact_id` filtering; a file hangs on a contact or on no record (the user's
  or the company's file box). `/files/{fileId}?optional_properties=file_data` answers
  `{"file_descriptor": {...}, "file_data": "<base64>"}` (uploads are capped at 3 MB).
"""

from __future__ import annotations

import base64
import dataclasses
import mimetypes
from typing import Any

from adapters.core.mapping import Getter, Raw, number, ref, text, utc_time
from adapters.reference.dataset import ReferenceCompany
from adapters.reference.ids import IdScheme

TAG_BASE = 90  # tag ids: 91, 92... in name order


def mime_type(name: str | None) -> str | None:
    return mimetypes.guess_type(name or "", strict=False)[0]


def tag_ids(company: ReferenceCompany) -> dict[str, int]:
    """Every label of a contact or a company as a tag, numbered in name order."""
    names = {n for p in company.persons for n in p.labels}
    names |= {n for o in company.organizations for n in o.labels}
    return {name: TAG_BASE + i for i, name in enumerate(sorted(names), 1)}


def held_step(ids: IdScheme) -> Any:
    """What Keap keeps of labels and files: no deal tags; a company's tags in tag order; a file's
    type is its name's, its reference the file id."""

    def held(company: ReferenceCompany) -> ReferenceCompany:
        order = tag_ids(company)
        return dataclasses.replace(
            company,
            deals=[d.model_copy(update={"labels": []}) for d in company.deals],
            organizations=[
                o.model_copy(update={"labels": sorted(o.labels, key=order.__getitem__)})
                for o in company.organizations
            ],
            files=[
                f.model_copy(
                    update={
                        "mime_type": mime_type(f.name),
                        "content_ref": str(ids.integer(f.source_id)),
                    }
                )
                for f in company.files
            ],
        )

    return held


def tables(kept: ReferenceCompany, ids: IdScheme) -> dict[str, list[Raw]]:
    """The tags, the companies of each tag, the files and their bytes (by file id)."""
    order = tag_ids(kept)
    tagged = [
        {
            "_tag": order[name],
            "company": {"id": ids.integer(o.source_id), "company_name": o.name},
            "date_applied": "2026-01-05T08:00:00.000Z",
        }
        for o in kept.organizations
        for name in o.labels
    ]
    files = [
        {
            "id": ids.integer(f.source_id),
            "file_name": f.name,
            "file_size": f.size,
            "contact_id": ids.integer(f.person_source_id),
            "category": "Attachments",
            "file_box_type": "Attachment",
            "public": False,
            "created_by": None,
            "date_created": f.add_time,
            "last_updated": f.add_time,
            "remote_file_key": None,
        }
        for f in kept.files
    ]
    data = [
        {
            "id": ids.integer(f.source_id),
            "data": base64.b64encode(kept.file_bytes[f.source_id]).decode(),
        }
        for f in kept.files
    ]
    tags = [{"id": i, "name": n, "description": None, "category": None} for n, i in order.items()]
    return {"tags": tags, "tagged_companies": tagged, "files": files, "file_data": data}


def contact_tags(labels: list[str], kept: ReferenceCompany) -> list[int]:
    order = tag_ids(kept)
    return [order[name] for name in labels]


# --- reading -----------------------------------------------------------------------------------


def tag_names(tables: Any) -> dict[str, Any]:
    """One row: every tag's name by id (a contact's `tag_ids` and a company's tags name them)."""
    return {"all": {key: row.get("name") for key, row in tables["tags"].items()}}


def contact_labels(raw: Raw) -> list[str]:
    names = raw.get("_tag_names") or {}
    return [str(names[str(i)]) for i in raw.get("tag_ids") or [] if str(i) in names]


def company_labels(raw: Raw) -> list[str]:
    names = raw.get("_tag_names") or {}
    tags = [str((row.get("_tag") or {}).get("tag")) for row in raw.get("_tagged") or []]
    return [str(names[t]) for t in sorted(set(tags), key=tags.index) if t in names]


FILE_FIELDS: dict[str, Getter] = {
    "source_id": ref("id"),
    "name": text("file_name"),
    "mime_type": lambda raw: mime_type(raw.get("file_name")),
    "size": lambda raw: int(number("file_size")(raw) or 0) if raw.get("file_size") else None,
    "person_source_id": ref("contact_id"),
    "content_ref": ref("id"),
    "add_time": utc_time("date_created"),
}
