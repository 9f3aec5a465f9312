"""What the columns of a CSV export mean: the fields a column can fill per entity, the common
column names that fill them (compared case-insensitively, ignoring spaces and punctuation), and a
vendor's own layout of its export (`adapters/<system>/export_layout.py`, found by convention as
`system.py` is: a module-level `LAYOUT`).

A column's meaning is decided in this order: `options.mapping.columns` of the session (a field,
or null: not carried), the vendor's layout, the common names below; any other column of an
entity that holds custom fields is a custom field of that entity keyed by its column name."""

from __future__ import annotations

import importlib
import importlib.util
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from adapters.core.canonical import Entity, FieldType, Stage

# The fields a column can fill, per entity. Link fields take the linked record's id, or when
# the export has no ids its name (an organization's, a deal's title) or a person's e-mail.
LINKS: dict[str, Entity] = {
    "organization": Entity.organizations,
    "person": Entity.persons,
    "deal": Entity.deals,
    "owner": Entity.users,
    "pipeline": Entity.pipelines,
    "stage": Entity.stages,
}
FIELDS: dict[Entity, tuple[str, ...]] = {
    Entity.users: ("id", "name", "email", "active"),
    Entity.organizations: ("id", "name", "address", "owner", "labels", "add_time"),
    Entity.persons: (
        *("id", "name", "first_name", "last_name", "email", "phone", "organization", "owner"),
        *("labels", "add_time"),
    ),
    Entity.pipelines: ("id", "name"),
    Entity.stages: ("id", "name", "pipeline", "order_nr", "deal_probability"),
    Entity.products: ("id", "name", "code", "unit", "tax", "price", "currency", "owner"),
    Entity.deals: (
        *("id", "title", "value", "currency", "status", "stage", "pipeline", "person"),
        *("organization", "owner", "expected_close_date", "won_time", "lost_time"),
        *("lost_reason", "labels", "add_time"),
    ),
    Entity.activities: (
        *("id", "subject", "type", "due_date", "due_time", "duration", "done", "note"),
        *("deal", "person", "organization", "owner"),
    ),
    Entity.notes: ("id", "content", "deal", "person", "organization", "owner", "add_time"),
}
# Fields that may be filled by several columns (Email, Email 2, Work email...): all are kept.
MANY = frozenset({"email", "phone", "labels"})

# The words an export names each entity's file and columns with.
WORDS: dict[Entity, tuple[str, ...]] = {
    Entity.users: ("users", "user", "owners"),
    Entity.organizations: (
        *("organizations", "organization", "organisations", "organisation"),
        *("companies", "company", "accounts", "account"),
    ),
    Entity.persons: ("persons", "person", "people", "contacts", "contact"),
    Entity.pipelines: ("pipelines", "pipeline"),
    Entity.stages: ("stages", "stage"),
    Entity.products: ("products", "product"),
    Entity.deals: ("deals", "deal", "opportunities", "opportunity"),
    Entity.activities: ("activities", "activity", "tasks", "task", "events", "event"),
    Entity.notes: ("notes", "note", "comments"),
}
TITLE = {Entity.deals: "title", Entity.activities: "subject", Entity.notes: "content"}

_COMMON: dict[str, tuple[str, ...]] = {
    "name": ("name", "fullname"),
    "first_name": ("firstname", "givenname", "first"),
    "last_name": ("lastname", "surname", "familyname", "last"),
    "address": ("address", "street", "fulladdress", "streetaddress"),
    "owner": (
        *("owner", "owneremail", "ownername", "ownerid", "assignedto", "assignee"),
        *("userid", "useremail", "salesrep", "accountowner", "dealowner"),
    ),
    "labels": ("labels", "label", "tags", "tag"),
    "add_time": ("createdat", "created", "createddate", "createdon", "addtime", "datecreated"),
    "title": ("title", "dealname", "dealtitle", "opportunityname", "name"),
    "value": ("value", "amount", "dealvalue", "dealamount", "revenue"),
    "currency": ("currency", "currencycode"),
    "status": ("status", "state", "dealstatus"),
    "stage": ("stage", "stagename", "dealstage", "stageid"),
    "pipeline": ("pipeline", "pipelinename", "pipelineid"),
    "expected_close_date": ("closedate", "expectedclosedate", "closingdate", "expectedclose"),
    "won_time": ("wontime", "wondate", "dateswon"),
    "lost_time": ("losttime", "lostdate"),
    "lost_reason": ("lostreason", "reasonlost"),
    "subject": ("subject", "title", "name"),
    "type": ("type", "activitytype", "tasktype"),
    "due_date": ("duedate", "date", "due", "duedat"),
    "due_time": ("duetime", "time"),
    "duration": ("duration",),
    "done": ("done", "completed", "isdone", "iscompleted", "status"),
    "note": ("note", "notes", "description", "details"),
    "content": ("content", "note", "body", "text", "description"),
    "code": ("code", "sku", "productcode"),
    "unit": ("unit",),
    "tax": ("tax", "taxrate", "vat"),
    "price": ("price", "unitprice", "listprice"),
    "active": ("active", "isactive", "enabled"),
    "order_nr": ("order", "ordernr", "position", "sortorder"),
    "deal_probability": ("probability", "dealprobability", "winprobability"),
}
_EMAIL = re.compile(r"^(work|home|other|primary|personal|business)?e?mail(address)?\d*$")
_PHONE = re.compile(
    r"^(work|home|other|primary|mobile|business)?(phone|mobile|telephone|tel|cell)(number)?\d*$"
)


