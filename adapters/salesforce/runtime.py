"""What SOQL needs at run time, as data and small functions for the engine (see source.py for
the facts): custom fields named in each SELECT, extra e-mail fields on Contact, the stages of
each sales process (or of the master picklist), and which records each enhanced note
(ContentNote) is linked to."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from adapters.core.canonical import ContactPoint, Entity, Person, Record
from adapters.core.declarative import (
    ChangedSince,
    Derived,
    ForEach,
    Lookup,
    Run,
    RunState,
    Stream,
)
from adapters.core.mapping import Raw
from adapters.core.paginators import NextUrl, dig
from adapters.salesforce.getters import MASTER_PIPELINE

API_VERSION = "v64.0"
API = f"/services/data/{API_VERSION}"
CONTACT_FIELDS = f"{API}/sobjects/Contact/describe"
PROCESS_TABLES = ("first_record_types", "stage_values")  # what stage lists need
# ContentDocumentId -> its links to the records below (notes and files alike), each link with
# its ContentDocument's fields (and the latest version's file name) nested.
NOTE_LINKS = "content_links"
NOTE_BATCHES = "content_note_batches"
FILE_DOCUMENTS = "file_documents"  # the linked ContentDocuments that are files, not notes
NOTE_BATCH = 200  # ContentNote ids per query (well inside SOQL's 100,000-character statement)
# What a note or a file may sit on, as a parent (a converted lead is its contact now), and
# the filter of each one's ids.
LINKED_OBJECTS = {
    "Account": "",
    "Contact": "",
    "Opportunity": "",
    "Lead": " WHERE IsConverted = false",
    "Task": "",
    "Event": "",
    "Product2": "",
}
DOCUMENT_FIELDS = (
    "FileType",
    "Title",
    "FileExtension",
    "ContentSize",
    "CreatedDate",
    "LatestPublishedVersionId",
    "LatestPublishedVersion.PathOnClient",
)


def email_label(field_label: str) -> str:
    lowered = field_label.lower()
    return next((label for label in ("home", "work") if label in lowered), "other")


def is_email(raw: Raw) -> bool:
    return bool(raw.get("custom")) and raw.get("type") == "email"


# The Opportunity record types that choose a sales process; none: the org has no process.
SALES_PROCESSES = Lookup(
    "sales_processes",
    API + "/query",
    key="SobjectType",
    records="records",
    paginator=NextUrl("nextRecordsUrl"),
    params={
        "q": "SELECT Id, SobjectType, BusinessProcessId FROM RecordType "
        "WHERE SobjectType = 'Opportunity' AND BusinessProcessId != null ORDER BY Id"
    },
    many=True,
)


def _first_record_types(state: RunState) -> dict[str, Any]:
    """One record type per process: its stage picklist is the process's stages."""
    first: dict[str, Any] = {}
    for row in state[SALES_PROCESSES.name].get("Opportunity", []):
        process = row["BusinessProcessId"]
        first.setdefault(process, {"process": process, "record_type": row["Id"]})
    return first


def _email_fields(state: RunState) -> dict[str, Any]:
    """Contact's custom e-mail fields (API name -> e-mail label), carried as e-mails."""
    rows = state["contact_fields"].values()
    return {raw["name"]: email_label(str(raw.get("label"))) for raw in rows if is_email(raw)}


def _linked_objects(state: RunState) -> dict[str, Any]:
    return {name: {"object": name, "where": where} for name, where in LINKED_OBJECTS.items()}


def _is_note(links: list[Raw]) -> bool:
    return dig(links[0], "ContentDocument.FileType") == "SNOTE"


def _note_batches(state: RunState) -> dict[str, Any]:
    """The linked ContentNotes' ids, quoted for `Id IN (...)`, a batch per query."""
    ids = sorted(key for key, links in state[NOTE_LINKS].items() if _is_note(links))
    return {
        str(start): {"ids": ", ".join(f"'{i}'" for i in ids[start : start + NOTE_BATCH])}
        for start in range(0, len(ids), NOTE_BATCH)
    }


def _file_documents(state: RunState) -> dict[str, Any]:
    """Each linked file once: its ContentDocument's fields and its links (under `_links`)."""
    return {
        key: {**(links[0].get("ContentDocument") or {}), "Id": key, "_links": links}
        for key, links in state[NOTE_LINKS].items()
        if not _is_note(links)
    }


