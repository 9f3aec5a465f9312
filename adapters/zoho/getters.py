"""Getters for Zoho CRM's record shapes: lookups, currency-bound numbers, activity times, taxes,
and how its errors and 429s read. The facts behind them are listed in `source.py`."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import httpx

from adapters.core.canonical import ProductPrice
from adapters.core.http import header_retry_after
from adapters.core.mapping import Getter, Raw, contact_points, ident, number, parse_time, utc_date

RATE_LIMIT_WAIT = 10.0  # seconds; a 429 names no wait, and Zoho's limits are concurrency caps


def options(raw: Raw) -> list[tuple[str, str]]:
    return [
        (str(option.get("actual_value")), str(option["display_value"]))
        for option in raw.get("pick_list_values") or []
        if isinstance(option, dict) and option.get("display_value") not in (None, "-None-")
    ]


def parent(*modules: str) -> Getter:
    """The What_Id / Parent_Id record when it is of one of `modules`."""

    def read(raw: Raw) -> str | None:
        link = raw.get("Parent_Id") or raw.get("What_Id")
        module = raw.get("$se_module")
        if isinstance(link, dict) and isinstance(link.get("module"), dict):
            module = link["module"].get("api_name") or module
        return ident(link) if module in modules else None

    return read


def tax_rate(raw: Raw) -> float | None:
    """Products name their taxes ("VAT - 23.0 %"); the first one's rate."""
    for tax in raw.get("Tax") or []:
        name = tax.get("value") or tax.get("name") if isinstance(tax, dict) else tax
        found = re.search(r"(\d+(?:\.\d+)?)\s*%", str(name or ""))
        if found:
            return float(found.group(1))
    return None


def product_prices(raw: Raw) -> list[ProductPrice]:
    price = number("Unit_Price")(raw)
    currency = raw.get("Currency")
    return (
        [ProductPrice(price=price, currency=str(currency))]
        if price is not None and currency
        else []
    )


def minutes_between(start: str, end: str) -> Getter:
    def read(raw: Raw) -> str | None:
        begin, finish = parse_time(raw.get(start)), parse_time(raw.get(end))
        if begin is None or finish is None or finish < begin:
            return None
        minutes = int((finish - begin) / timedelta(minutes=1))
        return f"{minutes // 60:02d}:{minutes % 60:02d}"

    return read


def event_date(raw: Raw) -> str | None:
    # An all-day event is a local date: its start is local midnight, maybe the UTC day before.
    start = raw.get("Start_DateTime")
    if raw.get("All_day") and isinstance(start, str):
        return start[:10]
    return utc_date("Start_DateTime")(raw)


def call_duration(raw: Raw) -> str | None:
    seconds = number("Call_Duration_in_seconds")(raw)
    if seconds is None:
        minutes, _, secs = str(raw.get("Call_Duration") or "").partition(":")
        if not minutes.isdigit():
            return None
        seconds = int(minutes) * 60 + int(secs or 0)
    total = int(seconds) // 60
    return f"{total // 60:02d}:{total % 60:02d}"


def error_text(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.reason_phrase
    if isinstance(body, dict) and body.get("code"):
        return f"{body['code']}: {body.get('message') or ''}".strip()
    return response.reason_phrase


def retry_after(response: httpx.Response) -> float | None:
    return header_retry_after(response) or RATE_LIMIT_WAIT


def me(body: Any) -> dict[str, Any]:
    users = body.get("users") if isinstance(body, dict) else None
    return users[0] if isinstance(users, list) and users and isinstance(users[0], dict) else {}


CONTACT_PHONES = (
    ("Phone", "work"),
    ("Mobile", "mobile"),
    ("Home_Phone", "home"),
    ("Other_Phone", "other"),
)


def phones(raw: Raw, labelled: tuple[tuple[str, str], ...] = CONTACT_PHONES) -> list[Any]:
    points = []
    for key, label in labelled:
        points += contact_points(key, default_label=label)(raw)
    for n, point in enumerate(points):
        point.primary = n == 0
    return points


def lead_phones(raw: Raw) -> list[Any]:
    return phones(raw, (("Phone", "work"), ("Mobile", "mobile")))


def tags(raw: Raw) -> list[str]:
    """A record's Tag field, [{"name", "id"}], as the tag names."""
    return [
        str(tag["name"])
        for tag in raw.get("Tag") or []
        if isinstance(tag, dict) and tag.get("name")
    ]


def lead_name(raw: Raw) -> str | None:
    return raw.get("Full_Name") or " ".join(
        str(part) for part in (raw.get("First_Name"), raw.get("Last_Name")) if part
    )


def lead_org(raw: Raw) -> str | None:
    """A lead's company is its own organization, under the lead's id."""
    return str(raw["id"]) if raw.get("Company") else None


def attachment_path(raw: Raw) -> str:
    """Where the attachment's bytes are: under its parent record."""
    return f"{raw.get('$se_module')}/{ident(raw.get('Parent_Id'))}/Attachments/{raw['id']}"


def size(raw: Raw) -> int | None:
    value = number("Size")(raw)  # bytes, as a string
    return int(value) if value is not None else None
