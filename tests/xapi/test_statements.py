import base64
import uuid

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.progress.models import ModuleProgress, XapiStatement
from app.rollouts.models import EnrollmentState
from app.xapi.credentials import issue_credentials
from app.xapi.statements import CMI5_PROGRESS
from tests.progress.helpers import PROGRESSED, make_course, module_progress, statement


def test_a_completed_statement_completes_the_module_of_its_activity_iri(lrs):
    sid = str(uuid.uuid4())
    response = lrs(statement(sid=sid))
    assert response.status_code == 200
    assert response.json == [sid]
    assert response.headers["X-Experience-API-Version"] == "1.0.3"
    db.session.expire_all()
    row = module_progress(lrs.course, "ada", "m2")
    assert (row.percent, row.completed, row.source) == (100.0, True, "xapi")


def test_an_array_by_account_name_and_activity_name_with_cmi5_progress(lrs):
    ben = {"account": {"homePage": "https://hr.example.com", "name": "E1002"}}
    body = [
        statement(
            PROGRESSED,
            who=ben,
            activity="https://x.example.com/a/1",
            name="Homework 1: Cloud-native foundations",
            result={"extensions": {CMI5_PROGRESS: 40}},
            ts="2026-10-01T10:00:00Z",
        ),
        statement(
            PROGRESSED,
            who=ben,
            activity="https://x.example.com/a/3",
            name="Continuous delivery",
            result={"extensions": {CMI5_PROGRESS: 0.25}},
            ts="2026-10-01T10:00:00Z",
        ),
    ]
    response = lrs(body)
    assert response.status_code == 200 and len(response.json) == 2
    db.session.expire_all()
    assert module_progress(lrs.course, "ben", "m1").percent == 40.0
    assert module_progress(lrs.course, "ben", "m3").percent == 25.0
    # the first progress makes a time-approved learner active
    assert lrs.course.enrollments["ben"].state is EnrollmentState.ACTIVE


def test_put_with_statement_id(lrs):
    sid = str(uuid.uuid4())
    response = lrs(statement(), method="put", query=f"?statementId={sid}")
    assert response.status_code == 204
    assert db.session.scalar(select(XapiStatement.statement_id)) == sid


def test_put_with_a_different_id_in_the_body_is_400(lrs):
    response = lrs(
        statement(sid=str(uuid.uuid4())), method="put", query=f"?statementId={uuid.uuid4()}"
    )
    assert response.status_code == 400


def test_the_version_header_is_required(lrs):
    response = lrs(statement(), headers={"X-Experience-API-Version": None})
    assert response.status_code == 400
    assert "X-Experience-API-Version" in response.json["error"]


def test_credentials_are_required_and_checked(lrs, client):
    assert (
        client.post(
            "/xapi/statements", json=statement(), headers={"X-Experience-API-Version": "1.0.3"}
        ).status_code
        == 401
    )
    wrong = "Basic " + base64.b64encode(b"nobody:nothing").decode()
    response = lrs(statement(), headers={"Authorization": wrong})
    assert response.status_code == 401
    assert "Basic" in response.headers["WWW-Authenticate"]


def test_rotated_credentials_replace_the_old_ones(lrs, runner):
    result = runner.invoke(
        args=["xapi", "credentials", "--rollout", lrs.course.rollout.slug, "--rotate"]
    )
    assert result.exit_code == 0 and "Password:" in result.output
    assert lrs(statement()).status_code == 401


def test_same_id_same_content_is_ignored_same_id_other_content_is_409(lrs):
    sid = str(uuid.uuid4())
    assert lrs(statement(sid=sid)).status_code == 200
    assert lrs(statement(sid=sid)).status_code == 200
    assert db.session.scalar(select(func.count()).select_from(XapiStatement)) == 1
    response = lrs(statement(PROGRESSED, sid=sid))
    assert response.status_code == 409


