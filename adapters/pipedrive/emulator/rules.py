"""Entity-specific rules applied after a body is validated: where a deal lands, what a status
change stamps, how an activity's person and participants agree, a product's default price.

Each takes (state, record being written, validated body, is this a create, now) and may raise."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from adapters.core.canonical import Entity
from adapters.pipedrive.emulator.errors import BadRequest
from adapters.pipedrive.emulator.shapes import PRICE

if TYPE_CHECKING:
    from adapters.pipedrive.emulator.state import AccountState


def finalize_person(
    state: AccountState, record: dict[str, Any], body: dict[str, Any], creating: bool, now: str
) -> None:
    if "name" in body:
        first, _, last = body["name"].strip().partition(" ")
        record["first_name"], record["last_name"] = first, last.strip() or None


def finalize_deal(
    state: AccountState, record: dict[str, Any], body: dict[str, Any], creating: bool, now: str
) -> None:
    _place_deal(state, record, body, creating, now)
    if record["currency"] is None:
        record["currency"] = state.token_user.default_currency
    if creating or "status" in body:
        _stamp_deal_status(record, body, now)
    if creating or "is_archived" in body or "archive_time" in body:
        _stamp_archive(record, body, now)


def _place_deal(
    state: AccountState, record: dict[str, Any], body: dict[str, Any], creating: bool, now: str
) -> None:
    """`stage_id` sets the pipeline (a `pipeline_id` next to it is ignored); `pipeline_id` alone
    means that pipeline's first stage; neither, on create, the first stage of the first pipeline."""
    if "stage_id" in body:
        stage = state.store(Entity.stages).get(body["stage_id"])
        assert stage is not None  # the validator checked it exists
        record["pipeline_id"] = stage["pipeline_id"]
    elif "pipeline_id" in body:
        record["stage_id"] = _first_stage_id(state, body["pipeline_id"])
    elif creating:
        pipeline = next(state.store(Entity.pipelines).after(0), None)
        if pipeline is None:
            raise BadRequest("Deal cannot be added: the company has no pipeline.")
        record["pipeline_id"] = pipeline["id"]
        record["stage_id"] = _first_stage_id(state, pipeline["id"])
    if creating or "stage_id" in body or "pipeline_id" in body:
        record["stage_change_time"] = now


def _first_stage_id(state: AccountState, pipeline_id: int) -> int:
    stages = [s for s in state.store(Entity.stages).after(0) if s["pipeline_id"] == pipeline_id]
    if not stages:
        raise BadRequest(f"Pipeline with id {pipeline_id} has no stages.")
    return min(stages, key=lambda s: (s["order_nr"], s["id"]))["id"]


def _stamp_deal_status(record: dict[str, Any], body: dict[str, Any], now: str) -> None:
    status = record["status"]
    if status == "won":
        record["won_time"] = body.get("won_time") or record.get("won_time") or now
        record["close_time"] = record["won_time"]
    elif status == "lost":
        record["lost_time"] = body.get("lost_time") or record.get("lost_time") or now
        record["close_time"] = record["lost_time"]
    else:
        record["close_time"] = None


def _stamp_archive(record: dict[str, Any], body: dict[str, Any], now: str) -> None:
    """The spec: an archived deal without `archive_time` is archived now; a deal that is not
    archived has no archive time."""
    if record["is_archived"]:
        record["archive_time"] = body.get("archive_time") or record.get("archive_time") or now
    else:
        record["archive_time"] = None


def finalize_activity(
    state: AccountState, record: dict[str, Any], body: dict[str, Any], creating: bool, now: str
) -> None:
    # person_id is the primary participant: keep the two in step whichever one was sent.
    if "participants" in body:
        participants = body["participants"]
        primary = next((p for p in participants if p["primary"]), None) or next(
            iter(participants), None
        )
        record["person_id"] = primary["person_id"] if primary else None
    elif "person_id" in body:
        person_id = body["person_id"]
        record["participants"] = [{"person_id": person_id, "primary": True}] if person_id else []
    if "done" in body:
        record["marked_as_done_time"] = now if body["done"] else None
    if creating:
        record["creator_user_id"] = state.token_user_id


def finalize_product(
    state: AccountState, record: dict[str, Any], body: dict[str, Any], creating: bool, now: str
) -> None:
    # The spec: without `prices`, a product gets price 0 in the user's default currency.
    if creating and "prices" not in body:
        currency = state.token_user.default_currency
        record["prices"] = [PRICE({"price": 0, "currency": currency}, state)]
    currencies = [price["currency"] for price in record["prices"]]
    if len(set(currencies)) != len(currencies):
        raise BadRequest("There can only be one price per product per currency.")


def finalize_pipeline(
    state: AccountState, record: dict[str, Any], body: dict[str, Any], creating: bool, now: str
) -> None:
    if creating:
        record["order_nr"] = len(state.store(Entity.pipelines)) + 1


def finalize_stage(
    state: AccountState, record: dict[str, Any], body: dict[str, Any], creating: bool, now: str
) -> None:
    if creating and "order_nr" not in body:
        siblings = [
            s["order_nr"]
            for s in state.store(Entity.stages).after(0)
            if s["pipeline_id"] == record["pipeline_id"]
        ]
        record["order_nr"] = max(siblings, default=0) + 1
