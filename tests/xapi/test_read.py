"""GET /xapi/statements: one statement, filtered lists, paging through ``more``, scoping."""

import json
import random
import uuid
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select, update

from app.extensions import db
from app.progress.models import XapiStatement
from app.xapi.statements import ExactForm
from tests.factories import RolloutFactory
from tests.progress.helpers import COMPLETED as COMPLETED_VERB
from tests.progress.helpers import IRI, PROGRESSED, make_course, statement, xapi_sender
from tests.statements import statements_during

ADA = {"objectType": "Agent", "mbox": "mailto:Ada.Lovelace@example.com"}
BEN = {"account": {"homePage": "https://hr.example.com", "name": "E1002"}}
OTHER_IRI = "https://learning.example.com/xapi/activities/observability"


def get(lrs, **params):
    query = "?" + "&".join(f"{k}={v}" for k, v in params.items()) if params else ""
    return lrs(method="get", query=query)


def ids(response):
    return [s["id"] for s in response.json["statements"]]


def backdate(sid, stored_at):
    db.session.execute(
        update(XapiStatement).where(XapiStatement.statement_id == sid).values(stored_at=stored_at)
    )
    db.session.commit()


def test_one_statement_by_id_as_stored_plus_id_stored_authority(lrs):
    sid = str(uuid.uuid4())
    sent = statement(sid=sid, result={"completion": True}, ts="2026-11-20T09:00:00Z")
    assert lrs(sent).status_code == 200
    response = get(lrs, statementId=sid)
    assert response.status_code == 200
    body = response.json
    assert body["id"] == sid
    assert (body["actor"], body["verb"], body["object"]) == (
        sent["actor"],
        sent["verb"],
        sent["object"],
    )
    assert body["result"] == {"completion": True}
    assert body["timestamp"] == "2026-11-20T09:00:00Z"
    assert body["authority"]["account"] == {"homePage": "http://summit.test/xapi", "name": lrs.key}
    stored = datetime.fromisoformat(body["stored"].replace("Z", "+00:00"))
    assert abs(stored - datetime.now(UTC)) < timedelta(minutes=1)
    assert response.headers["X-Experience-API-Version"] == "1.0.3"
    assert response.headers["Last-Modified"].endswith("GMT")
    consistent = response.headers["X-Experience-API-Consistent-Through"]
    assert datetime.fromisoformat(consistent.replace("Z", "+00:00")) >= stored


def test_an_unknown_id_is_404_and_ids_take_no_filters(lrs):
    assert get(lrs, statementId=uuid.uuid4()).status_code == 404
    assert get(lrs, statementId="not-a-uuid").status_code == 404
    sid = str(uuid.uuid4())
    lrs(statement(sid=sid))
    response = get(lrs, statementId=sid, verb=PROGRESSED)
    assert response.status_code == 400 and "cannot be combined" in response.json["error"]
    response = get(lrs, statementId=sid, voidedStatementId=sid)
    assert response.status_code == 400 and "not both" in response.json["error"]
    # a statement that is not voided is not found as a voided one
    assert get(lrs, voidedStatementId=sid).status_code == 404


def test_a_list_is_newest_first_and_filters_by_agent_verb_activity(lrs):
    first, second, third, fourth = (str(uuid.uuid4()) for _ in range(4))
    lrs(statement(sid=first))
    lrs(statement(PROGRESSED, sid=second, who=BEN))
    lrs(statement(PROGRESSED, sid=third, activity=OTHER_IRI))
    lrs(statement(sid=fourth, who={"mbox": "mailto:ada.lovelace@EXAMPLE.com"}))
    response = get(lrs)
    assert response.status_code == 200
    assert ids(response) == [fourth, third, second, first]
    assert response.json["more"] == ""
    assert "X-Experience-API-Consistent-Through" in response.headers
    # the mailbox is the learner's whatever its case
    assert ids(get(lrs, agent=json.dumps(ADA))) == [fourth, third, first]
    assert ids(get(lrs, agent=json.dumps(BEN))) == [second]
    assert ids(get(lrs, verb=PROGRESSED)) == [third, second]
    assert ids(get(lrs, activity=IRI)) == [fourth, second, first]
    assert ids(get(lrs, agent=json.dumps(ADA), verb=PROGRESSED, activity=OTHER_IRI)) == [third]
    assert ids(get(lrs, ascending="true")) == [first, second, third, fourth]
    assert get(lrs, verb="http://adlnet.gov/expapi/verbs/passed").json == {
        "statements": [],
        "more": "",
    }


