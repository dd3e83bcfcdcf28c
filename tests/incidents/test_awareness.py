"""Duty clocks start when the provider became aware (incidents/awareness.py): the
reporter's own time on the phone, or an earlier "who was told" time naming a
manager or on-call, or the office; never later than the report reached Candour,
never before it happened. The record says which moment started each clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from core.dates import UK
from incidents.awareness import (
    WHEN_HAPPENED,
    WHEN_RECEIVED,
    WHEN_REPORTED,
    WHEN_TOLD,
    awareness,
)
from incidents.models import Incident
from tests.factories import incident_payload, iso

OCCURRED = datetime(2026, 12, 3, 14, 5, tzinfo=UTC)


def incident(
    reported: timedelta, received: timedelta, told: list[tuple[str, timedelta]]
) -> Incident:
    """A record not saved anywhere: times after the event, and who was told when."""
    return Incident(
        occurred_at=OCCURRED,
        reported_at=OCCURRED + reported,
        received_at=OCCURRED + received,
        people_informed=[
            {"who": who, "at": iso(OCCURRED + after), "method": "phone"} for who, after in told
        ],
    )


HOUR = timedelta(hours=1)


@pytest.mark.parametrize(
    ("reported", "received", "told", "expected_after", "by"),
    [
        # Reported on the phone 30 hours late, arriving 2 hours after that: the phone's time.
        (30 * HOUR, 32 * HOUR, [], 30 * HOUR, WHEN_REPORTED),
        # A manager and the office told before the report: the earliest of them.
        (
            30 * HOUR,
            30 * HOUR,
            [("office", 3 * HOUR), ("manager", 0 * HOUR)],
            0 * HOUR,
            WHEN_TOLD["manager"],
        ),
        (30 * HOUR, 30 * HOUR, [("office", 2 * HOUR)], 2 * HOUR, WHEN_TOLD["office"]),
        # 999, the police and the family are not the provider: they start no clock.
        (
            30 * HOUR,
            30 * HOUR,
            [("999", 0 * HOUR), ("police", 0 * HOUR), ("family", HOUR)],
            30 * HOUR,
            WHEN_REPORTED,
        ),
        # A manager told after the report was made changes nothing.
        (HOUR, HOUR, [("manager", 5 * HOUR)], HOUR, WHEN_REPORTED),
        # A phone clock running fast: never later than the report reached Candour.
        (3 * HOUR, 2 * HOUR, [], 2 * HOUR, WHEN_RECEIVED),
        # Told "before" it happened (a typo within the hour allowed): when it happened.
        (HOUR, HOUR, [("manager", -timedelta(minutes=30))], 0 * HOUR, WHEN_HAPPENED),
    ],
)
def test_the_clock_starts_at_the_earliest_moment_the_provider_knew(
    reported: timedelta, received: timedelta, told: Any, expected_after: timedelta, by: str
):
    found = awareness(incident(reported, received, told))
    assert found.at == OCCURRED + expected_after
    assert found.by == by


def test_a_fall_reported_30_hours_late_with_a_manager_told_at_the_time_is_overdue(
    sign_in, read_incident
):
    """The issue's example: 999, the police and a manager told at the time of the
    fall; the report made on the phone 30 hours later. Regulation 18 was due 24
    hours after the manager knew, so it is overdue, not "23 hours left"."""
    now = datetime.now(UTC).replace(microsecond=0)
    fell = now - timedelta(hours=30)
    body = {
        "kind": "incident",
        "category": "fall",
        "medication_error": None,
        "time_critical": False,
        "harm": "moderate",
        "occurred_at": iso(fell),
        "reported_at": iso(now - timedelta(minutes=1)),
        "people_informed": [
            {"who": who, "at": iso(fell + timedelta(minutes=5)), "method": "phone"}
            for who in ("999", "police", "manager")
        ],
    }
    payload = incident_payload(**body)
    assert sign_in("carer1").post_json("/api/v1/incidents", payload).status_code == 201
    page = sign_in("manager").get(f"/incidents/{payload['id']}").get_data(as_text=True)
    due = read_incident(
        payload["id"],
        lambda i: {d.rule: (d.due_at, d.clock_started_by) for d in i.decisions},
    )
    assert due["cqc_reg18"] == (fell + timedelta(minutes=5, hours=24), WHEN_TOLD["manager"])
    assert "hours left" not in page.split('data-rule="cqc_reg18"')[1].split("</li>")[0]
    assert "overdue by 5 hours" in page
    told = (fell + timedelta(minutes=5)).astimezone(UK).strftime("%H:%M on %d %b %Y")
    assert f"Clock started {told}, when a manager or the on-call manager was told." in page


def test_a_report_that_waited_on_the_phone_counts_from_when_it_was_made(sign_in, read_incident):
    now = datetime.now(UTC).replace(microsecond=0)
    made = now - timedelta(hours=10)  # saved offline, sent when signal came back
    payload = incident_payload(
        kind="incident",
        category="fall",
        medication_error=None,
        time_critical=False,
        harm="severe",
        occurred_at=iso(made - timedelta(minutes=30)),
        reported_at=iso(made),
        people_informed=[],
    )
    assert sign_in("carer1").post_json("/api/v1/incidents", payload).status_code == 201
    clocks = read_incident(
        payload["id"],
        lambda i: {d.rule: (d.due_at, d.clock_started_at, d.clock_started_by) for d in i.decisions},
    )
    assert clocks["cqc_reg18"] == (made + timedelta(hours=24), made, WHEN_REPORTED)
    assert clocks["candour_in_person"][1:] == (made, WHEN_REPORTED)
