"""Leads in the target (v1 only: `POST /v1/leads` 10 tokens, `PATCH /v1/leads/{id}` 10, DELETE
6). Their ids are UUIDs. Each lead Ferry writes carries the source record's id in `origin_id`
(Pipedrive's place for "which integration made this"), so a lead whose create answer was lost is
found again by that stamp, never guessed from its fields."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

from adapters.core.canonical import Entity, Lead
from adapters.core.protocols import PendingWrite, Reconciled, TargetId

if TYPE_CHECKING:
    from adapters.pipedrive.client import PipedriveClient
    from adapters.pipedrive.target import PayloadContext

PATH = "/leads"
LISTS = ("/leads", "/leads/archived")
ORIGIN = "ferry:"


def payload(r: Lead, ctx: PayloadContext) -> dict[str, Any]:
    # Pipedrive takes a value only with both its amount and its currency.
    value = (
        {"amount": r.value, "currency": r.currency} if r.value is not None and r.currency else None
    )
    return {
        "title": r.title,
        "owner_id": ctx.owner(r.owner_source_id),
        "person_id": ctx.link(Entity.persons, r.person_source_id),
        "organization_id": ctx.link(Entity.organizations, r.org_source_id),
        "value": value,
        "expected_close_date": r.expected_close_date,
        "label_ids": ctx.labels(r.labels),
        "origin_id": ORIGIN + r.source_id,
    }


STANDARD_FIELDS = {
    "title": "title",
    "person_source_id": "person_id",
    "org_source_id": "organization_id",
    "owner_source_id": "owner_id (the matched user, else the token's user)",
    "value": "value.amount",
    "currency": "value.currency (a value needs both)",
    "expected_close_date": "expected_close_date",
    "labels": "label_ids (lead labels of those names, created when missing)",
    "add_time": "not carried: Pipedrive's lead API takes no creation time",
}


async def listed(
    client: PipedriveClient, updated_since: str | None = None
) -> AsyncIterator[list[dict[str, Any]]]:
    """Every lead, open then archived, a page at a time."""
    params = {"updated_since": updated_since} if updated_since else {}
    for path in LISTS:
        async for page in client.iter_leads(path, params):
            yield page.items


async def reconcile(
    client: PipedriveClient, pending: list[PendingWrite], taken: set[TargetId]
) -> Reconciled:
    """The leads our lost creates made, by the `origin_id` each carries."""
    wanted = {str(w.payload.get("origin_id")): w.source_id for w in pending}
    result = Reconciled()
    async for items in listed(client):
        for item in items:
            source_id = wanted.get(str(item.get("origin_id")))
            if source_id is None or str(item["id"]) in taken:
                continue
            result.found.setdefault(source_id, str(item["id"]))
    return result
