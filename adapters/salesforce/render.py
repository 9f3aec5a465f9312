"""Renders the reference company into Salesforce objects (rows keyed by API field names)."""

from __future__ import annotations

import html
import re
from datetime import timedelta
from typing import Any

from adapters.core.canonical import Activity, Deal, Entity, Note, Person, Product
from adapters.reference.dataset import ReferenceCompany
from adapters.reference.held import given_name_first
from adapters.reference.ids import kind_and_number
from adapters.salesforce.attachments import render_files
from adapters.salesforce.prospects import render_leads
from adapters.salesforce.records import (
    CLOSED_LOST,
    CLOSED_WON,
    CONTACT_EMAIL_FIELDS,
    CORPORATE_CURRENCY,
    NOTE_BODY_LIMIT,
    PHONE_FIELDS,
    TASK_TYPES,
    Row,
    Tables,
    created_date,
    custom_values,
    email_slots,
    held_line,
    money_currency,
    parse_ts,
    record_currency,
    ref_id,
    sf_id,
    stamp,
    system_modstamp,
)

STANDARD_PRICEBOOK = sf_id("Pricebook2", 1)


def is_content_note(note: Note) -> bool:
    """In an org with enhanced notes: which reference notes are ContentNotes (the long ones,
    which no classic Note could hold, and every second one), the rest classic Notes."""
    number = kind_and_number(note.source_id)[1]
    return len(note.content) > NOTE_BODY_LIMIT or number % 2 == 0


def render(company: ReferenceCompany, *, enhanced_notes: bool = False) -> Tables:
    """The org's tables; with `enhanced_notes`, part of the notes (the long ones among them) are
    ContentNotes linked to their records, the rest classic Notes."""
    tables: Tables = {
        "User": _users(company),
        "Account": [_account(company, i, o) for i, o in enumerate(company.organizations)],
        "Contact": [_contact(company, i, p) for i, p in enumerate(company.persons)],
        "Pricebook2": [
            {"Id": STANDARD_PRICEBOOK, "Name": "Standard Price Book", "IsStandard": True,
             "IsActive": True}
        ],
        "Product2": [_product(company, i, p) for i, p in enumerate(company.products)],
        "PricebookEntry": _price_entries(company.products),
    }  # fmt: skip
    tables.update(_processes(company))
    tables.update(_opportunities(company))
    tables.update(_line_items(company, tables))
    tables.update(_activities(company))
    tables["Lead"] = render_leads(company)
    notes = [*company.notes, *company.lead_notes]
    enhanced = [n for n in notes if enhanced_notes and is_content_note(n)]
    content_ids = {n.source_id for n in enhanced}
    tables["Note"] = [_note(i, n) for i, n in enumerate(notes) if n.source_id not in content_ids]
    tables.update(_content_notes(enhanced))
    return render_files(company, tables)


def _users(company: ReferenceCompany) -> list[Row]:
    rows = []
    for i, user in enumerate(company.users):
        first, _, last = user.name.partition(" ")
        rows.append(
            {"Id": ref_id("User", user.source_id), "Name": user.name, "FirstName": first,
             "LastName": last or first, "Email": user.email, "Username": user.email,
             "IsActive": user.active, "UserType": "Standard", "SystemModstamp": system_modstamp(i)}
        )  # fmt: skip
    # Every org has internal users the API lists too; a migration must leave them out.
    rows.append(
        {"Id": sf_id("User", 900), "Name": "Automated Process", "FirstName": None,
         "LastName": "Automated Process", "Email": "autoproc@00d5g0000012345.example",
         "Username": "autoproc@00d5g0000012345", "IsActive": True,
         "UserType": "AutomatedProcess", "SystemModstamp": system_modstamp(0)}
    )  # fmt: skip
    return rows


def _account(company: ReferenceCompany, i: int, org: Any) -> Row:
    return {
        "Id": ref_id("Account", org.source_id),
        "Name": org.name,
        # The reference keeps one address line; Salesforce users often paste it whole.
        "BillingStreet": org.address,
        "BillingCity": None,
        "BillingState": None,
        "BillingPostalCode": None,
        "BillingCountry": None,
        "OwnerId": ref_id("User", org.owner_source_id),
        "CurrencyIsoCode": money_currency(org.custom_fields) or CORPORATE_CURRENCY,
        "CreatedDate": created_date(org.add_time),
        "SystemModstamp": system_modstamp(i),
        **custom_values(company, Entity.organizations, org.custom_fields),
    }


