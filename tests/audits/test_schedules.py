"""Schedules: "N checks of template T for branch B (or carer C) by date D", and
what is due or overdue."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

import pytest
from flask import Flask

from audits import schedules
from audits.models import AuditSchedule
from core import dates
from core.models import Branch, User
from extensions import db
from tests.factories import audit_payload

D = date(2026, 12, 14)


@pytest.mark.parametrize(
    ("target", "done", "today", "state"),
    [
        (3, [], D - timedelta(days=10), "due"),
        (3, [D - timedelta(days=12)], D - timedelta(days=4), "due"),
        (3, [], D - timedelta(days=3), "due_soon"),
        (3, [], D, "due_soon"),  # the due date itself is not yet overdue
        (3, [D - timedelta(days=1)] * 2, D + timedelta(days=1), "overdue"),
        (2, [D - timedelta(days=5), D], D + timedelta(days=9), "complete"),
        (
            2,
            [D - timedelta(days=5), D + timedelta(days=2)],
            D + timedelta(days=9),
            "completed_late",
        ),
        (1, [D - timedelta(days=1), D + timedelta(days=5)], D + timedelta(days=9), "complete"),
    ],
)
def test_schedule_state(target, done, today, state):
    assert schedules.schedule_state(target, D, done, today) == state


def test_a_cancelled_schedule_is_cancelled_whatever_was_done():
    assert schedules.schedule_state(1, D, [], D + timedelta(days=30), cancelled=True) == "cancelled"


@pytest.fixture
def world(app: Flask, templates):
    return templates


def _schedule(app: Flask, refs, **changes) -> int:
    with app.app_context():
        north = db.session.scalar(db.select(Branch).where(Branch.code == "NORTH"))
        today = dates.uk_today()
        values = {
            "template_slug": "medication-spot-check",
            "branch_id": north.id,
            "target": 2,
            "starts_on": today - timedelta(days=1),
            "due_on": today + timedelta(days=10),
            "author_id": refs["manager"].id,
        }
        values.update(changes)
        schedule = AuditSchedule(**values)
        db.session.add(schedule)
        db.session.commit()
        return schedule.id


def _status(app: Flask, schedule_id: int) -> tuple[int, str]:
    with app.app_context():
        status = schedules.status_of(
            db.session.get_one(AuditSchedule, schedule_id), dates.uk_today()
        )
        return status.done, status.state


def _audit(sign_in, refs, author="supervisor", observed="carer1", **changes) -> None:
    body = audit_payload(refs[observed].id, **changes)
    response = sign_in(author).post_json("/api/v1/audits", body)
    assert response.status_code == 201, response.get_json()


def test_matching_audits_count_towards_a_schedule(app: Flask, sign_in, world):
    schedule_id = _schedule(app, world)
    assert _status(app, schedule_id) == (0, "due")
    _audit(sign_in, world)
    assert _status(app, schedule_id) == (1, "due")
    _audit(sign_in, world, observed="carer2")
    assert _status(app, schedule_id) == (2, "complete")


def test_other_templates_branches_and_earlier_checks_do_not_count(app: Flask, sign_in, world):
    schedule_id = _schedule(app, world)
    _audit(sign_in, world, template="handover-quality")
    _audit(sign_in, world, author="manager", observed="carer3", person_ref="P-0011")
    before_start = datetime.combine(dates.uk_today() - timedelta(days=3), time(9), tzinfo=dates.UK)
    _audit(sign_in, world, conducted_at=before_start.isoformat())
    assert _status(app, schedule_id) == (0, "due")


def test_a_schedule_for_one_carer_counts_only_their_checks(app: Flask, sign_in, world):
    schedule_id = _schedule(app, world, observed_user_id=world["carer2"].id, target=1)
    _audit(sign_in, world, observed="carer1")
    assert _status(app, schedule_id) == (0, "due")
    _audit(sign_in, world, observed="carer2")
    assert _status(app, schedule_id) == (1, "complete")


def test_an_unfinished_schedule_past_its_date_is_overdue(app: Flask, sign_in, world):
    today = dates.uk_today()
    schedule_id = _schedule(
        app, world, starts_on=today - timedelta(days=20), due_on=today - timedelta(days=1)
    )
    _audit(sign_in, world)
    assert _status(app, schedule_id) == (1, "overdue")


def test_supervisors_see_due_and_overdue_on_their_home_page(app: Flask, sign_in, world):
    today = dates.uk_today()
    _schedule(app, world, reason="Sample this fortnight")
    _schedule(
        app,
        world,
        reason="Late one",
        starts_on=today - timedelta(days=20),
        due_on=today - timedelta(days=2),
    )
    with app.app_context():
        south = db.session.scalar(db.select(Branch).where(Branch.code == "SOUTH"))
    _schedule(app, world, reason="South sample", branch_id=south.id)
    page = sign_in("supervisor").get("/").get_data(as_text=True)
    section = page[page.index('data-testid="schedules-due"') :]
    assert section.index("Late one") < section.index("Sample this fortnight")  # overdue first
    assert "Overdue</strong>" in section
    assert "South sample" not in page  # another branch
    assert "Start a spot check" in page


def test_completed_schedules_leave_the_home_page(app: Flask, sign_in, world):
    _schedule(app, world, target=1, reason="One check")
    _audit(sign_in, world)
    page = sign_in("supervisor").get("/").get_data(as_text=True)
    assert "One check" not in page
    assert "Nothing due" in page


def test_carers_see_no_schedules(app: Flask, sign_in, world):
    _schedule(app, world, reason="Sampling")
    page = sign_in("carer1").get("/").get_data(as_text=True)
    assert "Sampling" not in page
    assert "Start a spot check" not in page


# --- managers set schedules ------------------------------------------------------------


def _form(world, **changes) -> dict[str, Any]:
    today = dates.uk_today()
    with_branch = {
        "template": "medication-spot-check",
        "target": "10",
        "branch_id": "1",
        "observed_user_id": "",
        "starts_on": "",
        "due_on": (today + timedelta(days=14)).isoformat(),
        "reason": "Sample time-critical calls after INC-2026-0001",
    }
    with_branch.update(changes)
    return with_branch


def test_a_manager_sets_a_schedule(app: Flask, sign_in, world):
    response = sign_in("manager").post_form("/audits/schedules", _form(world))
    assert response.status_code == 303
    with app.app_context():
        schedule = db.session.scalar(db.select(AuditSchedule))
        assert schedule.target == 10
        assert schedule.starts_on == dates.uk_today()
        assert schedule.author_id == world["manager"].id
    page = sign_in("supervisor").get("/audits/schedules").get_data(as_text=True)
    assert "Sample time-critical calls after INC-2026-0001" in page


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"template": "nope"}, "template"),
        ({"target": "0"}, "target"),
        ({"target": "ten"}, "target"),
        ({"due_on": "2020-01-01"}, "due_on"),
        ({"due_on": "soon"}, "due_on"),
        ({"branch_id": "999"}, "branch_id"),
        ({"observed_user_id": "999"}, "observed_user_id"),
    ],
)
def test_bad_schedules_are_refused_with_the_field_named(app: Flask, sign_in, world, changes, field):
    response = sign_in("manager").post_form("/audits/schedules", _form(world, **changes))
    assert response.status_code == 422
    assert f'href="#field-{field.replace("_", "-")}"' in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(AuditSchedule.id))) == 0


def test_a_carer_of_another_branch_cannot_be_scheduled_here(app: Flask, sign_in, world):
    form = _form(world, observed_user_id=str(world["carer3"].id))  # SOUTH, branch 1 is NORTH
    response = sign_in("manager").post_form("/audits/schedules", form)
    assert response.status_code == 422


@pytest.mark.parametrize("key", ["supervisor", "office", "carer1"])
def test_only_managers_set_schedules(app: Flask, sign_in, world, key):
    assert sign_in(key).post_form("/audits/schedules", _form(world)).status_code == 403


def test_cancelling_a_schedule(app: Flask, sign_in, world):
    schedule_id = _schedule(app, world, reason="To cancel")
    manager = sign_in("manager")
    assert manager.post_form(f"/audits/schedules/{schedule_id}/cancel").status_code == 303
    assert _status(app, schedule_id)[1] == "cancelled"
    assert "To cancel" not in sign_in("supervisor").get("/").get_data(as_text=True)


def test_schedules_in_the_demo(app: Flask, world):
    from audits.demo import seed_schedule

    with app.app_context():
        seed_schedule()
        seed_schedule()
        assert db.session.scalar(db.select(db.func.count(AuditSchedule.id))) == 1
        manager = db.session.get_one(User, world["manager"].id)
        [status] = schedules.schedules_for(manager, dates.uk_today())
        assert (status.schedule.target, status.state) == (10, "due")
