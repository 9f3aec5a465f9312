"""The reference company in Dataverse's record shapes (one table per entity set).

The company is rendered as Dynamics holds it (`held`), so that what the emulator serves and what
a migration must deliver are the same thing. Shapes: see `shapes.py`. Every row carries every
column of its set (unset ones null), as the Web API answers without $select.
"""

from __future__ import annotations

import base64
from datetime import datetime, timedelta
from typing import Any

from adapters.core.canonical import (
    Activity,
    CustomFieldDef,
    DealProduct,
    Entity,
    FieldType,
    File,
    Lead,
    Record,
)
from adapters.core.emulation import Tables
from adapters.core.mapping import parse_time
from adapters.dynamics365.held import EMAIL_SLOTS, held, line_amounts, phone_slots
from adapters.dynamics365.shapes import (
    COLUMNS,
    ENTITY_TYPES,
    FORMATTED,
    LOGICAL_NAMES,
    LOOKUP_NAME,
    ORGANIZER,
    OWNER,
    REQUIRED_ATTENDEE,
    SENDER,
    TO_RECIPIENT,
    attributes,
    guid,
    logical_name,
    option_value,
)
from adapters.reference.dataset import CURRENCIES, REFERENCE_DATE, ReferenceCompany

BASE_CURRENCY = "EUR"
CURRENCY_NAMES = {"EUR": ("Euro", "€"), "USD": ("US Dollar", "$"), "PLN": ("Złoty", "zł")}
APPLICATION_USER = "app"  # the application user the client credentials act as
STATE = {"open": 0, "won": 1, "lost": 2}
STATUS = {"open": 1, "won": 3, "lost": 4}  # In Progress, Won, Canceled
ACTIVITY_SETS = {"call": "phonecalls", "meeting": "appointments", "email": "emails"}


def currency_id(code: str) -> str:
    return guid(f"currency:{code}")


def lookup(column: str, target_id: str | None, table: str, name: str | None = None) -> Raw:
    """A lookup column with the annotations Dataverse adds when asked for them."""
    if target_id is None:
        return {column: None}
    out: Raw = {column: target_id, f"{column}@{LOOKUP_NAME}": table}
    if name is not None:
        out[f"{column}@{FORMATTED}"] = name
    return out


Raw = dict[str, Any]


