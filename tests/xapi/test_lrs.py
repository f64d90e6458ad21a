"""The rest of a conformant LRS (xAPI 1.0.3 Communication §1–§3), through the app.

Each test fails on the main before this work: there was no HEAD, no alternate request
syntax, no registration / related_* filters, ``ascending=True`` and ``attachments=true``
were refused, ``format`` was always ``exact``, multipart statements were refused, and there
were no document, activities or agents resources (404).
"""

from __future__ import annotations

import base64
import hashlib
import json
import uuid
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID

from app.extensions import db
from app.xapi.credentials import issue_credentials
from tests.progress.helpers import IRI, make_course, statement

ADA = {"objectType": "Agent", "mbox": "mailto:ada.lovelace@example.com"}
EXPERT = {"objectType": "Agent", "mbox": "mailto:grace.expert@example.com"}
STATE_ID = "https://learning.example.com/xapi/state/bookmark"


class Lrs:
    """Requests to /xapi with a rollout's Basic credentials and the version header."""

    def __init__(self, client, rollout) -> None:
        key, secret = issue_credentials(region=rollout.region, rollout=rollout, rotate=True)
        db.session.commit()
        self.client = client
        self.auth = "Basic " + base64.b64encode(f"{key}:{secret}".encode()).decode()

    def __call__(self, method, path, *, params=None, headers=None, **kwargs):
        base = {"Authorization": self.auth, "X-Experience-API-Version": "1.0.3"}
        base.update(headers or {})
        url = f"/xapi/{path}" + (f"?{urlencode(params)}" if params else "")
        return getattr(self.client, method)(url, headers=base, **kwargs)


@pytest.fixture
def course():
    return make_course()


@pytest.fixture
def api(client, course):
    return Lrs(client, course.rollout)


def state_params(**extra):
    return {"activityId": IRI, "agent": json.dumps(ADA), **extra}


# --- statements: HEAD, alternate syntax, filters, format ---------------------------------


def test_head_answers_as_get_without_a_body(api):
    api("post", "statements", json=statement())
    get = api("get", "statements")
    head = api("head", "statements")
    assert head.status_code == 200
    assert head.data == b""
    assert head.headers["X-Experience-API-Version"] == "1.0.3"
    assert "X-Experience-API-Consistent-Through" in head.headers
    assert head.headers["Content-Type"] == get.headers["Content-Type"]


