"""Rate limits that cannot lock everyone out (issue 18): token routes count per token and
client, so made-up tokens from one address (a whole office behind one NAT) spend nobody
else's budget; routes without a token are not limited by the link limiter at all."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
import time_machine

from app.freshlinks.routes import TOKEN_REQUESTS_PER_MINUTE as LIMIT
from app.links.services import make_token


@pytest.fixture(autouse=True)
def one_minute() -> Iterator[None]:
    """The clock stands still: every hit falls in the same one-minute window."""
    with time_machine.travel(datetime.now(UTC), tick=False):
        yield


def test_made_up_tokens_do_not_spend_a_genuine_links_budget(client) -> None:
    codes = {client.get(f"/links/fresh/p/forged{i}").status_code for i in range(LIMIT + 5)}
    assert 429 not in codes
    genuine = make_token(purpose="p", person_id=1, object_id=2)
    assert client.get(f"/links/fresh/p/{genuine}").status_code == 200


def test_one_token_hammered_from_one_client_is_limited(client) -> None:
    codes = [client.get("/links/fresh/p/same").status_code for _ in range(LIMIT + 2)]
    assert codes[:LIMIT] == [200] * LIMIT and codes[LIMIT:] == [429, 429]
    # another client (its own address) still gets through with the same link
    other = client.get("/links/fresh/p/same", environ_base={"REMOTE_ADDR": "10.0.0.9"})
    assert other.status_code == 200


def test_pages_without_a_token_are_not_counted(client) -> None:
    assert {client.get("/healthz?token=x").status_code for _ in range(LIMIT + 2)} == {200}


def test_a_burst_across_the_turn_of_a_minute_is_still_limited(client) -> None:
    """A fixed window let 2 × the limit through in a second when the hits straddled the turn
    of the minute (seen in CI: 32 hits through nginx, no 429). The window slides."""
    turn = (int(datetime.now(UTC).timestamp()) // 60 + 2) * 60
    codes = []
    with time_machine.travel(turn - 0.5, tick=False):
        codes += [client.get("/links/fresh/p/same").status_code for _ in range(LIMIT - 10)]
    with time_machine.travel(turn + 0.5, tick=False):
        codes += [client.get("/links/fresh/p/same").status_code for _ in range(12)]
    assert codes[:LIMIT] == [200] * LIMIT and codes[LIMIT:] == [429, 429]
    # a minute and more later, the budget is back
    with time_machine.travel(turn + 121, tick=False):
        assert client.get("/links/fresh/p/same").status_code == 200
