"""Sage CRM (REST API, `sagecrm2`) as a source, described for the shared declarative engine over
SData (adapters/core/sdata.py).

Vendor facts (sources in the emulator's docstring): the user's own server, base URL
`https://{server}/sdata/{install}j`, entities at `/sagecrm2/-/{entity}`, HTTP Basic; SData
feeds paged by startIndex/count (<= 100), deltas by `where=<prefix>_updateddate gt @...@`;
links are id columns; stages the `oppo_stage` selection list (custom_captions), one pipeline;
communications are the activities, their person, company and user in Comm_Link; a note names
its one record by note_foreigntableid / note_foreignid.
"""

from __future__ import annotations

from typing import Any

from adapters.core.auth import BasicAuth, CredentialField
from adapters.core.canonical import Entity
from adapters.core.declarative import AccountCheck, Join, Lookup, SourceSpec, Stream
from adapters.core.mapping import (
    Getter,
    Raw,
    contact_points,
    joined,
    number,
    parse_time,
    ref,
    text,
    utc_date,
    utc_hhmm,
    utc_time,
)
from adapters.core.sdata import SDataPages, changed_since, error_text, total

API = "/sagecrm2/-"
PIPELINE_ID = "oppo_stage"  # the one selection list of stages
PIPELINE_NAME = "Sales pipeline"
STAGES = {"where": "capt_family eq 'oppo_stage'"}
ACTIONS = {"PhoneOut": "call", "PhoneIn": "call", "Meeting": "meeting", "ToDo": "task"}
ACTIONS |= {"EmailOut": "email", "EmailIn": "email"}
STATUS = {"Won": "won", "Lost": "lost"}
TABLES = {"10": "deal", "13": "person", "5": "org"}  # note_foreigntableid: Bord_TableId


def pages() -> SDataPages:
    return SDataPages(count=100)


def closed(status: str) -> Getter:
    def read(raw: Raw) -> str | None:
        return (
            utc_time("oppo_closed")(raw)
            if STATUS.get(raw.get("oppo_status") or "") == status
            else None
        )

    return read