def test_since_is_exclusive_and_until_inclusive_on_stored_time(lrs):
    old, middle, new = (str(uuid.uuid4()) for _ in range(3))
    for sid in (old, middle, new):
        lrs(statement(sid=sid))
    backdate(old, datetime(2026, 11, 1, 10, 0, tzinfo=UTC))
    backdate(middle, datetime(2026, 11, 10, 10, 0, tzinfo=UTC))
    assert ids(get(lrs, since="2026-11-01T10:00:00Z")) == [new, middle]
    assert ids(get(lrs, until="2026-11-10T10:00:00Z")) == [middle, old]
    assert ids(get(lrs, since="2026-11-05T00:00:00%2B01:00", until="2026-11-10T10:00:00Z")) == [
        middle
    ]


@pytest.mark.parametrize(
    ("params", "reason"),
    [
        ({"since": "last-tuesday"}, "since must be an ISO 8601 timestamp"),
        ({"until": "2026-13-01"}, "until must be an ISO 8601 timestamp"),
        ({"limit": "-1"}, "limit must be a nonnegative integer"),
        ({"ascending": "yes"}, "ascending must be true or false"),
        ({"agent": "ada"}, "agent must be an Agent as JSON"),
        ({"agent": json.dumps({"name": "Ada"})}, "agent: needs exactly one of mbox"),
        ({"verb": "completed"}, "verb must be an IRI"),
        ({"registration": "session-1"}, "registration must be a UUID"),
        ({"colour": "blue"}, "unknown parameters"),
        ({"attachments": "maybe"}, "attachments must be true or false"),
    ],
)
def test_bad_parameters_are_400_with_the_reason(lrs, params, reason):
    response = get(lrs, **params)
    assert response.status_code == 400
    assert reason in response.json["error"]


def test_250_statements_page_through_more_without_duplicates_or_misses(lrs, app):
    # one batch: every statement has the same stored time, so the keyset's id breaks the ties
    sent = [str(uuid.uuid4()) for _ in range(200)]
    lrs([statement(PROGRESSED, sid=sid) for sid in sent])
    later = [str(uuid.uuid4()) for _ in range(50)]
    lrs([statement(PROGRESSED, sid=sid) for sid in later])
    pages = []

    def read_every_page():
        pages.append(get(lrs, limit=100))
        while pages[-1].json["more"]:
            more = pages[-1].json["more"]
            assert more.startswith("/xapi/statements?more=")
            pages.append(lrs(method="get", query=more[len("/xapi/statements") :]))

    statement_queries = [
        sql for sql in statements_during(read_every_page) if "FROM xapi_statement" in sql
    ]
    assert [len(p.json["statements"]) for p in pages] == [100, 100, 50]
    seen = [sid for page in pages for sid in ids(page)]
    assert len(seen) == len(set(seen)) == 250
    assert set(seen) == set(sent) | set(later)
    # newest stored first: the later batch comes before the first one
    assert set(seen[:50]) == set(later)
    # one query per page, never one per statement
    assert len(statement_queries) == 3
    # the link is stable: the same page again gives the same statements and link
    again = lrs(method="get", query=pages[0].json["more"][len("/xapi/statements") :])
    assert ids(again) == ids(pages[1]) and again.json["more"] == pages[1].json["more"]


def test_more_keeps_the_filters_and_the_order(lrs):
    mine = [str(uuid.uuid4()) for _ in range(5)]
    lrs([statement(PROGRESSED, sid=sid, who=BEN) for sid in mine])
    lrs([statement(PROGRESSED) for _ in range(5)])
    pages = [get(lrs, agent=json.dumps(BEN), limit=2, ascending="true")]
    while pages[-1].json["more"]:
        pages.append(lrs(method="get", query=pages[-1].json["more"][len("/xapi/statements") :]))
    assert [sid for page in pages for sid in ids(page)] == mine  # stored (batch) order
    assert [len(p.json["statements"]) for p in pages] == [2, 2, 1]


