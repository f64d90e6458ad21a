"""Moodle's REST web service server, for the three functions the connector calls.

Sources (github.com/moodle/moodle):
- ``webservice/rest/locallib.php`` (webservice_rest_server: parameters from GET and POST,
  ``wstoken``, ``wsfunction``, ``moodlewsrestformat=json``; an error is sent with the normal
  headers, so HTTP 200, as ``{"exception", "errorcode", "message"}``) and
  ``webservice/lib.php`` (an unknown token: ``moodle_exception`` ``invalidtoken``; an
  expired one: ``webservice_access_exception`` ``accessexception``).
- ``enrol/externallib.php`` (core_enrol_get_enrolled_users: ``options[i][name]`` /
  ``options[i][value]`` with ``limitfrom``, ``limitnumber``, ``sortby``; users with ``id``,
  ``username``, ``fullname``, ``email``, ``idnumber``, ``lastcourseaccess``, ...).
- ``course/externallib.php`` (core_course_get_contents: sections with ``modules``: ``id``
  (the course module id), ``name``, ``modname``, ``instance``, ...).
- ``completion/classes/external.php`` (core_completion_get_activities_completion_status:
  ``{"statuses": [{cmid, modname, instance, state, timecompleted, tracking, overrideby,
  valueused, hascompletion, isautomatic, istrackeduser, uservisible, details}], "warnings"}``;
  state 0 incomplete, 1 complete, 2 complete pass, 3 complete fail).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tests.connectors.server import LocalServer, Request, Response

TOKEN = "0123456789abcdef0123456789abcdef"
COURSE_ID = 42


@dataclass
class FakeMoodle:
    #: cmid → activity name
    activities: dict[int, str] = field(default_factory=dict)
    #: user id → user record
    users: dict[int, dict[str, Any]] = field(default_factory=dict)
    #: (user id, cmid) → (state, timecompleted)
    completion: dict[tuple[int, int], tuple[int, int]] = field(default_factory=dict)
    token_expired: bool = False
    #: answer completion statuses of a shape no Moodle sends (a plugin gone wrong)
    garbled: bool = False
    unavailable: int = 0
    calls: list[tuple[str, dict[str, str]]] = field(default_factory=list)

    def user(self, user_id: int, email: str, idnumber: str, accessed: int) -> None:
        self.users[user_id] = {
            "id": user_id,
            "username": email.split("@")[0],
            "firstname": email.split(".")[0].title(),
            "lastname": "Learner",
            "fullname": email.split("@")[0],
            "email": email,
            "idnumber": idnumber,
            "firstaccess": accessed - 86400 if accessed else 0,
            "lastaccess": accessed,
            "lastcourseaccess": accessed,
            "roles": [{"roleid": 5, "name": "", "shortname": "student", "sortorder": 0}],
        }

    def __call__(self, request: Request) -> Response:
        if request.path != "/webservice/rest/server.php":
            return Response(404, None)
        if self.unavailable:
            self.unavailable -= 1
            return Response(503, None)
        params = {**request.query, **request.form}
        function = params.get("wsfunction", "")
        self.calls.append((function, params))
        if params.get("wstoken") != TOKEN:
            return _error("moodle_exception", "invalidtoken", "Invalid token - token not found")
        if self.token_expired:
            return _error(
                "webservice_access_exception", "accessexception", "Access control exception"
            )
        if int(params.get("courseid") or 0) != COURSE_ID:
            return _error(
                "dml_missing_record_exception",
                "invalidrecord",
                "Can't find data record in database table course.",
            )
        if function == "core_course_get_contents":
            return Response(200, self._contents())
        if function == "core_enrol_get_enrolled_users":
            return Response(200, self._enrolled(params))
        if function == "core_completion_get_activities_completion_status":
            if self.garbled:
                return Response(200, {"statuses": [{"cmid": "x", "state": "complete"}]})
            return Response(200, self._statuses(int(params.get("userid") or 0)))
        return _error(
            "dml_missing_record_exception",
            "invalidrecord",
            "Can't find data record in database table external_functions.",
        )

    def _contents(self) -> list[dict[str, Any]]:
        return [
            {
                "id": 1,
                "name": "General",
                "visible": 1,
                "summary": "",
                "summaryformat": 1,
                "section": 0,
                "hiddenbynumsections": 0,
                "uservisible": True,
                "modules": [
                    {
                        "id": cmid,
                        "url": f"https://moodle.example.com/mod/quiz/view.php?id={cmid}",
                        "name": name,
                        "instance": cmid * 10,
                        "contextid": 1000 + cmid,
                        "visible": 1,
                        "uservisible": True,
                        "visibleoncoursepage": 1,
                        "modicon": "https://moodle.example.com/theme/image.php/boost/quiz/1/icon",
                        "modname": "quiz",
                        "modplural": "Quizzes",
                        "indent": 0,
                        "onclick": "",
                        "afterlink": None,
                        "customdata": '""',
                        "noviewlink": False,
                        "completion": 2,
                    }
                    for cmid, name in self.activities.items()
                ],
            }
        ]

    def _enrolled(self, params: dict[str, str]) -> list[dict[str, Any]]:
        options = {}
        i = 0
        while f"options[{i}][name]" in params:
            options[params[f"options[{i}][name]"]] = params.get(f"options[{i}][value]", "")
            i += 1
        users = sorted(self.users.values(), key=lambda u: u["id"])
        start = int(options.get("limitfrom") or 0)
        number = int(options.get("limitnumber") or 0)
        return users[start : start + number] if number else users[start:]

    def _statuses(self, user_id: int) -> dict[str, Any]:
        statuses = []
        for cmid in self.activities:
            state, when = self.completion.get((user_id, cmid), (0, 0))
            statuses.append(
                {
                    "cmid": cmid,
                    "modname": "quiz",
                    "instance": cmid * 10,
                    "state": state,
                    "timecompleted": when,
                    "tracking": 2,
                    "overrideby": None,
                    "valueused": False,
                    "hascompletion": True,
                    "isautomatic": True,
                    "istrackeduser": True,
                    "uservisible": True,
                    "details": [],
                }
            )
        return {"statuses": statuses, "warnings": []}


def _error(exception: str, code: str, message: str) -> Response:
    # Moodle sends web service errors with HTTP 200
    return Response(200, {"exception": exception, "errorcode": code, "message": message})


def start(fake: FakeMoodle) -> LocalServer:
    return LocalServer(fake).start()
