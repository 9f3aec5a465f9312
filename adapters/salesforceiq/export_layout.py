"""SalesforceIQ's CSV export: its files and columns, as one table the sandbox writes the
export by (from the API's records, export.py) and the generic CSV reader (adapters/files) reads
it back by. Uploaded with `system salesforceiq`, named as `{"system": "salesforceiq",
"upload_id": ...}`.

SalesforceIQ exported each List from its grid, and the Contact Gallery and the Accounts view,
as CSV; the exact headers of those files are documented nowhere that survives. This layout is
a plausible one designed after the API's objects: every record with its API id, so links
resolve; times RFC 3339 UTC, numbers the API's decimal strings, several values "; "-joined.
One `list_<List ID>.csv` per list holds its deals; accounts and list items have a column more
per custom field, headed by its name (picklist values as their option labels). The definition
files hold the API's fields, one row per field and option, read back as the source reads the
API's (types, options, each list's stages). A won or lost deal's Status is its outcome: it goes
to its pipeline's first stage. Modified dates are not carried (Pipedrive keeps its own).
"""

from __future__ import annotations

from adapters.core.canonical import Entity, Stage
from adapters.core.declarative import map_record, read_field
from adapters.core.mapping import Raw, number, ref, text, utc_time
from adapters.files.columns import Column, Value, meanings
from adapters.files.layout import Described, ExportLayout
from adapters.salesforceiq import render as siq
from adapters.salesforceiq.source import SPEC, points, prop, raw, raws, stages, status_labels


def ordered(name: str) -> Value:
    """E-mails or phones, the primary one first."""
    return lambda c: [p.value for p in sorted(points(name)(c), key=lambda p: not p.primary)]


def shown(field: Raw) -> Value:
    """A field's values as the grid shows them: option labels for a picklist."""
    labels = {o["id"]: o["display"] for o in field["listOptions"]}
    return lambda record: [labels.get(str(v), str(v)) for v in raws(record, field["id"])]


def customs(fields: list[Raw]) -> tuple[Column, ...]:
    return tuple(Column(f["name"], shown(f)) for f in fields if f["id"] not in siq.BUILT_IN)


MODIFIED = Column("Modified Date", utc_time("modifiedDate"))
USERS = (
    Column("User ID", ref("id"), "id"),
    Column("Name", text("name"), "name"),
    Column("Email", text("email"), "email"),
)
ACCOUNTS = (
    Column("Account ID", ref("id"), "id"),
    Column("Name", text("name"), "name"),
    Column("Address", raw(siq.ADDRESS), "address"),
    Column("Owner ID", raw(siq.OWNER), "owner"),  # a User ID
    MODIFIED,
)
CONTACTS = (  # `_account`: the account named by its Company
    Column("Contact ID", ref("id"), "id"),
    Column("Name", prop("name"), "name"),
    Column("Email", lambda c: ordered("email")(c)[:1], "email"),
    Column("Other Emails", lambda c: ordered("email")(c)[1:], "email"),
    Column("Phone", lambda c: ordered("phone")(c)[:1], "phone"),
    Column("Other Phones", lambda c: ordered("phone")(c)[1:], "phone"),
    Column("Company", prop("company")),
    Column("Account ID", ref("_account.id"), "organization"),
    MODIFIED,
)
LISTS = (
    Column("List ID", ref("id"), "id"),
    Column("Title", text("title"), "name"),
    Column("List Type", text("listType")),  # "account"
)
ITEMS = (  # `_list`: the item's list
    Column("List Item ID", ref("id"), "id"),
    Column("Name", text("name"), "title"),
    Column("Account ID", ref("accountId"), "organization"),
    Column("Contact IDs", lambda i: i.get("contactIds"), "person"),  # the first the main one
    # Status: a stage's name, or "Deal Won"/"Deal Lost".
    Column("Status", lambda i: status_labels(i["_list"]).get(raw(siq.STATUS)(i)), "stage"),
    Column("Owner ID", raw(siq.OWNER), "owner"),
    Column("Revenue", raw(siq.REVENUE), "value"),
    Column("Currency", raw(siq.CURRENCY), "currency"),
    Column("Close Date", utc_time(number(raw(siq.CLOSE))), "expected_close_date"),
    Column("Created Date", utc_time(number(raw(siq.CREATED))), "add_time"),
    MODIFIED,
)
FIELDS = (  # one row per field and option: {"listId", "field", "option"}
    Column("Field ID", ref("field.id")),
    Column("Field Name", text("field.name")),
    Column("Data Type", text("field.dataType")),  # Text, Numeric, Date, List, User, ...
    Column("Multi Select", lambda r: str(r["field"]["isMultiSelect"]).lower()),
    Column("Option ID", ref("option.id")),
    Column("Option", text("option.display")),
)
LIST_FIELDS = (Column("List ID", ref("listId")), *FIELDS)
DEFINES = {"account_fields.csv": Entity.organizations, "list_fields.csv": Entity.deals}


def _lists(rows: list[dict[str, str]]) -> list[Raw]:
    """Definition rows back as the API's lists of fields (the account fields: one, no id)."""
    lists: dict[str, dict[str, Raw]] = {}
    for row in rows:
        field_id = row.get("Field ID", "")
        multi = row.get("Multi Select", "").casefold() == "true"
        made = siq.field(field_id, row.get("Field Name", ""), row.get("Data Type", ""), multi)
        found = lists.setdefault(row.get("List ID", ""), {}).setdefault(field_id, made)
        if row.get("Option"):
            found["listOptions"].append({"id": row.get("Option ID", ""), "display": row["Option"]})
    return [{"id": list_id, "fields": list(fields.values())} for list_id, fields in lists.items()]


def describe(files: dict[str, list[dict[str, str]]]) -> Described:
    """The definition files as the source reads the API's fields: custom fields (types and
    options, a field the lists share once) and each list's stages."""
    catalogs = {catalog.entity: catalog for catalog in SPEC.field_catalogs}
    staged = next(stream for stream in SPEC.streams if stream.entity is Entity.stages)
    described = Described()
    for name, entity in DEFINES.items():
        for listed in _lists(files.get(name, [])):
            if entity is Entity.deals:
                found = [map_record(Entity.stages, s, staged.fields, {}) for s in stages(listed)]
                described.stages += [s for s in found if isinstance(s, Stage)]
            read = [read_field(catalogs[entity], field) for field in listed["fields"]]
            for d in (found.definition for found in read if found is not None):
                described.fields.setdefault((entity, d.name), (d.field_type, d.options))
    return described


LAYOUT = ExportLayout(
    system="salesforceiq",
    name="SalesforceIQ export",
    files={Entity.pipelines: ("lists",), Entity.organizations: ("accounts",)},
    patterns=((r"list_(?P<pipeline>[0-9A-Za-z]+)\.csv", Entity.deals),),
    columns={
        Entity.users: meanings(USERS),
        Entity.organizations: meanings(ACCOUNTS),
        Entity.persons: meanings(CONTACTS),
        Entity.pipelines: meanings(LISTS),
        Entity.deals: meanings(ITEMS),
    },
    definitions=("account_fields", "list_fields"),
    describe=describe,
    close_is_outcome=True,
)
