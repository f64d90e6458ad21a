"""An upload over MAX_CONTENT_LENGTH gets a clear 413 page (the CSRF check parses the form
first: the page must still say the file is too large, not that the form expired)."""

from __future__ import annotations

import io

from app.auth.access import SESSION_USER_KEY
from app.auth.models import Role
from app.extensions import db
from tests.factories import staff


def test_a_too_large_upload_gets_a_clear_page(make_app) -> None:
    small = make_app()
    small.config["MAX_CONTENT_LENGTH"] = 10_000  # the limit under test, made small
    lead = staff(Role.LOCAL_LEAD, "de")
    db.session.commit()
    client = small.test_client()
    with client.session_transaction() as session:
        session[SESSION_USER_KEY] = lead.id
    response = client.post(
        "/r/de/rollouts/any/roster",
        data={"file": (io.BytesIO(b"x" * 20_000), "roster.csv")},
        content_type="multipart/form-data",
        headers={"Accept": "text/html"},
    )
    assert response.status_code == 413, response.get_data(as_text=True)[-800:]
    assert "The file is too large" in response.get_data(as_text=True)
