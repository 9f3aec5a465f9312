"""SalesforceIQ's CSV export (adapters/salesforceiq/export.py) as a file source: what its files
and columns are, for the generic CSV reader (adapters/files). Uploaded with `system
salesforceiq` and named as `{"system": "salesforceiq", "upload_id": ...}`.

- users.csv, accounts.csv (organizations), contacts.csv (persons), lists.csv (pipelines) and
  one `list_<List ID>.csv` per list (its deals; the file's name gives their pipeline).
- account_fields.csv and list_fields.csv describe, not hold, records: the custom fields' types
  and picklist options (Text, Numeric, Date, List; multi-select lists are sets), and each list's
  stages (the options of its Status field "0" but the outcomes "Deal Won" and "Deal Lost").
- A deal's Status is its stage, or its outcome: a won or lost deal goes to its pipeline's first
  stage, and its Close Date is when it closed (an open deal's: its expected close).
- A contact names its account twice (Company, the name; Account ID): the id is the link.
  Several values in a cell are "; "-joined. Modified dates are not carried (Pipedrive keeps its
  own update time).
"""

from __future__ import annotations

from adapters.core.canonical import Entity, FieldType, Stage
from adapters.files.layout import Described, ExportLayout

STATUS_FIELD = "0"
OUTCOMES = frozenset({"Deal Won", "Deal Lost"})
BUILT_IN = frozenset({"0", "1", "3", "4", "process_close_date", "process_created_date", "address"})
TYPES = {"Text": FieldType.varchar, "Numeric": FieldType.double, "Date": FieldType.date}
DEFINES = {"account_fields.csv": Entity.organizations, "list_fields.csv": Entity.deals}


def describe(files: dict[str, list[dict[str, str]]]) -> Described:
    described = Described()
    for name, entity in DEFINES.items():
        options: dict[str, list[str]] = {}
        for row in files.get(name, []):
            field_id, label = row.get("Field ID", ""), row.get("Field Name", "")
            if field_id == STATUS_FIELD and entity is Entity.deals:
                option = row.get("Option", "")
                if option and option not in OUTCOMES:
                    listed = row.get("List ID", "")
                    order = sum(1 for s in described.stages if s.pipeline_source_id == listed)
                    described.stages.append(
                        Stage(
                            source_id=f"{listed}.{row.get('Option ID', '')}",
                            name=option,
                            pipeline_source_id=listed,
                            order_nr=order + 1,
                        )
                    )
                continue
            if field_id in BUILT_IN or not label:
                continue
            kind = row.get("Data Type", "")
            if kind == "List":
                several = row.get("Multi Select", "").casefold() == "true"
                found = options.setdefault(label, [])
                if row.get("Option") and row["Option"] not in found:
                    found.append(row["Option"])
                field_type = FieldType.set if several else FieldType.enum
                described.fields[(entity, label)] = (field_type, found)
            else:
                described.fields[(entity, label)] = (TYPES.get(kind, FieldType.varchar), [])
    return described


LAYOUT = ExportLayout(
    system="salesforceiq",
    name="SalesforceIQ export",
    files={Entity.pipelines: ("lists",), Entity.organizations: ("accounts",)},
    patterns=((r"list_(?P<pipeline>[0-9A-Za-z]+)\.csv", Entity.deals),),
    columns={
        Entity.organizations: {"Modified Date": None},
        Entity.persons: {
            "Other Emails": "email",
            "Other Phones": "phone",
            "Company": None,
            "Account ID": "organization",
            "Modified Date": None,
        },
        Entity.pipelines: {"List ID": "id", "Title": "name", "List Type": None},
        Entity.deals: {
            "List Item ID": "id",
            "Name": "title",
            "Contact IDs": "person",
            "Status": "stage",
            "Revenue": "value",
            "Close Date": "expected_close_date",
            "Created Date": "add_time",
            "Modified Date": None,
        },
    },
    definitions=("account_fields", "list_fields"),
    describe=describe,
    close_is_outcome=True,
)
