import pytest

from tests.progress.helpers import IRI, make_course, xapi_sender


@pytest.fixture
def lrs(client):
    course = make_course()
    course.module("m2").activity_iri = IRI
    send = xapi_sender(client, course.rollout)
    send.course = course
    return send