def test_a_forged_more_link_or_one_with_other_parameters_is_400(lrs):
    lrs([statement(PROGRESSED) for _ in range(3)])
    more = get(lrs, limit=1).json["more"]
    token = parse_qs(urlsplit(more).query)["more"][0]
    response = get(lrs, more=token[:-2] + "xx")
    assert response.status_code == 400 and "more link" in response.json["error"]
    assert get(lrs, more=token, limit=5).status_code == 400


def test_another_rollouts_credentials_never_see_the_statements(lrs, client):
    sid = str(uuid.uuid4())
    lrs(statement(sid=sid))
    lrs([statement(PROGRESSED) for _ in range(3)])
    more = get(lrs, limit=1).json["more"]
    other = make_course("fr", slug="sef-fr-read")
    intruder = xapi_sender(client, other.rollout)
    assert intruder(method="get", query=f"?statementId={sid}").status_code == 404
    assert intruder(method="get").json == {"statements": [], "more": ""}
    # a more link is bound to the rollout it was made for
    response = intruder(method="get", query=more[len("/xapi/statements") :])
    assert response.status_code == 400
    # the same region's other rollout sees nothing either: the rollout, not the region, scopes
    neighbour = xapi_sender(
        client, RolloutFactory(region_id=lrs.course.rollout.region_id, slug="sef-de-neighbour")
    )
    assert neighbour(method="get", query=f"?statementId={sid}").status_code == 404
    assert neighbour(method="get").json["statements"] == []


def test_reading_needs_the_credentials_and_the_version_header(lrs, client):
    assert (
        client.get("/xapi/statements", headers={"X-Experience-API-Version": "1.0.3"}).status_code
        == 401
    )
    response = lrs(method="get", headers={"X-Experience-API-Version": None})
    assert response.status_code == 400


LEAD = {"mbox": "mailto:lena.lead@example.com"}
COMMENTED = "http://adlnet.gov/expapi/verbs/commented"
VOIDED = "http://adlnet.gov/expapi/verbs/voided"


def targeting(target, *, verb=COMMENTED, who=LEAD, sid=None):
    return {
        "id": sid or str(uuid.uuid4()),
        "actor": who,
        "verb": {"id": verb, "display": {"en-US": verb.rsplit("/", 1)[1]}},
        "object": {"objectType": "StatementRef", "id": target},
    }


def test_filters_match_statements_that_target_a_matching_statement(lrs):
    # xAPI 1.0.3 Communication §2.1.3: agent, verb and activity each match a statement whose
    # StatementRef (or chain of them) names a statement meeting that condition
    done, ben, comment, like, void = (str(uuid.uuid4()) for _ in range(5))
    lrs(statement(sid=done))  # Ada completed IRI
    lrs(statement(PROGRESSED, sid=ben, who=BEN, activity=OTHER_IRI))
    lrs(targeting(done, sid=comment))  # the lead comments on Ada's completion
    lrs(targeting(comment, verb="http://activitystrea.ms/schema/1.0/like", who=BEN, sid=like))
    lrs(targeting(ben, verb=VOIDED, sid=void))  # the lead voids Ben's statement
    assert ids(get(lrs)) == [void, like, comment, done]  # Ben's voided statement is hidden
    assert ids(get(lrs, agent=json.dumps(ADA))) == [like, comment, done]  # like → comment → done
    assert ids(get(lrs, verb=COMPLETED_VERB)) == [like, comment, done]
    assert ids(get(lrs, activity=IRI)) == [like, comment, done]
    # the void of Ben's statement is news to whoever follows Ben or that activity
    assert ids(get(lrs, agent=json.dumps(BEN))) == [void, like]
    assert ids(get(lrs, activity=OTHER_IRI)) == [void]
    # each condition on its own: the void's verb is its own, its agent Ben's statement's
    assert ids(get(lrs, agent=json.dumps(BEN), verb=VOIDED)) == [void]
    assert ids(get(lrs, agent=json.dumps(LEAD), verb=COMPLETED_VERB)) == [like, comment]
    assert ids(get(lrs, agent=json.dumps(LEAD), verb=PROGRESSED)) == [void]  # Ben's verb
    assert ids(get(lrs, agent=json.dumps(LEAD), activity=OTHER_IRI, verb=COMPLETED_VERB)) == []
    # pages through `more` as any list
    pages = [get(lrs, agent=json.dumps(ADA), limit=1)]
    while pages[-1].json["more"]:
        pages.append(lrs(method="get", query=pages[-1].json["more"][len("/xapi/statements") :]))
    assert [sid for page in pages for sid in ids(page)] == [like, comment, done]
    # since and until apply to the targeting statement's own time
    backdate(done, datetime.now(UTC) - timedelta(hours=2))
    backdate(comment, datetime.now(UTC) - timedelta(hours=2))
    since = (datetime.now(UTC) - timedelta(hours=1)).isoformat().replace("+00:00", "Z")
    assert ids(get(lrs, agent=json.dumps(ADA), since=since)) == [like]


