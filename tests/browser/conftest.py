import os
import shutil
from pathlib import Path

import pytest

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
AXE = Path(__file__).resolve().parent / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"

# Playwright's sync API runs an event loop in this thread; the ORM calls in these tests are still synchronous.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail("Debian's chromium is missing: `make test` installs it (apt-get install chromium)")
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--disable-features=HttpsUpgrades,HttpsFirstBalancedModeAutoEnable,HttpsFirstModeV2ForTypicallySecureUsers",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def screenshot(page):
    ARTIFACTS.mkdir(exist_ok=True)

    def take(name: str):
        path = ARTIFACTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


@pytest.fixture(scope="session")
def live_server(django_db_setup, django_db_blocker):
    """pytest-django's live server, started with plain-HTTP settings.

    Middleware reads the security settings once when the server thread builds its handler, so the per-test
    `settings` overrides come too late; apply them before the server starts.
    """
    from django.test import override_settings
    from pytest_django.live_server_helper import LiveServer

    with override_settings(
        SECURE_SSL_REDIRECT=False, SESSION_COOKIE_SECURE=False, CSRF_COOKIE_SECURE=False, SECURE_HSTS_SECONDS=0
    ):
        server = LiveServer("localhost")
        yield server
        server.stop()


@pytest.fixture
def axe(page):
    """Run axe-core (npm, pinned in tests/browser/package.json) on the current page.

    Returns the serious and critical violations, formatted for an assertion message; empty means clean.
    """
    if not AXE.exists():
        pytest.fail("axe-core is missing: `make test` installs it (npm ci --prefix tests/browser)")
    source = AXE.read_text()

    def check(name: str = "") -> list[str]:
        page.evaluate(source)  # through the DevTools protocol, so the page's CSP does not block it
        result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
        found = [
            f"{name or page.url}: {v['impact']} {v['id']} - {v['help']} ({len(v['nodes'])}x: {v['nodes'][0]['target']})"
            for v in result["violations"]
            if v["impact"] in ("serious", "critical")
        ]
        return found

    return check
