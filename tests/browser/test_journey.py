"""One journey through Summit in Chromium, the way its people use it: a global admin creates a
program, a local lead imports a roster and launches, a learner commits and a manager approves
through the links in their emails, progress is imported, a term is closed and reviewed, the
sponsor opens the report and a completer accepts a master-class invitation.

Jobs run in a real ``summit worker`` process on the real Redis, mail goes through SMTP to the
sink, and the live server builds its links with its own URL. Time travel does not cross
processes, so the program's terms lie in the future (decisions stay open today) and the term
is closed by hand before it ends, as a lead may do.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from werkzeug.serving import make_server

from app import create_app
from app.auth.models import Role
from app.db import utcnow
from app.extensions import db
from app.masterclasses.models import MasterClass
from app.programs.models import Program
from app.weeks import week_label
from tests.browser.conftest import axe_violations
from tests.factories import region, staff

pytestmark = pytest.mark.browser

LINK = re.compile(r"https?://[^\s<>\"]+")


@pytest.fixture
def journey_server(app_settings: dict[str, Any]) -> Iterator[tuple[str, Any]]:
    """A second app on its own port whose links point at itself (emails link back to it)."""
    server = make_server("127.0.0.1", 0, lambda environ, start: [], threaded=True)
    url = f"http://127.0.0.1:{server.server_port}"
    # development: the staff in this journey use the development sign-in
    journey_app = create_app({**app_settings, "base_url": url, "env": "development"})
    server.app = journey_app
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield url, journey_app
    server.shutdown()
    thread.join(timeout=5)
    with journey_app.app_context():
        db.engine.dispose()


@pytest.fixture
def worker(
    journey_server: tuple[str, Any], database_url: str, redis_url: str, smtp_sink: Any, app: Any
) -> Iterator[subprocess.Popen]:
    """``summit worker`` in its own process, configured like the live server."""
    url, _ = journey_server
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "SUMMIT_ENV": "test",
        "MAIL_TRANSPORT": "smtp",
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": str(smtp_sink.port),
        "MAIL_DEFAULT_SENDER": "Summit <summit@example.com>",
        "SUMMIT_BASE_URL": url,
        "SECRET_KEY": app.config["SECRET_KEY"],
    }
    summit = Path(sys.executable).with_name("summit")
    process = subprocess.Popen(
        [str(summit), "worker", "--simple", "--name", f"journey-{os.getpid()}"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    yield process
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    if process.stderr:
        process.stderr.close()


def wait_for_mail(sink: Any, address: str, subject_has: str = "", timeout: float = 20) -> Any:
    """The newest email to ``address`` (whose subject contains ``subject_has``), once it came."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = [m for m in sink.to(address) if subject_has.lower() in m["Subject"].lower()]
        if found:
            return found[-1]
        time.sleep(0.2)
    subjects = [m["Subject"] for m in sink.to(address)]
    raise AssertionError(f"no email {subject_has!r} to {address} (got {subjects})")


def link_in(message: Any, base: str, path_has: str) -> str:
    """The link to ``base`` whose path contains ``path_has``, read from the text body."""
    body = message.get_body(preferencelist=("plain",)).get_content()
    links = [u for u in LINK.findall(body) if u.startswith(base) and path_has in u]
    assert links, f"no {path_has} link to {base} in:\n{body}"
    return links[0].rstrip(".,)")


def sign_in(page: Any, name: str, base: str) -> None:
    page.goto(f"{base}/auth/sign-in")
    page.get_by_role("button", name=name).click()
    page.wait_for_load_state()


def fill_terms(page: Any, terms: list[tuple[str, Any, Any]]) -> None:
    """The program form's term rows, one per term; "add another term row" when short."""
    for i, (title, start, end) in enumerate(terms):
        if not page.locator(f"#term-{i}-title").count():
            page.get_by_role("button", name="Add another term row").click()
        page.locator(f"#term-{i}-title").fill(title)
        page.locator(f"#term-{i}-starts_on").fill(str(start))
        page.locator(f"#term-{i}-ends_on").fill(str(end))


def fill_modules(page: Any, modules: list[tuple[str, str, str, str]]) -> None:
    """The program form's module rows: key, title, hours, the title of the term due by."""
    for i, (key, title, hours, term) in enumerate(modules):
        if not page.locator(f"#module-{i}-key").count():
            page.get_by_role("button", name="Add another module row").click()
        page.locator(f"#module-{i}-key").fill(key)
        page.locator(f"#module-{i}-title").fill(title)
        page.locator(f"#module-{i}-hours").fill(hours)
        page.locator(f"#module-{i}-due").select_option(label=term)


