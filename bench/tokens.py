"""Tokens per record by entity, read off the wire: every request Pipedrive let through is priced
with its `x-token-cost` and put to the entity it serves; the total is checked against what the
target's own budget header says was spent."""

from __future__ import annotations

import re
from collections import defaultdict

from bench.proxy import Call
from bench.stack import Finished

V1_ENTITIES = {"notes", "leads", "files"}
# Path segments -> the entity whose records they serve; the rest (users, users/me, activity
# types) is setup, spread over every record in the "everything included" figures.
_SEGMENTS = {
    "organizations": "organizations",
    "organizationFields": "organizations",
    "persons": "persons",
    "personFields": "persons",
    "pipelines": "pipelines",
    "stages": "stages",
    "products": "products",
    "productFields": "products",
    "deals": "deals",
    "dealFields": "deals",
    "leads": "leads",
    "leadLabels": "leads",
    "activities": "activities",
    "activityFields": "activities",
    "notes": "notes",
    "noteFields": "notes",
    "files": "files",
}
_API = re.compile(r"/(?:api/v2|v1)/(.*)$")


def entity_of(path: str) -> str:
    match = _API.search(path)
    if not match:
        return "setup"
    segments = match.group(1).strip("/").split("/")
    if segments[0] == "deals" and len(segments) >= 2 and segments[-1] == "products":
        return "deal_products"
    if segments[0] == "deals" and "products" in segments[2:3]:
        return "deal_products"
    return _SEGMENTS.get(segments[0], "setup")


def by_entity(calls: list[Call]) -> dict[str, int]:
    spent: dict[str, int] = defaultdict(int)
    for call in calls:
        spent[entity_of(call.path)] += call.cost
    return dict(spent)


def summary(done: Finished, calls: list[Call], header_spent: int) -> dict[str, str]:
    """Per entity tokens/record, then v2 and v1 records everything included (setup shared out
    by record), the session's fixed setup, and the wire total against the budget header."""
    spent = by_entity(calls)
    loaded = {e: p["loaded"] for e, p in done.session["progress"].items() if e != "users"}
    row = {e: f"{spent.get(e, 0) / n:.3f}" for e, n in loaded.items() if n}
    setup = spent.get("setup", 0)
    total_records = sum(loaded.values()) or 1
    v2 = [e for e in loaded if e not in V1_ENTITIES]
    v1 = [e for e in loaded if e in V1_ENTITIES]
    for name, group in (("all v2", v2), ("all v1", v1)):
        records = sum(loaded[e] for e in group)
        if records:
            share = setup * records / total_records
            row[name] = f"{(sum(spent.get(e, 0) for e in group) + share) / records:.3f}"
    row["setup tokens"] = str(setup)
    row["wire = header"] = f"{sum(spent.values())} = {header_spent}"
    return row
