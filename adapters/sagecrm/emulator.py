"""An emulator of Sage CRM's REST API (2019 R2+, `sagecrm2`) for the sandbox, seeded from the
reference company.

Vendor facts it follows (research notes ../shared/research/source-crms.md "Sage CRM"; Sage CRM
community posts "2019 R2: the RESTful API explained", "Examples of create, read, update and
delete actions with the REST API", "Ensuring best performance using the REST API", "2024 R2:
RESTful API enhancements - new query parameters and operators"; the SData protocol in
adapters/core/sdata.py):
- On premises: `http(s)://{server}/sdata/{install}j/sagecrm2/-/{entity}` (`/sdata/crmj/
  sagecrm2/-/company`); the sandbox account's base URL stands for `.../sdata/{install}j`.
  Entities served: users, company, person, address, opportunity, communication, comm_link,
  notes, currency, custom_captions (captions: selection lists, stages being family
  `oppo_stage`; column captions family ColNames), custom_edits (each column's entry type: 10
  text, 11 multiline, 21 selection, 28 multi-select, 32 numeric, 42 date, 51 currency),
  newproduct, pricing and opportunityitems (quoted price per unit, list price less quoted is
  the discount: Sage CRM help "New line items panel fields").
- Leads: `lead` (Sage CRM help, "Data upload file: leads": lead_companyname,
  lead_personfirstname, lead_personlastname, lead_description, lead_assigneduserid,
  lead_personemail; lead_personphonenumber is the sandbox's reading of the phone). A lead
  converted to an opportunity keeps its row, linked by Lead_OpportunityID, its Lead_Status
  'Opportunity' (community post "What happens when a Lead is converted to an Opportunity?");
  a lead's communications name it by comm_leadid (the same post: conversion relinks them) and
  its notes by note_foreigntableid 4 (the sandbox's reading).
- HTTP Basic with a CRM user's logon and password (a session login also exists; Basic is
  enough for a migration).
- JSON feeds in the SData envelope `{$totalResults, $startIndex, $itemsPerPage, $resources}`,
  each record with its `$key` (an integer, as in the Notes example `"$key": 1`), paged by
  `startIndex` (from 1) and `count` (at most 100). No `$next` is given here.
- `where=` conditions: `comp_name like 'A%'`, `pers_personid eq '30'`, `and`/`or`, `gt`, `ge`,
  `between`...; changed-since as `comp_updateddate gt @2014-03-14T00:00:00@` (the sandbox
  takes and, eq, ne, gt, ge, lt, le). Column names are the tables' (comp_*, pers_*, oppo_*,
  comm_*, cmli_*, note_*; a note links by Note_ForeignTableId / Note_ForeignId, 5 being the
  Company table; 13 Person and 10 Opportunity are the sandbox's reading of Bord_TableId).
- Errors as SData diagnoses `[{$severity, $sdataCode, $message}]`; 401 for a bad login. No
  rate limit is published (an on-premises server): 429 with Retry-After over the burst.
"""

from __future__ import annotations

from starlette.routing import BaseRoute

from adapters.core.sdata import SDataEmulator
from adapters.sagecrm.render import IDS, held, render
from adapters.sagecrm.source import PIPELINE_ID

API = "/{account_id}/sagecrm2/-"
FEEDS: tuple[str, ...] = ("users", "company", "person", "address", "opportunity", "notes")
FEEDS += ("communication", "comm_link", "currency", "custom_captions", "custom_edits")
FEEDS += ("newproduct", "pricing", "opportunityitems", "lead")


class SageCrmEmulator(SDataEmulator):
    ids = IDS
    one_pipeline = PIPELINE_ID
    unauthorized_message = "Logon failed: the user name or password is not valid."

    def routes(self) -> list[BaseRoute]:  # no `$next` links: paged by startIndex only
        return [self.feed_route(f"{API}/{name}", name, with_next=False) for name in FEEDS]

    render = staticmethod(render)  # the reference company in the vendor's shapes

    held = staticmethod(held)  # what of it the vendor can hold
