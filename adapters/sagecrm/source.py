"""Sage CRM (REST API, `sagecrm2`) as a source, described for the shared declarative engine over
SData (adapters/core/sdata.py); the vendor facts and their sources are in the emulator's
docstring, what a migration carries in render's. Base URL `https://{server}/sdata/{install}j`.
"""

from __future__ import annotations

from typing import Any

from adapters.core.auth import BasicAuth, CredentialField
from adapters.core.canonical import Entity, FieldType, Product, ProductPrice, Record
from adapters.core.declarative import (
    AccountCheck,
    FieldCatalog,
    Join,
    Lookup,
    RunState,
    SourceSpec,
    Stream,
)
from adapters.core.mapping import (
    Getter,
    Raw,
    between,
    contact_points,
    joined,
    number,
    ref,
    text,
    utc_date,
    utc_hhmm,
    utc_time,
)
from adapters.core.sdata import (
    LeadColumns,
    SDataPages,
    and_where,
    changed_since,
    closed,
    error_text,
    feed_lookup,
    feed_stream,
    joined_rows,
    total,
)

API = "/sagecrm2/-"
PIPELINE_ID = "oppo_stage"  # the one selection list of stages
PIPELINE_NAME = "Sales pipeline"
STAGES = {"where": "capt_family eq 'oppo_stage'"}
COLUMN_NAMES = {"where": "capt_family eq 'ColNames'"}
CHOICES = {"where": "capt_familytype eq 'Choices'"}
ACTIONS = {"PhoneOut": "call", "PhoneIn": "call", "Meeting": "meeting", "ToDo": "task"}
ACTIONS |= {"EmailOut": "email", "EmailIn": "email"}
STATUS = {"Won": "won", "Lost": "lost"}
TABLES = {"10": "deal", "4": "lead", "13": "person", "5": "org"}  # note_foreigntableid
# The tables custom columns are read from, and their column prefixes.
ENTITIES = {Entity.organizations: ("Company", "comp"), Entity.persons: ("Person", "pers")}
ENTITIES |= {Entity.deals: ("Opportunity", "oppo"), Entity.products: ("NewProduct", "prod")}
# Custom_Edits entry types as canonical ones (12 e-mail, 13 URL, 31 integer, 41 date and time).
ENTRY_TYPES = {
    **dict.fromkeys(("10", "12", "13"), FieldType.varchar),
    **dict.fromkeys(("31", "32"), FieldType.double),
    **dict.fromkeys(("41", "42"), FieldType.date),
    **{"11": FieldType.text, "21": FieldType.enum, "28": FieldType.set},
    **{"50": FieldType.phone, "51": FieldType.monetary},
}
# Columns the streams read themselves, or the system keeps: never custom fields.
OWN = {"comp_name", "pers_firstname", "pers_lastname", "pers_emailaddress", "oppo_description"}
OWN |= {"pers_phonefullnumber", "oppo_stage", "oppo_status", "oppo_forecast", "prod_name"}
OWN |= {"prod_code", "oppo_targetclose", "oppo_closed"}
# A lead's person and company: its own columns; its title is its description.
LEADS = LeadColumns(
    first="lead_personfirstname",
    last="lead_personlastname",
    company="lead_companyname",
    email="lead_personemail",
    phones=(("lead_personphonenumber", "work"),),
    owner="lead_assigneduserid",
    created="lead_createddate",
    title="lead_description",
)
SYSTEM = ("createdby", "createddate", "updatedby", "updateddate", "timestamp", "deleted")


def pages() -> SDataPages:
    return SDataPages(count=100)


def catalog(entity: Entity, table: str) -> FieldCatalog:
    def custom(raw: Raw) -> bool:
        name = str(raw.get("colp_colname") or "").lower()
        is_key = name.endswith("id") and str(raw.get("colp_entrytype")) == "31"
        own = name in OWN or is_key or name.endswith(SYSTEM)
        return raw.get("colp_entity") == table and not own

    return FieldCatalog(
        entity,
        "",
        key=text("colp_colname"),
        name=text("_caption.capt_us"),
        type=text("colp_entrytype"),
        types=ENTRY_TYPES,
        records=None,
        is_custom=custom,
        options=lambda raw: [(c["capt_code"], c["capt_us"]) for c in raw.get("_choices") or []],
        rows_of="columns",
    )