def fold(name: str) -> str:
    """A column or file name as compared: lower case, letters and digits only."""
    return re.sub(r"[^0-9a-z]", "", name.casefold())


DEFINITIONS = "definitions"  # the entity of an upload's files that describe, not hold, records


@dataclass
class Described:
    """What an export's definition files say: custom fields' types and options by (entity,
    column name), and the stages of its pipelines (when it has no stage file)."""

    fields: dict[tuple[Entity, str], tuple[FieldType, list[str]]] = field(default_factory=dict)
    stages: list[Stage] = field(default_factory=list)


# Rows of the definition files, by file name (small files: read whole) -> what they say.
Describe = Callable[[dict[str, list[dict[str, str]]]], Described]


@dataclass(frozen=True)
class ExportLayout:
    """A vendor's CSV export: the file names of its entities and what its columns mean."""

    system: str  # whose export this is ("csv": any system's)
    name: str
    # Entity -> file names (without .csv) the export gives it, before the common names.
    files: dict[Entity, tuple[str, ...]] = field(default_factory=dict)
    # (regex of a file name, entity): several files of one entity (a pipeline's deals each); a
    # named group that is a link field ("pipeline") gives every row of the file that link.
    patterns: tuple[tuple[str, Entity], ...] = ()
    # Entity -> {column name: field or None (not carried)}, before the common names.
    columns: dict[Entity, dict[str, str | None]] = field(default_factory=dict)
    # Values that stand for "several" in one cell (a deal's contacts): the separator.
    separator: str = ";"
    # File names (without .csv) of files that describe fields and stages, and how to read them.
    definitions: tuple[str, ...] = ()
    describe: Describe | None = None
    # A closed deal's close date is when it was won or lost (not an expected close).
    close_is_outcome: bool = False

    def pattern_of(self, file_name: str) -> tuple[Entity, dict[str, str]] | None:
        """The entity of a file named by a pattern, and the links its name gives."""
        for pattern, entity in self.patterns:
            found = re.fullmatch(pattern, file_name.rsplit("/", 1)[-1])
            if found:
                return entity, {k: v for k, v in found.groupdict().items() if v}
        return None


GENERIC = ExportLayout(system="csv", name="CSV export")


def entity_of_file(file_name: str, layout: ExportLayout) -> Entity | str | None:
    """The entity a file's name says (persons.csv, Contacts.csv, acme-deals.csv...), or
    DEFINITIONS for a layout's definition file."""
    stem = fold(re.sub(r"\.[^.]*$", "", file_name.rsplit("/", 1)[-1]))
    if stem in {fold(n) for n in layout.definitions}:
        return DEFINITIONS
    by_pattern = layout.pattern_of(file_name)
    if by_pattern:
        return by_pattern[0]
    for entity, names in layout.files.items():
        if stem in {fold(n) for n in names}:
            return entity
    for entity, words in WORDS.items():
        if stem in words:
            return entity
    parts = re.findall(r"[a-z]+", file_name.rsplit("/", 1)[-1].rsplit(".", 1)[0].casefold())
    for entity, words in WORDS.items():  # "acme_contacts_2024", "Deals export"
        if any(part in words for part in parts):
            return entity
    return None


def column_field(entity: Entity, column: str, layout: ExportLayout) -> str | None | bool:
    """The field a column fills by the layout and the common names; None: not carried (the
    layout says so); False: none (a custom field, or not carried where custom fields are not)."""
    vendor = layout.columns.get(entity, {})
    if column in vendor:
        return vendor[column]
    folded = fold(column)
    for name, meaning in vendor.items():
        if fold(name) == folded:
            return meaning
    allowed = FIELDS[entity]
    own = WORDS[entity]
    if folded in {f"{w}id" for w in own}:
        return "id"
    if folded in {f"{w}name" for w in own} and "name" in allowed:
        return "name"
    if folded in {f"{w}name" for w in own} and entity in TITLE:
        return TITLE[entity]
    if folded == "id":
        return "id"
    for link, target in LINKS.items():
        if link in allowed and link != "owner" and target is not entity:
            words = WORDS[target]
            forms = {f"{w}{suffix}" for w in words for suffix in ("", "id", "name", "email")}
            if folded in forms:
                return link
    if "email" in allowed and _EMAIL.match(folded):
        return "email"
    if "phone" in allowed and _PHONE.match(folded):
        return "phone"
    for name in allowed:
        if folded in _COMMON.get(name, ()):
            return name
    return False


def find_layout(system_id: str) -> ExportLayout | None:
    """The export layout of a system: `adapters/<system>/export_layout.py`'s LAYOUT, the
    generic one for csv; None when the system has none."""
    if system_id == GENERIC.system:
        return GENERIC
    if not re.fullmatch(r"[a-z0-9_]+", system_id):
        return None
    module = f"adapters.{system_id}.export_layout"
    try:
        found = importlib.util.find_spec(module)
    except ModuleNotFoundError:
        return None
    if found is None:
        return None
    layout = getattr(importlib.import_module(module), "LAYOUT", None)
    return layout if isinstance(layout, ExportLayout) else None
