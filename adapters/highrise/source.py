"""Highrise (37signals) as a source, described for the shared declarative engine.

Vendor facts (sources in the emulator's docstring): the account's own host
(`https://{subdomain}.highrisehq.com`, no default), XML only, HTTP Basic with the API token and
`X`, a `User-Agent` on every request; people, companies and deals paged by `?n=<offset>` 500 a
page, notes read from `/recordings.xml` 25 a page, all four with `since=yyyymmddhhmmss` for
delta runs; tasks, users and categories whole. Typed XML values (`type="integer"`,
`nil="true"`, `type="array"`) are read as numbers, None and lists (`typed`). Deal categories are
the stages of one pipeline; custom values are `subject_datas`; tags are labels.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC
from typing import Any

import httpx

from adapters.core.auth import BasicAuth, CredentialField
from adapters.core.canonical import Entity, FieldType
from adapters.core.declarative import (
    AccountCheck,
    ChangedSince,
    Derived,
    Detail,
    FieldCatalog,
    Join,
    Lookup,
    Run,
    SourceSpec,
    Stream,
)
from adapters.core.errors import UnreadableResponse
from adapters.core.mapping import (
    Getter,
    Raw,
    const,
    contact_points,
    first,
    joined,
    lookup,
    number,
    ref,
    text,
    utc_date,
    utc_hhmm,
    utc_time,
)
from adapters.core.paginators import OffsetPaginator
from adapters.core.typed_xml import typed_xml

USER_AGENT = "Ferry/1.0 (CRM migration to Pipedrive)"
PIPELINE_ID = "deals"  # the one pipeline: deal categories are its stages
# Elements that are always lists, even of one (a record list, or a list Highrise marks as an
# array). Not `address`, `email-address` (also plain values: an e-mail's, a user's) nor `user`
# (also /me.xml's root): lists of those are read as one item or several (`many`).
LISTS = (
    "person", "company", "task", "recording", "deal", "tag", "subject_data", "party",
    "subject-field", "deal-category", "task-category",
)  # fmt: skip
ARRAYS = frozenset({"deals", "recordings"})  # paged lists Highrise marks type="array"


def many(node: Any, item: str) -> list[Any]:
    """The items of a container: a list (an array), or the `item` elements inside it."""
    if isinstance(node, dict):
        node = node.get(item)
    if node in (None, ""):
        return []
    return node if isinstance(node, list) else [node]


def rows_of(root: str, item: str) -> Callable[[Any], list[Raw]]:
    """The records of a page; an answer without the container is not a Highrise list."""

    def rows(body: Any) -> list[Raw]:
        if not isinstance(body, dict) or root not in body:
            raise UnreadableResponse(f"Highrise: no <{root}> list in the answer")
        return [row for row in many(body[root], item) if isinstance(row, dict)]

    return rows


def offsets(size: int, records: str) -> OffsetPaginator:
    """`?n=<offset>`: a full page (`size`) means more may follow; a short or empty one ends."""
    return OffsetPaginator(start_param="n", limit_param=None, limit=size, more_path=None,
                           next_start_path=None, records_path=records)  # fmt: skip


def since(params: dict[str, Any], run: Run) -> dict[str, Any]:
    """A delta run's `since`, as Highrise writes it: yyyymmddhhmmss in UTC."""
    if run.since is None:
        return params
    return {**params, "since": run.since.astimezone(UTC).strftime("%Y%m%d%H%M%S")}


DELTA: dict[str, Any] = {"changed_since": ChangedSince("since"), "query": since}


def address(raw: Raw) -> str | None:
    for place in many((raw.get("contact-data") or {}).get("addresses"), "address"):
        parts = [place.get(k) for k in ("street", "city", "state", "zip", "country")]
        if any(parts):
            return ", ".join(str(p) for p in parts if p)
    return None


def tags(getter: Getter = "tags") -> Getter:
    def read(raw: Raw) -> list[str]:
        found = getter(raw) if callable(getter) else raw.get(getter)
        return [t["name"] for t in many(found, "tag") if isinstance(t, dict) and t.get("name")]

    return read


def custom_values(raw: Raw) -> dict[str, Any]:
    """A party's or deal's `subject_datas` by subject field id."""
    return {
        str(d["subject_field_id"]): d.get("value")
        for d in many(raw.get("subject_datas"), "subject_data")
        if isinstance(d, dict) and d.get("subject_field_id") is not None
    }


