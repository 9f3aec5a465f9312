"""How the reference company is named inside a Sugar instance: record ids, custom field names,
dropdown keys and currency ids. Shared by the emulator's rendering, `held` and the tests.

Sugar facts relied on: record ids are UUIDs (36 characters); fields added in Studio are named
`<name>_c`; a dropdown is an `app_list_strings` list of key -> label whose keys Studio keeps to
letters, digits and underscores; the system currency has the id "-99".
"""

from __future__ import annotations

import re
import unicodedata
import uuid
from collections.abc import Iterable

from adapters.core.canonical import Entity

NAMESPACE = uuid.UUID("5b1f3c9e-2d47-4e8a-9a61-7c0f2b8d4e13")
BASE_CURRENCY_ID = "-99"  # Sugar's system currency; the sandbox company keeps its books in EUR
BASE_CURRENCY = "EUR"
CLOSED_WON, CLOSED_LOST = "Closed Won", "Closed Lost"
STAGE_LIST = "sales_stage_dom"
PROBABILITY_LIST = "sales_probability_dom"
PIPELINE_ID = STAGE_LIST  # the one sales-stage list stands for the one pipeline
PIPELINE_NAME = "Sales"

MODULES: dict[Entity, str] = {
    Entity.organizations: "Accounts",
    Entity.persons: "Contacts",
    Entity.products: "ProductTemplates",
    Entity.deals: "Opportunities",
}


def sugar_id(source_id: str) -> str:
    """A stable UUID per reference record (the same company always gets the same ids)."""
    return str(uuid.uuid5(NAMESPACE, source_id))


def currency_id(iso: str | None) -> str:
    if not iso or iso == BASE_CURRENCY:
        return BASE_CURRENCY_ID
    return sugar_id(f"currency:{iso}")


def custom_name(key: str) -> str:
    """The field name Studio gives a custom field."""
    return f"{key}_c"


def option_list(key: str) -> str:
    """The dropdown Studio creates for a custom enum/multienum field."""
    return f"{key}_list"


def dropdown_keys(labels: Iterable[str]) -> dict[str, str]:
    """label -> key: ASCII item names as Studio would suggest them, unique within the list."""
    keys: dict[str, str] = {}
    for position, label in enumerate(labels, start=1):
        ascii_label = unicodedata.normalize("NFKD", label).encode("ascii", "ignore").decode()
        key = re.sub(r"[^A-Za-z0-9]+", "_", ascii_label).strip("_") or f"item_{position}"
        while key in keys.values():
            key = f"{key}_{position}"
        keys[label] = key
    return keys