def _contact(company: ReferenceCompany, i: int, person: Person) -> Row:
    slots = email_slots(person)
    phones: dict[str, str | None] = dict.fromkeys(PHONE_FIELDS.values())
    for phone in person.phones:
        name = PHONE_FIELDS.get(phone.label, "OtherPhone")
        if phones[name] is not None:
            name = next((n for n, v in phones.items() if v is None), name)
        phones[name] = phone.value
    row: Row = {
        "Id": ref_id("Contact", person.source_id),
        "FirstName": person.first_name,
        "LastName": person.last_name or person.name,
        # Derived by Salesforce from the name parts (see records.held).
        "Name": given_name_first(person),
        "Email": slots["Email"].value if "Email" in slots else None,
        **phones,
        "AccountId": ref_id("Account", person.org_source_id),
        "OwnerId": ref_id("User", person.owner_source_id),
        "CurrencyIsoCode": money_currency(person.custom_fields) or CORPORATE_CURRENCY,
        "CreatedDate": created_date(person.add_time),
        "SystemModstamp": system_modstamp(i),
        **custom_values(company, Entity.persons, person.custom_fields),
    }
    for name, _, _ in CONTACT_EMAIL_FIELDS:
        row[name] = slots[name].value if name in slots else None
    return row


def _product(company: ReferenceCompany, i: int, product: Product) -> Row:
    return {
        "Id": ref_id("Product2", product.source_id),
        "Name": product.name,
        "ProductCode": product.code,
        "QuantityUnitOfMeasure": product.unit,
        "IsActive": True,
        "CurrencyIsoCode": money_currency(product.custom_fields) or CORPORATE_CURRENCY,
        "SystemModstamp": system_modstamp(i),
        **custom_values(company, Entity.products, product.custom_fields),
    }


def _price_entries(products: list[Product]) -> list[Row]:
    rows = []
    for product in products:
        for price in product.prices:
            rows.append(
                {"Id": sf_id("PricebookEntry", len(rows) + 1), "Pricebook2Id": STANDARD_PRICEBOOK,
                 "Product2Id": ref_id("Product2", product.source_id), "UnitPrice": price.price,
                 "CurrencyIsoCode": price.currency, "IsActive": True,
                 "SystemModstamp": system_modstamp(len(rows))}
            )  # fmt: skip
    return rows


def _processes(company: ReferenceCompany) -> Tables:
    """One sales process (with one record type) per pipeline; the org-wide stage picklist
    holds every pipeline's stages plus the shared closed stages."""
    processes, record_types, stages = [], [], []
    for n, pipeline in enumerate(company.pipelines, start=1):
        process_id = ref_id("BusinessProcess", pipeline.source_id)
        processes.append(
            {"Id": process_id, "Name": pipeline.name, "TableEnumOrId": "Opportunity",
             "IsActive": True, "SystemModstamp": system_modstamp(n)}
        )  # fmt: skip
        record_types.append(
            {"Id": ref_id("RecordType", pipeline.source_id), "Name": pipeline.name,
             "DeveloperName": re.sub(r"\W+", "_", pipeline.name.encode("ascii", "ignore")
                                     .decode()).strip("_") or f"Process_{n}",
             "SobjectType": "Opportunity", "BusinessProcessId": process_id, "IsActive": True,
             "SystemModstamp": system_modstamp(n)}
        )  # fmt: skip
    order = sorted(company.stages, key=lambda s: (s.pipeline_source_id, s.order_nr))
    for n, stage in enumerate(order, start=1):
        stages.append(_stage(ref_id("OpportunityStage", stage.source_id), stage.name, n,
                             stage.deal_probability, closed=False, won=False))  # fmt: skip
    count = len(stages)
    stages.append(_stage(sf_id("OpportunityStage", 901), CLOSED_WON, count + 1, 100, True, True))
    stages.append(_stage(sf_id("OpportunityStage", 902), CLOSED_LOST, count + 2, 0, True, False))
    return {"BusinessProcess": processes, "RecordType": record_types, "OpportunityStage": stages}


