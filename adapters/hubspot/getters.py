"""Getters for HubSpot's record shapes, used by the source's streams (see `source`)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from adapters.core.canonical import ContactPoint, ProductPrice
from adapters.core.mapping import Getter, Raw, contact_points, number, parse_time, utc_time
from adapters.core.naming import mime_type

# --- --------------------------------------------------------------


def prop(name: str) -> str:
    return f"properties.{name}"


def linked(object_type: str) -> Getter:
    """The first associated record of a type (the primary one is listed first)."""

    def read(raw: Raw) -> str | None:
        results = ((raw.get("associations") or {}).get(object_type) or {}).get("results") or []
        return str(results[0]["id"]) if results else None

    return read


def linked_after_first(object_type: str) -> Getter:
    """Every associated record of a type after the first, each once (a pair of records may be
    associated under several types, each listed)."""

    def read(raw: Raw) -> list[str]:
        results = ((raw.get("associations") or {}).get(object_type) or {}).get("results") or []
        ids = list(dict.fromkeys(str(r["id"]) for r in results))
        return ids[1:]

    return read


def attachment_ids(raw: Raw) -> list[str]:
    """`hs_attachment_ids`: the ids of an engagement's files, joined with ";"."""
    value = (raw.get("properties") or {}).get("hs_attachment_ids") or ""
    return [part.strip() for part in str(value).split(";") if part.strip()]


def attachments(raw: Raw) -> list[Raw]:
    """One row per file an engagement names, the engagement at `_on`."""
    return [{"_file_id": file_id, "_on": raw} for file_id in attachment_ids(raw)]


def known_files(raws: list[Raw], state: Any) -> list[Raw]:
    """The attachments whose file the file manager still lists."""
    return [raw for raw in raws if raw["_file_id"] in state["files"]]


def file_name(raw: Raw) -> str:
    """HubSpot keeps `name` without the extension."""
    found = raw.get("_file") or {}
    name, extension = str(found.get("name") or raw["_file_id"]), found.get("extension")
    return f"{name}.{extension}" if extension else name


def file_fields(kind: str) -> dict[str, Getter]:
    """A file attached to an engagement of `kind`: its id is the engagement's and the file's."""
    return {
        "source_id": lambda raw: f"{kind}:{raw['_on']['id']}:{raw['_file_id']}",
        "name": file_name,
        "mime_type": lambda raw: mime_type(file_name(raw)),
        "size": lambda raw: int(size) if (size := (raw.get("_file") or {}).get("size")) else None,
        "content_ref": "_file_id",
        "add_time": utc_time("_file.createdAt"),
    }


def lead_labels(raw: Raw) -> list[str]:
    """`hs_lead_label`, one option: its label (joined from the property's definition)."""
    value = (raw.get("properties") or {}).get("hs_lead_label")
    if not value:
        return []
    return [str((raw.get("_label") or {}).get("label") or value)]


def additional_emails(raw: Raw) -> list[str]:
    value = (raw.get("properties") or {}).get("hs_additional_emails") or ""
    return [part.strip() for part in value.split(";") if part.strip()]


def phones(raw: Raw) -> list[ContactPoint]:
    """`phone` (work) and `mobilephone` (mobile); the first one found is the primary."""
    found = contact_points(prop("phone"))(raw)
    found += contact_points(prop("mobilephone"), default_label="mobile")(raw)
    for index, point in enumerate(found):
        point.primary = index == 0
    return found


def _stages_of(raw: Raw) -> dict[str, Raw]:
    return {str(s.get("id")): s for s in (raw.get("_pipeline") or {}).get("stages") or []}


def is_closed(stage: Raw | None) -> bool:
    return str(((stage or {}).get("metadata") or {}).get("isClosed")).lower() == "true"


def deal_status(raw: Raw) -> str:
    stage = _stages_of(raw).get(str((raw.get("properties") or {}).get("dealstage")))
    if not is_closed(stage):
        return "open"
    probability = float((stage or {}).get("metadata", {}).get("probability") or 0)
    return "won" if probability >= 1.0 else "lost"


def deal_stage(raw: Raw) -> str | None:
    """The deal's stage, or for a closed deal the open stage it was closed from (the newest
    open stage in the `dealstage` history): closed won/lost are outcomes, not stages."""
    stages = _stages_of(raw)
    current = (raw.get("properties") or {}).get("dealstage")
    if not is_closed(stages.get(str(current))):
        return current
    history = (raw.get("propertiesWithHistory") or {}).get("dealstage") or []
    for entry in history:
        if entry.get("value") in stages and not is_closed(stages[entry["value"]]):
            return str(entry["value"])
    return None


