"""Timestamps as Dallinger writes them: JSON and CSV forms, and reading them back."""

from datetime import datetime, timedelta, timezone

import pytest

from core.timestamps import csv_timestamp, json_timestamp, parse_timestamp

NOON = datetime(2024, 5, 1, 12, 0, 0, 123456, tzinfo=timezone.utc)


def test_json_timestamps_are_utc_without_a_zone_and_keep_microseconds():
    two_hours_east = NOON.astimezone(timezone(timedelta(hours=2)))

    assert json_timestamp(two_hours_east) == "2024-05-01T12:00:00.123456"
    assert json_timestamp(NOON.replace(microsecond=0)) == "2024-05-01T12:00:00"


@pytest.mark.parametrize(
    ("microsecond", "written"),
    [(123456, "2024-05-01 12:00:00.123456"), (120000, "2024-05-01 12:00:00.12"), (0, "2024-05-01 12:00:00")],
)
def test_csv_timestamps_are_written_as_postgresql_writes_a_timestamp(microsecond, written):
    assert csv_timestamp(NOON.replace(microsecond=microsecond)) == written


@pytest.mark.parametrize("text", ["2024-05-01 12:00:00.123456", "2024-05-01T12:00:00.123456", "2024-05-01T14:00:00.123456+02:00"])
def test_every_written_form_reads_back_as_the_same_utc_time(text):
    assert parse_timestamp(text) == NOON