def test_alternate_request_syntax_puts_and_gets(api):
    sid = str(uuid.uuid4())
    form = {"statementId": sid, "content": json.dumps(statement())}
    put = api(
        "post",
        "statements?method=PUT",
        data=form,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert put.status_code == 204
    got = api("post", "statements?method=GET", data={"statementId": sid})
    assert got.status_code == 200
    assert got.json["id"] == sid
    # only "method" may be in the URL, and only a POST carries the syntax
    extra = api("post", f"statements?method=PUT&statementId={sid}", data=form)
    assert extra.status_code == 400
    assert api("put", "statements?method=POST", data=form).status_code == 400


def test_form_fields_are_headers_in_the_alternate_syntax(api):
    form = {
        "statementId": str(uuid.uuid4()),
        "content": json.dumps(statement()),
        "X-Experience-API-Version": "0.9",
    }
    response = api("post", "statements?method=PUT", data=form)
    assert response.status_code == 400
    assert "0.9" in response.json["error"]


def test_ascending_is_case_insensitive(api):
    first, second = str(uuid.uuid4()), str(uuid.uuid4())
    api("post", "statements", json=[statement(sid=first)])
    api("post", "statements", json=[statement(sid=second)])
    response = api("get", "statements", params={"ascending": "True"})
    assert response.status_code == 200
    assert [s["id"] for s in response.json["statements"]] == [first, second]


def test_registration_and_related_filters(api):
    registration = str(uuid.uuid4())
    plain = statement(sid=str(uuid.uuid4()))
    registered = statement(sid=str(uuid.uuid4()))
    registered["context"] = {
        "registration": registration,
        "instructor": EXPERT,
        "contextActivities": {"parent": {"id": "https://learning.example.com/course"}},
    }
    assert api("post", "statements", json=[plain, registered]).status_code == 200

    def found(**params):
        response = api("get", "statements", params=params)
        assert response.status_code == 200, response.json
        return {s["id"] for s in response.json["statements"]}

    assert found(registration=registration) == {registered["id"]}
    assert found(agent=json.dumps(EXPERT)) == set()
    assert found(agent=json.dumps(EXPERT), related_agents="true") == {registered["id"]}
    both = {plain["id"], registered["id"]}
    assert found(agent=json.dumps(ADA), related_agents="true") == both
    assert found(activity=IRI, related_activities="true") == both
    parent = "https://learning.example.com/course"
    assert found(activity=parent) == set()
    assert found(activity=parent, related_activities="true") == {registered["id"]}
    # returned as an array even though it was sent as one object (Data §2.4.6.2)
    one = api("get", "statements", params={"statementId": registered["id"]}).json
    assert one["context"]["contextActivities"]["parent"] == [{"id": parent}]


def test_format_ids_and_canonical(api):
    sent = statement(sid=str(uuid.uuid4()))
    sent["actor"]["name"] = "Ada Lovelace"
    sent["verb"]["display"] = {"en-US": "completed", "fr-FR": "a terminé"}
    sent["object"]["definition"] = {"name": {"en-US": "Event-driven design", "fr-FR": "Événements"}}
    api("post", "statements", json=sent)
    ids = api("get", "statements", params={"statementId": sent["id"], "format": "ids"}).json
    assert "name" not in ids["actor"]
    assert ids["object"] == {"id": IRI}
    assert ids["verb"] == {"id": sent["verb"]["id"]}
    canonical = api(
        "get",
        "statements",
        params={"statementId": sent["id"], "format": "canonical"},
        headers={"Accept-Language": "fr-FR, en;q=0.5"},
    ).json
    assert canonical["verb"]["display"] == {"fr-FR": "a terminé"}
    assert canonical["object"]["definition"]["name"] == {"fr-FR": "Événements"}


# --- attachments and signed statements ----------------------------------------------------


def multipart(statements, files, boundary="summit-test-boundary"):
    chunks = [f"--{boundary}\r\nContent-Type: application/json\r\n\r\n".encode()]
    chunks.append(json.dumps(statements).encode() + b"\r\n")
    for content_type, content in files:
        sha2 = hashlib.sha256(content).hexdigest()
        chunks.append(
            f"--{boundary}\r\nContent-Type: {content_type}\r\nContent-Transfer-Encoding: binary\r\n"
            f"X-Experience-API-Hash: {sha2}\r\n\r\n".encode()
            + content
            + b"\r\n"
        )
    chunks.append(f"--{boundary}--\r\n".encode())
    return f"multipart/mixed; boundary={boundary}", b"".join(chunks)


def attachment(content, content_type="text/plain", usage="https://example.com/usage/notes"):
    return {
        "usageType": usage,
        "display": {"en-US": "notes"},
        "contentType": content_type,
        "length": len(content),
        "sha2": hashlib.sha256(content).hexdigest(),
    }


def test_attachments_are_stored_and_returned_as_multipart(api):
    notes = "Ada's notes: één".encode()
    sent = statement(sid=str(uuid.uuid4()))
    sent["attachments"] = [attachment(notes)]
    content_type, body = multipart([sent], [("text/plain", notes)])
    assert api("post", "statements", data=body, content_type=content_type).status_code == 200
    response = api("get", "statements", params={"statementId": sent["id"], "attachments": "true"})
    assert response.status_code == 200
    assert response.mimetype == "multipart/mixed"
    assert notes in response.data
    assert f"X-Experience-API-Hash: {hashlib.sha256(notes).hexdigest()}".encode() in response.data


def test_an_attachment_without_its_part_or_a_stray_part_is_400(api):
    notes = b"notes"
    sent = statement(sid=str(uuid.uuid4()))
    sent["attachments"] = [attachment(notes)]
    assert api("post", "statements", json=sent).status_code == 400
    content_type, body = multipart([statement()], [("text/plain", notes)])
    assert api("post", "statements", data=body, content_type=content_type).status_code == 400


def _signing_key():
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "course.example.com")])
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=30))
        .sign(key, hashes.SHA256())
    )
    return key, certificate


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def jws(payload, key, certificate, alg="RS256"):
    """A JWS in compact serialization (RFC 7515 §7.1) with the x5c header (§4.1.6)."""
    der = certificate.public_bytes(serialization.Encoding.DER)
    header = {"alg": alg, "x5c": [base64.b64encode(der).decode()]}
    signing_input = f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(payload).encode())}"
    digest = {"RS256": hashes.SHA256(), "RS512": hashes.SHA512()}[alg]
    signature = key.sign(signing_input.encode(), padding.PKCS1v15(), digest)
    return f"{signing_input}.{_b64(signature)}".encode()


