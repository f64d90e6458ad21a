"""End-to-end tests in Debian's Chromium driven by Playwright, against the app served on
127.0.0.1 (a real HTTP server in a thread) with jobs run by a real RQ worker."""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from werkzeug.serving import make_server

ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
ARTIFACTS = ROOT / "test-artifacts" / "browser"
CHROMIUM = os.environ.get("CHROMIUM", shutil.which("chromium") or "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if Path(CHROMIUM).exists():
        return
    skip = pytest.mark.skip(
        reason=f"no Chromium at {CHROMIUM}: `make test` installs Debian's chromium"
    )
    for item in items:
        if "browser" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def live_server(app: Any, app_settings: dict[str, Any]) -> Iterator[str]:
    """The app on the suite's database in development mode: its staff pages are reached
    through the development sign-in, which exists only with SUMMIT_ENV=development."""
    from app import create_app
    from app.extensions import db

    served = create_app({**app_settings, "env": "development"})
    server = make_server("127.0.0.1", 0, served, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)
    with served.app_context():
        db.engine.dispose()


@pytest.fixture(scope="session")
def browser_instance(playwright_driver: Any) -> Iterator[Any]:
    browser = playwright_driver.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    yield browser
    browser.close()


@pytest.fixture
def page(browser_instance: Any, live_server: str, request: pytest.FixtureRequest) -> Iterator[Any]:
    # bypass_csp lets the test inject axe-core; the app itself keeps its strict policy
    context = browser_instance.new_context(base_url=live_server, locale="en-GB", bypass_csp=True)
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def keep_screenshot(page: Any, path: Path, *, element: Any | None = None) -> Path:
    """Save a screenshot of the page as a test artefact: the one way the browser tests
    take one. Chromium may refuse a capture it cannot finish: a page that reloads itself
    while it is taken (the roster import reloads when its job is done) never finishes,
    and on a loaded machine a capture right after a resize or a navigation can come back
    empty ("Unable to capture screenshot", seen in CI on a 375 px email preview). Wait a
    moment and for the page to load, and take it again, up to three times; the test's
    own assertions are made on the page, never on the picture. ``element`` (a locator)
    takes only that element; without it, the whole page."""
    from playwright.sync_api import Error as PlaywrightError

    for attempt in range(3):
        page.wait_for_load_state("load")
        try:
            if element is None:
                page.screenshot(path=str(path), full_page=True, timeout=5_000)
            else:
                element.screenshot(path=str(path), timeout=5_000)
            return path
        except PlaywrightError:
            if attempt == 2:
                raise
            page.wait_for_timeout(250 * (attempt + 1))
    return path


class Steps:
    """Screenshots of each step of a journey, kept as test artefacts."""

    def __init__(self, page: Any, name: str) -> None:
        self.page = page
        self.folder = ARTIFACTS / name
        self.folder.mkdir(parents=True, exist_ok=True)
        self.count = 0

    def shot(self, label: str) -> Path:
        """Save a screenshot of this step (``keep_screenshot``)."""
        self.count += 1
        return keep_screenshot(self.page, self.folder / f"{self.count:02d}-{label}.png")


@pytest.fixture
def steps(page: Any, request: pytest.FixtureRequest) -> Steps:
    return Steps(page, request.node.name)


def axe_violations(page: Any, impact: tuple[str, ...] = ("serious", "critical")) -> list[dict]:
    """Run axe-core in the page; return the violations of the given impact."""
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [
        {
            "id": v["id"],
            "impact": v["impact"],
            "help": v["help"],
            "nodes": [n["target"] for n in v["nodes"]][:5],
        }
        for v in result["violations"]
        if v["impact"] in impact
    ]


def sign_in(page: Any, name: str) -> None:
    page.goto("/auth/sign-in")
    page.get_by_role("button", name=name).click()
    page.wait_for_load_state()
