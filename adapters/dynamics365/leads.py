"""Dynamics 365 leads and attachments, described for the declarative engine.

Vendor facts (Microsoft Learn: the lead and annotation entity references, and
power-apps/developer/data-platform/attachment-annotation-files):
- A lead (`leads`) is open while statecode is 0 (1 Qualified: it became an account, contact and
  opportunity, read as those; 2 Disqualified). Its topic is `subject`; it holds its own name
  (firstname, lastname, fullname), companyname, emailaddress1, telephone1 and mobilephone, and
  may name an existing contact and account instead (`_parentcontactid_value`,
  `_parentaccountid_value`); estimatedamount is a Money column in its transaction currency,
  estimatedclosedate a date. Its notes are annotations whose objecttypecode is "lead", its
  activities name it in Regarding.
- A lead that names no existing contact is a person of its own (its id the lead's), and one that
  names neither contact nor account, but a company, an organization of its own: Pipedrive's
  lead must belong to someone.
- An attachment is an annotation with isdocument true: filename, mimetype, filesize (bytes),
  its record in `_objectid_value` (objecttypecode the table), the bytes base64 in documentbody.
  `GET annotations(<id>)?$select=documentbody` gives them in JSON; the documented single-request
  download `annotations(<id>)/documentbody/$value` answers the same base64 text as text/plain.
  Listing leaves documentbody out: one list of attachments, then one request per file's bytes.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from adapters.core.canonical import ContactPoint, Entity
from adapters.core.declarative import ChangedSince, FileContent, Join, Stream
from adapters.core.mapping import Getter, Raw, first, joined, number, ref, text, utc_date, utc_time
from adapters.core.paginators import NextUrl

OPEN = "statecode eq 0"
NO_CONTACT = f"{OPEN} and _parentcontactid_value eq null"
LEAD_COLUMNS = (
    "subject,firstname,lastname,fullname,companyname,emailaddress1,telephone1,mobilephone,"
    "_parentcontactid_value,_parentaccountid_value,estimatedamount,estimatedclosedate,"
    "_ownerid_value,_transactioncurrencyid_value,createdon"
)
FILE_COLUMNS = "filename,mimetype,filesize,objecttypecode,_objectid_value,createdon"
# The tables an attachment may hang on, and the link each one is.
FILE_PARENTS = {
    "opportunity": "deal_source_id",
    "contact": "person_source_id",
    "account": "org_source_id",
    "lead": "lead_source_id",
    "product": "product_source_id",
    **{kind: "activity_source_id" for kind in ("task", "phonecall", "appointment", "email")},
}
FILES = FileContent(
    path=lambda ref: f"/annotations({ref})?$select=documentbody", base64="documentbody"
)


def _own_person(raw: Raw) -> bool:
    named = raw.get("fullname") or raw.get("lastname") or raw.get("firstname")
    return not raw.get("_parentcontactid_value") and bool(named)


def _own_org(raw: Raw) -> bool:
    linked = raw.get("_parentcontactid_value") or raw.get("_parentaccountid_value")
    return not linked and bool(raw.get("companyname"))


def _points(raw: Raw, columns: tuple[tuple[str, str], ...]) -> list[ContactPoint]:
    found = [(raw[column], label) for column, label in columns if raw.get(column)]
    return [
        ContactPoint(value=str(value), label=label, primary=i == 0)
        for i, (value, label) in enumerate(found)
    ]


def _list(
    entity: Entity, path: str, fields: Mapping[str, Getter], filter: str, select: str, **extra: Any
) -> Stream:
    return Stream(
        entity,
        path,
        fields,
        NextUrl(next_url_path="@odata.nextLink"),
        records="value",
        params={"$select": select, "$filter": filter},
        changed_since=ChangedSince("$filter", f"{filter} and modifiedon gt {{iso}}"),
        **extra,
    )


def lead_streams(currency: Join) -> tuple[Stream, ...]:
    """Open leads, and the persons and organizations of the leads that name none."""
    own_org = lambda raw: raw["leadid"] if _own_org(raw) else None  # noqa: E731
    value_currency = lambda raw: (  # noqa: E731
        (raw.get("_currency") or {}).get("isocurrencycode")
        if raw.get("estimatedamount") is not None
        else None
    )
    leads = _list(
        Entity.leads,
        "/leads",
        {
            "source_id": "leadid",
            "title": first("subject", "fullname", "companyname", lambda raw: ""),
            "person_source_id": first(
                ref("_parentcontactid_value"),
                lambda raw: raw["leadid"] if _own_person(raw) else None,
            ),
            "org_source_id": first(ref("_parentaccountid_value"), own_org),
            "owner_source_id": ref("_ownerid_value"),
            "value": number("estimatedamount"),
            "currency": value_currency,
            "expected_close_date": utc_date("estimatedclosedate"),
            "add_time": utc_time("createdon"),
        },
        OPEN,
        LEAD_COLUMNS,
        joins=(currency,),
    )
    persons = _list(
        Entity.persons,
        "/leads",
        {
            "source_id": "leadid",
            "name": first("fullname", joined("firstname", "lastname")),
            "first_name": text("firstname"),
            "last_name": text("lastname"),
            "emails": lambda raw: _points(raw, (("emailaddress1", "work"),)),
            "phones": lambda raw: _points(raw, (("telephone1", "work"), ("mobilephone", "mobile"))),
            "org_source_id": first(ref("_parentaccountid_value"), own_org),
            "owner_source_id": ref("_ownerid_value"),
            "add_time": utc_time("createdon"),
        },
        NO_CONTACT,
        LEAD_COLUMNS,
        keep=_own_person,
    )
    orgs = _list(
        Entity.organizations,
        "/leads",
        {
            "source_id": "leadid",
            "name": text("companyname"),
            "owner_source_id": ref("_ownerid_value"),
            "add_time": utc_time("createdon"),
        },
        f"{NO_CONTACT} and _parentaccountid_value eq null",
        LEAD_COLUMNS,
        keep=_own_org,
    )
    return leads, persons, orgs


def _parent(link: str) -> Getter:
    return lambda raw: (
        raw.get("_objectid_value")
        if FILE_PARENTS.get(raw.get("objecttypecode") or "") == link
        else None
    )


def file_stream() -> Stream:
    """Every attachment, one list (without its bytes), on the records the source reads."""
    return _list(
        Entity.files,
        "/annotations",
        {
            "source_id": "annotationid",
            "name": first("filename", lambda raw: "attachment"),
            "mime_type": text("mimetype"),
            "size": lambda raw: raw.get("filesize"),
            **{link: _parent(link) for link in set(FILE_PARENTS.values())},
            "content_ref": "annotationid",
            "add_time": utc_time("createdon"),
        },
        "isdocument eq true",
        FILE_COLUMNS,
        keep=lambda raw: (
            raw.get("objecttypecode") in FILE_PARENTS and bool(raw.get("_objectid_value"))
        ),
    )
