"""Voiding: the target is hidden but for voidedStatementId, and its progress is recomputed."""

import uuid

from sqlalchemy import select

from app.extensions import db
from app.progress.models import XapiStatement
from app.rollouts.models import EnrollmentState
from app.xapi.statements import CMI5_PROGRESS
from tests.factories import RolloutFactory
from tests.progress.helpers import PROGRESSED, module_progress, statement, xapi_sender

VOIDED = "http://adlnet.gov/expapi/verbs/voided"


def voiding(target, *, sid=None):
    return {
        "id": sid or str(uuid.uuid4()),
        "actor": {"mbox": "mailto:lead@example.com"},
        "verb": {"id": VOIDED, "display": {"en-US": "voided"}},
        "object": {"objectType": "StatementRef", "id": target},
    }


def progressed(percent, ts, sid=None):
    return statement(PROGRESSED, sid=sid, result={"extensions": {CMI5_PROGRESS: percent}}, ts=ts)


def test_a_voided_statement_is_only_found_by_voided_statement_id(lrs):
    target, kept = str(uuid.uuid4()), str(uuid.uuid4())
    lrs([statement(sid=target), progressed(30, "2026-11-01T10:00:00Z", sid=kept)])
    void_id = str(uuid.uuid4())
    response = lrs(voiding(target, sid=void_id))
    assert response.status_code == 200 and response.json == [void_id]
    assert lrs(method="get", query=f"?statementId={target}").status_code == 404
    found = lrs(method="get", query=f"?voidedStatementId={target}")
    assert found.status_code == 200 and found.json["id"] == target
    # the list leaves the voided statement out and shows the voiding one
    listed = [s["id"] for s in lrs(method="get").json["statements"]]
    assert listed == [void_id, kept]
    # the voiding statement is an ordinary statement
    assert lrs(method="get", query=f"?statementId={void_id}").json["object"] == {
        "objectType": "StatementRef",
        "id": target,
    }
    row = db.session.scalars(
        select(XapiStatement).where(XapiStatement.statement_id == target)
    ).one()
    assert row.voided_by == void_id and row.voided_at is not None


def test_voiding_a_completion_recomputes_progress_from_the_other_statements(lrs):
    completion = str(uuid.uuid4())
    lrs(progressed(30, "2026-11-01T10:00:00Z"))
    lrs(progressed(60, "2026-11-03T10:00:00Z"))
    lrs(statement(sid=completion, ts="2026-11-05T10:00:00Z"))
    db.session.expire_all()
    row = module_progress(lrs.course, "ada", "m2")
    assert (row.percent, row.completed) == (100.0, True)
    lrs(voiding(completion))
    db.session.expire_all()
    row = module_progress(lrs.course, "ada", "m2")
    assert (row.percent, row.completed, row.source) == (60.0, False, "xapi")
    assert row.observed_at.isoformat().startswith("2026-11-03T10:00:00")


def test_voiding_the_only_statement_removes_the_progress_but_not_the_enrollment_state(lrs):
    only = str(uuid.uuid4())
    ben = {"account": {"homePage": "https://hr.example.com", "name": "E1002"}}
    lrs(statement(sid=only, who=ben))
    db.session.expire_all()
    assert module_progress(lrs.course, "ben", "m2").completed
    assert lrs.course.enrollments["ben"].state is EnrollmentState.ACTIVE
    lrs(voiding(only))
    db.session.expire_all()
    assert module_progress(lrs.course, "ben", "m2") is None
    # an enrollment never moves back: Ben started, even if that statement was a mistake
    assert lrs.course.enrollments["ben"].state is EnrollmentState.ACTIVE


def test_progress_last_written_by_an_import_is_kept(lrs):
    completion = str(uuid.uuid4())
    lrs(statement(sid=completion))
    db.session.expire_all()
    row = module_progress(lrs.course, "ada", "m2")
    row.source = "moodle"
    db.session.commit()
    lrs(voiding(completion))
    db.session.expire_all()
    row = module_progress(lrs.course, "ada", "m2")
    assert (row.percent, row.completed, row.source) == (100.0, True, "moodle")


def test_a_voiding_statement_cannot_be_voided(lrs):
    target, first_void = str(uuid.uuid4()), str(uuid.uuid4())
    lrs(statement(sid=target))
    lrs(voiding(target, sid=first_void))
    response = lrs(voiding(first_void))
    assert response.status_code == 400
    reason = f"statement {first_void} voids a statement and cannot be voided"
    assert reason in response.json["error"]
    # nor in the same batch
    other, void_other = str(uuid.uuid4()), str(uuid.uuid4())
    response = lrs([statement(sid=other), voiding(other, sid=void_other), voiding(void_other)])
    assert response.status_code == 400
    assert lrs(method="get", query=f"?statementId={other}").status_code == 404  # nothing stored
    assert lrs(method="get", query=f"?statementId={first_void}").status_code == 200