def on_party(kind: str) -> Getter:
    """A deal's person or company: among its `parties`, else its `party`."""

    def read(raw: Raw) -> str | None:
        for party in [*many(raw.get("parties"), "party"), *many(raw.get("party"), "party")]:
            if isinstance(party, dict) and party.get("@type") == kind:
                return ref("id")(party)
        return None

    return read


def closed_on(status: str) -> Getter:
    def read(raw: Raw) -> str | None:
        day = raw.get("status-changed-on")
        return f"{day}T00:00:00Z" if day and raw.get("status") == status else None

    return read


def subject(kind: str) -> Getter:
    """A task's or note's person, company or deal: its subject, or the deal it is filed under.
    A Party subject is a company when the account's companies hold its id."""

    def read(raw: Raw) -> str | None:
        party = raw.get("subject-type") == "Party"
        if kind == "deal":
            if raw.get("subject-type") == "Deal":
                return ref("subject-id")(raw)
            return ref("collection-id")(raw) if raw.get("collection-type") == "Deal" else None
        if party and (raw.get("_company") is not None) == (kind == "company"):
            return ref("subject-id")(raw)
        return None

    return read


def party_id(raw: Raw) -> Any:
    return raw.get("subject-id") if raw.get("subject-type") == "Party" else None


# A task's kind by its category's name (Highrise's default categories and the canonical kinds).
KINDS = {"call": "call", "email": "email", "meeting": "meeting", "follow-up": "task",
         "milestone": "deadline", "thank-you": "task", "lunch": "lunch", "deadline": "deadline"}  # fmt: skip


def task_kind(raw: Raw) -> str:
    name = str((raw.get("_category") or {}).get("name") or "").strip().lower()
    return KINDS.get(name, "task")


def positioned(rows: Callable[[Any], list[Raw]]) -> Callable[[Any], list[Raw]]:
    return lambda body: [{**row, "_position": i} for i, row in enumerate(rows(body), 1)]


def is_note(raw: Raw) -> bool:
    """A note (not an e-mail or comment) about a party or a deal (not only a case)."""
    about = raw.get("subject-type") in ("Party", "Deal") or raw.get("collection-type") == "Deal"
    return raw.get("@type") == "Note" and about


def _list(entity: Entity, path: str, where: str, fields: dict[str, Getter], **extra: Any) -> Stream:
    """A stream of the `<root><item>` list at `where` ("people.person"); with `size`, paged."""
    root, _, item = where.partition(".")
    size = extra.pop("size", None)
    counted = root if root in ARRAYS else where  # an array is a list itself
    paged: dict[str, Any] = {"paginator": offsets(size, counted)} if size else {}
    return Stream(entity, path, fields, rows=rows_of(root, item), **paged, **extra)


OWNER = first(ref("owner-id"), ref("author-id"))  # `owner-id` only when visible to its owner
EMAILS = "contact-data.email-addresses.email-address"
PHONES = "contact-data.phone-numbers.phone-number"
OTHER_PHONES = {"fax": "other", "pager": "other", "skype": "other"}
PARENTS = {
    "deal_source_id": subject("deal"),
    "person_source_id": subject("person"),
    "org_source_id": subject("company"),
}
ON_COMPANY = Join("companies", party_id, "_company")
PARTY_FIELDS = {"source_id": ref("id"), "owner_source_id": OWNER, "labels": tags()}

