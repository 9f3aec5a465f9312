"""SalesforceIQ's last export: the company as the CSV files its owners hold now that the
service is gone (`export_files`; the sandbox serves an account's with `SalesforceIqEmulator
.export`), written by the table of export_layout.py, which says its files and columns."""

from __future__ import annotations

from adapters.core.emulation import Tables
from adapters.files.columns import csv_file
from adapters.reference.dataset import ReferenceCompany
from adapters.salesforceiq import export_layout as x
from adapters.salesforceiq import render as siq
from adapters.salesforceiq.source import prop


def export_files(company: ReferenceCompany) -> dict[str, bytes]:
    """The company (as SalesforceIQ holds it) as the export's CSV files, by file name."""
    return files_of(siq.render(company))


def files_of(tables: Tables) -> dict[str, bytes]:
    """An account's tables (the API's records) as the export's CSV files."""
    account_fields = tables.get("account_fields", [])
    lists = tables.get("lists", [])
    accounts = tables.get("accounts", [])
    contacts = tables.get("contacts", [])
    list_items = tables.get("listitems", [])
    by_name = {a["name"]: a for a in accounts}
    files = {
        "users.csv": csv_file(x.USERS, tables.get("users", [])),
        "accounts.csv": csv_file(x.ACCOUNTS + x.customs(account_fields), accounts),
        "account_fields.csv": csv_file(x.FIELDS, _definitions(account_fields)),
        "contacts.csv": csv_file(
            x.CONTACTS, [{**c, "_account": by_name.get(prop("company")(c))} for c in contacts]
        ),
        "lists.csv": csv_file(x.LISTS, lists),
        "list_fields.csv": csv_file(
            x.LIST_FIELDS, [r for one in lists for r in _definitions(one["fields"], one["id"])]
        ),
    }
    for one in lists:
        items = [{**i, "_list": one} for i in list_items if i["listId"] == one["id"]]
        files[f"list_{one['id']}.csv"] = csv_file(x.ITEMS + x.customs(one["fields"]), items)
    return files


def _definitions(fields: list[siq.Raw], list_id: str | None = None) -> list[siq.Raw]:
    """A row per field and option (one, with no option, for a field without)."""
    pairs = [(f, option) for f in fields for option in f["listOptions"] or [{}]]
    return [{"listId": list_id, "field": f, "option": option} for f, option in pairs]