def test_a_cycle_of_statement_refs_ends(lrs):
    # targets sent out of order can name each other; the chain must still end
    a, b = str(uuid.uuid4()), str(uuid.uuid4())
    lrs(targeting(b, sid=a))
    lrs(targeting(a, sid=b, who=BEN))
    assert ids(get(lrs, agent=json.dumps(BEN))) == [b, a]
    assert ids(get(lrs, agent=json.dumps(ADA))) == []


def pages_of(lrs, **params):
    """Every statement id of a list, following ``more``, page by page."""
    pages = [get(lrs, **params)]
    while pages[-1].json["more"]:
        pages.append(lrs(method="get", query=pages[-1].json["more"][len("/xapi/statements") :]))
    return [ids(page) for page in pages]


def test_a_long_chain_of_refs_matches_through_voided_links_and_pages_once_each(lrs):
    # A is Ada's; B, C, D each target the one before; B is then voided: hidden itself, it
    # still links C to A, and its void (which targets B) reaches A through it
    a, b, c, d, void = (str(uuid.uuid4()) for _ in range(5))
    lrs(statement(sid=a))
    lrs(targeting(a, sid=b))
    lrs(targeting(b, sid=c, who=BEN))
    lrs(targeting(c, sid=d, verb="http://activitystrea.ms/schema/1.0/like"))
    lrs(targeting(b, verb=VOIDED, sid=void))
    assert ids(get(lrs, agent=json.dumps(ADA))) == [void, d, c, a]
    assert ids(get(lrs, verb=COMPLETED_VERB)) == [void, d, c, a]
    assert ids(get(lrs, activity=IRI, ascending="true")) == [a, c, d, void]
    # Ben's comment (C) is what D likes; the void of B targets nothing of Ben's
    assert ids(get(lrs, agent=json.dumps(BEN))) == [d, c]
    assert ids(get(lrs, agent=json.dumps(BEN), verb=COMPLETED_VERB)) == [d, c]
    # one statement a page, either way: each exactly once, in order
    assert pages_of(lrs, agent=json.dumps(ADA), limit=1) == [[void], [d], [c], [a]]
    assert pages_of(lrs, verb=COMPLETED_VERB, limit=1, ascending="true") == [
        [a],
        [c],
        [d],
        [void],
    ]


def test_related_agents_and_registration_match_through_a_statement_ref(lrs):
    registration = str(uuid.uuid4())
    taught, comment = str(uuid.uuid4()), str(uuid.uuid4())
    lrs({**statement(sid=taught), "context": {"registration": registration, "instructor": BEN}})
    lrs(targeting(taught, sid=comment))
    assert ids(get(lrs, agent=json.dumps(BEN))) == []
    assert ids(get(lrs, agent=json.dumps(BEN), related_agents="true")) == [comment, taught]
    assert ids(get(lrs, registration=registration)) == [comment, taught]