# Every Event's relations that are not its What, in one SOQL list (EventRelation needs no id
# filter): with Shared Activities its Who contacts (IsParent) and its invitees (IsInvitee).
EVENT_RELATIONS = Lookup(
    "event_relations",
    API + "/query",
    key="EventId",
    records="records",
    paginator=NextUrl("nextRecordsUrl"),
    params={
        "q": "SELECT Id, EventId, RelationId, IsInvitee, IsParent FROM EventRelation "
        "WHERE IsWhat = false ORDER BY Id"
    },
    many=True,
)
LOOKUPS = (
    SALES_PROCESSES,
    EVENT_RELATIONS,
    Lookup("contact_fields", CONTACT_FIELDS, key="name", records="fields"),
    # Which process offers which stage value (each row keeps its process under "_each").
    Lookup(
        "stage_values",
        API + "/ui-api/object-info/Opportunity/picklist-values/{record_type}/StageName",
        key="value",
        records="values",
        many=True,
        for_each=ForEach(
            "first_record_types", {"record_type": "record_type", "process": "process"}, "_each"
        ),
    ),
    # ContentDocumentLink must be filtered by LinkedEntityId (or ContentDocumentId) with = or
    # IN, and SOQL joins no two semi-joins by OR: the links to each parent object's records, a
    # query each (`LinkedEntityId IN (SELECT Id FROM Account)`; not the owners' links), shared
    # by notes and files. (From API 59.0 the Query All Files permission lifts the filter; an
    # integration user seldom has it, so it is not relied on.)
    Lookup(
        NOTE_LINKS,
        API + "/query",
        key="ContentDocumentId",
        records="records",
        paginator=NextUrl("nextRecordsUrl"),
        params={
            "q": "SELECT Id, ContentDocumentId, LinkedEntityId, "
            + ", ".join(f"ContentDocument.{name}" for name in DOCUMENT_FIELDS)
            + " FROM ContentDocumentLink WHERE LinkedEntityId IN (SELECT Id FROM {object}{where})"
            " ORDER BY Id"
        },
        many=True,
        for_each=ForEach("linked_objects", {"object": "object", "where": "where"}),
    ),
)
DERIVED = (
    Derived("first_record_types", (SALES_PROCESSES.name,), _first_record_types),
    Derived("email_fields", ("contact_fields",), _email_fields),
    Derived("linked_objects", (), _linked_objects),
    Derived(NOTE_BATCHES, (NOTE_LINKS,), _note_batches),
    Derived(FILE_DOCUMENTS, (NOTE_LINKS,), _file_documents),
)


def query(
    soql_text: Callable[..., str], *, delta: bool, custom: bool = True
) -> Callable[..., Mapping[str, Any]]:
    """The `q` of a SOQL stream at run time: the custom fields (and Contact's e-mail fields) in
    the SELECT, and the time filter of a delta read."""

    def params(given: dict[str, Any], run: Run) -> Mapping[str, Any]:
        extra = (*run.custom, *run.state.get("email_fields", {})) if custom else ()
        since = run.since.strftime("%Y-%m-%dT%H:%M:%SZ") if run.since and delta else None
        return {**given, "q": soql_text(extra, since)}

    return params


@dataclass(frozen=True)
class Soql:
    """One SOQL query, to which the source adds the org's custom fields and a time filter."""

    object: str
    fields: tuple[str, ...]
    where: tuple[str, ...] = ()
    subqueries: tuple[str, ...] = ()
    order: str = "Id"
    limit: int | None = None

    def text(self, extra: tuple[str, ...] = (), since: str | None = None) -> str:
        select = ", ".join((*self.fields, *extra, *(f"({s})" for s in self.subqueries)))
        where = [*self.where, *([f"SystemModstamp > {since}"] if since else [])]
        clause = f" WHERE {' AND '.join(where)}" if where else ""
        limit = f" LIMIT {self.limit}" if self.limit is not None else ""
        return f"SELECT {select} FROM {self.object}{clause} ORDER BY {self.order}{limit}"


def total_size(response: httpx.Response, body: Any) -> int | None:
    return body.get("totalSize") if isinstance(body, dict) else None


def soql_stream(
    entity: Entity, soql: Soql, fields: dict[str, Any], *, custom: bool = True, **options: Any
) -> Stream:
    """A stream of one SOQL query; with `custom`, the entity's custom fields join its SELECT
    (not for an object that is not where they are defined: persons read from Lead)."""
    options.setdefault("total", total_size)
    # Every currency field of a record is in the record's CurrencyIsoCode.
    options.setdefault("record_currency", "CurrencyIsoCode")
    return Stream(
        entity,
        API + "/query",
        fields,
        paginator=NextUrl("nextRecordsUrl"),
        records="records",
        params={"q": soql.text()},
        changed_since=ChangedSince("q", soql.text(since="{iso}")),
        query=query(soql.text, delta=True, custom=custom),
        **options,
    )


def _master_picklist(state: RunState) -> bool:
    """No sales process: the org has one pipeline, of the master picklist's stages."""
    return not state["first_record_types"]


def stages_per_process(raws: list[Raw], state: RunState) -> list[Raw]:
    """Each stage once per process that offers it (the master pipeline when none does)."""
    if _master_picklist(state):
        return [{**raw, "_process": MASTER_PIPELINE} for raw in raws]
    values = state["stage_values"]
    return [
        {**raw, "_process": row["_each"]["process"]}
        for raw in raws
        for row in values.get(str(raw.get("ApiName")), [])
    ]


def only_without_processes(raws: list[Raw], state: RunState) -> list[Raw]:
    return raws if _master_picklist(state) else []


def add_emails(record: Record, raw: Raw, state: RunState) -> None:
    if not isinstance(record, Person):
        return
    for name, label in state["email_fields"].items():
        if raw.get(name):
            record.emails.append(ContactPoint(value=str(raw[name]), label=label))
    if record.emails and not any(e.primary for e in record.emails):
        record.emails[0].primary = True
