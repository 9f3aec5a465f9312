"""Highrise (37signals) as a source, described for the shared declarative engine.

Vendor facts (sources in the emulator's docstring): the account's own host
(`https://{subdomain}.highrisehq.com`, no default), XML only, HTTP Basic with the API token and
`X`, a `User-Agent` on every request; people, companies and deals paged by `?n=<offset>` 500 a
page, notes read from `/recordings.xml` 25 a page, all four with `since=yyyymmddhhmmss` for
delta runs; tasks, users and categories whole. Typed XML values (`type="integer"`,
`nil="true"`, `type="array"`) are read as numbers, None and lists (adapters/core/typed_xml.py).
Deal categories are the stages of one pipeline, with a stage of its own for the deals without
one; custom values are `subject_datas`; tags are labels. Files are the attachments of notes and
e-mails, on the note's records, their bytes at each attachment's `url` (the account's host).
"""

from __future__ import annotations

from typing import Any

from adapters.core.auth import BasicAuth, CredentialField
from adapters.core.canonical import Entity, FieldType
from adapters.core.declarative import (
    AccountCheck,
    ChangedSince,
    Derived,
    Detail,
    FieldCatalog,
    FileContent,
    Join,
    Lookup,
    RunState,
    SourceSpec,
    Stream,
)
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
    value_at,
)
from adapters.core.paginators import OffsetPaginator
from adapters.core.typed_xml import error_text, items, rows_of, typed_xml

USER_AGENT = "Ferry/1.0 (CRM migration to Pipedrive)"
PIPELINE_ID = "deals"  # the one pipeline: deal categories are its stages
NO_CATEGORY = "none"  # the stage of the deals without a category
# Elements that are always lists, even of one (a record list, or a list Highrise marks as an
# array). Not `address`, `email-address` (also plain values: an e-mail's, a user's) nor `user`
# (also /me.xml's root): lists of those are read as one item or several (`items`).
LISTS = (
    "person",
    "company",
    "task",
    "recording",
    "deal",
    "tag",
    "subject_data",
    "party",
    "subject-field",
    "deal-category",
    "task-category",
    "attachment",
)
ARRAYS = frozenset({"deals", "recordings"})  # paged lists Highrise marks type="array"


def address(raw: Raw) -> str | None:
    for place in items(value_at(raw, "contact-data.addresses"), "address"):
        parts = [place.get(k) for k in ("street", "city", "state", "zip", "country")]
        if any(parts):
            return ", ".join(str(p) for p in parts if p)
    return None


def tags(path: str = "tags") -> Getter:
    def read(raw: Raw) -> list[str]:
        found = items(value_at(raw, path), "tag")
        return [t["name"] for t in found if isinstance(t, dict) and t.get("name")]

    return read


def custom_values(raw: Raw) -> dict[str, Any]:
    """A party's or deal's `subject_datas` by subject field id."""
    return {
        str(d["subject_field_id"]): d.get("value")
        for d in items(raw.get("subject_datas"), "subject_data")
        if isinstance(d, dict) and d.get("subject_field_id") is not None
    }


def on_party(kind: str) -> Getter:
    """A deal's person or company: among its `parties`, else its `party`."""

    def read(raw: Raw) -> str | None:
        for party in [*items(raw.get("parties"), "party"), *items(raw.get("party"), "party")]:
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
        if kind == "deal":
            if raw.get("subject-type") == "Deal":
                return ref("subject-id")(raw)
            return ref("collection-id")(raw) if raw.get("collection-type") == "Deal" else None
        company = raw.get("_company") is not None
        if raw.get("subject-type") == "Party" and company == (kind == "company"):
            return ref("subject-id")(raw)
        return None

    return read


def party_id(raw: Raw) -> Any:
    return raw.get("subject-id") if raw.get("subject-type") == "Party" else None


# A task's kind by its category's name (Highrise's default categories and the canonical kinds).
KINDS = {
    **{kind: kind for kind in ("call", "email", "meeting", "lunch", "deadline")},
    **{"follow-up": "task", "thank-you": "task", "milestone": "deadline"},
}


def task_kind(raw: Raw) -> str:
    return KINDS.get(str(value_at(raw, "_category.name") or "").strip().lower(), "task")


def stages(rows: list[Raw], state: RunState) -> list[Raw]:
    """The categories in list order, then a stage of their own for the deals that have no
    category, when there are any (Highrise lets a deal have none; Pipedrive's need a stage)."""
    if "None" in state["deal_category_ids"]:
        rows = [*rows, {"id": NO_CATEGORY, "name": "No category"}]
    return [{**row, "_position": i} for i, row in enumerate(rows, 1)]


