"""Where canonical fields sit in Salesforce's query records (see source.py for the facts)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from adapters.core.canonical import ContactPoint
from adapters.core.mapping import Raw, minutes_hhmm, utc_date, utc_hhmm
from adapters.core.paginators import dig

ACTIVITY_TYPES = {"call", "meeting", "task", "deadline", "email", "lunch"}
# The one pipeline of an org without sales processes: the master StageName picklist.
MASTER_PIPELINE, MASTER_PIPELINE_NAME = "master", "Opportunities"


def id_with_prefix(getter: str, prefix: str) -> Callable[[Raw], str | None]:
    """A polymorphic reference (WhoId, WhatId, ParentId) when it points at one object."""

    def read(raw: Raw) -> str | None:
        value = raw.get(getter)
        return value if isinstance(value, str) and value.startswith(prefix) else None

    return read


def linked_with_prefix(links: str, prefix: str) -> Callable[[Raw], str | None]:
    """The first record of one object among a ContentNote's ContentDocumentLinks (at `links`)."""

    def read(raw: Raw) -> str | None:
        ids = (link.get("LinkedEntityId") for link in raw.get(links) or [])
        return next((i for i in ids if isinstance(i, str) and i.startswith(prefix)), None)

    return read


def event_participants(raw: Raw) -> list[str]:
    """The contacts and leads an Event's EventRelations (at `_relations`) name besides its
    WhoId, related (IsParent) or invited (IsInvitee) alike; users and resources are not
    persons."""
    ids = (r.get("RelationId") for r in raw.get("_relations") or [])
    people = (i for i in ids if isinstance(i, str) and i[:3] in ("003", "00Q"))
    return list(dict.fromkeys(i for i in people if i != raw.get("WhoId")))


def activity_org(raw: Raw) -> str | None:
    """The account named by WhatId, or the opportunity's account (Salesforce's AccountId) —
    not the contact's account, which the activity itself does not name."""
    what = str(raw.get("WhatId") or "")
    if what.startswith("001"):
        return what
    return raw.get("AccountId") if what.startswith("006") else None


def activity_type(default: str) -> Callable[[Raw], str]:
    def read(raw: Raw) -> str:
        kind = str(raw.get("Type") or "").lower()
        if kind in ACTIVITY_TYPES:
            return kind
        subtype = str(raw.get("TaskSubtype") or "").lower()
        return {"call": "call", "email": "email", "listemail": "email"}.get(subtype, default)

    return read


def phones(raw: Raw) -> list[ContactPoint]:
    labels = {"Phone": "work", "MobilePhone": "mobile", "HomePhone": "home", "OtherPhone": "other"}
    points = [ContactPoint(value=raw[f], label=label) for f, label in labels.items() if raw.get(f)]
    if points:
        points[0].primary = True
    return points


def child_records(raw: Raw, relationship: str) -> list[Raw]:
    return [r for r in dig(raw, f"{relationship}.records") or [] if isinstance(r, dict)]


def primary_contact(raw: Raw) -> str | None:
    roles = child_records(raw, "OpportunityContactRoles")
    return roles[0].get("ContactId") if roles else None


def deal_status(raw: Raw) -> str:
    return ("won" if raw.get("IsWon") else "lost") if raw.get("IsClosed") else "open"


def deal_pipeline(raw: Raw) -> str | None:
    """The record type's sales process; in an org with none (`_sales_processes` joined empty),
    every opportunity is on the master picklist."""
    process = dig(raw, "RecordType.BusinessProcessId")
    return process or (None if raw.get("_sales_processes") else MASTER_PIPELINE)


def deal_stage(raw: Raw) -> str | None:
    """'<process>:<stage>'; a closed opportunity's stage is the one it left to close."""
    process, stage = deal_pipeline(raw), raw.get("StageName")
    if raw.get("IsClosed"):
        history = sorted(
            child_records(raw, "OpportunityHistories"),
            key=lambda h: str(h.get("CreatedDate") or ""),
            reverse=True,
        )
        stage = next((h["StageName"] for h in history if h.get("StageName") != stage), None)
    return f"{process}:{stage}" if process and stage else None


def closed_on(status: str) -> Callable[[Raw], str | None]:
    """Salesforce keeps only the date an opportunity closed."""

    def read(raw: Raw) -> str | None:
        day = raw.get("CloseDate")
        return f"{day}T00:00:00Z" if day and deal_status(raw) == status else None

    return read


def prices(raw: Raw) -> list[dict[str, Any]]:
    return [
        {"price": entry["UnitPrice"], "currency": entry["CurrencyIsoCode"]}
        for entry in child_records(raw, "PricebookEntries")
        if entry.get("UnitPrice") is not None
    ]


def event_day(raw: Raw) -> str | None:
    return (
        raw.get("ActivityDate") if raw.get("IsAllDayEvent") else utc_date("ActivityDateTime")(raw)
    )


def event_time(raw: Raw) -> str | None:
    return None if raw.get("IsAllDayEvent") else utc_hhmm("ActivityDateTime")(raw)


def event_duration(raw: Raw) -> str | None:
    return None if raw.get("IsAllDayEvent") else minutes_hhmm("DurationInMinutes")(raw)
