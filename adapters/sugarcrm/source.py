"""SugarCRM (REST API v11) as a source, described for the shared declarative engine.

Vendor facts the description relies on (sources: see the emulator's docstring):
- Base `https://{instance}/rest/v11/`; a username/password login at `oauth2/token` (JSON,
  client_id "sugar", platform) gives a token sent as `OAuth-Token`; it expires after an hour.
- Lists `GET /{Module}?max_num=&offset=&fields=` answer `{"next_offset", "records"}`, with
  next_offset -1 at the end. `fields` may name a link as a JSON object
  (`{"name":"contacts","fields":["id"]}`): the related ids come inside each record, so the
  contacts of every opportunity or call arrive with the page, without a call per record.
  Changed since: `filter[0][date_modified][$gt]=<ISO time>`.
- Users (`status` Active/Inactive), Accounts, Contacts (`email` list with `primary_address`,
  fixed phone fields), Opportunities (`amount` in `currency_id`, `sales_stage`, `date_closed`),
  ProductTemplates (the catalogue: `discount_price` is the unit price), Calls and Meetings
  (`date_start`, `duration_hours`/`_minutes`, status Held/Planned), Tasks (`date_due`,
  status Completed...), Notes (`description`); ids are UUIDs, unique across modules, so
  activity ids need no prefix. Relations: `account_id`, `assigned_user_id`, `parent_type` +
  `parent_id`, `contact_id`.
- Currencies: `/Currencies` rows `{id, iso4217}`; the system currency has id "-99".
- `/metadata?type_filter=modules,app_list_strings`: field definitions per module (Studio fields
  end in `_c`, `source: "custom_fields"`, label in `labelValue`) and dropdown lists. Sales stages
  are the one `sales_stage_dom` list; "Closed Won"/"Closed Lost" are closed stages, not stages
  of a pipeline. Multi-selects are stored as `^a^,^b^`; currency fields are amounts in the
  record's `currency_id`.
- Errors `{"error", "error_message"}`.

The metadata document is a lookup read once; the pipeline, stage and field-catalog lists and the
stage closed deals go to are tables derived from it (see spec.py).
"""

from __future__ import annotations

from adapters.core.declarative import DeclarativeSource
from adapters.core.http import ApiClient
from adapters.sugarcrm.spec import API, PAGE_SIZE, SPEC, sugar_spec

__all__ = ["API", "PAGE_SIZE", "SPEC", "sugar_source"]


def sugar_source(
    client: ApiClient, *, count_records: bool = True, page_size: int = PAGE_SIZE
) -> DeclarativeSource:
    """The spec at a page size (tests use small pages to cross page boundaries)."""
    return DeclarativeSource(sugar_spec(page_size), client, count_records=count_records)
