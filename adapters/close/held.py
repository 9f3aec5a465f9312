"""What of the reference company Close can hold: the company a migration from Close carries.
Every rule says what Close lacks (see render.py for how the company sits in Close).

Leads, files and labels: Close's leads are its companies (read as organizations), so there are
no leads of another kind to carry; leads, contacts and opportunities have no tags (custom
choice fields play that part, and are carried as such). Files are attachments of notes and
e-mails only (`attachments: [{url, filename, content_type, size}]`): a file on a record hangs on
a note on the record's lead made for it; one on an e-mail on the e-mail; one on a call, meeting
or task, or on a lead of the reference's own kind, is not kept."""

from __future__ import annotations

import dataclasses
from typing import Any

from adapters.close.render import Company, activity_kind, created_at
from adapters.core.canonical import Activity, Entity, FieldType, File, Note
from adapters.core.mapping import utc_time
from adapters.reference.dataset import ReferenceCompany
from adapters.reference.holds import CloseTime, Holds, Names

CLOSE_ENTITIES = (Entity.organizations, Entity.persons, Entity.deals)


def _on_leads(company: ReferenceCompany) -> ReferenceCompany:
    """Activities and notes hang on a lead (and maybe a contact), never on an opportunity."""
    ref = Company(company)
    named = {o.source_id for o in company.organizations}
    return dataclasses.replace(
        company,
        activities=[_activity(a, ref, named) for a in company.activities],
        notes=[_note(n, ref, named) for n in company.notes],
    )


def _links(record: Activity | Note, ref: Company, named: set[str]) -> dict[str, Any]:
    """The deal link becomes the deal's lead and contact. A lead is an organization only when
    it has a name (an individual's own lead is not one)."""
    lead = ref.lead_of(record)
    individual = None if lead in named else lead  # an individual's lead is that person
    return {
        "deal_source_id": None,
        "org_source_id": lead if lead in named else None,
        "person_source_id": ref.contact_of(record) or individual,
    }


def _activity(activity: Activity, ref: Company, named: set[str]) -> Activity:
    update = _links(activity, ref, named)
    kind = activity_kind(activity)
    if kind == "task":
        # A task has text, a due date or time, completion and an assignee: no kind, no length,
        # no note. Open calls are tasks too (a Close call is one that took place).
        update.update(type="task", duration=None, note=None)
    elif kind == "call":
        # A logged call has no subject line, and it always starts at a time of day.
        update.update(subject="Call", due_time=activity.due_time or "00:00")
    else:
        # Meetings (a lunch is a meeting) and e-mails are timed: all-day ones start at 00:00.
        update.update(type=kind, due_time=activity.due_time or "00:00")
    return activity.model_copy(update=update)


def _note(note: Note, ref: Company, named: set[str]) -> Note:
    update = _links(note, ref, named)
    lead = ref.lead_of(note)
    if not note.person_source_id and lead in named:
        update["person_source_id"] = None  # a deal's note stays on its lead, not its contact
    return note.model_copy(update=update)


def _files(company: ReferenceCompany) -> ReferenceCompany:
    """A file on a record sits where a note on it would (its lead, and contact); one on an
    activity only on an e-mail, dated with it (an attachment has no date of its own)."""
    ref = Company(company)
    named = {o.source_id for o in company.organizations}
    emails = {a.source_id for a in company.activities if a.type == "email"}
    files: list[File] = []
    for file in company.files:
        if file.activity_source_id in emails:
            stamp = utc_time("at")({"at": created_at(file.activity_source_id or "")})
            files.append(file.model_copy(update={"add_time": stamp}))
        elif not (file.activity_source_id or file.lead_source_id or file.product_source_id):
            carrier = Note(source_id=file.source_id, content="", **_file_links(file))
            links = _file_links(_note(carrier, ref, named))
            if links["person_source_id"]:  # a file on a contact is the contact's alone
                links["org_source_id"] = None
            files.append(file.model_copy(update=links))
    return dataclasses.replace(company, files=files)


def _file_links(record: File | Note) -> dict[str, Any]:
    keys = ("deal_source_id", "person_source_id", "org_source_id")
    return {key: getattr(record, key) for key in keys}


HOLDS = Holds(
    # Close field types are text, number, date, choices (one or several) and user: no currency
    # or phone type, and one kind of text for short and long values; custom fields only on
    # leads, contacts and opportunities.
    field_types={
        FieldType.monetary: FieldType.double,
        FieldType.phone: FieldType.text,
        FieldType.varchar: FieldType.text,
    },
    keeps_field=lambda field: field.entity in CLOSE_ENTITIES,
    # The user list does not say who left: deactivation ends a membership, and the source reads
    # /user/ only, so every user arrives as active (the pipeline still skips the ones the target
    # does not have).
    inactive_users=False,
    # Pipeline statuses carry no win probability (only opportunities have a confidence).
    stage_probability=False,
    # A contact has one `name`: no separate first and last name.
    names=Names.one,
    # Close has no products (and so no product custom fields).
    products=False,
    # date_won and date_lost are dates: the time of day a deal closed is not kept.
    close_time=CloseTime.day,
    # Attachments of notes (on a lead and maybe a contact) and of e-mails; no labels, no leads.
    files=True,
    file_parents=frozenset({"person_source_id", "org_source_id", "activity_source_id"}),
    extra=(_files, _on_leads),
)

held = HOLDS.held