class Renderer:
    def __init__(self, company: ReferenceCompany, client_id: str = "") -> None:
        self.company = held(company)
        self.lines = {i.source_id: i for i in company.deal_products}  # their tax rates as given
        self.client_id = client_id
        self.custom = {
            entity: [f for f in self.company.custom_fields if f.entity is entity]
            for entity in LOGICAL_NAMES
        }
        c = self.company
        self.names = {  # what a lookup's FormattedValue shows, by table
            "systemuser": {u.source_id: u.name for u in c.users},
            "contact": {p.source_id: p.name for p in c.persons},
            "account": {o.source_id: o.name for o in c.organizations},
            "lead": {lead.source_id: lead.title for lead in c.leads},
        }
        # Each activity's table (logical name), for what hangs on it.
        self.activity_tables = {
            a.source_id: ENTITY_TYPES[ACTIVITY_SETS.get(a.type, "tasks")]
            for a in [*c.activities, *c.lead_activities]
        }

    def tables(self) -> Tables:
        c = self.company
        tables: Tables = {
            "systemusers": [*map(self.user, c.users), self.application_user()],
            "transactioncurrencies": [self.currency(code) for code in CURRENCIES],
            "accounts": self.each(c.organizations, self.account),
            "contacts": self.each(c.persons, self.contact),
            "workflows": [self.workflow(p.source_id, p.name) for p in c.pipelines],
            "processstages": [
                self.stage(s.source_id, s.name, s.pipeline_source_id) for s in c.stages
            ],
            **self.product_tables(),
            "opportunities": self.each(c.deals, self.opportunity),
            "opportunityproducts": self.each(c.deal_products, self.line_item),
            "leads": self.each(c.leads, self.lead),
            "opportunitycloses": [self.close(d) for d in c.deals if d.status != "open"],
            "tasks": [],
            "phonecalls": [],
            "appointments": [],
            "emails": [],
            "activityparties": [],
            "annotations": [
                *self.each(c.records(Entity.notes), self.annotation),
                *self.each(c.files, self.attachment),
            ],
        }
        activities = c.records(Entity.activities)
        for index, activity in enumerate(activities):
            assert isinstance(activity, Activity)
            table = ACTIVITY_SETS.get(activity.type, "tasks")
            tables[table].append(self.activity(activity, table, index, len(activities)))
            tables["activityparties"] += self.parties(activity, table)
        tables = {name: [self.complete(name, row) for row in rows] for name, rows in tables.items()}
        for entity, logical in LOGICAL_NAMES.items():
            tables[f"attributes:{logical}"] = attributes(entity, c.custom_fields)
        return tables

    # --- helpers -----------------------------------------------------------------------

    @staticmethod
    def complete(name: str, row: Raw) -> Raw:
        """Every column of the set, null when unset."""
        return {**{column: None for column in COLUMNS[name]}, **row}

    def each(self, records: list[Any], render: Any) -> list[Raw]:
        return [render(record, i, len(records)) for i, record in enumerate(records)]

    @staticmethod
    def modified(index: int, count: int) -> str:
        """Later records were modified later: the last one an hour before REFERENCE_DATE."""
        moment = datetime.combine(REFERENCE_DATE, datetime.min.time()) - timedelta(
            hours=count - index
        )
        return moment.strftime("%Y-%m-%dT%H:%M:%SZ")

    def stamps(self, record: Record, index: int, count: int) -> Raw:
        """createdon (UTC, to the second) from the reference's add_time; modifiedon never before
        it. The records were made here, not imported, so overriddencreatedon stays null."""
        created = getattr(record, "add_time", None)
        modified = self.modified(index, count)
        return {"createdon": created, "modifiedon": max(modified, created or modified)}

    def owner(self, record: Record) -> Raw:
        owner = getattr(record, "owner_source_id", None)
        return lookup("_ownerid_value", guid(owner) if owner else None, "systemuser")

    def custom_values(self, entity: Entity, values: dict[str, Any]) -> Raw:
        out: Raw = {}
        for definition in self.custom[entity]:
            column = logical_name(definition)
            value = values.get(definition.key)
            out[column] = None if value is None else _stored(definition, value)
            if definition.field_type is FieldType.monetary:
                out[f"{column}_base"] = out[column]  # the emulated org has rate 1 everywhere
        return out

    # --- records -----------------------------------------------------------------------

    def user(self, user: Any) -> Raw:
        first, _, last = user.name.partition(" ")
        return {
            "systemuserid": guid(user.source_id),
            "fullname": user.name,
            "firstname": first,
            "lastname": last,
            "internalemailaddress": user.email,
            "isdisabled": not user.active,
            "modifiedon": "2025-01-02T08:00:00Z",
        }

    def application_user(self) -> Raw:
        return {
            "systemuserid": guid(APPLICATION_USER),
            "fullname": "# Ferry migration",
            "internalemailaddress": None,
            "isdisabled": False,
            "applicationid": self.client_id or guid("client"),
            "modifiedon": "2025-01-02T08:00:00Z",
        }

    def currency(self, code: str) -> Raw:
        name, symbol = CURRENCY_NAMES[code]
        return {
            "transactioncurrencyid": currency_id(code),
            "isocurrencycode": code,
            "currencyname": name,
            "currencysymbol": symbol,
        }

    def account(self, org: Any, index: int, count: int) -> Raw:
        money = org.custom_fields.get("annual_revenue") or {}
        parts = org.address.split(", ") if org.address else []
        return {
            "accountid": guid(org.source_id),
            "name": org.name,
            "address1_line1": parts[0] if parts else None,
            "address1_city": ", ".join(parts[1:-1]) or None,
            "address1_country": parts[-1] if len(parts) > 1 else None,
            "address1_composite": "\r\n".join(parts) or None,
            **self.owner(org),
            **lookup(
                "_transactioncurrencyid_value",
                currency_id(money.get("currency") or BASE_CURRENCY),
                "transactioncurrency",
            ),
            **self.custom_values(Entity.organizations, org.custom_fields),
            "statecode": 0,
            **self.stamps(org, index, count),
        }

    def contact(self, person: Any, index: int, count: int) -> Raw:
        money = person.custom_fields.get("budget") or {}
        emails = {f"emailaddress{i}": e.value for i, e in enumerate(person.emails, start=1)}
        assert len(emails) <= len(EMAIL_SLOTS)
        org = person.org_source_id
        return {
            "contactid": guid(person.source_id),
            "firstname": person.first_name,
            "lastname": person.last_name,
            "fullname": person.name,
            **emails,
            **phone_slots(person.phones),
            **lookup("_parentcustomerid_value", guid(org) if org else None, "account"),
            **self.owner(person),
            **lookup(
                "_transactioncurrencyid_value",
                currency_id(money.get("currency") or BASE_CURRENCY),
                "transactioncurrency",
            ),
            **self.custom_values(Entity.persons, person.custom_fields),
            "statecode": 0,
            **self.stamps(person, index, count),
        }

    def workflow(self, source_id: str, name: str) -> Raw:
        # A business process flow is a workflow of category 4 on its primary table.
        return {
            "workflowid": guid(source_id),
            "name": name,
            "category": 4,
            "type": 1,
            "primaryentity": "opportunity",
            "statecode": 1,
        }

    def stage(self, source_id: str, name: str, pipeline_id: str) -> Raw:
        pipeline = next(p for p in self.company.pipelines if p.source_id == pipeline_id)
        return {
            "processstageid": guid(source_id),
            "stagename": name,
            "stagecategory": None,
            "primaryentitytypecode": "opportunity",
            **lookup("_processid_value", guid(pipeline_id), "workflow", pipeline.name),
        }

    def product_tables(self) -> Tables:
        c = self.company
        units = sorted({p.unit for p in c.products if p.unit})
        price_lists = {code: guid(f"pricelist:{code}") for code in CURRENCIES}
        products, entries = [], []
        for index, product in enumerate(c.products):
            first = product.prices[0] if product.prices else None
            products.append(
                {
                    "productid": guid(product.source_id),
                    "name": product.name,
                    "productnumber": product.code,
                    "price": first.price if first else None,
                    **lookup(
                        "_defaultuomid_value",
                        guid(f"uom:{product.unit}") if product.unit else None,
                        "uom",
                    ),
                    **lookup(
                        "_transactioncurrencyid_value",
                        currency_id(first.currency if first else BASE_CURRENCY),
                        "transactioncurrency",
                    ),
                    **self.custom_values(Entity.products, product.custom_fields),
                    "statecode": 0,
                    "modifiedon": self.modified(index, len(c.products)),
                }
            )
            for price in product.prices:  # one price list per currency
                entries.append(
                    {
                        "productpricelevelid": guid(f"{product.source_id}:{price.currency}"),
                        "amount": price.price,
                        **lookup("_productid_value", guid(product.source_id), "product"),
                        **lookup("_pricelevelid_value", price_lists[price.currency], "pricelevel"),
                        **lookup(
                            "_transactioncurrencyid_value",
                            currency_id(price.currency),
                            "transactioncurrency",
                        ),
                        "modifiedon": self.modified(index, len(c.products)),
                    }
                )
        return {
            "uoms": [{"uomid": guid(f"uom:{u}"), "name": u, "quantity": 1.0} for u in units],
            "pricelevels": [
                {
                    "pricelevelid": list_id,
                    "name": f"Price list {code}",
                    "_transactioncurrencyid_value": currency_id(code),
                }
                for code, list_id in price_lists.items()
            ],
            "products": products,
            "productpricelevels": entries,
        }

    def opportunity(self, deal: Any, index: int, count: int) -> Raw:
        stage = next((s for s in self.company.stages if s.source_id == deal.stage_source_id), None)
        closed = deal.won_time or deal.lost_time
        return {
            "opportunityid": guid(deal.source_id),
            "name": deal.title,
            "estimatedvalue": deal.value,
            "estimatedclosedate": deal.expected_close_date,
            "actualclosedate": closed[:10] if closed else None,
            "statecode": STATE[deal.status],
            "statuscode": STATUS[deal.status],
            "processid": guid(deal.pipeline_source_id) if deal.pipeline_source_id else None,
            "stageid": guid(stage.source_id) if stage else None,
            "stepname": stage.name if stage else None,
            **lookup(
                "_parentaccountid_value",
                guid(deal.org_source_id) if deal.org_source_id else None,
                "account",
            ),
            **lookup(
                "_parentcontactid_value",
                guid(deal.person_source_id) if deal.person_source_id else None,
                "contact",
            ),
            **self.owner(deal),
            **self.deal_currency(deal),
            # "User Provided": a system-calculated estimatedvalue is the total with line taxes.
            "isrevenuesystemcalculated": False,
            **self.custom_values(Entity.deals, deal.custom_fields),
            **self.stamps(deal, index, count),
        }

    def deal_currency(self, deal: Any) -> Raw:
        money = deal.custom_fields.get("setup_fee") or {}
        code = deal.currency or money.get("currency") or BASE_CURRENCY
        return lookup("_transactioncurrencyid_value", currency_id(code), "transactioncurrency")

    def line_item(self, item: DealProduct, index: int, count: int) -> Raw:
        """An opportunityproduct: an existing product at a price of its own, its Money columns
        to the cent, in its opportunity's currency and numbered within it."""
        deal = next(d for d in self.company.deals if d.source_id == item.deal_source_id)
        product = next(p for p in self.company.products if p.source_id == item.product_source_id)
        base, off, net, tax = line_amounts(self.lines[item.source_id])
        siblings = [
            i.source_id for i in self.company.deal_products if i.deal_source_id == deal.source_id
        ]
        unit = guid(f"uom:{product.unit}") if product.unit else None
        return {
            "opportunityproductid": guid(item.source_id),
            **lookup("_opportunityid_value", guid(deal.source_id), "opportunity", deal.title),
            **lookup("_productid_value", guid(product.source_id), "product", product.name),
            "isproductoverridden": False,
            **lookup("_uomid_value", unit, "uom", product.unit),
            "quantity": item.quantity,
            "priceperunit": item.item_price,
            "ispriceoverridden": True,
            "baseamount": base,
            "volumediscountamount": 0.0,
            "manualdiscountamount": off,
            "tax": tax,
            "extendedamount": round(net + tax, 2),
            "description": item.comments,
            "lineitemnumber": siblings.index(item.source_id) + 1,
            **self.deal_currency(deal),
            **self.owner(deal),
            "modifiedon": self.modified(index, count),
        }

    def close(self, deal: Any) -> Raw:
        """The Opportunity Close activity written when a deal is won or lost (its reason)."""
        closed = deal.won_time or deal.lost_time
        return {
            "activityid": guid(f"close:{deal.source_id}"),
            "subject": f"Opportunity Close - {'Won' if deal.status == 'won' else 'Lost'}",
            "description": deal.lost_reason,
            "statecode": 1,
            "statuscode": 2,
            "actualend": closed,
            **lookup("_opportunityid_value", guid(deal.source_id), "opportunity"),
            **self.owner(deal),
            "modifiedon": closed,
        }

    def activity(self, activity: Activity, table: str, index: int, count: int) -> Raw:
        at = parse_time(f"{activity.due_date}T{activity.due_time or '00:00'}:00Z")
        assert at is not None
        minutes = _minutes(activity.duration)
        all_day = table == "appointments" and activity.due_time is None
        if all_day:
            minutes = 24 * 60
        end = at + timedelta(minutes=minutes) if table == "appointments" else at
        row: Raw = {
            "activityid": guid(activity.source_id),
            "subject": activity.subject,
            "description": activity.note,
            "scheduledstart": _iso(at),
            "scheduledend": _iso(end),
            "statecode": 1 if activity.done else 0,
            "statuscode": 2 if activity.done else 1,
            **self.regarding(activity),
            **self.owner(activity),
            "modifiedon": self.modified(index, count),
        }
        if table == "appointments":
            row.update(scheduleddurationminutes=minutes, isalldayevent=all_day)
            row["statuscode"] = 3 if activity.done else 5  # Completed / Busy
            row["statecode"] = 1 if activity.done else 3  # Completed / Scheduled
        elif table in ("phonecalls", "tasks"):
            row["actualdurationminutes"] = minutes or None
        if table in ("phonecalls", "emails"):
            row["directioncode"] = True  # outgoing
        return row

    def parties(self, activity: Activity, table: str) -> list[Raw]:
        """The activity's party list: its owner (Dataverse adds that party itself), then for a
        call or e-mail its sender and recipients, for an appointment its organizer and required
        attendees: the user, the contact, the account, then the further contacts taking part
        (participant_source_ids) likewise. A task has no party list columns (only
        Regarding), so it has just its owner."""
        owner = activity.owner_source_id
        found: list[tuple[int, str, str]] = [(OWNER, owner, "systemuser")] if owner else []
        if table != "tasks":
            meeting = table == "appointments"
            if owner:
                found.append((ORGANIZER if meeting else SENDER, owner, "systemuser"))
            customer = REQUIRED_ATTENDEE if meeting else TO_RECIPIENT
            if activity.person_source_id:
                found.append((customer, activity.person_source_id, "contact"))
            if activity.org_source_id:
                found.append((customer, activity.org_source_id, "account"))
            # Further contacts taking part: more required attendees, more recipients.
            found += [(customer, p, "contact") for p in activity.participant_source_ids]
        kind = ENTITY_TYPES[table]
        return [self.party(activity.source_id, kind, *each) for each in found]

    def party(self, activity_id: str, kind: str, mask: int, target: str, table: str) -> Raw:
        return {
            "activitypartyid": guid(f"party:{activity_id}:{mask}:{target}"),
            **lookup("_activityid_value", guid(activity_id), kind),
            **lookup("_partyid_value", guid(target), table, self.names[table].get(target)),
            "participationtypemask": mask,
        }

    def lead(self, lead: Lead, index: int, count: int) -> Raw:
        """An open lead for an existing contact and/or account (Existing Contact / Existing
        Account), its own name and company columns filled from them as the lead form does."""
        person = next(
            (p for p in self.company.persons if p.source_id == lead.person_source_id), None
        )
        org_id = lead.org_source_id or (person.org_source_id if person else None)
        return {
            "leadid": guid(lead.source_id),
            "subject": lead.title,
            "firstname": person.first_name if person else None,
            "lastname": person.last_name if person else None,
            "fullname": person.name if person else None,
            "companyname": self.names["account"].get(org_id) if org_id else None,
            "emailaddress1": person.emails[0].value if person and person.emails else None,
            "telephone1": person.phones[0].value if person and person.phones else None,
            **lookup(
                "_parentcontactid_value",
                guid(person.source_id) if person else None,
                "contact",
                person.name if person else None,
            ),
            **lookup(
                "_parentaccountid_value",
                guid(lead.org_source_id) if lead.org_source_id else None,
                "account",
                self.names["account"].get(lead.org_source_id or ""),
            ),
            "estimatedamount": lead.value,
            "estimatedclosedate": lead.expected_close_date,
            **self.owner(lead),
            **lookup(
                "_transactioncurrencyid_value",
                currency_id(lead.currency or BASE_CURRENCY),
                "transactioncurrency",
            ),
            "statecode": 0,  # Open
            "statuscode": 1,  # New
            **self.stamps(lead, index, count),
        }

    def attachment(self, file: File, index: int, count: int) -> Raw:
        """A note that is an attachment: on its record, the bytes base64 in documentbody."""
        data = self.company.file_bytes[file.source_id]
        links = (
            (file.deal_source_id, "opportunity"),
            (file.person_source_id, "contact"),
            (file.org_source_id, "account"),
            (file.lead_source_id, "lead"),
            (file.product_source_id, "product"),
            (file.activity_source_id, self.activity_tables.get(file.activity_source_id or "")),
        )
        target, table = next((link, table) for link, table in links if link)
        assert table is not None
        return {
            "annotationid": guid(file.source_id),
            "subject": file.name,
            "notetext": None,
            "objecttypecode": table,
            **lookup("_objectid_value", guid(target), table),
            # Uploaded by the integration: owned by its application user.
            **lookup("_ownerid_value", guid(APPLICATION_USER), "systemuser"),
            "isdocument": True,
            "filename": file.name,
            "mimetype": file.mime_type,
            "filesize": len(data),
            "documentbody": base64.b64encode(data).decode("ascii"),
            "createdon": file.add_time,
            "modifiedon": file.add_time or self.modified(index, count),
        }

    def regarding(self, record: Activity | Any) -> Raw:
        for link, table in (
            (record.deal_source_id, "opportunity"),
            (record.person_source_id, "contact"),
            (record.org_source_id, "account"),
            (record.lead_source_id, "lead"),
        ):
            if link:
                return lookup("_regardingobjectid_value", guid(link), table)
        return {"_regardingobjectid_value": None}

    def annotation(self, note: Any, index: int, count: int) -> Raw:
        parent = self.regarding(note)
        return {
            "annotationid": guid(note.source_id),
            "subject": None,
            "notetext": note.content,
            "objecttypecode": parent.get(f"_regardingobjectid_value@{LOOKUP_NAME}"),
            **lookup(
                "_objectid_value",
                parent["_regardingobjectid_value"],
                parent.get(f"_regardingobjectid_value@{LOOKUP_NAME}") or "",
            ),
            **self.owner(note),
            "isdocument": False,
            "createdon": note.add_time,
            "modifiedon": note.add_time or self.modified(index, count),
        }


def _minutes(duration: str | None) -> int:
    if not duration:
        return 0
    hours, _, minutes = duration.partition(":")
    return int(hours) * 60 + int(minutes)


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _stored(definition: CustomFieldDef, value: Any) -> Any:
    """A canonical custom value as Dataverse stores the column."""
    kind = definition.field_type
    if kind is FieldType.enum:
        return option_value(definition, value)
    if kind is FieldType.set:
        return ",".join(str(option_value(definition, label)) for label in value)
    if kind is FieldType.monetary:
        return value["value"]
    return value
