"""The Swagger page as a person uses it, in a real headless Chromium with no network beyond Ferry:
it renders, Authorize takes the API key, and "Try it out" on an operation gets a real answer."""

from __future__ import annotations

from urllib.parse import urlsplit

from playwright.async_api import Route, expect

from tests.browser import chromium
from tests.conftest import Stack

ACCOUNT_OPERATION = "#operations-account-get_account_v1_account_get"


async def test_swagger_page_works_offline_and_calls_the_api_with_the_key(stack: Stack) -> None:
    # Every request not to Ferry is aborted and remembered: the page must need none.
    elsewhere: list[str] = []
    ferry_host = urlsplit(stack.url).hostname

    async def only_ferry(route: Route) -> None:
        if urlsplit(route.request.url).hostname == ferry_host:
            await route.continue_()
        else:
            elsewhere.append(route.request.url)
            await route.abort()

    async with chromium() as browser:
        context = await browser.new_context()
        await context.route("**/*", only_ferry)
        page = await context.new_page()
        await page.goto(f"{stack.url}/docs")

        # The operations render from the document.
        operation = page.locator(ACCOUNT_OPERATION)
        await expect(operation).to_be_visible(timeout=30_000)
        await expect(
            page.locator("#operations-sessions-create_session_v1_sessions_post")
        ).to_be_visible()

        # Authorize with the account's key.
        await page.locator(".auth-wrapper .authorize").click()
        dialog = page.locator(".modal-ux")
        await dialog.locator("input").first.fill(stack.api_key)
        await dialog.get_by_role("button", name="Apply credentials").click()
        await dialog.get_by_role("button", name="Close").click()

        # Try it out on GET /v1/account.
        await operation.locator(".opblock-summary").first.click()
        await operation.get_by_role("button", name="Try it out").click()
        await operation.get_by_role("button", name="Execute").click()
        answer = operation.locator(".live-responses-table tr.response")
        await expect(answer.locator(".response-col_status")).to_have_text("200", timeout=30_000)
        await expect(answer.locator(".response-col_description")).to_contain_text('"acme"')
        await context.close()

    assert elsewhere == [], f"the page asked for something beyond Ferry: {elsewhere}"
