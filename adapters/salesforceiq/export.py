"""SalesforceIQ's last export: the company as the CSV files its owners hold now that the
service is gone (`export_files`; the sandbox serves an account's with `SalesforceIqEmulator
.export`).

SalesforceIQ exported one CSV per List from the List grid, and the Contact Gallery and the
Accounts view as CSV too; the exact column headers of those files are not documented anywhere
that survives. The layout below is a faithful, plausible one designed after the API's objects
(every record with its API id, so links resolve): UTF-8 without a byte-order mark, comma
separated, RFC 4180 quoting (a field with a comma, quote or line break is quoted, quotes
doubled), one header row, one row per record, every value written as text exactly as held (a
value that starts with "=", "+", "-" or "@" is not altered: it is data). Empty cells are empty
strings. Several values in one cell (a multi-select, a contact's further e-mails, a list
item's contacts) are joined by "; ". Times are RFC 3339 UTC ("2026-01-15T08:00:00Z"), dates
"YYYY-MM-DD", numbers as the API's decimal strings.

Files and columns:
- `users.csv`: `User ID` (24-hex), `Name`, `Email`.
- `accounts.csv`: `Account ID` (24-hex), `Name`, `Address`, `Owner ID` (a `users.csv` User ID,
  or empty), `Modified Date` (time), then one column per custom account field, headed by the
  field's name (picklists as their option labels).
- `account_fields.csv` and `list_fields.csv`: the field definitions, one row per field and
  option: `List ID` (`list_fields.csv` only: a `lists.csv` List ID), `Field ID`, `Field Name`,
  `Data Type` (Text, Numeric, Date, DateTime, List, User, Location, Contact), `Multi Select`
  ("true"/"false"), `Option ID` and `Option` (empty for a field without options; a field with
  options has one row per option, in their order). A list's `Status` field ("0") lists its
  stages in order, then "Deal Won" and "Deal Lost" (the outcomes, not stages).
- `contacts.csv`: `Contact ID` (24-hex), `Name`, `Email` (the primary one), `Other Emails`,
  `Phone` (the primary one), `Other Phones`, `Company` (the company's name as the contact
  holds it), `Account ID` (the `accounts.csv` account of that name, or empty), `Modified Date`.
- `lists.csv`: `List ID` (24-hex), `Title`, `List Type` ("account"): each list is a pipeline.
- `list_<List ID>.csv`, one per list: its items (deals): `List Item ID` (24-hex), `Name`,
  `Account ID` (an `accounts.csv` Account ID or empty), `Contact IDs` (`contacts.csv` Contact
  IDs, "; "-joined, the first the main one), `Status` (the Status option's label: a stage, or
  "Deal Won"/"Deal Lost"), `Owner ID` (a User ID), `Revenue`, `Currency`, `Close Date` (time:
  the expected close of an open deal, the close of a won or lost one), `Created Date`,
  `Modified Date`, then one column per custom list field, headed by its name.
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from typing import Any

from adapters.core.emulation import Tables
from adapters.reference.dataset import ReferenceCompany
from adapters.salesforceiq import render as siq

Raw = dict[str, Any]
FIELD_COLUMNS = ["Field ID", "Field Name", "Data Type", "Multi Select", "Option ID", "Option"]


def export_files(company: ReferenceCompany) -> dict[str, bytes]:
    """The company (as SalesforceIQ holds it) as the export's CSV files, by file name."""
    return files_of(siq.render(company))


