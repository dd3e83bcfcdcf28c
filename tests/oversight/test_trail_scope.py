"""Which events a manager sees: those about records of their branches, and the
others only when whoever acted works within their branches."""

from __future__ import annotations

import pytest

from core import trail
from core.models import Branch, PersonSupported, User
from extensions import db
from oversight import trail_search
from oversight.trail_search import TrailFilters
from tests.conftest import PASSWORD
from tests.oversight.conftest import SOUTH_MANAGER


def _south_manager() -> User:
    south = db.session.scalar(db.select(Branch).where(Branch.code == "SOUTH"))
    user = User(
        email=SOUTH_MANAGER,
        name="Sol South",
        role="manager",
        password_hash=PASSWORD,
        branches=[south],
    )
    db.session.add(user)
    db.session.commit()
    return user


def _seen(user: User) -> set[tuple[str, str, str]]:
    events = db.session.scalars(trail_search.filtered(user, TrailFilters()))
    return {(e.action, e.record_type, e.record_id) for e in events}


@pytest.fixture
def south_only(app_ctx, staff, incidents) -> User:
    return _south_manager()


def test_a_manager_of_one_branch_sees_that_branchs_incident_events(south_only, incidents):
    south_id, _ = incidents["south"]
    assert ("create", "incident", south_id) in _seen(south_only)


def test_an_incident_of_another_branch_is_not_shown(south_only, staff, incidents):
    north_id, _ = incidents["north"]
    # Acted on by a manager of both branches: still about a NORTH record.
    trail.record(staff["manager"], "triage", "incident", north_id)
    db.session.commit()
    assert not {e for e in _seen(south_only) if e[2] == north_id}


def test_a_manager_of_every_branch_sees_both(staff, incidents):
    seen = _seen(staff["manager"])
    assert ("create", "incident", incidents["north"][0]) in seen
    assert ("create", "incident", incidents["south"][0]) in seen


@pytest.mark.parametrize(
    ("account", "shown"), [("carer3", True), ("carer1", False), ("manager", False)]
)
def test_events_about_an_account_show_when_its_branches_are_all_theirs(
    south_only, staff, account, shown
):
    subject = staff[account]
    trail.record(staff["manager"], "update", "user", subject.id)
    db.session.commit()
    assert (("update", "user", str(subject.id)) in _seen(south_only)) is shown


@pytest.mark.parametrize(
    ("actor", "shown"), [("carer3", True), ("carer1", False), ("office", False)]
)
def test_events_about_other_records_follow_who_acted(south_only, staff, actor, shown):
    trail.record(staff[actor], "publish", "audit_template", "medication-spot-check")
    db.session.commit()
    assert (("publish", "audit_template", "medication-spot-check") in _seen(south_only)) is shown


def test_an_event_with_nobody_acting_shows_only_to_a_manager_of_every_branch(south_only, staff):
    trail.record(None, "sign_in_failed", "sign_in", "someone@example.com")
    db.session.commit()
    event = ("sign_in_failed", "sign_in", "someone@example.com")
    assert event not in _seen(south_only)
    assert event in _seen(staff["manager"])


@pytest.mark.parametrize(("branch", "shown"), [("SOUTH", True), ("NORTH", False)])
def test_events_about_a_branch_show_to_its_managers(south_only, staff, branch, shown):
    record_id = db.session.scalar(db.select(Branch.id).where(Branch.code == branch))
    trail.record(staff["manager"], "update", "branch", record_id)
    db.session.commit()
    assert (("update", "branch", str(record_id)) in _seen(south_only)) is shown


@pytest.mark.parametrize(("ref", "shown"), [("P-0011", True), ("P-0001", False)])
def test_events_about_a_person_supported_follow_their_branch(south_only, staff, ref, shown):
    # Acted on by a manager of both branches: what counts is the person's branch.
    person_id = db.session.scalar(db.select(PersonSupported.id).where(PersonSupported.ref == ref))
    trail.record(staff["manager"], "archive", "person_supported", person_id)
    db.session.commit()
    assert (("archive", "person_supported", str(person_id)) in _seen(south_only)) is shown
