"""SalesforceIQ's CSV export (adapters/salesforceiq/export.py): its files and columns, as one
table the sandbox writes the export by (from the API's records) and the generic CSV reader
(adapters/files) reads it back by. Uploaded with `system salesforceiq` and named as
`{"system": "salesforceiq", "upload_id": ...}`.

- users.csv, accounts.csv (organizations), contacts.csv (persons), lists.csv (pipelines) and
  one `list_<List ID>.csv` per list (its deals; the file's name gives their pipeline). Accounts
  and list items have one more column per custom field, headed by its name (picklist values as
  their option labels).
- account_fields.csv and list_fields.csv describe, not hold, records: one row per field and
  option (a field without options has one, its Option empty), giving the custom fields' types
  and options (Text, Numeric, Date, List; multi-select lists are sets), and each list's stages
  (the options of its Status field "0" but the outcomes "Deal Won" and "Deal Lost").
- A deal's Status is its stage, or its outcome: a won or lost deal goes to its pipeline's first
  stage, and its Close Date is when it closed (an open deal's: its expected close).
- A contact names its account twice (Company, the name; Account ID, the account of that name):
  the id is the link. Its first e-mail and phone are the primary ones. Modified dates are not
  carried (Pipedrive keeps its own update time).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from adapters.core.canonical import Entity, FieldType, Stage
from adapters.core.mapping import Getter, Raw, ref, text, value_at
from adapters.files.columns import Column, Value, meanings
from adapters.files.layout import Described, ExportLayout
from adapters.salesforceiq import render as siq
from adapters.salesforceiq.source import TYPES, kind, points, prop, raw


def when(getter: Getter) -> Value:
    """Epoch ms as an RFC 3339 UTC time."""

    def read(record: Raw) -> str | None:
        found = value_at(record, getter)
        if found in (None, ""):
            return None
        return datetime.fromtimestamp(int(found) / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")

    return read


def ordered(name: str) -> Value:
    """E-mails or phones, the primary one first."""
    return lambda c: [p.value for p in sorted(points(name)(c), key=lambda p: not p.primary)]


def shown(field: Raw) -> Value:
    """A field's values as the grid shows them: option labels for a picklist."""
    labels = {o["id"]: o["display"] for o in field["listOptions"]}

    def read(record: Raw) -> list[str]:
        found = (record.get("fieldValues") or {}).get(field["id"]) or []
        return [labels.get(str(v["raw"]), str(v["raw"])) for v in found]

    return read


def customs(fields: list[Raw]) -> tuple[Column, ...]:
    return tuple(Column(f["name"], shown(f)) for f in fields if f["id"] not in siq.BUILT_IN)


def status(item: Raw) -> Any:
    return shown(next(f for f in item["_list"]["fields"] if f["id"] == siq.STATUS))(item)


MODIFIED = Column("Modified Date", when("modifiedDate"))
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
    Column("Status", status, "stage"),  # a stage's name, or "Deal Won"/"Deal Lost"
    Column("Owner ID", raw(siq.OWNER), "owner"),
    Column("Revenue", raw(siq.REVENUE), "value"),
    Column("Currency", raw(siq.CURRENCY), "currency"),
    Column("Close Date", when(raw(siq.CLOSE)), "expected_close_date"),
    Column("Created Date", when(raw(siq.CREATED)), "add_time"),
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


def describe(files: dict[str, list[dict[str, str]]]) -> Described:
    described = Described()
    for name, entity in DEFINES.items():
        for row in files.get(name, []):
            field_id, label, option = row.get("Field ID"), row.get("Field Name"), row.get("Option")
            if field_id == siq.STATUS and entity is Entity.deals:
                if option and option not in (siq.WON, siq.LOST):
                    listed = row.get("List ID", "")
                    order = 1 + sum(s.pipeline_source_id == listed for s in described.stages)
                    stage_id = f"{listed}.{row.get('Option ID', '')}"
                    described.stages.append(
                        Stage(
                            source_id=stage_id,
                            name=option,
                            pipeline_source_id=listed,
                            order_nr=order,
                        )
                    )
            elif field_id not in siq.BUILT_IN and label:
                multi = row.get("Multi Select", "").casefold() == "true"
                vendor = kind({"dataType": row.get("Data Type"), "isMultiSelect": multi})
                field_type = TYPES.get(vendor, FieldType.varchar)
                options = described.fields.get((entity, label), (field_type, []))[1]
                if option and option not in options:
                    options.append(option)
                described.fields[(entity, label)] = (field_type, options)
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