STREAMS = (
    _list(
        Entity.users,
        "/users.xml",
        "users.user",
        {"source_id": ref("id"), "name": text("name"), "email": text("email-address")},
    ),
    _list(
        Entity.organizations,
        "/companies.xml",
        "companies.company",
        {**PARTY_FIELDS, "name": text("name"), "address": address},
        size=500,
        custom_values=custom_values,
        **DELTA,
    ),
    _list(
        Entity.persons,
        "/people.xml",
        "people.person",
        {
            **PARTY_FIELDS,
            "name": joined("first-name", "last-name"),
            "first_name": text("first-name"),
            "last_name": text("last-name"),
            "emails": contact_points(EMAILS, value_key="address", label_key="location"),
            "phones": contact_points(
                PHONES, value_key="number", label_key="location", labels=OTHER_PHONES
            ),
            "org_source_id": ref("company-id"),
        },
        size=500,
        custom_values=custom_values,
        **DELTA,
    ),
    Stream(
        Entity.pipelines,
        "/deal_categories.xml",
        {"source_id": const(PIPELINE_ID), "name": const("Deals")},
        rows_of="pipeline",  # Highrise has none: one, named so here
    ),
    Stream(
        Entity.stages,
        "/deal_categories.xml",
        {
            "source_id": ref("id"),
            "name": text("name"),
            "pipeline_source_id": const(PIPELINE_ID),
            "order_nr": "_position",
        },
        rows=positioned(rows_of("deal-categories", "deal-category")),
    ),
    _list(
        Entity.deals,
        "/deals.xml",
        "deals.deal",
        {
            "source_id": ref("id"),
            "title": text("name"),
            "value": number("price"),
            "currency": text("currency"),
            "status": lookup("status", {"pending": "open", "won": "won", "lost": "lost"}, "open"),
            "person_source_id": on_party("Person"),
            "org_source_id": on_party("Company"),
            "pipeline_source_id": const(PIPELINE_ID),
            "stage_source_id": ref("category-id"),
            "owner_source_id": ref("responsible-party-id"),
            "won_time": closed_on("won"),
            "lost_time": closed_on("lost"),
            "labels": tags(lambda raw: (raw.get("_tags") or {}).get("tags")),
        },
        size=500,
        custom_values=custom_values,
        detail=Detail("/deals/{id}/tags.xml", {"id": ref("id")}, "_tags"),  # not in its XML
        **DELTA,
    ),
    _list(
        Entity.activities,
        "/tasks/all.xml",  # every task the user sees, done or not; not paged
        "tasks.task",
        {
            "source_id": ref("id"),
            "subject": first("body", const("")),
            "type": task_kind,
            "due_date": utc_date("due-at"),
            "due_time": utc_hhmm("due-at"),
            "done": lambda raw: raw.get("done-at") is not None,
            "owner_source_id": ref("owner-id"),
            **PARENTS,
        },
        joins=(Join("task_categories", ref("category-id"), "_category"), ON_COMPANY),
    ),
    _list(
        Entity.notes,
        "/recordings.xml",  # notes, e-mails and comments of every subject: the notes kept
        "recordings.recording",
        {
            "source_id": ref("id"),
            "content": first("body", const("")),
            "owner_source_id": ref("author-id"),
            "add_time": utc_time("created-at"),
            **PARENTS,
        },
        size=25,
        keep=is_note,
        joins=(ON_COMPANY,),
        **DELTA,
    ),
)
LOOKUPS = (
    Lookup("companies", "/companies.xml", ref("id"), None, offsets(500, "companies.company"),
           rows=rows_of("companies", "company")),
    Lookup("task_categories", "/task_categories.xml", ref("id"), None,
           rows=rows_of("task-categories", "task-category")),
)  # fmt: skip


def catalog(entity: Entity, kind: str) -> FieldCatalog:
    """Party fields (shared by people and companies) or deal fields: a label, no type."""
    return FieldCatalog(entity, "/subject_fields.xml", key=ref("id"), name="label", type="type",
                        types={kind: FieldType.text}, records="subject-fields",
                        params={"type": kind})  # fmt: skip


def error_text(response: httpx.Response) -> str:
    """Rails' `<errors><error>...</error></errors>`, or the status line."""
    try:
        body = response.json()
    except ValueError:
        return response.text.strip()[:200] or response.reason_phrase
    errors = many((body or {}).get("errors") if isinstance(body, dict) else None, "error")
    return "; ".join(str(e) for e in errors) or response.reason_phrase


SPEC = SourceSpec(
    name="Highrise",
    streams=STREAMS,
    check=AccountCheck(
        "/me.xml",
        {
            "user_id": ref("user.id"),
            "user_name": text("user.name"),
            "user_email": text("user.email-address"),
        },
    ),
    field_catalogs=(
        catalog(Entity.organizations, "party"),
        catalog(Entity.persons, "party"),
        catalog(Entity.deals, "deal"),
    ),
    lookups=LOOKUPS,
    derived=(Derived("pipeline", (), lambda tables: {PIPELINE_ID: {}}),),
    headers={"accept": "application/xml", "user-agent": USER_AGENT},
    error_text=error_text,
    decode=typed_xml(lists=LISTS),
    id="highrise",
    # The API token (My Info > Integrations in Highrise). `/me.xml` would also take the user's
    # name and password and answer the token, but the token alone is enough: Ferry asks for it.
    credentials=(CredentialField("api_token", "API token"),),
    auth=lambda credentials, _url: BasicAuth(credentials["api_token"], "X", secret_username=True),
)
