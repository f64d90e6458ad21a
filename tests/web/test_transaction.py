"""One place commits (``app/transaction.py``): a request commits when its view returns, and
nothing of a refused, aborted or failed request is kept, nor any job it queued."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Blueprint, abort, url_for
from rq import Queue
from sqlalchemy import func, select

from app import transaction
from app.audit.models import AuditEvent
from app.audit.services import record
from app.auth.access import public
from app.extensions import db
from app.tasks import enqueue_after_commit, get_redis


class Refused(Exception):
    """A domain error, as a service raises it after flushing part of its work."""


def _write(tag: str) -> None:
    record(region_id=None, action=f"test.{tag}", channel="web")
    enqueue_after_commit("jobs.nothing.at_all", tag, queue="default", job_id=f"test-{tag}")
    db.session.flush()


@pytest.fixture
def probe(make_app: Any) -> Any:
    """An app of the suite with a few views that write, then return, refuse or abort."""
    application = make_app()
    bp = Blueprint("probe", __name__)
    transaction.flash_refusals(bp, Refused, back=lambda: url_for("probe.done"))

    @bp.post("/probe/ok")
    @public
    def ok() -> Any:
        _write("ok")
        return "saved"

    @bp.post("/probe/refused")
    @public
    def refused() -> Any:
        _write("refused")
        raise Refused("not like this")

    @bp.post("/probe/refused-by-hand")
    @public
    def refused_by_hand() -> Any:
        try:
            _write("by_hand")
            raise Refused("nor like this")
        except Refused as exc:
            return transaction.refuse(str(exc), url_for("probe.done"))

    @bp.post("/probe/aborted")
    @public
    def aborted() -> Any:
        _write("aborted")
        abort(404)

    @bp.get("/probe/get")
    @public
    def get() -> Any:
        _write("get")
        return "a GET changes nothing"

    @bp.get("/probe/done")
    @public
    def done() -> Any:
        return "done"

    application.register_blueprint(bp)
    transaction.init_app(application)  # wraps the new views; the others are wrapped once
    application.config["WTF_CSRF_ENABLED"] = False
    return application


def _kept(tag: str) -> int:
    with db.engine.connect() as connection:
        return connection.scalar(
            select(func.count()).select_from(AuditEvent).where(AuditEvent.action == f"test.{tag}")
        )


def _queued(app: Any, tag: str) -> bool:
    return f"test-{tag}" in Queue("default", connection=get_redis(app)).job_ids


def test_a_view_that_returns_commits_once_and_only_then_queues_its_jobs(probe) -> None:
    assert probe.test_client().post("/probe/ok").get_data(as_text=True) == "saved"
    assert _kept("ok") == 1 and _queued(probe, "ok")


@pytest.mark.parametrize("path", ["/probe/refused", "/probe/refused-by-hand"])
def test_a_domain_error_turned_into_a_flash_and_redirect_rolls_back(probe, path) -> None:
    client = probe.test_client()
    response = client.post(path)
    assert response.status_code == 302 and response.headers["Location"].endswith("/probe/done")
    with client.session_transaction() as session:
        assert session["_flashes"][0][0] == "error"
    tag = "refused" if path == "/probe/refused" else "by_hand"
    assert _kept(tag) == 0 and not _queued(probe, tag)


def test_an_aborted_request_and_a_get_keep_nothing(probe) -> None:
    client = probe.test_client()
    assert client.post("/probe/aborted").status_code == 404
    assert client.get("/probe/get").status_code == 200
    assert _kept("aborted") == 0 and not _queued(probe, "aborted")
    assert _kept("get") == 0 and not _queued(probe, "get")


def test_every_view_of_the_app_is_wrapped_once(app) -> None:
    for endpoint, view in app.view_functions.items():
        assert getattr(view, "summit_commits", False), endpoint
        assert not getattr(view.__wrapped__, "summit_commits", False), endpoint


def test_no_view_module_commits_by_hand() -> None:
    from pathlib import Path

    import app as package

    root = Path(package.__file__).parent
    views = [*root.rglob("*routes*.py"), *root.rglob("public.py")]
    assert views
    assert [str(p) for p in views if "session.commit" in p.read_text()] == []
