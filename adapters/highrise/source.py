"""Highrise (37signals) as a source, described for the shared declarative engine (the vendor's
facts, with their sources, are in the emulator's docstring; what it holds in render's): XML
over HTTP Basic (the API token and `X`) with a `User-Agent`, on the account's own host. Typed
XML values are read as numbers, None and lists (adapters/core/typed_xml.py). Deal categories
are the stages of one pipeline; files are notes' and e-mails' attachments.
"""

from __future__ import annotations

from collections.abc import Mapping
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
from adapters.core.typed_xml import error_text, rows_of, typed_xml

USER_AGENT = "Ferry/1.0 (CRM migration to Pipedrive)"
PIPELINE_ID = "deals"  # the one pipeline: deal categories are its stages
NO_CATEGORY = "none"  # the stage of the deals without a category


def address(raw: Raw) -> str | None:
    for place in value_at(raw, "contact-data.addresses") or []:
        parts = [place.get(k) for k in ("street", "city", "state", "zip", "country")]
        if any(parts):
            return ", ".join(str(p) for p in parts if p)
    return None


def tags(path: str = "tags") -> Getter:
    def read(raw: Raw) -> list[str]:
        found = value_at(raw, path) or []
        return [t["name"] for t in found if isinstance(t, dict) and t.get("name")]

    return read


def custom_values(raw: Raw) -> dict[str, Any]:
    """A party's or deal's `subject_datas` by subject field id."""
    return {
        str(d["subject_field_id"]): d.get("value")
        for d in raw.get("subject_datas") or []
        if isinstance(d, dict) and d.get("subject_field_id") is not None
    }


def on_party(kind: str) -> Getter:
    """A deal's person or company: among its `parties`, else its `party`."""

    def read(raw: Raw) -> str | None:
        for party in [*(raw.get("parties") or []), raw.get("party")]:
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
    if "None" in state["in_use"]:
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
    return [{**raw, "_file": item} for item in raw.get("attachments") or []]


def offsets(size: int, records: str) -> OffsetPaginator:
    """`?n=<offset>`: a full page (`size`) means more may follow; a short or empty one ends."""
    return OffsetPaginator(
        start_param="n", limit_param=None, limit=size, more_path=None, records_path=records
    )


# The lists paged by `?n=` offsets, so many a page, that take `since` (the others come whole).
PAGES = {"/people.xml": 500, "/companies.xml": 500, "/deals.xml": 500, "/recordings.xml": 25}


def _list(entity: Entity, path: str, fields: Mapping[str, Getter], **extra: Any) -> Stream:
    """A stream of the list at `path` (`/deal_categories.xml`: `<deal-categories>`)."""
    root = path.strip("/").split("/")[0].removesuffix(".xml").replace("_", "-")
    if path in PAGES:
        extra.update(paginator=offsets(PAGES[path], root), changed_since=SINCE)
    return Stream(entity, path, fields, rows=rows_of(root), **extra)


SINCE = ChangedSince("since", "{compact}")
OWNER = first(ref("owner-id"), ref("author-id"))  # `owner-id` only when visible to its owner
EMAILS = "contact-data.email-addresses"
PHONES = "contact-data.phone-numbers"
OTHER_PHONES = {"fax": "other", "pager": "other", "skype": "other"}
PARENTS = {
    "deal_source_id": subject("deal"),
    "person_source_id": subject("person"),
    "org_source_id": subject("company"),
}
ON_COMPANY = Join("companies", party_id, "_company")
PARTY = {"source_id": ref("id"), "owner_source_id": OWNER, "labels": tags()}
USER = {"source_id": ref("id"), "name": text("name"), "email": text("email-address")}
COMPANY = {**PARTY, "name": text("name"), "address": address}
PERSON = {
    **PARTY,
    "name": joined("first-name", "last-name"),
    "first_name": text("first-name"),
    "last_name": text("last-name"),
    "emails": contact_points(EMAILS, value_key="address", label_key="location"),
    "phones": contact_points(PHONES, value_key="number", label_key="location", labels=OTHER_PHONES),
    "org_source_id": ref("company-id"),
}
STAGE: dict[str, Getter] = {
    "source_id": ref("id"),
    "name": text("name"),
    "pipeline_source_id": const(PIPELINE_ID),
    "order_nr": "_position",
}
DEAL = {
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
}
TASK = {
    "source_id": ref("id"),
    "subject": first("body", const("")),
    "type": task_kind,
    "due_date": utc_date("due-at"),
    "due_time": utc_hhmm("due-at"),
    "done": lambda raw: raw.get("done-at") is not None,
    "owner_source_id": ref("owner-id"),
    **PARENTS,
}
NOTE = {
    "source_id": ref("id"),
    "content": first("body", const("")),
    "owner_source_id": ref("author-id"),
    "add_time": utc_time("created-at"),
    **PARENTS,
}
FILE = {
    "source_id": ref("_file.id"),
    "name": text("_file.name"),
    "size": "_file.size",
    "content_ref": ref("_file.id"),
    "add_time": utc_time("created-at"),
    **PARENTS,
}
PIPELINE = {"source_id": const(PIPELINE_ID), "name": const("Deals")}  # Highrise has none: one
TAGS = Detail("/deals/{id}/tags.xml", {"id": ref("id")}, "_tags")  # not in a deal's XML
CATEGORY = Join("task_categories", ref("category-id"), "_category")

