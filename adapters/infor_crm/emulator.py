"""An emulator of Infor CRM's (Saleslogix) SData feeds for the sandbox, seeded from the
reference company.

Vendor facts it follows (research notes ../shared/research/source-crms.md "Saleslogix";
the vendor's own clients Saleslogix/SDataJavaScriptClientLib and Saleslogix/argos-saleslogix;
the SData protocol in adapters/core/sdata.py):
- `https://{server}/sdata/slx/dynamic/-/{users,accounts,contacts,opportunities,
  opportunityContacts,history}` and `/sdata/slx/system/-/{activities,picklists}` (argos reads
  activities and picklists from the `system` contract); HTTP Basic with the user's name and
  password (SDataService sends `Authorization: Basic` with `X-Authorization-Mode:
  no-challenge`). Also `dynamic/-/{products,opportunityProducts}` (argos' Product and
  OpportunityProduct views: Name, Price, Program, Discount, Quantity, CalculatedPrice),
  `system/-/systemoptions` (name, value; BaseCurrency, as argos requests it) and the metadata
  contract's `metadata/-/entities('Account')/properties` (the "Saleslogix SData Endpoints"
  whitepaper: an entity that does not exist is an empty feed; propertyName, isKey, isReadOnly
  as clients select them; displayName, dataType and pickListName are the sandbox's reading).
  A picklist's `allowMultiples` (whitepaper, PickLists endpoint) marks a multi-choice.
- Leads: `dynamic/-/leads` (argos' Lead model: Company, FirstName, LastName, Email, WorkPhone,
  Mobile, Title, Owner, CreateDate, ModifyDate; its AccountManager is the sandbox's reading of
  who owns one); Activity and History name one by LeadId (argos' AttachmentManager context).
  A lead converted in the Web Client is its account and contact, no longer a lead (the
  sandbox's reading: no converted lead is served).
- Attachments: `system/-/attachments` (the whitepaper's Attachments endpoint; argos' views
  select fileName, fileSize, attachDate, description, dataType, url; a file is dataType R, a URL
  link U; AttachmentManager files one on a contact with the contact's accountId, on an
  opportunity with its accountId, on an activity or history with its links, on a lead by
  leadId) and a file's bytes at `attachments('<key>')/file` (the whitepaper's `/file`
  relationship property, AttachmentManager.getAttachmentUrl); an unknown key is a diagnosis.
- JSON only with `format=json` (the dynamic adapter's "json selector in format parameter"; its
  default is Atom, which the sandbox does not serve: without it, a BadQueryParameter
  diagnosis). Feeds `{$totalResults, $startIndex, $itemsPerPage, $resources, $next}`, paged
  by `startIndex` (from 1) and `count` (at most 100 here: the server's cap is configurable).
- `where=` in SData's language (`ModifyDate gt @2014-03-14T00:00:00@`, `Type eq 'atNote'`);
  `select`, `include`, `orderby` taken. A picklist lists its items only with `include=items`
  (PicklistService asks `include: ['items']`; items have `$key`, `text`, `code`, `number`).
- Properties from argos' models: Account (AccountName, Address, AccountManager, ModifyDate),
  Contact (FirstName, LastName, Email, WorkPhone, HomePhone, Mobile, Account), Opportunity
  (Description, SalesPotential, ExchangeRateCode, Stage, Status, EstimatedClose, ActualClose,
  Account, AccountManager), OpportunityContact (Opportunity, Contact, IsPrimary, SalesRole),
  Activity and History (Type at*, Description, StartDate, Timeless, Duration, LongNotes,
  AccountId, ContactId, OpportunityId, UserId; History CompletedDate, Category; a note is
  Type atNote), User (UserName, UserInfo FirstName/LastName/Email). Keys are 12 characters.
- Errors are SData diagnoses, a JSON list of `{$severity, $sdataCode, $message}`; 401 for a
  bad login. No rate limit is published (an on-premises server): the sandbox answers 429
  with Retry-After over its burst.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from adapters.core.canonical import Entity
from adapters.core.emulation import PIPELINE_IDS
from adapters.core.sdata import SDataEmulator, serve_file
from adapters.infor_crm.render import PIPELINE_ID, held, key, render

SDATA = "/{account_id}/sdata/slx"
DYNAMIC: tuple[str, ...] = ("users", "accounts", "contacts", "opportunities", "history")
DYNAMIC += ("opportunityContacts", "products", "opportunityProducts", "leads")
SYSTEM = ("activities", "picklists", "systemoptions", "attachments")
PROPERTIES = f"{SDATA}/metadata/-/entities('{{entity}}')/properties"
FILE = f"{SDATA}/system/-/attachments('{{key}}')/file"


class InforCrmEmulator(SDataEmulator):
    one_pipeline = PIPELINE_ID
    json_only = True  # the dynamic adapter's default is Atom
    unauthorized_message = "The user name or password is not valid."

    def routes(self) -> list[BaseRoute]:
        feeds = [("dynamic", name) for name in DYNAMIC] + [("system", name) for name in SYSTEM]
        return [
            *(
                self.feed_route(f"{SDATA}/{at}/-/{name}", name, deferred=_deferred(name))
                for at, name in feeds
            ),
            self.feed_route(PROPERTIES, lambda r: f"properties_{r.path_params['entity']}"),
            Route(FILE, self._file),
        ]

    render = staticmethod(render)  # the reference company in the vendor's shapes

    held = staticmethod(held)  # what of it the vendor can hold

    def vendor_id(self, entity: Entity, field: str, reference_id: str) -> str | None:
        if (entity.value, field) in PIPELINE_IDS:  # the one list of stages
            return PIPELINE_ID
        return key(reference_id)

    async def _file(self, request: Request) -> Response:
        """An attachment's file, byte for byte (its `file` relationship property)."""
        return serve_file(self, request, "attachments", request.path_params["key"], "fileName")


def _deferred(feed: str) -> tuple[str, ...]:
    """A picklist's items are listed only with `include=items`."""
    return ("items",) if feed == "picklists" else ()