def test_statement_refs_never_cross_rollouts(lrs, client):
    # statement ids are unique per rollout only: another rollout (another region's, or a
    # neighbour in the same region) may hold a statement of the same id as one here
    mine, comment = str(uuid.uuid4()), str(uuid.uuid4())
    lrs(statement(sid=mine))  # Ada's, here
    lrs(targeting(mine, sid=comment))
    others = [
        xapi_sender(client, make_course("fr", slug="sef-fr-refs").rollout),
        xapi_sender(
            client, RolloutFactory(region_id=lrs.course.rollout.region_id, slug="sef-de-refs")
        ),
    ]
    for other in others:
        theirs, their_comment, dangling, like = (str(uuid.uuid4()) for _ in range(4))
        assert other(statement(PROGRESSED, sid=mine, who=BEN)).status_code == 200  # same id
        assert other(targeting(mine, sid=their_comment)).status_code == 200
        # targets the id of this rollout's comment, which that rollout does not hold
        assert other(targeting(comment, sid=dangling, who=BEN)).status_code == 200
        assert other(statement(sid=theirs, who=BEN)).status_code == 200
        assert other(targeting(theirs, sid=like)).status_code == 200
        # there, their own statement of that id is Ben's; here it is Ada's
        assert pages_of(other, agent=json.dumps(ADA)) == [[]]
        assert ids(get(other, agent=json.dumps(BEN))) == [
            like,
            theirs,
            dangling,
            their_comment,
            mine,
        ]
        assert ids(get(other, verb=PROGRESSED)) == [their_comment, mine]
        assert ids(get(other, verb=COMPLETED_VERB)) == [like, theirs]
    assert ids(get(lrs, agent=json.dumps(ADA))) == [comment, mine]
    assert ids(get(lrs, agent=json.dumps(BEN))) == []
    assert ids(get(lrs, verb=PROGRESSED)) == []


def test_a_cycle_reached_from_outside_or_holding_the_match_ends(lrs):
    # c1 → c2 → c3 → c1, Ben's is c2; a tail statement targets c1; one statement targets itself
    c1, c2, c3, tail, itself = (str(uuid.uuid4()) for _ in range(5))
    lrs(targeting(c2, sid=c1))
    lrs(targeting(c3, sid=c2, who=BEN))
    lrs(targeting(c1, sid=c3))
    lrs(targeting(c1, sid=tail))
    assert lrs(targeting(itself, sid=itself, who=ADA)).status_code == 200
    assert ids(get(lrs, agent=json.dumps(BEN))) == [tail, c3, c2, c1]
    assert ids(get(lrs, agent=json.dumps(BEN), limit=2)) == [tail, c3]
    assert ids(get(lrs, agent=json.dumps(ADA))) == [itself]
    assert ids(get(lrs, verb=COMPLETED_VERB)) == []