def test_a_statement_and_its_void_in_one_batch(lrs):
    target = str(uuid.uuid4())
    assert lrs([statement(sid=target), voiding(target)]).status_code == 200
    assert lrs(method="get", query=f"?voidedStatementId={target}").status_code == 200
    db.session.expire_all()
    assert module_progress(lrs.course, "ada", "m2") is None


def test_voiding_an_unknown_id_is_stored_and_voids_nothing(lrs):
    void_id = str(uuid.uuid4())
    response = lrs(voiding(str(uuid.uuid4()), sid=void_id))
    assert response.status_code == 200
    assert lrs(method="get", query=f"?statementId={void_id}").status_code == 200


def test_a_voiding_statement_needs_a_statement_ref(lrs):
    body = voiding(str(uuid.uuid4()))
    body["object"] = {"objectType": "Activity", "id": "https://example.com/a"}
    response = lrs(body)
    assert response.status_code == 400 and "StatementRef" in response.json["error"]


def test_another_rollout_cannot_void_a_statement(lrs, client):
    target = str(uuid.uuid4())
    lrs(statement(sid=target))
    neighbour = xapi_sender(
        client, RolloutFactory(region_id=lrs.course.rollout.region_id, slug="sef-de-void")
    )
    assert neighbour(voiding(target)).status_code == 200  # accepted: an id it does not know
    assert lrs(method="get", query=f"?statementId={target}").status_code == 200
    db.session.expire_all()
    assert module_progress(lrs.course, "ada", "m2").completed


def test_a_statement_erased_with_its_learner_is_skipped_when_progress_is_recomputed(lrs):
    erased, completion = str(uuid.uuid4()), str(uuid.uuid4())
    lrs(progressed(40, "2026-11-01T10:00:00Z", sid=erased))
    lrs(progressed(70, "2026-11-02T10:00:00Z"))
    lrs(statement(sid=completion, ts="2026-11-03T10:00:00Z"))
    row = db.session.scalars(
        select(XapiStatement).where(XapiStatement.statement_id == erased)
    ).one()
    row.payload = {}  # what erasure leaves (app.privacy)
    db.session.commit()
    assert lrs(voiding(completion)).status_code == 200
    db.session.expire_all()
    assert module_progress(lrs.course, "ada", "m2").percent == 70.0


def test_a_statement_sent_after_its_void_arrives_voided(lrs):
    # a client replays its offline queue out of order: the void of a mistaken completion
    # reaches the LRS first
    completion, void_id = str(uuid.uuid4()), str(uuid.uuid4())
    lrs(progressed(40, "2026-11-01T10:00:00Z"))
    assert lrs(voiding(completion, sid=void_id)).status_code == 200
    assert lrs(statement(sid=completion, ts="2026-11-02T10:00:00Z")).status_code == 200
    assert lrs(method="get", query=f"?statementId={completion}").status_code == 404
    found = lrs(method="get", query=f"?voidedStatementId={completion}")
    assert found.status_code == 200 and found.json["id"] == completion
    db.session.expire_all()
    row = module_progress(lrs.course, "ada", "m2")
    assert (row.percent, row.completed) == (40.0, False)  # the completion changed nothing
    assert lrs.course.enrollments["ada"].state is not EnrollmentState.COMPLETED
    stored = db.session.scalars(
        select(XapiStatement).where(XapiStatement.statement_id == completion)
    ).one()
    assert stored.voided_by == void_id and stored.voided_at is not None
    # sent again (a client retrying), it is the same statement: still voided
    assert lrs(statement(sid=completion, ts="2026-11-02T10:00:00Z")).status_code == 200
    assert lrs(method="get", query=f"?statementId={completion}").status_code == 404


def test_a_void_waiting_in_another_rollout_voids_nothing(lrs, client):
    target = str(uuid.uuid4())
    neighbour = xapi_sender(
        client, RolloutFactory(region_id=lrs.course.rollout.region_id, slug="sef-de-early")
    )
    assert neighbour(voiding(target)).status_code == 200
    assert lrs(statement(sid=target)).status_code == 200
    assert lrs(method="get", query=f"?statementId={target}").status_code == 200
    db.session.expire_all()
    assert module_progress(lrs.course, "ada", "m2").completed


def test_a_voiding_statement_sent_after_a_void_naming_it_is_not_voided(lrs):
    # voiding statements cannot be voided: the earlier void stays an orphan
    second = str(uuid.uuid4())
    assert lrs(voiding(second)).status_code == 200
    target = str(uuid.uuid4())
    lrs(statement(sid=target))
    assert lrs(voiding(target, sid=second)).status_code == 200
    assert lrs(method="get", query=f"?statementId={second}").status_code == 200
    assert lrs(method="get", query=f"?voidedStatementId={target}").status_code == 200
