from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, Field

from adapters.core.registry import System, all_systems
from app.deps import CurrentAccount
from app.errors import error_responses

router = APIRouter(prefix="/v1/systems", tags=["systems"])


class CredentialFieldOut(BaseModel):
    name: str
    label: str
    secret: bool
    required: bool


class SystemOut(BaseModel):
    id: str
    name: str
    roles: list[str]
    credential_fields: list[CredentialFieldOut]
    entities: list[str]
    default_base_url: str | None = Field(
        description="Where the vendor's API lives; null when each customer has their own host "
        "and connections must give a base_url"
    )
    sandbox: bool = Field(description="POST /sandbox/accounts can emulate this system")


def system_out(system: System) -> SystemOut:
    return SystemOut(
        id=system.id,
        name=system.name,
        roles=system.roles,
        credential_fields=[CredentialFieldOut(**vars(f)) for f in system.credential_fields],
        entities=[e.value for e in system.entities],
        default_base_url=system.default_base_url,
        sandbox=system.emulator is not None,
    )


@router.get(
    "",
    response_model=list[SystemOut],
    responses=error_responses(401),
    summary="Supported systems and what they take",
)
async def list_systems(_: CurrentAccount) -> list[SystemOut]:
    return [system_out(s) for s in all_systems()]
