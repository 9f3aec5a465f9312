"""Zoho CRM v8 described for the declarative engine: streams, mappings, field catalogs and the
account check. The vendor facts it relies on are listed in `source.py`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from adapters.core.auth import CredentialField, TokenExchangeAuth, oauth2_refresh
from adapters.core.canonical import Entity, FieldType
from adapters.core.declarative import (
    AccountCheck,
    ChangedSince,
    Derived,
    FieldCatalog,
    FileContent,
    ForEach,
    Join,
    Lookup,
    RunState,
    SourceSpec,
    Stream,
)
from adapters.core.mapping import (
    Getter,
    Raw,
    contact_points,
    first,
    ident,
    joined,
    number,
    ref,
    text,
    utc_date,
    utc_hhmm,
    utc_time,
)
from adapters.core.paginators import CursorInBody, PageNumber
from adapters.zoho.getters import (
    call_duration,
    error_text,
    event_date,
    me,
    minutes_between,
    options,
    parent,
    phones,
    product_prices,
    retry_after,
    tags,
    tax_rate,
)
from adapters.zoho.prospects import attachment_lookups, file_streams, lead_stream

API = "/crm/v8"
DEFAULT_ACCOUNTS_URL = "https://accounts.zoho.com"
DEFAULT_BASE_URL = "https://www.zohoapis.com"
PAGE_SIZE = 200
MAX_FIELDS = 50
PIPELINES = "/settings/pipeline"

# Zoho data type -> canonical type. Others (lookup, boolean, datetime, fileupload...) have no
# canonical form: such fields are skipped and listed in `skipped_fields`.
FIELD_TYPES: dict[str, FieldType] = {
    "text": FieldType.varchar,
    "email": FieldType.varchar,
    "website": FieldType.varchar,
    "autonumber": FieldType.varchar,
    "textarea": FieldType.text,
    "integer": FieldType.double,
    "bigint": FieldType.double,
    "double": FieldType.double,
    "decimal": FieldType.double,
    "percent": FieldType.double,
    "currency": FieldType.monetary,
    "date": FieldType.date,
    "picklist": FieldType.enum,
    "multiselectpicklist": FieldType.set,
    "phone": FieldType.phone,
}
MODULES: dict[Entity, str] = {
    Entity.organizations: "Accounts",
    Entity.persons: "Contacts",
    Entity.products: "Products",
    Entity.deals: "Deals",
}
CLOSED = {"Closed Won": "won", "Closed Lost": "lost"}


# Pipelines: read once per run, per Deals layout, with stage probabilities from the Deals `Stage`
# field; stages are pipeline-scoped (stage values are shared between pipelines), and won and lost
# are deal states in Pipedrive, not stages.
LOOKUPS = (
    Lookup("deal_layouts", "/settings/layouts", "id", "layouts", params={"module": "Deals"}),
    Lookup("deal_fields", "/settings/fields", "api_name", "fields", params={"module": "Deals"}),
    Lookup(
        "pipelines",
        PIPELINES,
        "id",
        "pipeline",
        params={"layout_id": "{layout_id}"},
        for_each=ForEach("deal_layouts", {"layout_id": "id"}),
    ),
)


def deal_product_lookups(size: int) -> tuple[Lookup, ...]:
    """Every deal's id, then each deal's Products related list: Zoho has no list of all
    deal-product relations (COQL and Bulk Read query modules, not related lists), so one
    request per deal (and per 200 products on it), each row tagged with its deal."""
    deals = Lookup(
        "deal_ids",
        "/Deals",
        "id",
        paginator=CursorInBody("info.next_page_token", "page_token", "per_page", size),
        params={"fields": "Deal_Name"},
    )
    lines = Lookup(
        "deal_products",
        "/Deals/{deal}/Products",
        _line_id,
        paginator=PageNumber(size=size),
        params={"fields": "Quantity,List_Price,Discount,Total"},
        for_each=ForEach("deal_ids", {"deal": "id"}, tag="_deal"),
    )
    return deals, lines


def _line_id(raw: Raw) -> str:
    # The relation has no id of its own; a product is related to a deal once.
    return f"{raw['_deal']['deal']}:{raw['id']}"


DEAL_PRODUCTS = {
    "source_id": _line_id,
    "deal_source_id": lambda raw: str(raw["_deal"]["deal"]),
    "product_source_id": "id",
    "item_price": number("List_Price"),
    "quantity": first(number("Quantity"), lambda raw: 1.0),
    "discount": first(number("Discount"), lambda raw: 0.0),
    "discount_type": lambda raw: "amount",  # Discount is an amount off the line
}


def _probabilities(state: RunState) -> dict[str, int]:
    stage = state["deal_fields"].get("Stage") or {}
    return {
        str(option.get("actual_value")): option["probability"]
        for option in stage.get("pick_list_values") or []
        if isinstance(option.get("probability"), int)
    }


def _stage_rows(state: RunState) -> list[tuple[str, str, Raw]]:
    """(pipeline id, stage value, stage) of every pipeline's stages, in their order."""
    rows = []
    for pipeline in state["pipelines"].values():
        maps = pipeline.get("maps") or []
        for stage in sorted(maps, key=lambda stage: stage.get("sequence_number") or 0):
            value = str(stage.get("actual_value") or stage.get("display_value"))
            rows.append((str(pipeline.get("id")), value, stage))
    return rows