def signed(sent, token, content_type="application/octet-stream"):
    sent = {**sent, "attachments": [attachment(token, content_type, usage=SIGNATURE)]}
    return multipart([sent], [(content_type, token)])


SIGNATURE = "http://adlnet.gov/expapi/attachments/signature"


def test_signed_statements_are_checked(api):
    key, certificate = _signing_key()
    sent = statement(sid=str(uuid.uuid4()))
    good = jws(sent, key, certificate, "RS512")
    content_type, body = signed(sent, good)
    assert api("post", "statements", data=body, content_type=content_type).status_code == 200
    # the payload is another statement
    other = jws({**sent, "verb": {"id": "http://adlnet.gov/expapi/verbs/failed"}}, key, certificate)
    content_type, body = signed({**sent, "id": str(uuid.uuid4())}, other)
    assert api("post", "statements", data=body, content_type=content_type).status_code == 400
    # signed by another key than its certificate's
    stranger, _ = _signing_key()
    fresh = {**sent, "id": str(uuid.uuid4())}
    content_type, body = signed(fresh, jws(fresh, stranger, certificate))
    response = api("post", "statements", data=body, content_type=content_type)
    assert response.status_code == 400
    assert "x5c" in response.json["error"]
    # a signature is an octet stream
    content_type, body = signed(fresh, jws(fresh, key, certificate), "text/plain")
    assert api("post", "statements", data=body, content_type=content_type).status_code == 400


# --- documents ----------------------------------------------------------------------------


def test_state_put_get_merge_list_and_delete(api):
    params = state_params(stateId=STATE_ID)
    put = api("put", "activities/state", params=params, json={"page": 3, "volume": 5})
    assert put.status_code == 204
    got = api("get", "activities/state", params=params)
    assert got.status_code == 200
    assert got.json == {"page": 3, "volume": 5}
    assert got.headers["ETag"] == f'"{hashlib.sha1(got.data).hexdigest()}"'  # noqa: S324
    assert api("post", "activities/state", params=params, json={"page": 4}).status_code == 204
    assert api("get", "activities/state", params=params).json == {"page": 4, "volume": 5}
    listed = api("get", "activities/state", params=state_params())
    assert listed.json == [STATE_ID]
    later = (datetime.now(UTC) + timedelta(minutes=5)).isoformat()
    assert api("get", "activities/state", params=state_params(since=later)).json == []
    assert api("delete", "activities/state", params=state_params()).status_code == 204
    assert api("get", "activities/state", params=params).status_code == 404


def test_a_merge_with_a_document_that_is_not_json_is_400(api):
    params = state_params(stateId=STATE_ID)
    api("put", "activities/state", params=params, data=b"bookmark-3", content_type="text/plain")
    response = api("post", "activities/state", params=params, json={"page": 4})
    assert response.status_code == 400
    assert api("get", "activities/state", params=params).data == b"bookmark-3"


def test_bad_state_parameters_are_400(api):
    assert api("get", "activities/state", params={"activityId": IRI}).status_code == 400
    bad_agent = {"activityId": IRI, "agent": json.dumps({"name": "Ada"})}
    assert api("get", "activities/state", params=bad_agent).status_code == 400
    bad_registration = state_params(registration="attempt-1")
    assert api("get", "activities/state", params=bad_registration).status_code == 400


def test_profile_writes_follow_etags(api):
    params = {"activityId": IRI, "profileId": "https://learning.example.com/profiles/quiz"}

    def put(body, **headers):
        return api("put", "activities/profile", params=params, json=body, headers=headers)

    assert put({"v": 1}).status_code == 400  # no precondition for a new profile
    assert put({"v": 1}, **{"If-None-Match": "*"}).status_code == 204
    assert put({"v": 2}).status_code == 409  # exists: a blind overwrite is refused
    assert put({"v": 2}, **{"If-None-Match": "*"}).status_code == 412
    assert put({"v": 2}, **{"If-Match": '"0000"'}).status_code == 412
    etag = api("get", "activities/profile", params=params).headers["ETag"]
    assert put({"v": 2}, **{"If-Match": etag}).status_code == 204
    assert api("get", "activities/profile", params=params).json == {"v": 2}
    agent_params = {"agent": json.dumps(ADA), "profileId": "settings"}
    response = api(
        "put",
        "agents/profile",
        params=agent_params,
        json={"lang": "de"},
        headers={"If-None-Match": "*"},
    )
    assert response.status_code == 204
    assert api("get", "agents/profile", params=agent_params).json == {"lang": "de"}
    assert api("get", "agents/profile", params={"agent": json.dumps(ADA)}).json == ["settings"]