@pytest.mark.parametrize("stored_before_exact_form", [False, True])
def test_a_page_gives_each_statement_as_a_read_by_its_id_does(lrs, stored_before_exact_form):
    # a page splices the stored JSON text; a read by id parses it: the same statements,
    # whether the sender gave timestamp, version, an upper-case id, an authority, or none;
    # and for rows stored before xapi_statement.exact_form (NULL: read from the JSON)
    upper = str(uuid.uuid4()).upper()
    sent = [
        statement(sid=str(uuid.uuid4())),
        statement(sid=str(uuid.uuid4()), ts="2026-11-20T09:00:00Z", name="Ünïcode ✓"),
        {**statement(sid=str(uuid.uuid4())), "version": "1.0.3"},
        statement(sid=upper, result={"completion": True}),
        {
            **statement(sid=str(uuid.uuid4())),
            "authority": {"objectType": "Agent", "mbox": "mailto:someone@example.com"},
        },
        {
            **statement(sid=str(uuid.uuid4())),
            "context": {"extensions": {"https://example.com/x": {"timestamp": "t", "version": 1}}},
        },
    ]
    assert lrs(sent).status_code == 200
    forms = dict(
        db.session.execute(select(XapiStatement.statement_id, XapiStatement.exact_form)).all()
    )
    # only the statement's own members count, not an extension's of the same name
    assert forms == {
        sent[0]["id"]: 0,
        sent[1]["id"]: ExactForm.TIMESTAMP,
        sent[2]["id"]: ExactForm.VERSION,
        upper.lower(): ExactForm.PARSE,
        sent[4]["id"]: ExactForm.PARSE,
        sent[5]["id"]: 0,
    }
    if stored_before_exact_form:
        db.session.execute(update(XapiStatement).values(exact_form=None))
        db.session.commit()
    # a stored time on the second (no fraction) and one with
    backdate(sent[0]["id"], datetime(2026, 11, 20, 9, 0, tzinfo=UTC))
    backdate(sent[2]["id"], datetime(2026, 11, 21, 9, 0, 0, 1000, tzinfo=UTC))
    page = get(lrs)
    assert page.status_code == 200 and page.json["more"] == ""
    listed = page.json["statements"]
    assert sorted(s["id"] for s in listed) == sorted(s["id"].lower() for s in sent)
    for item in listed:
        alone = get(lrs, statementId=item["id"])
        assert alone.status_code == 200
        assert item == alone.json
        assert item["version"] in ("1.0.0", "1.0.3") and item["timestamp"]
        assert item["authority"]["account"]["name"] == lrs.key
    stored = {s["id"]: s["stored"] for s in listed}
    assert stored[sent[0]["id"]] == "2026-11-20T09:00:00Z"
    assert stored[sent[2]["id"]] == "2026-11-21T09:00:00.001000Z"


def test_every_page_size_lists_the_same_statements_in_the_same_order(lrs):
    # A page whose direct matches fill it walks the targeting statements of its window
    # forward; one they do not fill walks backward from the matching statements. Chains,
    # cycles (targets sent later), dangling targets, voids and their links, in both orders,
    # one to a hundred a page: every way lists the same statements, each once.
    rng = random.Random(26)
    sids = [str(uuid.uuid4()) for _ in range(60)]
    people = [ADA, BEN, LEAD]
    voided, voids, refs = set(), set(), set()
    for n, sid in enumerate(sids):
        who = rng.choice(people)
        if n > 5 and rng.random() < 0.1:
            # a statement sent, not voided yet, not a void itself
            target = rng.choice([s for s in sids[:n] if s not in voided | voids])
            voided.add(target)
            voids.add(sid)
            sent = targeting(target, verb=VOIDED, who=LEAD, sid=sid)
        elif rng.random() < 0.45:
            # a statement before or after this one (a cycle, once both arrive), or none
            sent = targeting(rng.choice([*sids, str(uuid.uuid4())]), who=who, sid=sid)
            refs.add(sid)
        else:
            verb = rng.choice([COMPLETED_VERB, PROGRESSED])
            sent = statement(verb, sid=sid, who=who, activity=rng.choice([IRI, OTHER_IRI]))
        assert lrs(sent).status_code == 200
        if n % 7 == 0:  # stored times a step apart; within a step the id breaks the tie
            backdate(sid, datetime(2026, 11, 1, tzinfo=UTC) + timedelta(minutes=n))
    filters = [
        {"agent": json.dumps(ADA)},
        {"agent": json.dumps(BEN)},
        {"verb": COMPLETED_VERB},
        {"verb": PROGRESSED},
        {"activity": IRI},
        {"agent": json.dumps(BEN), "verb": COMPLETED_VERB},
        {"activity": OTHER_IRI, "verb": PROGRESSED},
    ]
    for params in filters:
        for ascending in ("false", "true"):
            whole = pages_of(lrs, **params, ascending=ascending)
            assert len(whole) == 1
            listed = whole[0]
            assert len(listed) == len(set(listed))
            for limit in (1, 2, 3, 5, 8):
                paged = pages_of(lrs, **params, ascending=ascending, limit=limit)
                assert all(len(page) == limit for page in paged[:-1])
                assert [sid for page in paged for sid in page] == listed, (params, limit)
    # the walks found something: statements that match only through their targets
    assert set(ids(get(lrs, verb=COMPLETED_VERB))) & refs
    assert set(ids(get(lrs, agent=json.dumps(BEN)))) & refs
