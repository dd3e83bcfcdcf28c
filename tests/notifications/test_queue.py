"""The queue's settings and its schedule in UK clock time."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from flask import Flask
from huey import MemoryHuey, RedisHuey, SqliteHuey

import settings
from notifications.queue import make_huey, uk_schedule
from settings import SettingsError


def test_the_default_queue_is_a_sqlite_file_under_instance(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(settings, "ROOT", tmp_path)
    huey = make_huey({"QUEUE_URL": ""})
    assert isinstance(huey, SqliteHuey)
    assert Path(huey.storage.filename) == tmp_path / "instance" / "queue.db"


def test_a_redis_url_chooses_redis() -> None:
    assert isinstance(make_huey({"QUEUE_URL": "redis://127.0.0.1:6379/15"}), RedisHuey)


def test_tests_run_jobs_immediately(app: Flask) -> None:
    huey = make_huey(app.config)
    assert isinstance(huey, MemoryHuey)
    assert huey.immediate


def test_an_unknown_queue_url_stops_the_app() -> None:
    with pytest.raises(SettingsError, match="QUEUE_URL"):
        make_huey({"QUEUE_URL": "amqp://rabbit"})


# Monday 08:00 on the UK clock, in winter (GMT) and summer (BST).
@pytest.mark.parametrize(
    ("moment", "due"),
    [
        (datetime(2026, 12, 7, 8, 0), True),  # GMT: 08:00 UTC
        (datetime(2026, 12, 7, 7, 0), False),
        (datetime(2026, 7, 6, 7, 0), True),  # BST: 08:00 on the clock is 07:00 UTC
        (datetime(2026, 7, 6, 8, 0), False),
        (datetime(2026, 7, 7, 7, 0), False),  # a Tuesday
        # Monday 30 March 2026, the day after the clocks went forward.
        (datetime(2026, 3, 30, 7, 0), True),
        # Monday 26 October 2026, the day after they went back.
        (datetime(2026, 10, 26, 8, 0), True),
    ],
)
def test_a_schedule_is_in_uk_clock_time(moment: datetime, due: bool) -> None:
    monday_eight = uk_schedule(minute="0", hour="8", day_of_week="1")
    assert monday_eight(moment) is due  # Huey passes naive UTC
    assert monday_eight(moment.replace(tzinfo=UTC)) is due


def test_the_worker_is_not_needed_when_jobs_run_immediately(app: Flask) -> None:
    result = app.test_cli_runner().invoke(args=["worker"])
    assert result.exit_code == 1
    assert "QUEUE_URL=immediate" in result.output


def test_mail_without_a_public_address_stops_the_app(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MAIL_SERVER", "smtp.example.org")
    monkeypatch.delenv("PUBLIC_URL", raising=False)
    with pytest.raises(SettingsError, match="PUBLIC_URL"):
        settings.load({"ENV_NAME": "testing"})
