"""The production-shaped stack (``tests/https/stack.py``) and Chromium pointed at it.

The tests of this package share one stack (stopped after them: its worker would take
other tests' jobs); every test still starts from empty tables, an empty
queue and an empty mailbox (the suite's autouse fixtures), which the stack shares.
"""

from __future__ import annotations

import re
import ssl
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from app import create_app
from app.extensions import db
from tests.auth.fake_entra import CLIENT_ID, CLIENT_SECRET, TENANT, FakeEntra, start_fake_entra
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS
from tests.https.stack import NGINX, Stack, spki_sha256

LINK = re.compile(r"https://[^\s<>\"]+")
PHONE = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 3,
    "is_mobile": True,
    "has_touch": True,
}
TABLET = {
    "viewport": {"width": 820, "height": 1180},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if Path(NGINX).exists():
        return
    skip = pytest.mark.skip(
        reason=f"no nginx at {NGINX}: `make test` installs Debian's nginx (apt-get install nginx)"
    )
    for item in items:
        if "https" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="package")
def stack(
    app: Any, database_url: str, redis_url: str, smtp_sink: Any, tmp_path_factory: Any
) -> Iterator[Stack]:
    """nginx + gunicorn + ``summit worker`` on the suite's database, Redis and SMTP sink."""
    running = Stack(
        folder=tmp_path_factory.mktemp("https-stack"),
        database_url=database_url,
        redis_url=redis_url,
        smtp_port=smtp_sink.port,
    )
    try:
        running.start()
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="package")
def stack_app(app_settings: dict[str, Any], stack: Stack) -> Iterator[Any]:
    """An app in this process making the same links as the stack (its base URL and key)."""
    application = create_app({**app_settings, **stack.app_settings()})
    yield application
    with application.app_context():
        db.engine.dispose()


@pytest.fixture
def in_stack(stack_app: Any, stack: Stack) -> Callable[[], Any]:
    """``with in_stack():`` builds data and runs services as the stack would: links in the
    emails it queues point at nginx. The worker must be alive for mail to go out."""

    @contextmanager
    def _ctx() -> Iterator[Any]:
        with stack_app.app_context():
            yield stack_app
            db.session.commit()
            db.session.remove()

    return _ctx


@pytest.fixture(autouse=True)
def _stack_alive(request: pytest.FixtureRequest) -> Iterator[None]:
    """Before each test: the web answers (a module may have restarted it without waiting);
    after: a scheduler it started is stopped and the worker idle; every process is still
    up."""
    if "stack" in request.fixturenames:
        request.getfixturevalue("stack").wait_until_up()
    yield
    if "stack" in request.fixturenames:
        stack: Stack = request.getfixturevalue("stack")
        stack.stop_process("scheduler")
        stack.settle()
        stack.alive()


@pytest.fixture(scope="module")
def entra(stack: Stack, tmp_path_factory: Any) -> Iterator[FakeEntra]:
    """For the tests of one module: the fake Entra ID (tests/auth/fake_entra.py) and the
    stack's web processes configured for it through the environment, as a company sets
    ENTRA_*; the stack runs without Entra ID again afterwards. Reset before each use."""
    fake, server = start_fake_entra(tmp_path_factory.mktemp("entra"))
    try:
        stack.use_entra(
            {
                "ENTRA_TENANT_ID": TENANT,
                "ENTRA_CLIENT_ID": CLIENT_ID,
                "ENTRA_CLIENT_SECRET": CLIENT_SECRET,
                "ENTRA_AUTHORITY": fake.authority,
                "ENTRA_CA_BUNDLE": fake.ca_path,
                "ENTRA_GRAPH_URL": f"{fake.base}/v1.0",
            }
        )
        yield fake
    finally:
        stack.use_entra({}, wait=False)  # the next test that uses the stack waits
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def entra_chromium(playwright_driver: Any, stack: Stack, entra: FakeEntra) -> Iterator[Any]:
    """Chromium that trusts the stack's certificate and the fake Entra ID's, where the
    browser goes to sign in (both pinned by public key: no other certificate passes)."""
    host, port = entra.base.removeprefix("https://").split(":")
    fake_spki = spki_sha256(ssl.get_server_certificate((host, int(port))).encode())
    pins = f"--ignore-certificate-errors-spki-list={stack.spki},{fake_spki}"
    browser = playwright_driver.chromium.launch(
        executable_path=CHROMIUM, args=[*CHROMIUM_ARGS, pins]
    )
    yield browser
    browser.close()


@pytest.fixture(scope="package")
def chromium(playwright_driver: Any, stack: Stack) -> Iterator[Any]:
    # trust this test's certificate only: Chromium pins its public key, TLS runs for real
    args = [*CHROMIUM_ARGS, f"--ignore-certificate-errors-spki-list={stack.spki}"]
    browser = playwright_driver.chromium.launch(executable_path=CHROMIUM, args=args)
    yield browser
    browser.close()


@pytest.fixture
def open_page(chromium: Any, stack: Stack) -> Iterator[Callable[..., Any]]:
    """``open_page(phone=True, locale="de-DE")``: a fresh browser context (own cookies).
    ``tablet=True``: an 820 × 1180 touch screen; ``bypass_csp=True`` lets the test inject
    axe-core (the pages keep their policy otherwise)."""
    contexts: list[Any] = []

    def _open(
        *,
        phone: bool = False,
        tablet: bool = False,
        locale: str = "en-GB",
        bypass_csp: bool = False,
    ) -> Any:
        options = {**PHONE} if phone else {**TABLET} if tablet else {}
        context = chromium.new_context(
            base_url=stack.base_url, locale=locale, bypass_csp=bypass_csp, **options
        )
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(15_000)
        return page

    yield _open
    for context in contexts:
        context.close()


def wait_for_mail(
    sink: Any, address: str, subject_has: str = "", timeout: float = 20, *, unless: str = ""
) -> Any:
    """The newest email to ``address`` whose subject contains ``subject_has`` (and does not
    start with ``unless``), once it came."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = [
            m
            for m in sink.to(address)
            if subject_has.lower() in m["Subject"].lower()
            and not (unless and m["Subject"].startswith(unless))
        ]
        if found:
            return found[-1]
        time.sleep(0.1)
    subjects = [m["Subject"] for m in sink.to(address)]
    raise AssertionError(f"no email {subject_has!r} to {address} (got {subjects})")


def link_in(message: Any, base: str, path_has: str) -> str:
    """The link to ``base`` whose path contains ``path_has``, read from the text body."""
    body = message.get_body(preferencelist=("plain",)).get_content()
    links = [u.rstrip(".,)") for u in LINK.findall(body) if u.startswith(base)]
    links = [u for u in links if path_has in u]
    assert links, f"no {path_has} link to {base} in:\n{body}"
    return links[0]
