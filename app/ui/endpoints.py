"""The status page for people: server-rendered HTML at `/` and `/sessions/{id}`, its form actions
under `/ui/` (each checked for its CSRF token and origin), its CSS and script under /ui/static."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from app.deps import DbSession, QueueDep, account_for_key
from app.errors import FerryError
from app.models import Account
from app.sessions import service as sessions
from app.sessions.schemas import UndoRequest
from app.ui import auth, content
from app.ui.pages import STATIC_DIR, STATIC_PREFIX, message_page, render
from app.ui.views import session_view

router = APIRouter(include_in_schema=False)
router.mount(STATIC_PREFIX, StaticFiles(directory=STATIC_DIR), name="ui-static")

SESSIONS_PER_PAGE = 20
ERRORS_PER_PAGE = 50


@dataclass(frozen=True)
class Viewer:
    """A browser signed in with a working API key."""

    account: Account
    csrf_token: str


async def _viewer(request: Request, db: DbSession) -> Viewer | None:
    found = auth.signed_in(request)
    if found is None:
        return None
    account = await account_for_key(db, found.api_key)  # a revoked key signs the browser out
    return Viewer(account, found.csrf_token) if account else None


MaybeViewer = Annotated[Viewer | None, Depends(_viewer)]


def _sign_in_page(
    request: Request, next_path: str = "/", error: str | None = None, status_code: int = 200
) -> HTMLResponse:
    response = render(
        request,
        "sign_in.html",
        {"next_path": next_path, "notice": error},
        status_code=status_code,
    )
    if request.cookies.get(auth.COOKIE_NAME):  # expired or for a revoked key: drop it
        auth.clear_cookie(request, response)
    return response


def _refused(request: Request, viewer: Viewer | None) -> HTMLResponse:
    if viewer is None and auth.same_origin(request):  # the sign-in expired meanwhile
        return _sign_in_page(request, error="Sign in again to do that.", status_code=401)
    return message_page(
        request,
        "Refused",
        "This form did not come from this page as it was shown to you (a missing or stale "
        "security token, or another site). Reload the page and try again.",
        403,
        account=viewer.account if viewer else None,
        csrf_token=viewer.csrf_token if viewer else "",
    )


def _checked_form(request: Request, viewer: Viewer | None, csrf_token: str) -> Viewer | None:
    """The viewer, when a form POST carries its CSRF token and comes from our own origin."""
    if viewer is None or not auth.same_origin(request):
        return None
    return viewer if auth.csrf_matches(viewer.csrf_token, csrf_token) else None


def _redirect(path: str) -> RedirectResponse:
    return RedirectResponse(path, status_code=303)  # after a POST: the browser GETs the page


CsrfField = Annotated[str, Form()]


@router.get("/", response_class=HTMLResponse)
async def home(
    request: Request, db: DbSession, viewer: MaybeViewer, cursor: str | None = None
) -> Response:
    if viewer is None:
        return _sign_in_page(request)
    try:
        page, next_cursor = await sessions.list_sessions(
            db, viewer.account, SESSIONS_PER_PAGE, cursor
        )
    except FerryError as exc:
        return _failure(request, viewer, exc)
    views = [session_view(s) for s in await sessions.sessions_out(db, page)]
    context = {
        "sessions": views,
        "next_cursor": next_cursor,
        "cursor": cursor,
        "sandbox": content.sandbox_form(),
    }
    return render(
        request, "sessions.html", context, account=viewer.account, csrf_token=viewer.csrf_token
    )


@router.post("/ui/sign-in", response_class=HTMLResponse)
async def sign_in(
    request: Request,
    db: DbSession,
    api_key: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/",
) -> Response:
    if not auth.same_origin(request):  # no signing a browser in from another site's form
        return _refused(request, None)
    key = api_key.strip()
    account = await account_for_key(db, key) if key else None
    if account is None:
        message = "That API key is not valid." if key else "Enter your API key."
        return _sign_in_page(request, _local_path(next), message, status_code=401)
    value, _ = auth.seal(key)
    response = _redirect(_local_path(next))
    auth.set_cookie(request, response, value)
    return response


@router.post("/ui/sign-out")
async def sign_out(request: Request, viewer: MaybeViewer, csrf_token: CsrfField = "") -> Response:
    if viewer is not None and _checked_form(request, viewer, csrf_token) is None:
        return _refused(request, viewer)
    response = _redirect("/")
    auth.clear_cookie(request, response)
    return response


@router.get("/sessions/{session_id}", response_class=HTMLResponse)
async def session_page(
    request: Request,
    db: DbSession,
    viewer: MaybeViewer,
    session_id: str,
    entity: str = "",
    code: str = "",
    after: int | None = None,
) -> Response:
    if viewer is None:
        return _sign_in_page(request, next_path=f"/sessions/{session_id}")
    try:
        context = await _session_context(db, viewer.account, session_id, entity, code, after)
    except FerryError as exc:
        return _failure(request, viewer, exc)
    return render(
        request, "session.html", context, account=viewer.account, csrf_token=viewer.csrf_token
    )


async def _session_context(
    db: DbSession, account: Account, session_id: str, entity: str, code: str, after: int | None
) -> dict[str, object]:
    session = await sessions.get_session(db, account, session_id)
    out = await sessions.session_out(db, session)
    errors, next_cursor = await sessions.list_errors(
        db, account, session_id, ERRORS_PER_PAGE, after, entity=entity or None, code=code or None
    )
    next_page = None
    if next_cursor:
        query = {k: v for k, v in {"entity": entity, "code": code}.items() if v}
        next_page = f"/sessions/{session_id}?{urlencode({**query, 'after': next_cursor})}"
    return {
        "view": session_view(out),
        "errors": errors,
        "errors_next": next_page,
        "filters": {
            "entity": entity,
            "code": code,
            "entities": out.entities,
            "codes": await content.error_codes(db, session_id),
        },
        "field_map": out.field_map or [],
        "deliveries": await content.deliveries(db, account, session_id),
    }


@router.post("/ui/sessions/{session_id}/cancel")
async def cancel(
    request: Request,
    db: DbSession,
    queue: QueueDep,
    viewer: MaybeViewer,
    session_id: str,
    csrf_token: CsrfField = "",
) -> Response:
    async def cancel_it(account: Account) -> str:
        await sessions.cancel_session(db, account, session_id, queue)
        return session_id

    return await _form_action(request, viewer, csrf_token, cancel_it, session_id)


@router.post("/ui/sessions/{session_id}/resume")
async def resume(
    request: Request,
    db: DbSession,
    queue: QueueDep,
    viewer: MaybeViewer,
    session_id: str,
    csrf_token: CsrfField = "",
) -> Response:
    async def resume_it(account: Account) -> str:
        return (await sessions.resume_session(db, account, session_id, queue)).id

    return await _form_action(request, viewer, csrf_token, resume_it, session_id)


@router.post("/ui/sessions/{session_id}/undo")
async def undo(
    request: Request,
    db: DbSession,
    queue: QueueDep,
    viewer: MaybeViewer,
    session_id: str,
    csrf_token: CsrfField = "",
    force: Annotated[str, Form()] = "",
) -> Response:
    async def undo_it(account: Account) -> str:
        body = UndoRequest(force=force == "true")
        return (await sessions.undo_session(db, account, session_id, body, queue)).id

    return await _form_action(request, viewer, csrf_token, undo_it, session_id)


@router.post("/ui/sandbox")
async def sandbox_migration(
    request: Request,
    db: DbSession,
    queue: QueueDep,
    viewer: MaybeViewer,
    csrf_token: CsrfField = "",
    system: Annotated[str, Form()] = "",
    size: Annotated[str, Form()] = "",
) -> Response:
    async def start_it(account: Account) -> str:
        session = await content.start_sandbox_migration(db, account, system, size, queue)
        return session.id

    return await _form_action(request, viewer, csrf_token, start_it)


async def _form_action(
    request: Request,
    viewer: Viewer | None,
    csrf_token: str,
    action: Callable[[Account], Awaitable[str]],
    session_id: str | None = None,
) -> Response:
    """A form of the page: refused without its CSRF token and our origin; otherwise the action
    (which answers the session to show next), or its error as a page."""
    checked = _checked_form(request, viewer, csrf_token)
    if checked is None:
        return _refused(request, viewer)
    try:
        shown = await action(checked.account)
    except FerryError as exc:
        return _failure(request, checked, exc, session_id)
    return _redirect(f"/sessions/{shown}")


def _failure(
    request: Request, viewer: Viewer, exc: FerryError, session_id: str | None = None
) -> HTMLResponse:
    back = (f"/sessions/{session_id}", "Back to the session") if session_id else None
    if exc.status_code == 404:
        back = None  # no session to go back to
    return message_page(
        request,
        "That did not work",
        exc.message,
        exc.status_code,
        account=viewer.account,
        csrf_token=viewer.csrf_token,
        back=back,
    )


def _local_path(path: str) -> str:
    """Where to go after signing in: a path of this site only, never another site."""
    if path.startswith("/") and not path.startswith(("//", "/\\")) and "\n" not in path:
        return path
    return "/"