def test_an_invalid_statement_rejects_the_whole_batch(lrs):
    good = statement(sid=str(uuid.uuid4()))
    bad = statement()
    del bad["actor"]
    response = lrs([good, bad])
    assert response.status_code == 400
    assert "statement 1: actor is required" in response.json["error"]
    assert db.session.scalar(select(func.count()).select_from(XapiStatement)) == 0
    assert db.session.scalar(select(func.count()).select_from(ModuleProgress)) == 0


@pytest.mark.parametrize(
    ("mutate", "reason"),
    [
        (lambda s: s.update(id="not-a-uuid"), "UUID"),
        (lambda s: s["verb"].update(id="completed"), "verb.id"),
        (lambda s: s.update(actor={"mbox": "ada@example.com"}), "mailto"),
        (lambda s: s.update(colour="blue"), "unknown properties"),
        (lambda s: s.update(result={"extensions": {CMI5_PROGRESS: 150}}), "cmi5"),
        (lambda s: s.update(timestamp="yesterday"), "ISO 8601"),
    ],
)
def test_invalid_statements_say_why(lrs, mutate, reason):
    body = statement()
    mutate(body)
    response = lrs(body)
    assert response.status_code == 400
    assert reason in response.json["error"]


def test_a_batch_with_a_conflict_stores_nothing(lrs):
    sid = str(uuid.uuid4())
    lrs(statement(sid=sid))
    fresh = statement(sid=str(uuid.uuid4()))
    response = lrs([fresh, statement(PROGRESSED, sid=sid)])
    assert response.status_code == 409
    assert db.session.scalar(select(func.count()).select_from(XapiStatement)) == 1


def test_an_older_statement_does_not_overwrite_newer_progress(lrs):
    lrs(
        statement(PROGRESSED, result={"extensions": {CMI5_PROGRESS: 70}}, ts="2026-10-05T10:00:00Z")
    )
    lrs(
        statement(PROGRESSED, result={"extensions": {CMI5_PROGRESS: 30}}, ts="2026-10-01T10:00:00Z")
    )
    db.session.expire_all()
    assert module_progress(lrs.course, "ada", "m2").percent == 70.0


def test_statements_of_one_learner_and_module_in_one_batch_apply_in_turn(lrs):
    def progressed(percent, day):
        result = {"extensions": {CMI5_PROGRESS: percent}} if percent is not None else {}
        return statement(PROGRESSED, result=result, ts=f"2026-10-0{day}T10:00:00Z")

    # stored first: progress observed on the 4th, which the batch's older statements never move
    assert lrs(progressed(50, 4)).status_code == 200
    batch = [
        progressed(30, 3),  # older than the stored row: skipped
        progressed(70, 5),
        progressed(10, 2),  # older than the one before it: skipped
        progressed(None, 6),  # no percent: the 70 stays, observed later
    ]
    assert lrs(batch).status_code == 200
    db.session.expire_all()
    row = module_progress(lrs.course, "ada", "m2")
    assert (row.percent, row.completed) == (70.0, False)
    assert row.observed_at.replace(tzinfo=None).day == 6
    # completion sticks, whatever percentage comes after it in the same batch
    done = statement(ts="2026-10-07T10:00:00Z")
    assert lrs([done, progressed(20, 8)]).status_code == 200
    db.session.expire_all()
    row = module_progress(lrs.course, "ada", "m2")
    assert (row.percent, row.completed, row.source) == (100.0, True, "xapi")
    assert row.observed_at.replace(tzinfo=None).day == 8


def test_unknown_learners_and_activities_are_stored_but_change_nothing(lrs):
    response = lrs(
        [
            statement(who={"mbox": "mailto:stranger@example.com"}),
            statement(activity="https://elsewhere.example.com/x", name="Knitting"),
        ]
    )
    assert response.status_code == 200
    reasons = set(db.session.scalars(select(XapiStatement.ignored_reason)))
    assert reasons == {"unknown learner", "unmapped activity"}
    assert db.session.scalar(select(func.count()).select_from(ModuleProgress)) == 0