def _kind(stage: Raw) -> str:
    return str(stage.get("forecast_type") or "Open")


def _stage_id(pipeline_id: str, stage: Raw) -> str | None:
    return None if _kind(stage) in CLOSED else f"{pipeline_id}:{stage.get('id')}"


def _stages(state: RunState) -> dict[str, Any]:
    """The open stages, each with its own id, its pipeline and its probability."""
    probabilities = _probabilities(state)
    return {
        stage_id: {
            **stage,
            "_stage_id": stage_id,
            "_pipeline_id": pipeline_id,
            "_probability": probabilities.get(value),
        }  # fmt: skip
        for pipeline_id, value, stage in _stage_rows(state)
        if (stage_id := _stage_id(pipeline_id, stage))
    }


def _deal_stages(state: RunState) -> dict[str, Any]:
    """What a deal's (pipeline, stage value) is: its kind and its stage id."""
    return {
        f"{pipeline_id}|{value}": {"kind": _kind(stage), "stage_id": _stage_id(pipeline_id, stage)}
        for pipeline_id, value, stage in _stage_rows(state)
    }


def _first_stages(state: RunState) -> dict[str, Any]:
    """Each pipeline's first open stage."""
    first_stage: dict[str, Any] = {}
    for pipeline_id, _, stage in _stage_rows(state):
        if (stage_id := _stage_id(pipeline_id, stage)) is not None:
            first_stage.setdefault(pipeline_id, stage_id)
    return first_stage


DERIVED = (
    Derived("stages", ("deal_fields", "pipelines"), _stages),
    Derived("deal_stages", ("pipelines",), _deal_stages),
    Derived("first_stages", ("pipelines",), _first_stages),
)


# The description -----------------------------------------------------------------------------


def _stream(
    entity: Entity,
    module: str,
    fields: Mapping[str, Getter],
    wanted: str,
    size: int = PAGE_SIZE,
    joins: tuple[Join, ...] = (),
) -> Stream:
    paginator = CursorInBody(
        cursor_path="info.next_page_token",
        cursor_param="page_token",
        limit_param="per_page",
        limit=size,
    )
    # Numbers in currency fields are in the record's Currency.
    custom = {"record_currency": "Currency"} if entity in MODULES else {}
    return Stream(
        entity,
        f"/{module}",
        fields,
        paginator,
        params={"fields": wanted},
        custom_param="fields",
        custom_param_max=MAX_FIELDS,
        changed_since=ChangedSince("If-Modified-Since", header=True),
        joins=joins,
        **custom,
    )


def _catalog(entity: Entity) -> FieldCatalog:
    return FieldCatalog(
        entity,
        "/settings/fields",
        key="api_name",
        name=first("field_label", "display_label", "api_name"),
        type="data_type",
        types=FIELD_TYPES,
        records="fields",
        is_custom=lambda raw: raw.get("custom_field") is True,
        options=options,
        params={"module": MODULES[entity]},
    )


def _links() -> dict[str, Getter]:
    return {
        "deal_source_id": parent("Deals"),
        "org_source_id": parent("Accounts"),
        "person_source_id": first(ref("Who_Id"), parent("Contacts")),
        "lead_source_id": parent("Leads"),
        "owner_source_id": ref("Owner"),
    }


