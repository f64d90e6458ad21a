"""The export's file name comes from an employee id, which is data: it cannot add
parameters to Content-Disposition nor break the header (issue 18)."""

from __future__ import annotations

import pytest
from werkzeug.http import parse_options_header

from app.auth.models import Role
from app.extensions import db
from tests.factories import PersonFactory, staff


@pytest.mark.parametrize(
    "employee_id",
    ['x"; filename="evil.exe', "a;b=c", "Jürgen 7", "line\r\nSet-Cookie: a=b"],
)
def test_the_export_file_name_carries_one_parameter(login_as, employee_id) -> None:
    person = PersonFactory(employee_id=employee_id)
    client = login_as(staff(Role.GLOBAL_ADMIN))
    response = client.get(f"/privacy/people/{person.id}/export.json")
    assert response.status_code == 200
    header = response.headers["Content-Disposition"]
    kind, params = parse_options_header(header)
    assert kind == "attachment" and set(params) <= {"filename", "filename*"}
    name = params["filename"]
    assert name.startswith("summit-") and name.endswith(".json")
    assert not any(c in name for c in '";\r\n')
    assert "Set-Cookie" not in response.headers
    db.session.rollback()