def test_activities_merge_definitions_and_agents_give_a_person(api):
    english = statement(sid=str(uuid.uuid4()))
    english["object"]["definition"] = {"name": {"en-US": "Event-driven design"}}
    french = statement(sid=str(uuid.uuid4()))
    french["object"]["definition"] = {"name": {"fr-FR": "Conception événementielle"}}
    api("post", "statements", json=[english, french])
    activity = api("get", "activities", params={"activityId": IRI}).json
    assert activity["definition"]["name"] == {
        "en-US": "Event-driven design",
        "fr-FR": "Conception événementielle",
    }
    assert api("get", "activities").status_code == 400
    person = api("get", "agents", params={"agent": json.dumps(ADA)}).json
    assert person == {"objectType": "Person", "mbox": [ADA["mbox"]]}


def test_another_rollout_sees_none_of_it(client, api):
    params = state_params(stateId=STATE_ID)
    api("put", "activities/state", params=params, json={"page": 3})
    defined = statement(sid=str(uuid.uuid4()))
    defined["object"]["definition"] = {"name": {"en-US": "Event-driven design"}}
    notes = b"private notes"
    defined["attachments"] = [attachment(notes)]
    content_type, body = multipart([defined], [("text/plain", notes)])
    api("post", "statements", data=body, content_type=content_type)
    other = Lrs(client, make_course("fr", slug="sef-fr-other").rollout)
    assert other("get", "activities/state", params=params).status_code == 404
    assert other("get", "activities/state", params=state_params()).json == []
    assert "definition" not in other("get", "activities", params={"activityId": IRI}).json
    # the same statement id is the other rollout's own, and brings none of the first's files
    mine = statement(sid=defined["id"])
    mine["attachments"] = [{**attachment(notes), "fileUrl": "https://example.com/n.txt"}]
    assert other("post", "statements", json=mine).status_code == 200
    read = other("get", "statements", params={"statementId": mine["id"], "attachments": "true"})
    assert notes not in read.data


# --- validation ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (lambda s: s["actor"].update(mbox="ada@example.com"), "mailto"),
        (lambda s: s["actor"].update(openid="https://id.example.com/ada"), "more than one"),
        (lambda s: s.update(result={"success": None}), "must not be null"),
        (lambda s: s.update(context={"registration": "session-1"}), "UUID"),
        (lambda s: s["verb"].update(display={"en_US": "completed"}), "language tag"),
        (lambda s: s.update(timestamp="2026-11-20T09:00:00-00:00"), "-00:00"),
        (lambda s: s.update(result={"duration": "90 minutes"}), "duration"),
        (
            lambda s: s["object"].update(definition={"interactionType": {"kind": "choice"}}),
            "interactionType",
        ),
        (lambda s: s["object"].update(definition={"choices": []}), "needs an interactionType"),
        (lambda s: s.update(result={"score": {"raw": 5, "min": 10, "max": 20}}), "between"),
    ],
)
def test_statements_are_validated_to_the_spec(api, change, reason):
    sent = statement()
    change(sent)
    response = api("post", "statements", json=sent)
    assert response.status_code == 400
    assert reason in response.json["error"]


def test_the_more_link_keeps_the_format(api):
    named = [statement(sid=str(uuid.uuid4())) for _ in range(2)]
    for sent in named:
        sent["actor"]["name"] = "Ada Lovelace"
    api("post", "statements", json=named)
    first = api("get", "statements", params={"limit": "1", "format": "ids"}).json
    assert "name" not in first["statements"][0]["actor"]
    path = first["more"].removeprefix("/xapi/")
    second = api("get", path).json
    assert len(second["statements"]) == 1
    assert "name" not in second["statements"][0]["actor"]