def _activity_streams(size: int) -> tuple[Stream, ...]:
    links = "What_Id,Who_Id,Owner,Description"
    tasks = _stream(
        Entity.activities,
        "Tasks",
        {
            "source_id": "id",
            "subject": first("Subject", lambda r: ""),
            "type": lambda raw: "task",
            "due_date": utc_date("Due_Date"),
            "done": lambda raw: raw.get("Status") == "Completed",
            "note": text("Description"),
            **_links(),
        },
        f"Subject,Due_Date,Status,{links}",
        size,
    )
    events = _stream(
        Entity.activities,
        "Events",
        {
            "source_id": "id",
            "subject": first("Event_Title", lambda r: ""),
            "type": lambda raw: "meeting",
            "due_date": event_date,
            "due_time": lambda raw: None if raw.get("All_day") else utc_hhmm("Start_DateTime")(raw),
            "duration": minutes_between("Start_DateTime", "End_DateTime"),
            "done": lambda raw: False,  # events have no completion state
            "note": text("Description"),
            **_links(),
        },
        f"Event_Title,Start_DateTime,End_DateTime,All_day,{links}",
        size,
    )
    calls = _stream(
        Entity.activities,
        "Calls",
        {
            "source_id": "id",
            "subject": first("Subject", lambda r: ""),
            "type": lambda raw: "call",
            "due_date": utc_date("Call_Start_Time"),
            "due_time": utc_hhmm("Call_Start_Time"),
            "duration": call_duration,
            "done": lambda raw: (
                raw.get("Outgoing_Call_Status") != "Scheduled"
                and raw.get("Outgoing_Call_Status") != "Overdue"
            ),
            "note": text("Description"),
            **_links(),
        },
        f"Subject,Call_Start_Time,Call_Duration,Call_Duration_in_seconds,Outgoing_Call_Status,{links}",
        size,
    )
    return tasks, events, calls


def _stage_key(raw: Raw) -> str:
    return f"{ident(raw.get('Pipeline')) or ''}|{raw.get('Stage') or ''}"


def _deal_status(raw: Raw) -> str:
    kind = (raw.get("_stage") or {}).get("kind") or str(raw.get("Stage") or "")
    return CLOSED.get(kind, "open")


def _deal_stage(raw: Raw) -> str | None:
    # A closed deal's stage is Closed Won/Lost, which Pipedrive has not: it takes its
    # pipeline's first stage (the stage it was closed from is only in its Stage History).
    if _deal_status(raw) != "open":
        return raw.get("_first_stage")
    return (raw.get("_stage") or {}).get("stage_id")


DEAL_JOINS = (
    Join("deal_stages", on=_stage_key, into="_stage"),
    Join("first_stages", on=lambda raw: ident(raw.get("Pipeline")), into="_first_stage"),
)


def zoho_auth(credentials: dict[str, str], base_url: str = "") -> TokenExchangeAuth:
    """The refresh grant at the accounts server; the API host plays no part in it."""
    accounts = (credentials.get("accounts_url") or DEFAULT_ACCOUNTS_URL).rstrip("/")
    return oauth2_refresh(
        f"{accounts}/oauth/v2/token",
        client_id=credentials["client_id"],
        client_secret=credentials["client_secret"],
        refresh_token=credentials["refresh_token"],
        prefix="Zoho-oauthtoken",
    )


CREDENTIALS = (
    CredentialField("client_id", "Client ID", secret=False),
    CredentialField("client_secret", "Client secret"),
    CredentialField("refresh_token", "Refresh token"),
    CredentialField(
        "accounts_url",
        f"Accounts server (default {DEFAULT_ACCOUNTS_URL})",
        secret=False,
        required=False,
    ),
)


