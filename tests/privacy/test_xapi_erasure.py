"""Erasing a learner removes what the LRS keeps about them, through the app's /xapi.

Fails on the main before this work: the State and Agent Profile documents, the related-agent
index rows and the attachments of the learner's statements outlived ``person erase``.
"""

from __future__ import annotations

import hashlib
import json
import uuid

from sqlalchemy import func, select

from app.extensions import db
from app.progress.models import XapiStatement
from app.xapi.index import ifi_key
from app.xapi.models import XapiAttachment, XapiDocument, XapiRelated
from tests.privacy.test_privacy import _dump
from tests.progress.helpers import IRI, make_course, statement
from tests.xapi.test_lrs import Lrs, attachment, multipart

ADA_MBOX = {"objectType": "Agent", "mbox": "mailto:Ada.Lovelace@example.com"}
ADA_SHA1 = {
    "objectType": "Agent",
    "mbox_sha1sum": hashlib.sha1(b"mailto:ada.lovelace@example.com").hexdigest(),  # noqa: S324
}
ADA_ACCOUNT = {
    "objectType": "Agent",
    "account": {"homePage": "https://lms.example.com", "name": "E1001"},
}
GRACE = {"objectType": "Agent", "mbox": "mailto:grace.expert@example.com"}
BEN = {"objectType": "Agent", "mbox": "mailto:ben.okafor@example.com"}
STATE_ID = "https://learning.example.com/xapi/state/bookmark"


def _put_state(api, agent, content):
    params = {"activityId": IRI, "agent": json.dumps(agent), "stateId": STATE_ID}
    return api("post", "activities/state", params=params, json=content)


def _get_state(api, agent):
    params = {"activityId": IRI, "agent": json.dumps(agent), "stateId": STATE_ID}
    return api("get", "activities/state", params=params)


def test_erasure_deletes_the_learners_xapi_documents_index_and_attachments(client, runner):
    course = make_course()
    api = Lrs(client, course.rollout)
    for agent in (ADA_MBOX, ADA_SHA1, ADA_ACCOUNT):
        assert _put_state(api, agent, {"bookmark": "ada-page-7"}).status_code == 204
    profile = {"agent": json.dumps(ADA_SHA1), "profileId": "https://example.com/ada-prefs"}
    assert api("post", "agents/profile", params=profile, json={"ada": 1}).status_code == 204
    assert _put_state(api, BEN, {"bookmark": "ben-page-3"}).status_code == 204

    notes = b"Ada Lovelace's own notes"
    with_file = statement(sid=str(uuid.uuid4()))
    with_file["attachments"] = [attachment(notes)]
    with_file["context"] = {"instructor": BEN}
    content_type, body = multipart([with_file], [("text/plain", notes)])
    assert api("post", "statements", data=body, content_type=content_type).status_code == 200
    by_account = statement(who=ADA_ACCOUNT)
    by_ben = statement(who=BEN)
    by_ben["context"] = {"instructor": ADA_SHA1}
    assert api("post", "statements", json=[by_account, by_ben]).status_code == 200
    ben_notes = b"Ben's notes"
    ben_file = statement(who=BEN)
    ben_file["attachments"] = [attachment(ben_notes)]
    ben_file["context"] = {"instructor": GRACE}
    content_type, body = multipart([ben_file], [("text/plain", ben_notes)])
    assert api("post", "statements", data=body, content_type=content_type).status_code == 200
    assert db.session.scalar(select(func.count()).select_from(XapiDocument)) == 5

    result = runner.invoke(args=["person", "erase", "E1001", "--yes"])
    assert result.exit_code == 0, result.output
    db.session.expire_all()

    dump = _dump()
    for needle in ("ada.lovelace", "Ada.Lovelace", "E1001", "ada-page-7", "Ada Lovelace's"):
        assert needle not in dump, needle
    assert [d.document_id for d in db.session.scalars(select(XapiDocument))] == [STATE_ID]
    assert [a.content for a in db.session.scalars(select(XapiAttachment))] == [ben_notes]
    # Ben's statements stay indexed, without the related-agent row that named Ada
    assert [r.key for r in db.session.scalars(select(XapiRelated))] == [ifi_key(GRACE)]
    assert db.session.scalar(select(func.count()).select_from(XapiStatement)) == 4
    assert _get_state(api, BEN).get_json() == {"bookmark": "ben-page-3"}
    assert _get_state(api, ADA_MBOX).status_code == 404
    # the LRS still lists Ada's blanked statements, by id and the LRS's own members only
    page = api("get", "statements")
    assert page.status_code == 200
    listed = {s["id"]: s for s in page.get_json()["statements"]}
    assert len(listed) == 4
    assert set(listed[with_file["id"]]) == {"id", "stored", "authority", "timestamp", "version"}