STREAMS = (
    _list(Entity.users, "/users.xml", USER),
    _list(Entity.organizations, "/companies.xml", COMPANY, custom_values=custom_values),
    _list(Entity.persons, "/people.xml", PERSON, custom_values=custom_values),
    Stream(Entity.pipelines, "/deal_categories.xml", PIPELINE, rows_of="pipeline"),
    _list(Entity.stages, "/deal_categories.xml", STAGE, needs=("in_use",), select=stages),
    _list(Entity.deals, "/deals.xml", DEAL, custom_values=custom_values, detail=TAGS),
    # Every task the user sees, done or not; not paged.
    _list(Entity.activities, "/tasks/all.xml", TASK, joins=(CATEGORY, ON_COMPANY)),
    # Notes, e-mails and comments of every subject: the notes kept; the attachments of notes
    # and e-mails, on their records.
    _list(Entity.notes, "/recordings.xml", NOTE, keep=is_note, joins=(ON_COMPANY,)),
    _list(Entity.files, "/recordings.xml", FILE, explode=attachments, joins=(ON_COMPANY,)),
)


LOOKUPS = (
    Lookup("companies", "/companies.xml", ref("id"), "companies", offsets(500, "companies")),
    Lookup("task_categories", "/task_categories.xml", ref("id"), "task-categories"),
    # The category ids the deals have ("None": some have none), for the stages.
    Lookup("in_use", "/deals.xml", "category-id", "deals", offsets(500, "deals")),
)


ME: dict[str, Getter] = {
    "user_id": ref("user.id"),
    "user_name": "user.name",
    "user_email": "user.email-address",
}


def catalog(entity: Entity, kind: str) -> FieldCatalog:
    """Party fields (shared by people and companies) or deal fields: a label, no type."""
    types, params = {kind: FieldType.text}, {"type": kind}
    path, records = "/subject_fields.xml", "subject-fields"
    return FieldCatalog(entity, path, ref("id"), "label", "type", types, records, params=params)


SPEC = SourceSpec(
    name="Highrise",
    streams=STREAMS,
    check=AccountCheck("/me.xml", ME),
    field_catalogs=(
        catalog(Entity.organizations, "party"),
        catalog(Entity.persons, "party"),
        catalog(Entity.deals, "deal"),
    ),
    lookups=LOOKUPS,
    derived=(Derived("pipeline", (), lambda tables: {PIPELINE_ID: {}}),),
    headers={"accept": "application/xml", "user-agent": USER_AGENT},
    error_text=error_text,
    decode=typed_xml(),
    # An attachment's bytes are at its `url`: /files/{id} on the account's host, to the token.
    files=FileContent(path=lambda attachment_id: f"/files/{attachment_id}"),
    id="highrise",
    # The API token (My Info > Integrations in Highrise). `/me.xml` would also take the user's
    # name and password and answer the token, but the token alone is enough: Ferry asks for it.
    credentials=(CredentialField("api_token", "API token"),),
    auth=lambda credentials, _url: BasicAuth(credentials["api_token"], "X", secret_username=True),
)
