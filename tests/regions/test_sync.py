from pathlib import Path

import pytest
from sqlalchemy import select

from app.extensions import db
from app.regions.models import Region, ReportingPolicy
from app.regions.services import RegionFileError, sync_regions

REGIONS = Path(__file__).resolve().parents[2] / "regions"

GOOD = """
name = "Japan"
time_zone = "Asia/Tokyo"
locale = "ja_JP"
reporting_policy = "aggregate"
[holidays]
country = "JP"
[calls]
weekday = "friday"
time = "10:30"
"""


def test_example_regions_are_valid_and_one_is_aggregate():
    regions = {r.code: r for r in db.session.scalars(select(Region))}
    assert set(regions) >= {"de", "fr", "in", "us"}
    assert regions["de"].reporting_policy is ReportingPolicy.AGGREGATE
    assert regions["de"].time_zone == "Europe/Berlin"
    assert regions["in"].holiday_subdivision == "KA"


def test_sync_upserts_and_is_idempotent(tmp_path):
    (tmp_path / "jp.toml").write_text(GOOD)
    sync_regions(directory=tmp_path)
    sync_regions(directory=tmp_path)
    db.session.commit()
    japan = db.session.scalars(select(Region).where(Region.code == "jp")).all()
    assert len(japan) == 1
    assert japan[0].call_weekday == 4
    assert japan[0].call_time.strftime("%H:%M") == "10:30"
    (tmp_path / "jp.toml").write_text(GOOD.replace('"10:30"', '"11:00"'))
    sync_regions(directory=tmp_path)
    assert japan[0].call_time.strftime("%H:%M") == "11:00"
    db.session.delete(japan[0])
    db.session.commit()


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            ('"Asia/Tokyo"', '"Asia/Tokio"'),
            "jp.toml: time_zone: 'Asia/Tokio' is not an IANA time zone",
        ),
        (('"10:30"', '"25:00"'), "jp.toml: calls.time: '25:00' is not a time of day"),
        (('"friday"', '"fryday"'), "jp.toml: calls.weekday: 'fryday' must be a weekday name"),
        (
            ('"aggregate"', '"secret"'),
            "jp.toml: reporting_policy: 'secret' must be 'named' or 'aggregate'",
        ),
        (('country = "JP"', 'country = "XX"'), "jp.toml: holidays.country: 'XX' is not a country"),
        (('name = "Japan"', 'name = ""'), "jp.toml: name: is required"),
        (("[calls]", "[calls"), "jp.toml: not valid TOML"),
    ],
)
def test_a_bad_file_names_file_field_and_reason_and_changes_nothing(tmp_path, change, expected):
    (tmp_path / "aa.toml").write_text(
        GOOD.replace("Japan", "Other").replace("Asia/Tokyo", "Europe/Rome")
    )
    (tmp_path / "jp.toml").write_text(GOOD.replace(*change))
    with pytest.raises(RegionFileError) as info:
        sync_regions(directory=tmp_path)
    assert any(p.startswith(expected) for p in info.value.problems), info.value.problems
    db.session.rollback()
    # the valid file beside it was not applied either
    assert db.session.scalars(select(Region).where(Region.code == "aa")).first() is None


def test_cli_sync_reports_errors_and_exit_code(runner, tmp_path):
    (tmp_path / "jp.toml").write_text(GOOD.replace('"10:30"', '"noon"'))
    result = runner.invoke(args=["regions", "sync", "--dir", str(tmp_path)])
    assert result.exit_code != 0
    assert "calls.time" in result.output
    assert "no region was changed" in result.output


def test_cli_sync_of_the_shipped_files(runner):
    result = runner.invoke(args=["regions", "sync", "--dir", str(REGIONS)])
    assert result.exit_code == 0, result.output
    assert "de: Germany (Europe/Berlin, aggregate)" in result.output
