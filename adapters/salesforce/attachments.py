"""Files: the reference company's attached files as Salesforce Files hold them.

Salesforce facts relied on (Object Reference: ContentDocument, ContentVersion,
ContentDocumentLink, ContentNote; REST API: sObject Blob Get):
- A file is a ContentDocument (069): Title (the name without its extension), FileExtension,
  FileType ("PDF", "PNG", "TEXT", ...; "SNOTE" for an enhanced note), ContentSize (bytes),
  OwnerId, CreatedDate, LatestPublishedVersionId. Its bytes are in its versions, ContentVersion
  (068): ContentDocumentId, Title, PathOnClient (the name it was uploaded under), VersionNumber,
  IsLatest, ContentSize, and VersionData, a blob: a query answers its path, and
  `GET /services/data/vNN.0/sobjects/ContentVersion/{id}/VersionData` its bytes, one request
  per file. Neither carries a MIME type; the extension tells it.
- A file sits on each record a ContentDocumentLink (06A) links it to (LinkedEntityId: an
  account, contact, opportunity, lead, task, event or product), and on its owner's
  (ShareType I). A ContentNote is a ContentDocument too, linked the same way.
"""

from __future__ import annotations

from collections.abc import Callable

from adapters.core.canonical import File
from adapters.reference.dataset import ReferenceCompany
from adapters.reference.ids import kind_and_number
from adapters.salesforce.records import (
    TASK_TYPES,
    Row,
    Tables,
    created_date,
    ref_id,
    sf_id,
    system_modstamp,
)

# File documents, versions and links are numbered from here: apart from the ContentNotes'.
FILE_NUMBERS = 500_000
FILE_TYPES = {"pdf": "PDF", "png": "PNG", "txt": "TEXT", "csv": "CSV", "mp4": "MP4",
              "jpg": "JPG", "docx": "WORD_X", "xlsx": "EXCEL_X"}  # fmt: skip


def split_name(name: str) -> tuple[str, str | None]:
    """(Title, FileExtension) of an uploaded file's name."""
    title, dot, extension = name.rpartition(".")
    return (title, extension.lower()) if dot and title else (name, None)


def render_files(company: ReferenceCompany, tables: Tables) -> Tables:
    """The tables with ContentDocument and ContentVersion rows for the ContentNotes and for
    each file, and each file's ContentDocumentLinks to its record and its owner."""
    documents, versions = _note_documents(tables.get("ContentNote", []))
    links = list(tables.get("ContentDocumentLink", []))
    parents = _parents(company)
    for i, file in enumerate(company.files):
        number = FILE_NUMBERS + kind_and_number(file.source_id)[1]
        document_id, version_id = sf_id("ContentDocument", number), sf_id("ContentVersion", number)
        title, extension = split_name(file.name)
        kind = FILE_TYPES.get(extension or "", "UNKNOWN")
        data = company.file_bytes[file.source_id]
        parent, owner = parents(file)
        common = {"Title": title, "FileExtension": extension, "FileType": kind,
                  "ContentSize": len(data), "OwnerId": owner,
                  "CreatedDate": created_date(file.add_time), "SystemModstamp": system_modstamp(i)}  # fmt: skip
        documents.append(
            {"Id": document_id, **common, "LatestPublishedVersionId": version_id,
             "PublishStatus": "P", "SharingPrivacy": "N", "IsArchived": False}
        )  # fmt: skip
        versions.append(
            {"Id": version_id, **common, "ContentDocumentId": document_id,
             "PathOnClient": file.name, "VersionNumber": "1", "IsLatest": True,
             "FirstPublishLocationId": parent, "VersionData": data}
        )  # fmt: skip
        for entity, share in ((parent, "V"), (owner, "I")):
            if entity:
                links.append(
                    {"Id": sf_id("ContentDocumentLink", FILE_NUMBERS + len(links)),
                     "ContentDocumentId": document_id, "LinkedEntityId": entity,
                     "ShareType": share, "Visibility": "AllUsers", "IsDeleted": False,
                     "SystemModstamp": system_modstamp(i)}
                )  # fmt: skip
    return {**tables, "ContentDocument": documents, "ContentVersion": versions,
            "ContentDocumentLink": links}  # fmt: skip


def _note_documents(notes: list[Row]) -> tuple[list[Row], list[Row]]:
    """Each ContentNote's ContentDocument (FileType SNOTE) and its one version."""
    documents, versions = [], []
    for note in notes:
        common = {"Title": note["Title"], "FileExtension": "snote", "FileType": "SNOTE",
                  "ContentSize": note["ContentSize"], "OwnerId": note["OwnerId"],
                  "CreatedDate": note["CreatedDate"], "SystemModstamp": note["LastModifiedDate"]}  # fmt: skip
        documents.append(
            {"Id": note["Id"], **common, "LatestPublishedVersionId": note["LatestPublishedVersionId"],
             "PublishStatus": "P", "SharingPrivacy": "N", "IsArchived": False}
        )  # fmt: skip
        versions.append(
            {"Id": note["LatestPublishedVersionId"], **common, "ContentDocumentId": note["Id"],
             "PathOnClient": None, "VersionNumber": "1", "IsLatest": True,
             "FirstPublishLocationId": None, "VersionData": note["Content"].encode()}
        )  # fmt: skip
    return documents, versions


def _parents(company: ReferenceCompany) -> Callable[[File], tuple[str | None, str | None]]:
    """file -> (the id of the record it is attached to, its owner's user id)."""
    activities = {a.source_id: a for a in (*company.activities, *company.lead_activities)}
    owners = {
        ref_id(name, r.source_id): getattr(r, "owner_source_id", None)
        for name, records in (
            ("Opportunity", company.deals), ("Contact", company.persons),
            ("Account", company.organizations), ("Lead", company.leads),
        )
        for r in records
    }  # fmt: skip

    def parent(file: File) -> tuple[str | None, str | None]:
        record = None
        if file.activity_source_id:
            activity = activities[file.activity_source_id]
            kind = "Task" if activity.type in TASK_TYPES else "Event"
            record, owner = ref_id(kind, activity.source_id), activity.owner_source_id
            return record, ref_id("User", owner or "u1")
        for link, name in (("deal_source_id", "Opportunity"), ("person_source_id", "Contact"),
                           ("org_source_id", "Account"), ("lead_source_id", "Lead"),
                           ("product_source_id", "Product2")):  # fmt: skip
            if getattr(file, link):
                record = ref_id(name, getattr(file, link))
                break
        return record, ref_id("User", owners.get(record) or "u1")

    return parent