def without_sales_processes(tables: Tables) -> Tables:
    """The org as many small ones are: no sales process and no Opportunity record type, so
    every opportunity uses the master StageName picklist (OpportunityStage, in SortOrder)."""
    opportunities = [{**row, "RecordTypeId": None} for row in tables["Opportunity"]]
    return {**tables, "BusinessProcess": [], "RecordType": [], "Opportunity": opportunities}


def _stage(
    stage_id: str | None, name: str, order: int, probability: Any, closed: bool, won: bool
) -> Row:
    return {
        "Id": stage_id, "ApiName": name, "MasterLabel": name, "SortOrder": order,
        "DefaultProbability": probability, "IsActive": True, "IsClosed": closed, "IsWon": won,
        "ForecastCategoryName": ("Closed" if won else "Omitted") if closed else "Pipeline",
        "SystemModstamp": system_modstamp(order),
    }  # fmt: skip


def stage_process_values(company: ReferenceCompany) -> dict[str, list[str]]:
    """Record type id -> the stage values its sales process offers (open ones, then closed)."""
    out: dict[str, list[str]] = {}
    for pipeline in company.pipelines:
        stages = sorted(
            (s for s in company.stages if s.pipeline_source_id == pipeline.source_id),
            key=lambda s: s.order_nr,
        )
        record_type = ref_id("RecordType", pipeline.source_id) or ""
        out[record_type] = [s.name for s in stages] + [CLOSED_WON, CLOSED_LOST]
    return out


def _opportunities(company: ReferenceCompany) -> Tables:
    stage_names = {s.source_id: s.name for s in company.stages}
    opportunities, roles, history = [], [], []
    for i, deal in enumerate(company.deals):
        deal_id = ref_id("Opportunity", deal.source_id)
        stage = stage_names.get(deal.stage_source_id or "", "")
        current = {"won": CLOSED_WON, "lost": CLOSED_LOST}.get(deal.status, stage)
        opportunities.append(_opportunity(company, i, deal, current))
        if deal.person_source_id:
            roles.append(
                {"Id": sf_id("OpportunityContactRole", len(roles) + 1), "OpportunityId": deal_id,
                 "ContactId": ref_id("Contact", deal.person_source_id), "IsPrimary": True,
                 "Role": "Decision Maker"}
            )  # fmt: skip
        # The stage it was in, then (for closed ones) the closing stage.
        opened = parse_ts(deal.won_time or deal.lost_time or "2025-06-01T09:00:00Z")
        steps = [(stage, opened - timedelta(days=14))]
        if current != stage:
            steps.append((current, opened))
        for name, moment in steps:
            history.append(
                {"Id": sf_id("OpportunityHistory", len(history) + 1), "OpportunityId": deal_id,
                 "StageName": name, "CreatedDate": stamp(moment)}
            )  # fmt: skip
    return {
        "Opportunity": opportunities,
        "OpportunityContactRole": roles,
        "OpportunityHistory": history,
    }


def _opportunity(company: ReferenceCompany, i: int, deal: Deal, stage: str) -> Row:
    return {
        "Id": ref_id("Opportunity", deal.source_id),
        "Name": deal.title,
        "Amount": deal.value,
        "CurrencyIsoCode": record_currency(deal),
        "StageName": stage,
        "CloseDate": deal.expected_close_date,
        "IsClosed": deal.status != "open",
        "IsWon": deal.status == "won",
        "AccountId": ref_id("Account", deal.org_source_id),
        "OwnerId": ref_id("User", deal.owner_source_id),
        "RecordTypeId": ref_id("RecordType", deal.pipeline_source_id),
        "Pricebook2Id": None,  # the standard price book once it has line items
        "HasOpportunityLineItem": False,
        "CreatedDate": created_date(deal.add_time),
        "SystemModstamp": system_modstamp(i),
        **custom_values(company, Entity.deals, deal.custom_fields),
    }


