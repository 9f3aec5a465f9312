from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field


class UploadedFileOut(BaseModel):
    name: str = Field(description="The file's name (inside the zip, for a zip's files)")
    entity: str = Field(description="What its rows are: persons, organizations, deals...")
    rows: int = Field(description="Data rows (the header and blank lines aside)")
    columns: list[str] = Field(description="The header's column names, in order")


class UploadOut(BaseModel):
    id: str
    system: str = Field(description="Whose export: csv (any system's) or a system id")
    source_account: str = Field(
        description="What names the exported account in the ledger: the label given, else a "
        "digest of the files (the same export uploaded again links to the same records)"
    )
    size: int = Field(description="Bytes received")
    files: list[UploadedFileOut]
    created_at: datetime


class UploadList(BaseModel):
    data: list[UploadOut]