def about_a_record(raw: Raw) -> bool:
    """A recording about a party or a deal (not only a case)."""
    return raw.get("subject-type") in ("Party", "Deal") or raw.get("collection-type") == "Deal"


def is_note(raw: Raw) -> bool:
    """A note (not an e-mail or comment) with text: one with only attachments carries files."""
    carrier = bool(raw.get("attachments")) and not str(raw.get("body") or "").strip()
    return raw.get("@type") == "Note" and about_a_record(raw) and not carrier


def attachments(raw: Raw) -> list[Raw]:
    """A note's or e-mail's attachments, each with the recording it hangs on (`_file`: it)."""
    if raw.get("@type") not in ("Note", "Email") or not about_a_record(raw):
        return []
    return [{**raw, "_file": item} for item in items(raw.get("attachments"), "attachment")]


def offsets(size: int, records: str) -> OffsetPaginator:
    """`?n=<offset>`: a full page (`size`) means more may follow; a short or empty one ends."""
    return OffsetPaginator(
        start_param="n", limit_param=None, limit=size, more_path=None, records_path=records
    )


def _list(entity: Entity, path: str, where: str, fields: dict[str, Getter], **extra: Any) -> Stream:
    """A stream of the `<root><item>` list at `where` ("people.person"); with `size`, paged
    (and read by `since` in delta runs)."""
    root, _, item = where.partition(".")
    size = extra.pop("size", None)
    counted = root if root in ARRAYS else where  # an array is a list itself
    if size:
        extra.update(paginator=offsets(size, counted), changed_since=SINCE)
    return Stream(entity, path, fields, rows=rows_of(root, item), **extra)


SINCE = ChangedSince("since", "{compact}")
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
    ),
    Stream(
        Entity.pipelines,
        "/deal_categories.xml",
        {"source_id": const(PIPELINE_ID), "name": const("Deals")},
        rows_of="pipeline",  # Highrise has none: one, named so here
    ),
    _list(
        Entity.stages,
        "/deal_categories.xml",
        "deal-categories.deal-category",
        {
            "source_id": ref("id"),
            "name": text("name"),
            "pipeline_source_id": const(PIPELINE_ID),
            "order_nr": "_position",
        },
        needs=("deal_category_ids",),
        select=stages,
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
            "stage_source_id": first(ref("category-id"), const(NO_CATEGORY)),
            "owner_source_id": ref("responsible-party-id"),
            "won_time": closed_on("won"),
            "lost_time": closed_on("lost"),
            "labels": tags("_tags.tags"),
        },
        size=500,
        custom_values=custom_values,
        detail=Detail("/deals/{id}/tags.xml", {"id": ref("id")}, "_tags"),  # not in its XML
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
    ),
    _list(
        Entity.files,
        "/recordings.xml",  # the attachments of notes and e-mails, on their records
        "recordings.recording",
        {
            "source_id": ref("_file.id"),
            "name": text("_file.name"),
            "size": "_file.size",
            "content_ref": ref("_file.id"),
            "add_time": utc_time("created-at"),
            **PARENTS,
        },
        size=25,
        explode=attachments,
        joins=(ON_COMPANY,),
    ),
)


def _lookup(name: str, path: str, where: str, key: Getter, size: int | None = None) -> Lookup:
    root, _, item = where.partition(".")
    paginator = offsets(size, where if root not in ARRAYS else root) if size else None
    return Lookup(name, path, key, None, paginator, rows=rows_of(root, item))


LOOKUPS = (
    _lookup("companies", "/companies.xml", "companies.company", ref("id"), 500),
    _lookup("task_categories", "/task_categories.xml", "task-categories.task-category", ref("id")),
    # The category ids the deals have ("None": some have none), for the stages.
    _lookup("deal_category_ids", "/deals.xml", "deals.deal", "category-id", 500),
)


def catalog(entity: Entity, kind: str) -> FieldCatalog:
    """Party fields (shared by people and companies) or deal fields: a label, no type."""
    return FieldCatalog(
        entity,
        "/subject_fields.xml",
        key=ref("id"),
        name="label",
        type="type",
        types={kind: FieldType.text},
        records="subject-fields",
        params={"type": kind},
    )


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
    # An attachment's bytes are at its `url`: /files/{id} on the account's host, to the token.
    files=FileContent(path=lambda attachment_id: f"/files/{attachment_id}"),
    id="highrise",
    # The API token (My Info > Integrations in Highrise). `/me.xml` would also take the user's
    # name and password and answer the token, but the token alone is enough: Ferry asks for it.
    credentials=(CredentialField("api_token", "API token"),),
    auth=lambda credentials, _url: BasicAuth(credentials["api_token"], "X", secret_username=True),
)
