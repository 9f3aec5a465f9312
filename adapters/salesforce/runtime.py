"""What SOQL needs at run time, as data and small functions for the engine (see source.py for
the facts): custom fields named in each SELECT, extra e-mail fields on Contact, the stages of
each sales process (or of the master picklist), and which records each enhanced note
(ContentNote) is linked to."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from adapters.core.canonical import ContactPoint, Person, Record
from adapters.core.declarative import Derived, ForEach, Lookup, Run, RunState
from adapters.core.mapping import Raw
from adapters.core.paginators import NextUrl
from adapters.salesforce.getters import MASTER_PIPELINE

API_VERSION = "v64.0"
API = f"/services/data/{API_VERSION}"
CONTACT_FIELDS = f"{API}/sobjects/Contact/describe"
PROCESS_TABLES = ("first_record_types", "stage_values")  # what stage lists need
NOTE_LINKS = "content_note_links"  # ContentDocumentId -> its links to accounts, contacts, deals
NOTE_BATCHES = "content_note_batches"
NOTE_BATCH = 200  # ContentNote ids per query (well inside SOQL's 100,000-character statement)
LINKED_OBJECTS = ("Account", "Contact", "Opportunity")  # what a note may sit on, as a parent


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
    return {name: {"object": name} for name in LINKED_OBJECTS}


def _note_batches(state: RunState) -> dict[str, Any]:
    """The linked ContentNotes' ids, quoted for `Id IN (...)`, a batch per query."""
    ids = sorted(state[NOTE_LINKS])
    return {
        str(start): {"ids": ", ".join(f"'{i}'" for i in ids[start : start + NOTE_BATCH])}
        for start in range(0, len(ids), NOTE_BATCH)
    }


LOOKUPS = (
    SALES_PROCESSES,
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
    # ContentDocumentLink must be filtered by LinkedEntityId (or ContentDocumentId): the links to
    # the org's accounts, contacts and opportunities, a query each (not the owners' links).
    Lookup(
        NOTE_LINKS,
        API + "/query",
        key="ContentDocumentId",
        records="records",
        paginator=NextUrl("nextRecordsUrl"),
        params={
            "q": "SELECT Id, ContentDocumentId, LinkedEntityId FROM ContentDocumentLink "
            "WHERE LinkedEntityId IN (SELECT Id FROM {object}) ORDER BY Id"
        },
        many=True,
        for_each=ForEach("linked_objects", {"object": "object"}),
    ),
)
DERIVED = (
    Derived("first_record_types", (SALES_PROCESSES.name,), _first_record_types),
    Derived("email_fields", ("contact_fields",), _email_fields),
    Derived("linked_objects", (), _linked_objects),
    Derived(NOTE_BATCHES, (NOTE_LINKS,), _note_batches),
)


def query(soql_text: Callable[..., str], *, delta: bool) -> Callable[..., Mapping[str, Any]]:
    """The `q` of a SOQL stream at run time: the custom fields (and Contact's e-mail fields) in
    the SELECT, and the time filter of a delta read."""

    def params(given: dict[str, Any], run: Run) -> Mapping[str, Any]:
        extra = (*run.custom, *run.state.get("email_fields", {}))
        since = run.since.strftime("%Y-%m-%dT%H:%M:%SZ") if run.since and delta else None
        return {**given, "q": soql_text(extra, since)}

    return params


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