def _line_items(company: ReferenceCompany, tables: Tables) -> Tables:
    """OpportunityLineItems on the standard price book, each through its product's entry in the
    opportunity's currency; a currency the product has no price in gets an entry no longer
    active (deactivated after the line was added: the products' prices stay as they are). An
    opportunity with line items has their total as its Amount."""
    entries = list(tables["PricebookEntry"])
    by_key = {(e["Product2Id"], e["CurrencyIsoCode"]): e for e in entries}
    products = {p.source_id: p for p in company.products}
    opportunities = {row["Id"]: row for row in tables["Opportunity"]}
    deals = {d.source_id: d for d in company.deals}
    lines: list[Row] = []
    positions: dict[str, int] = {}
    for item in company.deal_products:
        line, deal = held_line(item), deals[item.deal_source_id]
        product = products[item.product_source_id]
        opportunity = opportunities[ref_id("Opportunity", deal.source_id)]
        product_id, currency = ref_id("Product2", product.source_id), record_currency(deal)
        entry = by_key.get((product_id, currency))
        if entry is None:
            entry = by_key[(product_id, currency)] = {
                "Id": sf_id("PricebookEntry", len(entries) + 1), "Pricebook2Id": STANDARD_PRICEBOOK,
                "Product2Id": product_id, "UnitPrice": line.item_price, "CurrencyIsoCode": currency,
                "IsActive": False, "SystemModstamp": system_modstamp(len(entries))}  # fmt: skip
            entries.append(entry)
        order = positions[opportunity["Id"]] = positions.get(opportunity["Id"], 0) + 1
        lines.append(
            {"Id": ref_id("OpportunityLineItem", item.source_id), "OpportunityId": opportunity["Id"],
             "Product2Id": product_id, "PricebookEntryId": entry["Id"],
             "Name": f"{deal.title} {product.name}", "ProductCode": product.code,
             "Quantity": line.quantity, "UnitPrice": line.item_price,
             "ListPrice": entry["UnitPrice"], "Subtotal": round(line.item_price * line.quantity, 2),
             "Discount": line.discount or None, "TotalPrice": line.sum,
             "Description": line.comments, "SortOrder": order, "ServiceDate": None,
             "CurrencyIsoCode": currency, "SystemModstamp": system_modstamp(len(lines))}
        )  # fmt: skip
        # Salesforce computes the Amount of an opportunity with products from their totals.
        total = opportunity["Amount"] if opportunity["HasOpportunityLineItem"] else 0.0
        opportunity.update(
            {"Amount": round(total + line.sum, 2), "HasOpportunityLineItem": True,
             "Pricebook2Id": STANDARD_PRICEBOOK}
        )  # fmt: skip
    return {"PricebookEntry": entries, "OpportunityLineItem": lines}


def _activities(company: ReferenceCompany) -> Tables:
    deal_orgs = {d.source_id: d.org_source_id for d in company.deals}
    person_orgs = {p.source_id: p.org_source_id for p in company.persons}
    tasks, events, relations = [], [], []
    for i, activity in enumerate([*company.activities, *company.lead_activities]):
        what = (
            ref_id("Opportunity", activity.deal_source_id)
            if activity.deal_source_id
            else ref_id("Account", activity.org_source_id)
        )
        # AccountId is derived: the WhatId account, the opportunity's, else the contact's.
        account = activity.org_source_id
        if activity.deal_source_id:
            account = deal_orgs.get(activity.deal_source_id)
        elif not account and activity.person_source_id:
            account = person_orgs.get(activity.person_source_id)
        row: Row = {
            "Subject": activity.subject,
            "Type": activity.type.capitalize(),
            "Description": activity.note,
            # A lead is named in WhoId (and WhatId stays empty).
            "WhoId": ref_id("Lead", activity.lead_source_id)
            or ref_id("Contact", activity.person_source_id),
            "WhatId": what,
            "AccountId": ref_id("Account", account),
            "OwnerId": ref_id("User", activity.owner_source_id),
            "SystemModstamp": system_modstamp(i),
        }
        if activity.type in TASK_TYPES:
            tasks.append(_task(activity, row))
        else:
            events.append(_event(activity, row))
            relations.extend(_relations(activity, events[-1], len(relations)))
    return {"Task": tasks, "Event": events, "EventRelation": relations}


def _relations(activity: Activity, event: Row, start: int) -> list[Row]:
    """An Event's EventRelations in an org with Shared Activities: its Who (IsParent) and What
    (IsWhat), then each further contact taking part as an invitee (IsInvitee, Status New)."""
    who, what = event["WhoId"], event["WhatId"]
    rows = [(who, True, False, False)] if who else []
    rows += [(what, True, True, False)] if what else []
    rows += [(ref_id("Contact", p), False, False, True) for p in activity.participant_source_ids]
    return [
        {"Id": sf_id("EventRelation", start + n + 1), "EventId": event["Id"], "RelationId": rid,
         "AccountId": event["AccountId"],
         "IsParent": parent, "IsWhat": is_what, "IsInvitee": invitee, "IsDeleted": False,
         "Status": "New" if invitee else None, "Response": None, "RespondedDate": None,
         "SystemModstamp": event["SystemModstamp"]}
        for n, (rid, parent, is_what, invitee) in enumerate(rows)
    ]  # fmt: skip