def duration(raw: Raw) -> str | None:
    start, end = parse_time(raw.get("comm_datetime")), parse_time(raw.get("comm_todatetime"))
    if not start or not end:
        return None
    minutes = int((end - start).total_seconds() // 60)
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def on(kind: str) -> Getter:
    """A note's record when it is of this kind (by the table it names)."""

    def read(raw: Raw) -> str | None:
        table = TABLES.get(str(raw.get("note_foreigntableid")))
        return ref("note_foreignid")(raw) if table == kind else None

    return read


def _feed(
    entity: Entity, name: str, prefix: str, fields: dict[str, Getter], **extra: Any
) -> Stream:
    return Stream(
        entity,
        f"{API}/{name}",
        {"source_id": ref("$key"), **fields},
        paginator=pages(),
        records="$resources",
        changed_since=changed_since(f"{prefix}_updateddate"),
        total=total,
        **extra,
    )


def _lookup(name: str, feed: str, key: str, **extra: Any) -> Lookup:
    return Lookup(
        name, f"{API}/{feed}", key=ref(key), records="$resources", paginator=pages(), **extra
    )


STREAMS = (
    _feed(
        Entity.users,
        "users",
        "user",
        {"name": joined("user_firstname", "user_lastname"), "email": text("user_emailaddress")},
    ),
    _feed(
        Entity.organizations,
        "company",
        "comp",
        {
            "name": text("comp_name"),
            "address": text("_address.addr_address1"),
            "owner_source_id": ref("comp_primaryuserid"),
        },
        joins=(Join("addresses", ref("comp_primaryaddressid"), "_address"),),
        needs=("addresses",),
    ),
    _feed(
        Entity.persons,
        "person",
        "pers",
        {
            "name": joined("pers_firstname", "pers_lastname"),
            "first_name": text("pers_firstname"),
            "last_name": text("pers_lastname"),
            "emails": contact_points("pers_emailaddress"),
            "phones": contact_points("pers_phonefullnumber"),
            "org_source_id": ref("pers_companyid"),
            "owner_source_id": ref("pers_primaryuserid"),
        },
    ),
    Stream(
        Entity.pipelines,
        f"{API}/custom_captions",
        {"source_id": lambda raw: PIPELINE_ID, "name": lambda raw: PIPELINE_NAME},
        params={**STAGES, "count": 1},
        rows=lambda body: [{}] if (body or {}).get("$resources") else [],
    ),
    Stream(
        Entity.stages,
        f"{API}/custom_captions",
        {
            "source_id": ref("$key"),
            "name": text("capt_us"),
            "pipeline_source_id": lambda raw: PIPELINE_ID,
            "order_nr": lambda raw: int(raw.get("capt_order") or 0),
        },
        paginator=pages(),
        records="$resources",
        params=STAGES,
        total=total,
    ),
    _feed(
        Entity.deals,
        "opportunity",
        "oppo",
        {
            "title": lambda raw: raw.get("oppo_description") or "",
            "value": number("oppo_forecast"),
            "currency": text("_currency.curr_symbol"),
            "status": lambda raw: STATUS.get(raw.get("oppo_status") or "", "open"),
            "person_source_id": ref("oppo_primarypersonid"),
            "org_source_id": ref("oppo_primarycompanyid"),
            "pipeline_source_id": lambda raw: PIPELINE_ID if raw.get("_stage") else None,
            "stage_source_id": ref("_stage.$key"),
            "owner_source_id": ref("oppo_assigneduserid"),
            "expected_close_date": utc_date("oppo_targetclose"),
            "won_time": closed("won"),
            "lost_time": closed("lost"),
        },
        joins=(
            Join("stage_codes", text("oppo_stage"), "_stage"),
            Join("currencies", ref("oppo_forecast_cid"), "_currency"),
        ),
        needs=("stage_codes", "currencies"),
    ),
    _feed(
        Entity.activities,
        "communication",
        "comm",
        {
            "subject": lambda raw: raw.get("comm_subject") or "",
            "type": lambda raw: ACTIONS.get(raw.get("comm_action") or "", "task"),
            "due_date": utc_date("comm_datetime"),
            "due_time": lambda raw: (
                None if raw.get("comm_isallday") == "Y" else utc_hhmm("comm_datetime")(raw)
            ),
            "duration": duration,
            "done": lambda raw: raw.get("comm_status") == "Complete",
            "note": text("comm_note"),
            "deal_source_id": ref("comm_opportunityid"),
            "person_source_id": ref("_link.cmli_comm_personid"),
            "org_source_id": ref("_link.cmli_comm_companyid"),
            "owner_source_id": ref("_link.cmli_comm_userid"),
        },
        joins=(Join("comm_links", ref("$key"), "_link"),),
        needs=("comm_links",),
    ),
    _feed(
        Entity.notes,
        "notes",
        "note",
        {
            "content": lambda raw: raw.get("note_note") or "",
            "add_time": utc_time("note_createddate"),
            "deal_source_id": on("deal"),
            "person_source_id": on("person"),
            "org_source_id": on("org"),
            "owner_source_id": ref("note_createdby"),
        },
    ),
)

SPEC = SourceSpec(
    name="Sage CRM",
    streams=STREAMS,
    check=AccountCheck(f"{API}/users", {"users": "$totalResults"}, params={"count": 1}),
    lookups=(
        _lookup("addresses", "address", "addr_addressid"),
        _lookup("stage_codes", "custom_captions", "capt_code", params=STAGES),
        _lookup("currencies", "currency", "curr_currencyid"),
        _lookup("comm_links", "comm_link", "cmli_comm_communicationid"),
    ),
    error_text=error_text,
    id="sagecrm",
    # A Sage CRM user's logon and password, sent as HTTP Basic (the REST API also takes a
    # session login; Basic is enough). Base URL: https://{server}/sdata/{install}j.
    credentials=(
        CredentialField("username", "User logon", secret=False),
        CredentialField("password", "Password"),
    ),
    auth=lambda credentials, _url: BasicAuth(credentials["username"], credentials["password"]),
)
