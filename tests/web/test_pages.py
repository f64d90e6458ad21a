from app.auth.models import Role
from tests.factories import EnrollmentFactory, RolloutFactory, region, staff


def test_anonymous_is_sent_to_sign_in(client):
    response = client.get("/", headers={"Accept": "text/html"})
    assert response.status_code == 302
    assert "/auth/sign-in" in response.headers["Location"]


def test_overview_shows_only_my_regions(client, login_as):
    de_rollout = RolloutFactory(region_id=region("de").id)
    fr_rollout = RolloutFactory(region_id=region("fr").id)
    EnrollmentFactory.create_batch(3, rollout=de_rollout)
    lead = staff(Role.LOCAL_LEAD, "de")
    login_as(lead)
    html = client.get("/").get_data(as_text=True)
    assert de_rollout.program.title in html
    assert fr_rollout.program.title not in html
    assert "France" not in html


def test_region_page_lists_rollouts_with_funnel(client, login_as):
    rollout = RolloutFactory(region_id=region("fr").id)
    EnrollmentFactory.create_batch(4, rollout=rollout)
    login_as(staff(Role.SPONSOR, "fr"))
    response = client.get("/r/fr/")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert rollout.program.title in html
    assert ">4<" in html


def test_healthz_reports_database_and_redis(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json["database"] == "ok"
    assert response.json["redis"] == "ok"


def test_healthz_is_503_when_the_database_is_down(app_settings):
    from app import create_app

    broken = create_app(
        {**app_settings, "database_url": "postgresql+psycopg://127.0.0.1:1/nowhere"}
    )
    response = broken.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.json["database"].startswith("down")


def test_security_headers(client):
    response = client.get("/healthz")
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Frame-Options"] == "DENY"
