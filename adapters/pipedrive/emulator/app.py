"""The emulator: companies in memory and the ASGI app that serves them.

Paths: `/{account_id}/api/v2/...` and `/{account_id}/v1/...`; the service mounts the app at
`/sandbox/pipedrive`, so a company's base URL is `.../sandbox/pipedrive/{account_id}`."""

from __future__ import annotations

import secrets
import threading
import time
from typing import TYPE_CHECKING, Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse

from adapters.pipedrive.emulator import deal_products, files, leads, routes_v1, routes_v2
from adapters.pipedrive.emulator.clock import Clock, rfc3339
from adapters.pipedrive.emulator.endpoint import Context
from adapters.pipedrive.emulator.errors import PipedriveError
from adapters.pipedrive.emulator.ratelimit import Limits
from adapters.pipedrive.emulator.seed import seed
from adapters.pipedrive.emulator.state import AccountState

if TYPE_CHECKING:
    from adapters.reference.dataset import ReferenceCompany


class PipedriveEmulator:
    def __init__(self, *, clock: Clock = time.time) -> None:
        self.clock = clock
        self._accounts: dict[str, AccountState] = {}
        # Accounts may be created from a worker thread while the app serves requests.
        self._lock = threading.Lock()
        self.app = build_app(Context(find_account=self._accounts.get, clock=self._now))

    def _now(self) -> float:
        return self.clock()

    def create_account(
        self,
        account_id: str,
        *,
        api_token: str,
        dataset: str = "reference",
        size: int = 300,
        limits: Limits | None = None,
        company: ReferenceCompany | None = None,
    ) -> None:
        """Create (or re-create from scratch) a company reachable with `api_token`; `company`
        seeds that company instead of the generated reference one."""
        state = AccountState.new(account_id, api_token, limits or Limits())
        seed(state, dataset, size, rfc3339(self.clock()), company)
        if not state.limiter.limits.admin:  # the token is a regular user's
            state.token_user_id = next(
                u.id for u in state.users.values() if u.active and not u.is_admin
            )
        with self._lock:
            self._accounts[account_id] = state

    def has_account(self, account_id: str) -> bool:
        return account_id in self._accounts

    def held(self, company: ReferenceCompany) -> ReferenceCompany:
        return company  # Pipedrive holds the whole reference company

    def drop_account(self, account_id: str) -> None:
        with self._lock:
            self._accounts.pop(account_id, None)

    def account_state(self, account_id: str) -> AccountState:
        return self._accounts[account_id]

    # --- the sandbox's Emulator protocol (adapters.core.registry) -------------------------

    def new_credentials(self, base_url: str) -> dict[str, str]:
        return {"api_token": secrets.token_hex(20)}

    def provision(
        self,
        account_id: str,
        credentials: dict[str, str],
        *,
        dataset: str,
        size: int,
        limits: dict[str, int],
    ) -> None:
        self.create_account(
            account_id,
            api_token=credentials["api_token"],
            dataset=dataset,
            size=size,
            limits=Limits(
                burst=limits.get("burst", Limits.burst),
                daily_tokens=limits.get("daily_tokens", Limits.daily_tokens),
                admin=bool(limits.get("admin", True)),
            ),
        )


def build_app(context: Context) -> Starlette:
    return Starlette(
        routes=[
            *deal_products.routes(context),
            *routes_v2.routes(context),
            *routes_v1.routes(context),
            *leads.routes(context),
            *files.routes(context),
        ],
        exception_handlers={HTTPException: _http_error},
    )


async def _http_error(request: Request, exc: Any) -> JSONResponse:
    """Unknown paths and methods get Pipedrive's error envelope rather than Starlette's text."""
    messages = {404: "Not found.", 405: "Method not allowed."}
    error = PipedriveError(exc.status_code, messages.get(exc.status_code, str(exc.detail)))
    return JSONResponse(error.body(), exc.status_code)
