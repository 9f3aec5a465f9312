"""Token cost of each operation: the `x-token-cost` the official specs give it. Pipedrive
charges these against the company's daily budget but does not say them in its answers, so the
client counts them from this table and the emulator charges them from it.

Keyed by (method, API version, path as written in that version's spec)."""

from __future__ import annotations

import re

from adapters.core.canonical import Entity

V2_COLLECTIONS: dict[Entity, str] = {
    Entity.persons: "persons",
    Entity.organizations: "organizations",
    Entity.deals: "deals",
    Entity.activities: "activities",
    Entity.products: "products",
    Entity.pipelines: "pipelines",
    Entity.stages: "stages",
}
FIELD_COLLECTIONS: dict[Entity, str] = {
    Entity.persons: "personFields",
    Entity.organizations: "organizationFields",
    Entity.deals: "dealFields",
    Entity.products: "productFields",
}

# Fields the emulator lists and does not let clients add to (v2 has no POST /activityFields).
READ_ONLY_FIELD_COLLECTIONS: dict[Entity, str] = {Entity.activities: "activityFields"}
# v1's `*Fields` lists, paged with start/limit, and its one-field reads: named as in v2.
V1_FIELD_COLLECTIONS: dict[Entity, str] = FIELD_COLLECTIONS
# v1's unpaged `*Fields` lists, without one-field reads.
V1_FLAT_FIELD_COLLECTIONS: dict[Entity, str] = {
    Entity.activities: "activityFields",
    Entity.notes: "noteFields",
}


def _v2_costs() -> dict[tuple[str, str, str], int]:
    costs: dict[tuple[str, str, str], int] = {}
    for entity, collection in V2_COLLECTIONS.items():
        # Pipelines and stages are cheap to list: the spec prices their list calls at 5.
        list_cost = 5 if entity in (Entity.pipelines, Entity.stages) else 10
        costs[("GET", "v2", f"/{collection}")] = list_cost
        costs[("POST", "v2", f"/{collection}")] = 5
        costs[("GET", "v2", f"/{collection}/{{id}}")] = 1
        costs[("PATCH", "v2", f"/{collection}/{{id}}")] = 5
        costs[("DELETE", "v2", f"/{collection}/{{id}}")] = 3
    for collection in FIELD_COLLECTIONS.values():
        costs[("GET", "v2", f"/{collection}")] = 10
        costs[("POST", "v2", f"/{collection}")] = 5
        costs[("GET", "v2", f"/{collection}/{{field_code}}")] = 1
    for collection in READ_ONLY_FIELD_COLLECTIONS.values():
        costs[("GET", "v2", f"/{collection}")] = 10
        costs[("GET", "v2", f"/{collection}/{{field_code}}")] = 1
    return costs


def _v1_field_costs() -> dict[tuple[str, str, str], int]:
    costs: dict[tuple[str, str, str], int] = {}
    for collection in V1_FIELD_COLLECTIONS.values():
        costs[("GET", "v1", f"/{collection}")] = 20
        costs[("GET", "v1", f"/{collection}/{{id}}")] = 2
    for collection in V1_FLAT_FIELD_COLLECTIONS.values():
        costs[("GET", "v1", f"/{collection}")] = 20
    return costs


TOKEN_COSTS: dict[tuple[str, str, str], int] = {
    **_v2_costs(),
    **_v1_field_costs(),
    # Archived deals are listed apart, at twice the price of the other deals.
    ("GET", "v2", "/deals/archived"): 20,
    ("GET", "v2", "/deals/products"): 10,
    ("GET", "v2", "/deals/{id}/products"): 10,
    ("POST", "v2", "/deals/{id}/products"): 5,
    ("PATCH", "v2", "/deals/{id}/products/{product_attachment_id}"): 5,
    ("DELETE", "v2", "/deals/{id}/products/{product_attachment_id}"): 3,
    ("GET", "v1", "/users"): 20,
    ("GET", "v1", "/users/me"): 2,
    ("GET", "v1", "/users/{id}"): 2,
    ("GET", "v1", "/activityTypes"): 20,
    ("GET", "v1", "/notes"): 20,
    ("POST", "v1", "/notes"): 10,
    ("GET", "v1", "/notes/{id}"): 2,
    ("PUT", "v1", "/notes/{id}"): 10,
    ("DELETE", "v1", "/notes/{id}"): 6,
    # Leads, their labels and files: v1 only.
    ("GET", "v1", "/leads"): 20,
    ("GET", "v1", "/leads/archived"): 40,
    ("POST", "v1", "/leads"): 10,
    ("GET", "v1", "/leads/{id}"): 2,
    ("PATCH", "v1", "/leads/{id}"): 10,
    ("DELETE", "v1", "/leads/{id}"): 6,
    ("GET", "v1", "/leadLabels"): 10,
    ("POST", "v1", "/leadLabels"): 10,
    ("PATCH", "v1", "/leadLabels/{id}"): 10,
    ("DELETE", "v1", "/leadLabels/{id}"): 6,
    ("GET", "v1", "/files"): 20,
    ("POST", "v1", "/files"): 10,
    ("GET", "v1", "/files/{id}"): 2,
    ("PUT", "v1", "/files/{id}"): 10,
    ("DELETE", "v1", "/files/{id}"): 6,
    ("GET", "v1", "/files/{id}/download"): 20,
    **{
        ("POST", "v2", f"/{collection}/{{field_code}}/options"): 5
        for collection in FIELD_COLLECTIONS.values()
    },
}


# Templates with named ids (`{product_attachment_id}`) as `{id}`, for concrete paths.
_BY_ID = {
    (m, v, re.sub(r"\{[a-z_]+\}", "{id}", p)): c
    for (m, v, p), c in TOKEN_COSTS.items()
    if "_id}" in p
}


def cost(method: str, version: str, path: str) -> int:
    return TOKEN_COSTS[(method, version, path)]


ROOTS = (("v2", "/api/v2"), ("v1", "/v1"))


def request_cost(method: str, url_path: str) -> int:
    """What a request to a concrete URL path costs (0 for an operation the table lacks)."""
    for version, root in ROOTS:
        at = url_path.rfind(root + "/")
        if at >= 0:
            return _path_cost(method.upper(), version, url_path[at + len(root) :])
    return 0


_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def _is_id(segment: str) -> bool:
    return segment.isdigit() or _UUID.fullmatch(segment) is not None  # leads' ids are UUIDs


def _path_cost(method: str, version: str, path: str) -> int:
    segments = path.strip("/").split("/")
    by_id = "/" + "/".join("{id}" if _is_id(s) else s for s in segments)
    if (method, version, by_id) in _BY_ID:
        return _BY_ID[(method, version, by_id)]
    by_code = (
        "/" + "/".join([segments[0], "{field_code}", *segments[2:]]) if len(segments) > 1 else path
    )
    for template in (path, by_id, by_code):
        if (method, version, template) in TOKEN_COSTS:
            return TOKEN_COSTS[(method, version, template)]
    return 0