def amounts(record: Record, raw: Raw, state: RunState) -> None:
    """Currencies by their ids (Currency records): an amount column's in `<column>_cid`, a
    product's Pricing rows' in `pric_price_cid`."""

    def currency(cid: Any) -> str:
        return str((state["currencies"].get(str(cid)) or {}).get("curr_symbol") or "")

    for key, value in getattr(record, "custom_fields", {}).items():
        if isinstance(value, dict):
            value["currency"] = currency(raw.get(f"{key}_cid")) or None
    if isinstance(record, Product):
        record.prices = [
            ProductPrice(price=float(p["pric_price"]), currency=currency(p.get("pric_price_cid")))
            for p in raw.get("_prices") or []
            if p.get("pric_price") is not None
        ]


def on(kind: str) -> Getter:
    """A note's record when it is of this kind (by the table it names)."""

    def read(raw: Raw) -> str | None:
        table = TABLES.get(str(raw.get("note_foreigntableid")))
        return ref("note_foreignid")(raw) if table == kind else None

    return read


def _feed(
    entity: Entity, name: str, prefix: str, fields: dict[str, Getter], **extra: Any
) -> Stream:
    if entity in ENTITIES:  # custom columns: amounts need their currencies
        extra["needs"] = (*extra.get("needs", ()), "currencies")
        extra["amend"] = amounts
    changed = changed_since(f"{prefix}_updateddate")
    return feed_stream(entity, f"{API}/{name}", fields, changed, paginator=pages(), **extra)


def _lookup(name: str, feed: str, key: str, **extra: Any) -> Lookup:
    return feed_lookup(name, f"{API}/{feed}", ref(key), **extra)


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
        Entity.products,
        "newproduct",
        "prod",
        {"name": text("prod_name"), "code": text("prod_code")},
        joins=(Join("prices", ref("$key"), "_prices"),),
        needs=("prices",),
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
            "won_time": closed("won", "oppo_status", STATUS, utc_time("oppo_closed")),
            "lost_time": closed("lost", "oppo_status", STATUS, utc_time("oppo_closed")),
        },
        joins=(
            Join("stage_codes", text("oppo_stage"), "_stage"),
            Join("currencies", ref("oppo_forecast_cid"), "_currency"),
        ),
        needs=("stage_codes", "currencies"),
    ),
    _feed(
        Entity.deal_products,
        "opportunityitems",
        "oitm",
        {
            "deal_source_id": ref("oitm_opportunityid"),
            "product_source_id": ref("oitm_productid"),
            "item_price": number("oitm_quotedprice"),
            "quantity": number("oitm_quantity"),
        },
        keep=lambda raw: raw.get("oitm_lineitemtype", "i") == "i",  # not free text or comments
    ),
    *LEADS.streams(  # open leads: not those converted to an opportunity
        f"{API}/lead",
        changed_since("lead_updateddate"),
        paginator=pages(),
        query=and_where("lead_status ne 'Opportunity'"),
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
            "duration": between("comm_datetime", "comm_todatetime"),
            "done": lambda raw: raw.get("comm_status") == "Complete",
            "note": text("comm_note"),
            "deal_source_id": ref("comm_opportunityid"),
            "lead_source_id": ref("comm_leadid"),
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
            "lead_source_id": on("lead"),
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
    field_catalogs=tuple(catalog(entity, table) for entity, (table, _) in ENTITIES.items()),
    derived=(
        joined_rows(
            "columns",
            "edits",
            Join("captions", text("colp_colname"), "_caption"),
            Join("choices", text("colp_colname"), "_choices"),
        ),
    ),
    lookups=(
        _lookup("edits", "custom_edits", "colp_colpropsid"),
        _lookup("captions", "custom_captions", "capt_code", params=COLUMN_NAMES),
        _lookup("choices", "custom_captions", "capt_family", params=CHOICES, many=True),
        _lookup("prices", "pricing", "pric_productid", many=True),
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