def closed_as(status: str) -> Getter:
    stamp = utc_time(prop("closedate"))
    return lambda raw: stamp(raw) if deal_status(raw) == status else None


def stage_probability(raw: Raw) -> int | None:
    value = number("metadata.probability")(raw)
    return None if value is None else round(value * 100)


def product_prices(raw: Raw) -> list[ProductPrice]:
    """One price per `hs_price_{currency}`; else `price`, in the company currency."""
    props = raw.get("properties") or {}
    prices = [
        ProductPrice(price=float(value), currency=key.removeprefix("hs_price_").upper())
        for key, value in sorted(props.items())
        if key.startswith("hs_price_") and value not in (None, "")
    ]
    if not prices and props.get("price") not in (None, "") and raw.get("_currency"):
        prices.append(ProductPrice(price=float(props["price"]), currency=raw["_currency"]))
    return prices


def _percent_off(raw: Raw) -> float | None:
    return number(prop("hs_discount_percentage"))(raw) or None


def discount_type(raw: Raw) -> str:
    """A line item's discount is a percentage, else `discount` per unit (an amount)."""
    unit = number(prop("discount"))(raw)
    return "amount" if _percent_off(raw) is None and unit else "percentage"


def line_discount(raw: Raw) -> float:
    """The percentage off, or the unit discount times the quantity: the amount off the line."""
    if discount_type(raw) == "percentage":
        return _percent_off(raw) or 0.0
    quantity = number(prop("quantity"))(raw)
    unit = number(prop("discount"))(raw) or 0.0
    return round(unit * (1.0 if quantity is None else quantity), 2)


def call_seconds(raw: Raw) -> float | None:
    """`hs_call_duration` is in milliseconds."""
    value = number(prop("hs_call_duration"))(raw)
    return None if value is None else value / 1000


def meeting_duration(raw: Raw) -> str | None:
    start = parse_time((raw.get("properties") or {}).get("hs_meeting_start_time"))
    end = parse_time((raw.get("properties") or {}).get("hs_meeting_end_time"))
    if start is None or end is None or end <= start:
        return None
    minutes = int((end - start).total_seconds() // 60)
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def meeting_type(raw: Raw) -> str:
    """A meeting's "call and meeting type" is the account's own list; a lunch stays a lunch."""
    kind = str((raw.get("properties") or {}).get("hs_activity_type") or "").strip().lower()
    return "lunch" if kind == "lunch" else "meeting"


def prefixed(kind: str) -> Getter:
    return lambda raw: f"{kind}:{raw['id']}"


def property_type(raw: Raw) -> str:
    return f"{raw.get('type')}/{raw.get('fieldType')}"


def options(raw: Raw) -> list[tuple[str, str]]:
    return [(str(o.get("value")), str(o.get("label"))) for o in raw.get("options") or []]


def custom_values(raw: Raw) -> dict[str, Any]:
    return dict(raw.get("properties") or {})


def explode_stages(pipeline: Raw) -> Iterable[Raw]:
    for stage in pipeline.get("stages") or []:
        yield {**stage, "_pipeline_id": pipeline.get("id")}


def retry_after(response: httpx.Response) -> float | None:
    """HubSpot sends no Retry-After: the ten-second window is in a header, and the daily
    limit resets at midnight (the account's zone is unknown here: UTC midnight is a guess that
    at worst makes the session ask again)."""
    try:
        policy = str(response.json().get("policyName", ""))
    except (ValueError, AttributeError):
        policy = ""
    if policy == "DAILY":
        now = datetime.now(UTC)
        midnight = datetime.combine(now.date() + timedelta(days=1), datetime.min.time(), UTC)
        return (midnight - now).total_seconds()
    interval = response.headers.get("x-hubspot-ratelimit-interval-milliseconds", "10000")
    try:
        return float(interval) / 1000
    except ValueError:
        return 10.0


def error_text(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.reason_phrase
    if isinstance(body, dict) and body.get("message"):
        category = body.get("category") or body.get("errorType")
        return f"{body['message']} ({category})" if category else str(body["message"])
    return response.reason_phrase
