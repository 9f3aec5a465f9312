"""Insightly's record shapes as the source reads them: its custom field types, opportunity
states, task categories, contact phone slots, and small getters for LINKS, CUSTOMFIELDS,
events and notes."""

from __future__ import annotations

import html
import re
from typing import Any

import httpx

from adapters.core.canonical import ContactPoint, Entity, FieldType
from adapters.core.mapping import Getter, Raw, ident, joined, parse_time, text, utc_hhmm

# Insightly custom field type -> canonical type. AUTONUMBER, BIT (checkbox), DATETIME, LOOKUP
# and the like have no canonical form: skipped and listed in `skipped_fields`.
FIELD_TYPES: dict[str, FieldType] = {
    "TEXT": FieldType.varchar,
    "URL": FieldType.varchar,
    "MULTILINETEXT": FieldType.text,
    "NUMERIC": FieldType.double,
    "PERCENT": FieldType.double,
    "DATE": FieldType.date,
    "DROPDOWN": FieldType.enum,
    "MULTISELECT": FieldType.set,
}
MULTISELECT_SEPARATOR = ";"

# The object name used in paths for each entity with custom fields.
CUSTOM_FIELD_OBJECTS: dict[Entity, str] = {
    Entity.organizations: "Organisations",
    Entity.persons: "Contacts",
    Entity.deals: "Opportunities",
    Entity.products: "Product",
}

OPPORTUNITY_STATES: dict[str, str] = {
    "OPEN": "open",
    "SUSPENDED": "open",  # on hold, still to be decided
    "WON": "won",
    "LOST": "lost",
    "ABANDONED": "lost",
}

# Task category names (as users commonly name them) -> canonical activity type.
TASK_CATEGORY_TYPES: dict[str, str] = {
    "call": "call",
    "phone call": "call",
    "email": "email",
    "e-mail": "email",
    "meeting": "meeting",
    "lunch": "lunch",
    "deadline": "deadline",
    "to-do": "task",
    "todo": "task",
    "follow-up": "task",
}

# Contact phone slots in the order they are read, with the label each one means.
PHONE_SLOTS: tuple[tuple[str, str], ...] = (
    ("PHONE", "work"),
    ("PHONE_MOBILE", "mobile"),
    ("PHONE_HOME", "home"),
    ("PHONE_OTHER", "other"),
    ("PHONE_ASSISTANT", "other"),
)
ADDRESS_PARTS = ("STREET", "CITY", "STATE", "POSTCODE", "COUNTRY")


def linked(object_name: str) -> Getter:
    """The first record of `object_name` ("Contact", "Organisation", "Opportunity") in LINKS."""

    def read(raw: Raw) -> str | None:
        for link in raw.get("LINKS") or []:
            if isinstance(link, dict) and link.get("LINK_OBJECT_NAME") == object_name:
                return ident(link.get("LINK_OBJECT_ID"))
        return None

    return read


def custom_values(raw: Raw) -> dict[str, Any]:
    """CUSTOMFIELDS as {FIELD_NAME: FIELD_VALUE}."""
    return {
        str(item["FIELD_NAME"]): item.get("FIELD_VALUE")
        for item in raw.get("CUSTOMFIELDS") or []
        if isinstance(item, dict) and item.get("FIELD_NAME")
    }


def phones(raw: Raw) -> list[ContactPoint]:
    points = [
        ContactPoint(value=str(raw[slot]), label=label)
        for slot, label in PHONE_SLOTS
        if raw.get(slot) not in (None, "")
    ]
    if points:
        points[0].primary = True
    return points


def emails(raw: Raw) -> list[ContactPoint]:
    address = text("EMAIL_ADDRESS")(raw)
    return [ContactPoint(value=address, label="work", primary=True)] if address else []


def address(prefix: str) -> Getter:
    return joined(*(f"{prefix}_{part}" for part in ADDRESS_PARTS), sep=", ")


def words(markup: str) -> str:
    """The visible text of HTML, whitespace collapsed."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", markup)).split())


def note_content(raw: Raw) -> str:
    """BODY; a TITLE that is not just the start of the body is kept as a first paragraph."""
    body = str(raw.get("BODY") or "")
    title = str(raw.get("TITLE") or "").strip()
    if not title or words(body).startswith(words(title)):
        return body or title
    return f"<p>{html.escape(title)}</p>{body}"


def event_duration(raw: Raw) -> str | None:
    start, end = parse_time(raw.get("START_DATE_UTC")), parse_time(raw.get("END_DATE_UTC"))
    if raw.get("ALL_DAY") or not start or not end or end <= start:
        return None
    minutes = int((end - start).total_seconds() // 60)
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def event_time(raw: Raw) -> str | None:
    return None if raw.get("ALL_DAY") else utc_hhmm("START_DATE_UTC")(raw)


def prefixed(prefix: str, getter: str) -> Getter:
    return lambda raw: f"{prefix}-{raw[getter]}" if raw.get(getter) is not None else None


def total_count(response: httpx.Response, body: Any) -> int | None:
    given = response.headers.get("x-total-count")
    return int(given) if given and given.isdigit() else None


def error_text(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.reason_phrase
    if isinstance(body, dict) and isinstance(body.get("Message"), str):
        return body["Message"]
    return response.reason_phrase


def options(raw: Raw) -> list[tuple[str, str]]:
    return [
        (str(o.get("OPTION_ID")), str(o["OPTION_VALUE"]))
        for o in raw.get("CUSTOM_FIELD_OPTIONS") or []
        if isinstance(o, dict) and o.get("OPTION_VALUE") not in (None, "")
    ]
