"""`ferry accounts`: accounts and API keys, straight in the local database (the server's own
settings: FERRY_DATABASE_URL, or the SQLite file in FERRY_DATA_DIR)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, TypeVar

import typer
from rich.table import Table

from app.cli.api import CliFailure
from app.cli.database import upgrade_database
from app.cli.exits import ExitCode
from app.cli.output import console, stdout

if TYPE_CHECKING:  # the database stack is imported by the commands that use it, not by --help
    from sqlalchemy.ext.asyncio import AsyncSession

accounts_cli = typer.Typer(
    help="Accounts and API keys (in the local database).", no_args_is_help=True
)

T = TypeVar("T")


def _run(work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    """Runs `work` in one database session, after bringing the schema up to date."""
    from app.db import dispose_engine, sessionmaker

    async def _go() -> T:
        try:
            async with sessionmaker()() as db:
                return await work(db)
        finally:
            await dispose_engine()

    upgrade_database()
    return asyncio.run(_go())


def _fail(message: str, code: str) -> CliFailure:
    # The same exit code as the API's answer to the same request would give.
    return CliFailure(message, ExitCode.API_ERROR, code=code)


@accounts_cli.command("create")
def accounts_create(name: str) -> None:
    """Create an account; prints its webhook secret, then its API key as the last line."""
    from app.accounts.service import create_account

    async def create(db: AsyncSession) -> tuple[str, str, str]:
        account, secret, key = await create_account(db, name)
        return account.id, secret, key

    account_id, secret, key = _run(create)
    console.print(f"account {name} created: {account_id}")
    console.print("webhook secret (signs the webhooks you receive; rotate it through the API):")
    print(secret, flush=True)
    console.print("API key (send it as 'Authorization: Bearer <key>'; it is shown only now):")
    print(key, flush=True)


@accounts_cli.command("list")
def accounts_list() -> None:
    """List the accounts with their number of working API keys."""
    from app.accounts.service import list_accounts

    async def rows(db: AsyncSession) -> list[tuple[str, str, str, int]]:
        return [
            (a.id, a.name, a.created_at.isoformat(timespec="seconds"), n)
            for a, n in await list_accounts(db)
        ]

    table = Table("id", "name", "created", "active keys", box=None)
    for account_id, name, created, keys in _run(rows):
        table.add_row(account_id, name, created, str(keys))
    stdout.print(table)


@accounts_cli.command("keys")
def accounts_keys(
    account: str = typer.Argument(..., help="The account's name or id"),
) -> None:
    """List an account's API keys: id, prefix, created, revoked (never the keys themselves)."""
    from app.accounts.service import list_api_keys
    from app.errors import FerryError

    async def keys(db: AsyncSession) -> list[tuple[str, str, str, str]]:
        account_id = await _account_id(db, account)
        return [
            (
                k.id,
                k.prefix + "...",
                k.created_at.isoformat(timespec="seconds"),
                k.revoked_at.isoformat(timespec="seconds") if k.revoked_at else "",
            )
            for k in await list_api_keys(db, account_id)
        ]

    try:
        rows = _run(keys)
    except FerryError as exc:
        raise _fail(exc.message, exc.code) from None
    table = Table("id", "prefix", "created", "revoked", box=None)
    for row in rows:
        table.add_row(*row)
    stdout.print(table)


async def _account_id(db: AsyncSession, name_or_id: str) -> str:
    from sqlalchemy import or_, select

    from app.errors import Conflict, NotFound
    from app.models import Account

    found = list(
        await db.scalars(
            select(Account).where(or_(Account.id == name_or_id, Account.name == name_or_id))
        )
    )
    if not found:
        raise NotFound(f"No account named {name_or_id!r}.", code="account_not_found")
    if len(found) > 1:
        ids = ", ".join(a.id for a in found)
        raise Conflict(f"Several accounts are named {name_or_id!r}: give one id ({ids}).")
    return found[0].id


@accounts_cli.command("revoke-key")
def accounts_revoke_key(
    key_id: str = typer.Argument(..., help="The key's id (see 'ferry accounts keys')"),
) -> None:
    """Revoke an API key: requests with it are refused at once. An account's last working key
    cannot be revoked (create another first: POST /v1/account/api-keys)."""
    from app.accounts.service import revoke_api_key
    from app.errors import FerryError

    async def revoke(db: AsyncSession) -> str:
        key = await revoke_api_key(db, key_id)
        return key.prefix

    try:
        prefix = _run(revoke)
    except FerryError as exc:
        raise _fail(exc.message, exc.code) from None
    console.print(f"API key {key_id} ({prefix}...) is revoked")