def test_credentials_of_one_rollout_never_reach_another_regions_learners(lrs):
    other = make_course("fr", slug="sef-fr-x")
    db.session.commit()
    fr_ada = {"mbox": "mailto:" + other.enrollments["ada"].person.email}
    lrs(statement(who=fr_ada))
    assert db.session.scalar(select(func.count()).select_from(ModuleProgress)) == 0


def test_a_statement_id_another_rollout_used_is_neither_a_conflict_nor_revealed(lrs, client):
    """Statement ids are unique per rollout: another rollout's statement with the same id
    is stored as its own, and neither credential ever reads the other's (on old main the
    second rollout got a 409, learning that the id existed elsewhere)."""
    other = make_course("fr", slug="sef-fr-y")
    key, secret = issue_credentials(region=other.rollout.region, rollout=other.rollout)
    db.session.commit()
    sid = str(uuid.uuid4())
    assert lrs(statement(sid=sid)).status_code == 200
    auth = "Basic " + base64.b64encode(f"{key}:{secret}".encode()).decode()
    headers = {"Authorization": auth, "X-Experience-API-Version": "1.0.3"}
    theirs = "mailto:" + other.enrollments["ada"].person.email
    response = client.post(
        "/xapi/statements", json=statement(sid=sid, who={"mbox": theirs}), headers=headers
    )
    assert response.status_code == 200
    read = client.get(f"/xapi/statements?statementId={sid}", headers=headers)
    assert read.json["actor"]["mbox"] == theirs
    mine = lrs(method="get", query=f"?statementId={sid}")
    assert mine.json["actor"]["mbox"] != theirs


def test_a_batch_costs_the_same_statements_whatever_its_size(lrs):
    """Progress rows of a batch are read in one statement and the effects look at the
    learners the batch touched, not the whole rollout: no statement per xAPI statement."""
    from sqlalchemy import event

    def batch(n, minute):
        return [
            statement(
                PROGRESSED,
                who={"mbox": f"mailto:{who}@example.com"},
                result={"extensions": {CMI5_PROGRESS: 10 + i}},
                ts=f"2026-10-0{minute}T10:{i:02d}:00Z",
            )
            for i, who in enumerate(["ada.lovelace", "ben.okafor", "chloe.dubois", "dev.patel"] * n)
        ]

    def count(body):
        seen = []

        def note(conn, cursor, sql, *args):
            seen.append(sql)

        event.listen(db.engine, "before_cursor_execute", note)
        try:
            assert lrs(body).status_code == 200
        finally:
            event.remove(db.engine, "before_cursor_execute", note)
        return len([s for s in seen if "module_progress" in s and s.lstrip().startswith("SELECT")])

    assert count(batch(1, 1)) == count(batch(10, 2))
    db.session.expire_all()
    assert module_progress(lrs.course, "dev", "m2").percent == 10 + 39  # the batch's last
    ben = lrs.course.enrollments["ben"]
    db.session.refresh(ben)
    assert ben.state is EnrollmentState.ACTIVE  # the effects still reach the touched learners


def test_the_completion_of_the_last_module_completes_the_learner_and_progress_alone_never(lrs):
    modules = lrs.course.rollout.program.modules
    for module in modules:
        module.activity_iri = f"https://x.example.com/modules/{module.key}"
    db.session.commit()
    iris = [module.activity_iri for module in modules]
    assert (
        lrs([statement(activity=iri, sid=str(uuid.uuid4())) for iri in iris[:-1]]).status_code
        == 200
    )
    progressed = statement(
        PROGRESSED, activity=iris[-1], result={"extensions": {CMI5_PROGRESS: 90}}
    )
    assert lrs(progressed).status_code == 200
    ada = lrs.course.enrollments["ada"]
    db.session.expire_all()
    assert ada.state is EnrollmentState.ACTIVE
    assert lrs(statement(activity=iris[-1])).status_code == 200
    db.session.expire_all()
    assert ada.state is EnrollmentState.COMPLETED
