"""Leads: the reference company's leads as Salesforce Lead rows, and what a round trip keeps.

Salesforce facts relied on (Object Reference: Lead, LeadStatus; Task, Note):
- A Lead (key prefix 00Q) is a prospect that carries its own contact details: FirstName,
  LastName (required), Company (required), Email (one), Phone, MobilePhone, Street..Country,
  Status (a LeadStatus value), OwnerId, CurrencyIsoCode, CreatedDate, and the conversion fields
  IsConverted, ConvertedDate, ConvertedAccountId, ConvertedContactId, ConvertedOpportunityId. It
  links to no Contact or Account until it is converted (then it becomes them). Web-to-Lead
  writes "[not provided]" into a required name or company it was not given.
- A Lead has no amount, no expected close date and no labels (AnnualRevenue is the company's
  revenue, not the deal's value).
- A Task or Event on a lead names it in WhoId (WhatId stays empty); a classic Note names it in
  ParentId; a ContentNote or a file is linked to it by a ContentDocumentLink.

A migration carries the unconverted leads (IsConverted = false); a converted one already is the
contact, account and opportunity it became.

After a round trip each lead is its own contact details: the person it names becomes a person
of its own, sourced from the lead (same id), and its company an organization of its own; the
lead links to those two. Its title is what Salesforce shows for it: the name, and the company
in parentheses. Value, currency, expected close date and labels are not kept.
"""

from __future__ import annotations

from dataclasses import dataclass

from adapters.core.canonical import ContactPoint, Lead, Organization, Person
from adapters.core.naming import lead_title
from adapters.reference.dataset import ReferenceCompany
from adapters.reference.holds import leads_with_their_own_records, listed
from adapters.salesforce.records import (
    CORPORATE_CURRENCY,
    Row,
    created_date,
    ref_id,
    sf_id,
    system_modstamp,
)

NOT_PROVIDED = "[not provided]"  # what Web-to-Lead writes into a required field left empty
OPEN_STATUS, CONVERTED_STATUS = "Open - Not Contacted", "Closed - Converted"
CONVERTED_LEAD = 900  # the number of the one converted lead the org also holds


@dataclass(frozen=True)
class Details:
    """What a Lead row holds of the person and organization a reference lead names."""

    first: str | None
    last: str
    company: str
    email: str | None
    phone: str | None
    mobile: str | None
    street: str | None

    @property
    def name(self) -> str | None:
        """Lead.Name, given name first; None when the lead names no person."""
        if self.last == NOT_PROVIDED:
            return None
        return " ".join(part for part in (self.first, self.last) if part)

    @property
    def title(self) -> str:
        return shown_title(self.name, None if self.company == NOT_PROVIDED else self.company)


def shown_title(name: str | None, company: str | None) -> str:
    """What Salesforce shows for a lead: its name, and its company in parentheses."""
    return lead_title(name, company, same_twice=True) or NOT_PROVIDED


def details(lead: Lead, persons: dict[str, Person], orgs: dict[str, Organization]) -> Details:
    person = persons.get(lead.person_source_id or "")
    org = orgs.get(lead.org_source_id or "")
    emails = sorted(person.emails, key=lambda e: not e.primary) if person else []
    phones = person.phones if person else []
    return Details(
        first=person.first_name if person else None,
        last=(person.last_name or person.name) if person else NOT_PROVIDED,
        company=org.name if org else NOT_PROVIDED,
        email=emails[0].value if emails else None,
        phone=next((p.value for p in phones if p.label != "mobile"), None),
        mobile=next((p.value for p in phones if p.label == "mobile"), None),
        street=org.address if org else None,
    )


def render_leads(company: ReferenceCompany) -> list[Row]:
    """The org's Lead rows: the reference leads, open, then one lead converted long ago."""
    persons = {p.source_id: p for p in company.persons}
    orgs = {o.source_id: o for o in company.organizations}
    rows = []
    for i, lead in enumerate(company.leads):
        found = details(lead, persons, orgs)
        rows.append(
            {"Id": ref_id("Lead", lead.source_id), "FirstName": found.first,
             "LastName": found.last, "Name": found.name or found.last, "Company": found.company,
             "Email": found.email, "Phone": found.phone, "MobilePhone": found.mobile,
             "Street": found.street, "City": None, "State": None, "PostalCode": None,
             "Country": None, "Status": OPEN_STATUS, "LeadSource": "Web",
             "IsConverted": False, "ConvertedDate": None, "ConvertedAccountId": None,
             "ConvertedContactId": None, "ConvertedOpportunityId": None,
             "OwnerId": ref_id("User", lead.owner_source_id),
             "CurrencyIsoCode": lead.currency or CORPORATE_CURRENCY,
             "CreatedDate": created_date(lead.add_time), "SystemModstamp": system_modstamp(i)}
        )  # fmt: skip
    if company.persons and company.deals:
        rows.append(_converted(company, len(rows)))
    return rows


def _converted(company: ReferenceCompany, i: int) -> Row:
    """A lead converted into the first person, their account and the first deal: not a lead
    any more, so not carried."""
    person, deal = company.persons[0], company.deals[0]
    return {
        "Id": sf_id("Lead", CONVERTED_LEAD), "FirstName": person.first_name,
        "LastName": person.last_name or person.name, "Name": person.name,
        "Company": deal.title, "Email": None, "Phone": None, "MobilePhone": None,
        "Street": None, "City": None, "State": None, "PostalCode": None, "Country": None,
        "Status": CONVERTED_STATUS, "LeadSource": "Partner", "IsConverted": True,
        "ConvertedDate": "2025-06-01", "ConvertedAccountId": ref_id("Account", person.org_source_id),
        "ConvertedContactId": ref_id("Contact", person.source_id),
        "ConvertedOpportunityId": ref_id("Opportunity", deal.source_id),
        "OwnerId": ref_id("User", person.owner_source_id), "CurrencyIsoCode": CORPORATE_CURRENCY,
        "CreatedDate": "2025-05-20T08:00:00.000+0000", "SystemModstamp": system_modstamp(i),
    }  # fmt: skip


def lead_phones(phones: list[ContactPoint]) -> list[ContactPoint]:
    """Phone (the first that is not a mobile) and MobilePhone, the first one the primary."""
    work = next((p.value for p in phones if p.label != "mobile"), None)
    mobile = next((p.value for p in phones if p.label == "mobile"), None)
    points = [
        ContactPoint(value=v, label=kind) for v, kind in ((work, "work"), (mobile, "mobile")) if v
    ]
    return [p.model_copy(update={"primary": i == 0}) for i, p in enumerate(points)]


def _names(person: Person) -> tuple[str, str | None, str | None]:
    """FirstName and LastName (else the whole name), Name given name first."""
    first, last = person.first_name, person.last_name or person.name
    return " ".join(part for part in (first, last) if part), first, last


# Each lead with its own person and organization (see the module docstring).
leads_as_held = leads_with_their_own_records(
    names=_names,
    company_as_person=False,
    emails=listed(most=1, labels={}),
    phones=lead_phones,
    dated=True,
    addressed=True,
    title=shown_title,
)