def run_cli(journey_app: Any, *args: str) -> str:
    # in the live server's app (its links), not the test's: with_appcontext keeps a current one
    with journey_app.app_context():
        result = journey_app.test_cli_runner().invoke(args=list(args))
        db.session.remove()
    assert result.exit_code == 0, result.output
    return result.output


def test_a_rollout_from_program_to_master_class(
    page: Any, steps: Any, journey_server: tuple[str, Any], worker: Any, smtp_sink: Any
) -> None:
    base, journey_app = journey_server
    staff(Role.GLOBAL_ADMIN, name="Ada Global")
    staff(Role.LOCAL_LEAD, "de", name="Lena Lead")
    staff(Role.EXPERT, "de", name="Eva Expert")
    staff(Role.SPONSOR, "de", name="Sam Sponsor", email="sam.sponsor@example.com")
    db.session.commit()
    today = utcnow().date()
    t1, t2 = today + timedelta(days=14), today + timedelta(days=42)

    # 1. the global admin creates the program
    sign_in(page, "Ada Global", base)
    page.goto(f"{base}/programs/new")
    page.get_by_label("Title", exact=True).fill("Cloud Journey")
    page.locator("#slug").fill("cloud-journey")
    page.locator("#provider").fill("Open edX")
    page.get_by_label("Course link", exact=True).fill("https://courses.example.com/cloud")
    fill_terms(
        page, [("Basics", t1, t2 - timedelta(days=1)), ("Practice", t2, t2 + timedelta(days=27))]
    )
    fill_modules(
        page,
        [
            ("m1", "Foundations", "2", "Basics"),
            ("m2", "Delivery", "2", "Basics"),
            ("m3", "Operations", "2", "Practice"),
        ],
    )
    page.get_by_role("button", name="Save the program").click()
    page.get_by_text("Program saved.").wait_for()
    steps.shot("program-created")
    program = db.session.scalars(select(Program).where(Program.slug == "cloud-journey")).one()
    # the reward waiting at the end of the program (master classes have their own tests)
    db.session.add(
        MasterClass(
            program_id=program.id,
            region_id=region("de").id,
            title="Architecture clinic",
            starts_at=utcnow() + timedelta(days=90),
            capacity=10,
        )
    )
    db.session.commit()

    # 2. the local lead adopts the program in Germany
    sign_in(page, "Lena Lead", base)
    page.goto(f"{base}/r/de/")
    page.get_by_role("link", name="Adopt a program").click()
    page.locator("#slug").fill("cloud-de")
    page.get_by_label("Program", exact=True).select_option(label="Cloud Journey")
    page.get_by_label("Cohort starts on", exact=True).fill(t1.isoformat())
    page.get_by_label("Expert", exact=True).select_option(label="Eva Expert")
    page.locator("#sponsors").fill("Sam Sponsor <sam.sponsor@example.com>")
    page.get_by_role("button", name="Save").click()
    page.get_by_role("heading", name="Cloud Journey").wait_for()
    steps.shot("rollout-adopted")

    # 3. ... imports the roster from the draft's checklist, watching the bar, and confirms
    page.get_by_role("link", name="Import the roster").click()
    page.locator("#file").set_input_files(
        files=[
            {
                "name": "roster.csv",
                "mimeType": "text/csv",
                "buffer": (
                    b"Employee ID,Email,Name,Manager,Learner\n"
                    b"J100,mona.manager@example.com,Mona Manager,,no\n"
                    b"J101,carla.completer@example.com,Carla Completer,J100,yes\n"
                    b"J102,fred.rider@example.com,Fred Rider,J100,yes\n"
                ),
            }
        ]
    )
    page.get_by_role("button", name="Upload and preview").click()
    page.locator("#import-bar").wait_for(state="attached")
    steps.shot("roster-progress")
    page.get_by_role("button", name="Confirm: apply exactly this").wait_for(timeout=30_000)
    steps.shot("roster-preview")
    assert axe_violations(page) == []
    page.get_by_role("button", name="Confirm: apply exactly this").click()
    page.get_by_role("heading", name="Applied").wait_for(timeout=30_000)
    assert page.locator("#import-progress").is_hidden()
    steps.shot("roster-applied")

    # 4. ... and launches, having read whom it emails: every learner gets the invitation
    page.get_by_role("link", name="Dashboard").click()
    page.get_by_role("link", name="Launch…").click()
    page.get_by_text("Emails 2 learners in German").wait_for()
    page.get_by_role("button", name="Launch and invite").click()
    page.get_by_text("launched", exact=True).first.wait_for()
    steps.shot("launched")

    # 5. both learners commit through the link in their email
    for address, goal in (
        ("carla.completer@example.com", "Run our team's services on the new platform"),
        ("fred.rider@example.com", "See what the fuss is about"),
    ):
        invitation = wait_for_mail(smtp_sink, address)
        page.goto(link_in(invitation, base, "/join/"))
        assert axe_violations(page) == []
        page.locator("#goal").fill(goal)
        page.get_by_role("button", name="Ich bin dabei").click()  # German region, German page
        page.get_by_role("heading", name="Sie sind dabei").wait_for()
    steps.shot("learner-committed")

    # 6. the manager approves through the link in the (scheduled) request email
    run_cli(journey_app, "approvals", "send-due", "--region", "de")
    request = wait_for_mail(smtp_sink, "mona.manager@example.com")
    page.goto(link_in(request, base, "/approvals/decide/"))
    steps.shot("manager-request")
    assert axe_violations(page) == []
    # the page speaks the manager's language, as the request email does (German region)
    page.get_by_role("button", name=re.compile(r"^Alle 2 offenen Anfragen genehmigen")).click()
    page.get_by_text("genehmigt:", exact=False).first.wait_for()
    steps.shot("manager-approved")
    wait_for_mail(
        smtp_sink, "carla.completer@example.com", subject_has="genehmigt"
    )  # German region

    # 7. progress is imported: Carla completes everything, Fred one module
    sign_in(page, "Lena Lead", base)
    page.goto(f"{base}/r/de/rollouts/cloud-de/progress")
    page.locator("#file").set_input_files(
        files=[
            {
                "name": "progress.csv",
                "mimeType": "text/csv",
                "buffer": (
                    "employee_id,email,module,percent,completed,observed_at\n"
                    + "".join(f"J101,,{m},100,true,{today}T09:00:00Z\n" for m in ("m1", "m2", "m3"))
                    + f"J102,,m1,100,true,{today}T09:00:00Z\n"
                ).encode(),
            }
        ]
    )
    page.get_by_label("Format", exact=True).select_option("summit")
    page.get_by_role("button", name="Upload and import").click()
    page.get_by_text("Imported", exact=False).first.wait_for(timeout=30_000)
    steps.shot("progress-imported")

    # 8. term 1 is closed and its free-rider candidate reviewed
    output = run_cli(journey_app, "term", "close", "--rollout", "cloud-de", "--term", "1")
    assert "1 on track, 1 free-rider candidates" in output
    page.goto(f"{base}/r/de/rollouts/cloud-de/terms/1/review")
    row = page.get_by_role("row", name=re.compile("Fred Rider"))
    row.get_by_text("Keep (excuse)…").click()  # folded beside "Confirm free rider…"
    row.get_by_label("Reason").select_option(index=1)
    # keeping a candidate needs the reason in words (issue 24: the decision and its reason)
    row.get_by_label("Why").fill("On parental leave for most of the term")
    steps.shot("term-review")
    assert axe_violations(page) == []
    row.get_by_role("button", name="Excuse").click()
    page.get_by_text("No candidate", exact=False).first.wait_for()
    steps.shot("term-reviewed")

    # 9. the sponsor opens this week's report
    week = week_label(today)
    run_cli(journey_app, "reports", "build", "--week", week)
    sign_in(page, "Sam Sponsor", base)
    page.goto(f"{base}/r/de/reports/")
    page.get_by_role("link", name=week).click()
    page.locator(".report-snapshot").wait_for()
    steps.shot("sponsor-report")
    assert axe_violations(page) == []

    # 10. the completer accepts the master-class invitation
    invitation = wait_for_mail(smtp_sink, "carla.completer@example.com", "Architecture clinic")
    page.goto(link_in(invitation, base, "/masterclasses/rsvp/"))
    page.get_by_role("button", name="Ja, ich komme").click()  # German region, German page
    page.get_by_text("zugesagt").wait_for()
    steps.shot("masterclass-accepted")
    assert axe_violations(page) == []
    assert worker.poll() is None, "the worker died during the journey"