def files_of(tables: Tables) -> dict[str, bytes]:
    """An account's tables (the API's records) as the export's CSV files."""
    users = [[u["id"], u["name"], u.get("email") or ""] for u in tables.get("users", [])]
    account_fields = tables.get("account_fields", [])
    accounts = tables.get("accounts", [])
    by_name = {a["name"]: a["id"] for a in accounts}
    custom = [f for f in account_fields if f["id"] not in siq.BUILT_IN]
    files = {
        "users.csv": _csv(["User ID", "Name", "Email"], users),
        "accounts.csv": _csv(
            ["Account ID", "Name", "Address", "Owner ID", "Modified Date"]
            + [f["name"] for f in custom],
            [
                [
                    a["id"],
                    a["name"],
                    _cell(a, siq.ADDRESS),
                    _cell(a, siq.OWNER),
                    _time(a["modifiedDate"]),
                ]
                + [_shown(a, f) for f in custom]
                for a in accounts
            ],
        ),
        "account_fields.csv": _csv(FIELD_COLUMNS, [r for f in account_fields for r in _rows(f)]),
        "contacts.csv": _csv(
            [
                "Contact ID",
                "Name",
                "Email",
                "Other Emails",
                "Phone",
                "Other Phones",
                "Company",
                "Account ID",
                "Modified Date",
            ],
            [_contact(c, by_name) for c in tables.get("contacts", [])],
        ),  # fmt: skip
        "lists.csv": _csv(
            ["List ID", "Title", "List Type"],
            [[x["id"], x["title"], x["listType"]] for x in tables.get("lists", [])],
        ),
        "list_fields.csv": _csv(
            ["List ID", *FIELD_COLUMNS],
            [[x["id"], *r] for x in tables.get("lists", []) for f in x["fields"] for r in _rows(f)],
        ),
    }
    for listed in tables.get("lists", []):
        items = [i for i in tables.get("listitems", []) if i["listId"] == listed["id"]]
        files[f"list_{listed['id']}.csv"] = _list_file(listed, items)
    return files


def _list_file(listed: Raw, items: list[Raw]) -> bytes:
    fields = {f["id"]: f for f in listed["fields"]}
    custom = [f for f in listed["fields"] if f["id"] not in siq.BUILT_IN]
    header = ["List Item ID", "Name", "Account ID", "Contact IDs", "Status", "Owner ID",
              "Revenue", "Currency", "Close Date", "Created Date", "Modified Date"]  # fmt: skip
    rows = [
        [
            item["id"], item["name"], item.get("accountId") or "",
            "; ".join(item.get("contactIds") or []), _shown(item, fields[siq.STATUS]),
            _cell(item, siq.OWNER), _cell(item, siq.REVENUE), _cell(item, siq.CURRENCY),
            _time(_cell(item, siq.CLOSE)), _time(_cell(item, siq.CREATED)), _time(item["modifiedDate"]),
        ]
        + [_shown(item, f) for f in custom]
        for item in items
    ]  # fmt: skip
    return _csv(header + [f["name"] for f in custom], rows)


def _contact(contact: Raw, accounts: dict[str, str]) -> list[str]:
    props = contact.get("properties") or {}

    def ordered(name: str) -> list[str]:
        items = props.get(name) or []
        main = sorted(items, key=lambda i: (i.get("metadata") or {}).get("primary") != "true")
        return [i["value"] for i in main]

    emails, phones = ordered("email"), ordered("phone")
    company = ((props.get("company") or [{}])[0]).get("value") or ""
    name = ((props.get("name") or [{}])[0]).get("value") or ""
    return [
        contact["id"], name, (emails or [""])[0], "; ".join(emails[1:]), (phones or [""])[0],
        "; ".join(phones[1:]), company, accounts.get(company, ""), _time(contact["modifiedDate"]),
    ]  # fmt: skip


def _rows(field: Raw) -> list[list[str]]:
    head = [field["id"], field["name"], field["dataType"], str(field["isMultiSelect"]).lower()]
    return [[*head, o["id"], o["display"]] for o in field["listOptions"]] or [[*head, "", ""]]


def _raws(record: Raw, key: str) -> list[str]:
    return [str(v["raw"]) for v in (record.get("fieldValues") or {}).get(key) or []]


def _cell(record: Raw, key: str) -> str:
    return "; ".join(_raws(record, key))


def _shown(record: Raw, field: Raw) -> str:
    """A field's value as the grid shows it: option labels for a picklist."""
    labels = {o["id"]: o["display"] for o in field["listOptions"]}
    return "; ".join(labels.get(v, v) for v in _raws(record, field["id"]))


def _time(value: Any) -> str:
    if value in (None, ""):
        return ""
    return datetime.fromtimestamp(int(value) / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _csv(header: list[str], rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")
