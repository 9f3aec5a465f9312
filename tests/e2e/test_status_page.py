"""The status page as a person uses it, in a real headless Chromium that reaches nothing but Ferry:
signing in (a wrong key first), watching a migration end live, filtering its record errors,
downloading them as CSV, starting a sandbox migration from the page; and its forms refusing a
POST without the page's CSRF token or from another origin, and acting with it."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
from playwright.async_api import BrowserContext, ConsoleMessage, Page, Route, expect

from tests.browser import chromium
from tests.conftest import Stack
from tests.helpers import endpoint, sandbox, wait_for

SIZE = 5
CAP = 1_000_000  # below the reference company's one large file: it fails with file_too_large
LIVE_TIMEOUT_MS = 120_000
# Each source read waits this long: the session runs for seconds, so the page opens on it
# running and has to follow it to the end.
SOURCE_LATENCY_MS = 30


class OnlyFerry:
    """Lets the browser reach Ferry's host only; remembers anything else it tried, and every
    script error or console error (a Content-Security-Policy violation shows up there)."""

    def __init__(self, stack: Stack) -> None:
        self.host = urlsplit(stack.url).hostname
        self.elsewhere: list[str] = []
        self.console_errors: list[str] = []

    async def route(self, route: Route) -> None:
        if urlsplit(route.request.url).hostname == self.host:
            await route.continue_()
        else:
            self.elsewhere.append(route.request.url)
            await route.abort()

    async def open(self, context: BrowserContext) -> Page:
        await context.route("**/*", self.route)
        page = await context.new_page()
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.console_errors.append(str(error)))
        return page

    def _console(self, message: ConsoleMessage) -> None:
        # A page answered with an error status (the sign-in form after a wrong key is a 401)
        # is logged too: that is the server's answer, not the page failing.
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            self.console_errors.append(message.text)


async def _sign_in(page: Page, stack: Stack, key: str) -> None:
    await page.goto(stack.url + "/")
    await page.get_by_label("API key").fill(key)
    await page.get_by_role("button", name="Sign in").click()


async def _slow_source(client: httpx.AsyncClient) -> dict[str, Any]:
    body = {
        "system": "pipedrive",
        "dataset": "reference",
        "size": SIZE,
        "limits": {"burst": 480},
        "faults": {"reads": {"latency_ms": SOURCE_LATENCY_MS}},
    }
    response = await client.post("/sandbox/accounts", json=body)
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


async def test_a_person_signs_in_watches_a_migration_end_and_downloads_its_errors(
    stack: Stack, client: httpx.AsyncClient, tmp_path: Path
) -> None:
    guard = OnlyFerry(stack)
    async with chromium() as browser:
        context = await browser.new_context(accept_downloads=True)
        page = await guard.open(context)

        # A wrong key: the form again, saying so.
        await _sign_in(page, stack, "fry_not-a-key")
        await expect(page.get_by_test_id("notice")).to_have_text("That API key is not valid.")
        await expect(page.get_by_label("API key")).to_be_visible()

        await _sign_in(page, stack, stack.api_key)
        await expect(page.get_by_test_id("account-name")).to_have_text("acme")
        await expect(page.get_by_role("heading", name="Sessions")).to_be_visible()

        source = await _slow_source(client)
        target = await sandbox(client, dataset="empty")
        created = await client.post(
            "/v1/sessions",
            json={
                "source": endpoint(source),
                "target": endpoint(target),
                "options": {"max_file_bytes": CAP},
            },
        )
        assert created.status_code == 201, created.text
        session_id = created.json()["id"]

        # The list shows it; its page follows it to the end without a reload.
        await page.goto(stack.url + "/")
        row = page.locator(f'[data-session="{session_id}"]')
        await expect(row.locator('[data-part="status"]')).to_have_text(re.compile("queued|running"))
        await row.get_by_role("link").first.click()
        await page.wait_for_url(f"**/sessions/{session_id}")
        live = page.locator(f'[data-session="{session_id}"]')
        await expect(live.locator('[data-part="status"]')).to_have_text(
            re.compile("queued|running")
        )
        await page.evaluate("window.stillTheSamePage = true")
        await expect(page.locator('[data-part="status"]')).to_have_text(
            "completed with errors", timeout=LIVE_TIMEOUT_MS
        )
        await expect(page.locator('[data-part="overall-percent"]')).to_have_text("100.0 %")
        assert await page.evaluate("window.stillTheSamePage === true")
        # The errors arrived with the end, and undo is offered now that the run is over.
        errors = page.get_by_test_id("errors")
        await expect(errors).to_contain_text("file_too_large")
        await expect(page.get_by_role("button", name="Undo")).to_be_visible()
        await expect(page.get_by_role("button", name="Cancel")).to_have_count(0)

        # Filtering the errors.
        await page.locator('select[name="entity"]').select_option("persons")
        await page.get_by_role("button", name="Filter").click()
        await expect(page.get_by_test_id("no-errors")).to_have_text("No errors match the filter.")
        await page.locator('select[name="entity"]').select_option("files")
        await page.locator('select[name="code"]').select_option("file_too_large")
        await page.get_by_role("button", name="Filter").click()
        await expect(errors.locator("tbody tr")).to_have_count(1)
        await expect(errors.locator("tbody tr")).to_contain_text("files")

        # The CSV, downloaded by the browser with its sign-in cookie.
        async with page.expect_download() as download_info:
            await page.get_by_test_id("errors-csv").click()
        download = await download_info.value
        saved = tmp_path / "errors.csv"
        await download.save_as(saved)
        rows = list(csv.DictReader(io.StringIO(saved.read_text(encoding="utf-8-sig"))))
        assert [(r["entity"], r["code"]) for r in rows] == [("files", "file_too_large")]
        assert f"{CAP:,}" in rows[0]["message"]

        await context.close()

    assert guard.elsewhere == [], f"the page asked for something beyond Ferry: {guard.elsewhere}"
    assert guard.console_errors == [], guard.console_errors


async def test_the_sandbox_form_starts_a_migration_the_page_follows(stack: Stack) -> None:
    guard = OnlyFerry(stack)
    async with chromium() as browser:
        context = await browser.new_context()
        page = await guard.open(context)
        await _sign_in(page, stack, stack.api_key)

        form = page.get_by_test_id("sandbox")
        await form.get_by_test_id("sandbox-system").select_option("hubspot")
        await form.get_by_label("Persons").fill("5")
        await form.get_by_role("button", name="Start").click()
        await page.wait_for_url(re.compile(r"/sessions/[0-9a-f-]{36}$"))
        await expect(page.get_by_role("heading", name="HubSpot → Pipedrive")).to_be_visible()
        await expect(page.locator('[data-part="status"]')).to_have_text(
            "completed", timeout=LIVE_TIMEOUT_MS
        )
        persons = page.locator('tr[data-entity="persons"] [data-part="counts"]')
        await expect(persons).to_have_text(re.compile(r"^5 read · 5 written"))

        # Signing out forgets the browser: the sign-in form again.
        await page.get_by_role("button", name="Sign out").click()
        await expect(page.get_by_label("API key")).to_be_visible()
        await page.goto(page.url)
        await expect(page.get_by_label("API key")).to_be_visible()
        await context.close()

    assert guard.elsewhere == [], guard.elsewhere
    assert guard.console_errors == [], guard.console_errors


async def test_page_forms_refuse_posts_without_the_token_or_from_elsewhere_and_act_with_it(
    stack: Stack, client: httpx.AsyncClient
) -> None:
    source = await sandbox(client, size=5)
    target = await sandbox(client, dataset="empty")
    created = await client.post(
        "/v1/sessions",
        json={"source": endpoint(source), "target": endpoint(target), "entities": ["persons"]},
    )
    assert created.status_code == 201, created.text
    session_id = created.json()["id"]
    own = {"origin": stack.url}
    elsewhere = {"origin": "https://evil.example"}

    async with httpx.AsyncClient(base_url=stack.url, timeout=30) as browser:
        refused = await browser.post(
            "/ui/sign-in", data={"api_key": stack.api_key}, headers=elsewhere
        )
        assert refused.status_code == 403
        assert "ferry_session" not in refused.cookies

        signed_in = await browser.post("/ui/sign-in", data={"api_key": stack.api_key}, headers=own)
        assert signed_in.status_code == 303, signed_in.text
        page = (await browser.get(f"/sessions/{session_id}")).text
        token = re.search(r'name="csrf_token" value="([^"]+)"', page)
        assert token, page

        cancel = f"/ui/sessions/{session_id}/cancel"
        without_token = await browser.post(cancel, data={}, headers=own)
        wrong_token = await browser.post(cancel, data={"csrf_token": "forged"}, headers=own)
        other_site = await browser.post(cancel, data={"csrf_token": token[1]}, headers=elsewhere)
        no_origin = await browser.post(cancel, data={"csrf_token": token[1]})
        for answer in (without_token, wrong_token, other_site, no_origin):
            assert answer.status_code == 403, answer.text
            assert "Reload the page and try again." in answer.text
        # The cookie authenticates reads only: the API's own POSTs still want the key.
        api_cancel = await browser.post(f"/v1/sessions/{session_id}/cancel")
        assert api_cancel.status_code == 401
        assert api_cancel.json()["error"]["code"] == "missing_api_key"

        done = await wait_for(client, session_id)
        assert done["cancel_requested"] is False and done["status"] == "completed", done

        # With the token, from the page: a completed session has nothing to resume (said on a
        # page), and undo starts the session that takes its records away.
        form = {"csrf_token": token[1]}
        resume = await browser.post(f"/ui/sessions/{session_id}/resume", data=form, headers=own)
        assert resume.status_code == 409 and "nothing is left to resume" in resume.text
        undo = await browser.post(f"/ui/sessions/{session_id}/undo", data=form, headers=own)
        assert undo.status_code == 303, undo.text
        undo_id = undo.headers["location"].removeprefix("/sessions/")

    undone = await wait_for(client, undo_id)
    assert (undone["mode"], undone["undoes"], undone["status"]) == ("undo", session_id, "completed")
    assert undone["progress"]["persons"]["deleted"] == done["progress"]["persons"]["created"] > 0