def zoho_spec(page_size: int = PAGE_SIZE) -> SourceSpec:
    def money(raw: Raw) -> str | None:
        return text("Currency")(raw) if number("Amount")(raw) is not None else None

    streams = (
        Stream(
            Entity.users,
            "/users",
            {
                "source_id": "id",
                "name": first("full_name", joined("first_name", "last_name"), "email"),
                "email": text("email"),
                "active": lambda raw: raw.get("status", "active") == "active",
            },
            PageNumber(size=page_size, records_path="users"),
            records="users",
            params={"type": "AllUsers"},
        ),
        _stream(
            Entity.organizations,
            "Accounts",
            {
                "source_id": "id",
                "name": first("Account_Name", lambda r: ""),
                "address": first(
                    joined(
                        "Billing_Street",
                        "Billing_Code",
                        "Billing_City",
                        "Billing_State",
                        "Billing_Country",
                        sep=", ",
                    )
                ),  # fmt: skip
                "owner_source_id": ref("Owner"),
                "add_time": utc_time("Created_Time"),
                "labels": tags,
            },
            "Account_Name,Billing_Street,Billing_Code,Billing_City,Billing_State,Billing_Country,Owner,Currency,"
            "Created_Time,Tag",
            page_size,
        ),
        lead_stream(Entity.organizations, page_size),
        _stream(
            Entity.persons,
            "Contacts",
            {
                "source_id": "id",
                "name": first("Full_Name", joined("First_Name", "Last_Name")),
                "first_name": text("First_Name"),
                "last_name": text("Last_Name"),
                "emails": contact_points("Email", "Secondary_Email"),
                "phones": phones,
                "org_source_id": ref("Account_Name"),
                "owner_source_id": ref("Owner"),
                "add_time": utc_time("Created_Time"),
                "labels": tags,
            },
            "First_Name,Last_Name,Full_Name,Email,Secondary_Email,Phone,Mobile,Home_Phone,"
            "Other_Phone,Account_Name,Owner,Currency,Created_Time,Tag",
            page_size,
        ),
        lead_stream(Entity.persons, page_size),
        Stream(
            Entity.pipelines,
            PIPELINES,
            {"source_id": "id", "name": first("display_value", "actual_value")},
            rows_of="pipelines",
        ),
        Stream(
            Entity.stages,
            PIPELINES,
            {
                "source_id": "_stage_id",
                "name": first("display_value", "actual_value"),
                "pipeline_source_id": "_pipeline_id",
                "order_nr": lambda raw: int(raw.get("sequence_number") or 0),
                "deal_probability": "_probability",
            },
            rows_of="stages",
        ),
        _stream(
            Entity.products,
            "Products",
            {
                "source_id": "id",
                "name": first("Product_Name", lambda r: ""),
                "code": text("Product_Code"),
                "unit": text("Usage_Unit"),
                "tax": tax_rate,
                "prices": product_prices,
                "owner_source_id": ref("Owner"),
            },
            "Product_Name,Product_Code,Unit_Price,Usage_Unit,Tax,Owner,Currency",
            page_size,
        ),
        _stream(
            Entity.deals,
            "Deals",
            {
                "source_id": "id",
                "title": first("Deal_Name", lambda r: ""),
                "value": number("Amount"),
                "currency": money,
                "status": _deal_status,
                "person_source_id": ref("Contact_Name"),
                "org_source_id": ref("Account_Name"),
                "pipeline_source_id": ref("Pipeline"),
                "stage_source_id": _deal_stage,
                "owner_source_id": ref("Owner"),
                "expected_close_date": utc_date("Closing_Date"),
                "lost_reason": lambda raw: (
                    text("Reason_For_Loss__s")(raw) if _deal_status(raw) == "lost" else None
                ),
                "add_time": utc_time("Created_Time"),
                "labels": tags,
            },
            "Deal_Name,Amount,Currency,Stage,Pipeline,Contact_Name,Account_Name,Owner,"
            "Closing_Date,Reason_For_Loss__s,Created_Time,Tag",
            page_size,
            joins=DEAL_JOINS,
        ),
        lead_stream(Entity.leads, page_size),
        Stream(
            Entity.deal_products,
            "/Deals/{deal}/Products",
            DEAL_PRODUCTS,
            rows_of="deal_products",
        ),
        *_activity_streams(page_size),
        _stream(
            Entity.notes,
            "Notes",
            {
                "source_id": "id",
                "content": first("Note_Content", "Note_Title", lambda r: ""),
                "deal_source_id": parent("Deals"),
                "person_source_id": parent("Contacts"),
                "org_source_id": parent("Accounts"),
                "lead_source_id": parent("Leads"),
                "owner_source_id": ref("Owner"),
                "add_time": utc_time("Created_Time"),
            },
            "Note_Title,Note_Content,Parent_Id,Owner,Created_Time",
            page_size,
        ),
        *file_streams(page_size),
    )
    return SourceSpec(
        name="Zoho CRM",
        streams=streams,
        check=AccountCheck(
            "/users",
            {
                "user_id": lambda body: me(body).get("id"),
                "user_name": lambda body: me(body).get("full_name"),
                "user_email": lambda body: me(body).get("email"),
            },
            params={"type": "CurrentUser"},
        ),
        field_catalogs=tuple(_catalog(entity) for entity in MODULES),
        lookups=(*LOOKUPS, *deal_product_lookups(page_size), *attachment_lookups(page_size)),
        files=FileContent(path=lambda ref: f"/{ref}"),
        derived=DERIVED,
        error_text=error_text,
        retry_after=retry_after,
        id="zoho",
        credentials=CREDENTIALS,
        auth=zoho_auth,
        default_base_url=DEFAULT_BASE_URL,
        api_path=API,
        api_in_root=True,
    )


SPEC = zoho_spec()