def _minutes(duration: str | None) -> int | None:
    if not duration:
        return None
    hours, _, minutes = duration.partition(":")
    return int(hours) * 60 + int(minutes)


def _task(activity: Activity, row: Row) -> Row:
    subtype = {"call": "Call", "email": "Email"}.get(activity.type, "Task")
    seconds = _minutes(activity.duration)
    return {
        "Id": ref_id("Task", activity.source_id),
        **row,
        "TaskSubtype": subtype,
        "ActivityDate": activity.due_date,
        "Status": "Completed" if activity.done else "Not Started",
        "IsClosed": activity.done,
        "Priority": "Normal",
        "CallDurationInSeconds": seconds * 60 if seconds and subtype == "Call" else None,
    }


def _event(activity: Activity, row: Row) -> Row:
    all_day = activity.due_time is None
    start = f"{activity.due_date}T{activity.due_time or '00:00'}:00.000+0000"
    return {
        "Id": ref_id("Event", activity.source_id),
        **row,
        "ActivityDate": activity.due_date,
        "ActivityDateTime": start,
        "IsAllDayEvent": all_day,
        "DurationInMinutes": 1440 if all_day else (_minutes(activity.duration) or 60),
    }


def _title(note: Note, length: int) -> str:
    return " ".join(_text(note.content[:400]).split())[:length] or "Note"


def _text(content: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", " ", content))


def _content_notes(notes: list[Note]) -> Tables:
    """ContentNote rows (Content: the whole text, served as a blob) and a ContentDocumentLink to
    each record the note sits on and to its owner (ShareType I: inferred from ownership)."""
    rows: list[Row] = []
    links: list[Row] = []
    for i, note in enumerate(notes):
        note_id = ref_id("ContentNote", note.source_id)
        created = created_date(note.add_time)
        rows.append(
            {"Id": note_id, "Title": _title(note, 255), "Content": note.content,
             "TextPreview": " ".join(_text(note.content[:2000]).split())[:255],
             "OwnerId": ref_id("User", note.owner_source_id), "CreatedDate": created,
             "LastModifiedDate": system_modstamp(i), "ContentModifiedDate": created,
             "ContentSize": len(note.content.encode()), "FileType": "SNOTE",
             "FileExtension": "snote", "IsReadOnly": False, "SharingPrivacy": "N",
             "LatestPublishedVersionId": ref_id("ContentVersion", note.source_id)}
        )  # fmt: skip
        parents = [
            ref_id("Opportunity", note.deal_source_id),
            ref_id("Contact", note.person_source_id),
            ref_id("Account", note.org_source_id),
            ref_id("Lead", note.lead_source_id),
        ]
        owner = ref_id("User", note.owner_source_id)
        targets = [(p, "V") for p in parents if p] + ([(owner, "I")] if owner else [])
        for entity, share in targets:
            links.append(
                {"Id": sf_id("ContentDocumentLink", len(links) + 1), "ContentDocumentId": note_id,
                 "LinkedEntityId": entity, "ShareType": share, "Visibility": "AllUsers",
                 "IsDeleted": False, "SystemModstamp": system_modstamp(i)}
            )  # fmt: skip
    return {"ContentNote": rows, "ContentDocumentLink": links}


def _note(i: int, note: Note) -> Row:
    if note.lead_source_id:
        parent = ref_id("Lead", note.lead_source_id)
    elif note.deal_source_id:
        parent = ref_id("Opportunity", note.deal_source_id)
    elif note.person_source_id:
        parent = ref_id("Contact", note.person_source_id)
    else:
        parent = ref_id("Account", note.org_source_id)
    created = created_date(note.add_time)
    return {
        "Id": ref_id("Note", note.source_id),
        "Title": _title(note, 80),
        "Body": note.content[:32_000],
        "ParentId": parent,
        "OwnerId": ref_id("User", note.owner_source_id),
        "IsPrivate": False,
        "CreatedDate": created,
        "SystemModstamp": system_modstamp(i),
    }
