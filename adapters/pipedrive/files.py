"""Files in the target (v1): `POST /v1/files` (10 tokens) takes the bytes as multipart form data
beside the record they hang on; `PUT /v1/files/{id}` renames (10), DELETE removes (6). A file is
sent as a stream of known length from its spooled copy (adapters/core/blobs.py), so a retry
sends it again whole and memory stays flat.

A file whose create answer was lost is looked for in the file list, newest first, among those
added since the attempt: same name, size and record."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from adapters.core.canonical import Entity, File
from adapters.core.errors import RecordRejected
from adapters.core.protocols import PendingWrite, Reconciled, TargetId

if TYPE_CHECKING:
    from adapters.pipedrive.client import PipedriveClient
    from adapters.pipedrive.target import PayloadContext

PATH = "/files"
# The records a file may hang on (a file linked to several in the source is on each of them).
PARENTS: tuple[tuple[str, str, Entity], ...] = (
    ("activity_source_id", "activity_id", Entity.activities),
    ("deal_source_id", "deal_id", Entity.deals),
    ("lead_source_id", "lead_id", Entity.leads),
    ("person_source_id", "person_id", Entity.persons),
    ("org_source_id", "org_id", Entity.organizations),
    ("product_source_id", "product_id", Entity.products),
)
PARENT_KEYS = tuple(key for _, key, _ in PARENTS)
DEFAULT_TYPE = "application/octet-stream"


def payload(r: File, ctx: PayloadContext) -> dict[str, Any]:
    """The file's name, type and size, and every one of its records that is in the target."""
    out: dict[str, Any] = {"file_name": r.name, "mime_type": r.mime_type, "file_size": r.size}
    for link, key, entity in PARENTS:
        target = ctx.link(entity, getattr(r, link))
        if target is not None:
            out[key] = target
    if any(key in out for key in PARENT_KEYS):
        return out
    raise RecordRejected(
        f"{r.name!r} hangs on no record that is in Pipedrive, so it has nowhere to go",
        code="parent_missing",
    )


def form(payload: dict[str, Any]) -> dict[str, str]:
    """The plain form fields sent beside the file."""
    return {key: str(payload[key]) for key in PARENT_KEYS if payload.get(key) is not None}


STANDARD_FIELDS = {
    "name": "file_name",
    "mime_type": "the uploaded file's type",
    "deal_source_id": "deal_id",
    "person_source_id": "person_id",
    "org_source_id": "org_id",
    "lead_source_id": "lead_id",
    "activity_source_id": "activity_id",
    "product_source_id": "product_id",
    "add_time": "not carried: Pipedrive dates a file by its upload",
}


def _fits(write: PendingWrite, item: dict[str, Any]) -> bool:
    sent = write.payload
    # On the records it was sent to (Pipedrive may also show a deal's file on its person).
    sent_to = [key for key in PARENT_KEYS if sent.get(key) is not None]
    same_parent = all(str(item.get(key) or "") == str(sent[key]) for key in sent_to)
    size = sent.get("file_size")
    return (
        item.get("name", item.get("file_name")) == sent.get("file_name")
        and (size is None or int(item.get("file_size") or -1) == int(size))
        and same_parent
    )


async def reconcile(
    client: PipedriveClient, pending: list[PendingWrite], taken: set[TargetId], since: str
) -> Reconciled:
    """Files added since `since` (newest first, so the read stops there) that fit a write."""
    result = Reconciled()
    candidates: dict[str, list[int]] = {w.source_id: [] for w in pending}
    async for page in client.iter_v1(PATH, {"sort": "id DESC"}):
        for item in page.items:
            if str(item.get("add_time") or "") < since:
                break
            if int(item["id"]) in taken or not item.get("active_flag", True):
                continue
            for write in pending:
                if _fits(write, item):
                    candidates[write.source_id].append(int(item["id"]))
        else:
            continue
        break
    claimed: set[int] = set()
    for write in pending:
        free = [i for i in candidates[write.source_id] if i not in claimed]
        if len(free) == 1:
            result.found[write.source_id] = free[0]
            claimed.add(free[0])
        elif free:
            result.ambiguous[write.source_id] = list(free)
    return result
