"""Zoho CRM (API v8) as a source, described for the shared declarative engine.

Vendor facts the description relies on (where they come from: see the emulator's docstring):
- `https://www.zohoapis.{com|eu|in|com.au|jp|ca}/crm/v8/`, `Authorization: Zoho-oauthtoken ...`;
  OAuth2 only: the refresh grant at the data centre's accounts server `/oauth/v2/token`.
- Record lists need `fields` (at most 50 API names); pages of `per_page` <= 200 walked with
  `page_token` from `info.next_page_token` (the only way past 2,000 records). An empty list is a
  204. Ids are 19-digit strings; lookups are `{"name", "id"}`.
- Users: `/users?type=AllUsers` (`users[]`, status active / disabled / deleted).
- Custom fields: `/settings/fields?module=` (`fields[]`, `custom_field`, `api_name`,
  `field_label`, `data_type`, `pick_list_values[{display_value, actual_value}]`). Picklists hold
  the actual value, multi-select picklists a JSON array of them; currency fields an amount in the
  record's `Currency`.
- Pipelines: `/settings/pipeline?layout_id=` for each Deals layout (`/settings/layouts`); a
  pipeline's `maps` are its stages, with `forecast_type` Open / Closed Won / Closed Lost. A deal
  names its stage by value (`Stage`) and its pipeline by lookup; its status *is* its stage. The
  stage probabilities sit on the Deals `Stage` field's picklist values.
- Activities are three modules: Tasks (Due_Date, Status), Events (Start/End_DateTime, All_day,
  no completion), Calls (Call_Start_Time, Call_Duration_in_seconds, Outgoing_Call_Status); each
  has What_Id (+ `$se_module`) and Who_Id. Record ids are unique across modules, so activity ids
  need no prefix. Notes have one Parent_Id with its module.
- Changed since is the `If-Modified-Since` header; a 304 means nothing changed.
- Line items are each deal's Products related list (`/Deals/{id}/Products`, page/per_page):
  the product with the relation's Quantity, List_Price and Discount (an amount). There is no
  list of all relations (COQL and Bulk Read work on modules, not related lists): one request
  per deal, and one more per 200 products on it. The relation has no id; a product is related
  to a deal once, so a line is "<deal id>:<product id>".
- Leads are the Leads module (its unconverted leads): a person at a company held on the lead
  (names, Email, Phone, Mobile, Company as text), linked to no contact or account. Each is read
  as a lead, a person of its own and, when it names a Company, an organization of its own, all
  three under the lead's id (record ids are unique across modules). Notes and activities name a
  lead with $se_module Leads.
- Tags are each record's Tag field ([{name, id}]) on Accounts, Contacts, Deals and Leads: labels.
- Attachments are each record's Attachments related list (`/{module}/{id}/Attachments`, fields
  required, page/per_page): File_Name, Size, Parent_Id, $se_module, no MIME type (taken from the
  name). Zoho has no list across records (Bulk Read and COQL query modules): one request per
  account, contact, deal, lead, task, event, call and product (under one id list per module).
  The bytes: `GET /{module}/{id}/Attachments/{attachment id}`.

The pipelines (per Deals layout) are a lookup; the stages and what a deal's stage value means
are tables derived from it (see spec.py).
"""

from __future__ import annotations

from adapters.core.declarative import DeclarativeSource
from adapters.core.http import ApiClient
from adapters.zoho.spec import PAGE_SIZE, zoho_spec


def zoho_source(
    client: ApiClient, *, count_records: bool = True, page_size: int = PAGE_SIZE
) -> DeclarativeSource:
    """The spec at a page size (tests use small pages to cross page boundaries)."""
    return DeclarativeSource(zoho_spec(page_size), client, count_records=count_records)
