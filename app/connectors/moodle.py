"""Pull activity completion from Moodle web services (REST protocol, a token).

Every call is ``POST /webservice/rest/server.php`` with ``wstoken``, ``wsfunction`` and
``moodlewsrestformat=json``; Moodle answers an error with HTTP 200 and
``{"exception": …, "errorcode": …, "message": …}``. A sync reads the course's activities
(``core_course_get_contents``: course module id → name), pages through the enrolled users
(``core_enrol_get_enrolled_users`` with ``limitfrom``/``limitnumber``), and for each user who
opened the course since the last sync (``lastcourseaccess``) reads
``core_completion_get_activities_completion_status``: states 1 (complete) and 2 (complete,
passed) complete the module at ``timecompleted``; 3 (complete, did not pass) is progress
only. Once a week every user is read again, for completions set by a teacher or by cron.
A Moodle token cannot be refreshed: a refused token stops the sync until a new one is entered.
``core_completion_get_course_completion_status`` is not called: it reports the course's
completion criteria (one verdict per course, ``nocriteriaset`` when there are none), where
Summit tracks each module.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from app.calendar import parse_instant
from app.connectors.http import ApiClient, ConnectorError
from app.connectors.observation import Observation

SERVER = "/webservice/rest/server.php"
PAGE = 200
#: every user is read again this often (teacher overrides, completion by cron)
FULL_EVERY = timedelta(days=7)
#: learner_field values: which user field names the learner, and what it is in Summit
LEARNER_FIELDS = {"email": "e", "idnumber": "i", "username": "i"}
COMPLETE, COMPLETE_PASS, COMPLETE_FAIL = 1, 2, 3
TOKEN_ERRORS = {"invalidtoken", "accessexception"}


class MoodleSource:
    def __init__(
        self,
        *,
        base_url: str,
        course_id: str,
        token: str,
        learner_field: str,
        cursor: dict[str, Any],
        now: datetime,
    ) -> None:
        try:
            self.course_id = int(course_id)
        except ValueError as exc:
            raise ConnectorError(f"the Moodle course id {course_id!r} is not a number") from exc
        self.token = token
        self.learner_field = learner_field if learner_field in LEARNER_FIELDS else "email"
        self.client = ApiClient(base_url, headers={"Accept": "application/json"})
        self.now = now
        full_at = _time(cursor.get("full_at"))
        self.full = full_at is None or now - full_at >= FULL_EVERY
        self.full_at = now if self.full else full_at
        self.accessed_since = 0 if self.full else int(cursor.get("accessed_since") or 0)
        self.newest_access = int(cursor.get("accessed_since") or 0)
        self.fetched = 0
        self.without_key = 0
        self.users_read = 0

    def close(self) -> None:
        self.client.close()

    def call(self, function: str, params: dict[str, Any]) -> Any:
        """One web service function; a Moodle exception becomes a ConnectorError."""
        data = {"wstoken": self.token, "wsfunction": function, "moodlewsrestformat": "json"}
        data.update(params)
        body = self.client.json("POST", SERVER, data=data)
        if isinstance(body, dict) and "exception" in body:
            code = str(body.get("errorcode") or "")
            message = str(body.get("message") or code)
            if code in TOKEN_ERRORS:
                raise ConnectorError(
                    f"Moodle refused the token ({code}: {message}); create a new token for "
                    "the web service user and enter it on the connector page"
                )
            raise ConnectorError(f"Moodle {function} failed ({code}): {message}")
        return body

    def activity_names(self) -> dict[int, str]:
        sections = self.call("core_course_get_contents", {"courseid": self.course_id})
        names: dict[int, str] = {}
        for section in sections if isinstance(sections, list) else []:
            for module in section.get("modules") or []:
                if isinstance(module, dict) and "id" in module:
                    names[int(module["id"])] = str(module.get("name") or "")
        return names

    def users(self) -> Iterator[dict[str, Any]]:
        start = 0
        while True:
            options = {"limitfrom": start, "limitnumber": PAGE, "sortby": "id"}
            params: dict[str, Any] = {"courseid": self.course_id}
            for i, (name, value) in enumerate(options.items()):
                params[f"options[{i}][name]"] = name
                params[f"options[{i}][value]"] = value
            page = self.call("core_enrol_get_enrolled_users", params)
            if not isinstance(page, list):
                raise ConnectorError("Moodle did not list the enrolled users")
            yield from (u for u in page if isinstance(u, dict))
            if len(page) < PAGE:
                return
            start += PAGE

    def pages(self) -> Iterator[list[Observation]]:
        names = self.activity_names()
        kind = LEARNER_FIELDS[self.learner_field]
        for user in self.users():
            accessed = int(user.get("lastcourseaccess") or 0)
            self.newest_access = max(self.newest_access, accessed)
            if not self.full and accessed <= self.accessed_since:
                continue
            learner = str(user.get(self.learner_field) or "").strip()
            if not learner:
                self.without_key += 1
                continue
            if kind == "e":
                learner = learner.lower()
            result = self.call(
                "core_completion_get_activities_completion_status",
                {"courseid": self.course_id, "userid": int(user["id"])},
            )
            self.users_read += 1
            statuses = result.get("statuses") if isinstance(result, dict) else None
            yield list(self._observations(learner, kind, statuses or [], names))

    def _observations(
        self, learner: str, kind: str, statuses: list[Any], names: dict[int, str]
    ) -> Iterator[Observation]:
        for status in statuses:
            self.fetched += 1
            state = int(status.get("state") or 0)
            if state not in (COMPLETE, COMPLETE_PASS, COMPLETE_FAIL):
                continue
            done = state in (COMPLETE, COMPLETE_PASS)
            when = int(status.get("timecompleted") or 0)
            yield Observation(
                learner=learner,
                kind=kind,
                unit=names.get(int(status.get("cmid") or 0), ""),
                iri=None,
                percent=100.0 if done else 0.0,
                completed=done,
                observed_at=datetime.fromtimestamp(when, UTC) if when else self.now,
            )

    def next_cursor(self) -> dict[str, Any]:
        return {
            "accessed_since": self.newest_access,
            "full_at": (self.full_at or self.now).isoformat(),
        }


def _time(value: Any) -> datetime | None:
    return parse_instant(str(value) if value else None)
