"""Learning bulletins: written anonymously from reviews, sent to branches and
roles, acknowledged by staff, with managers seeing who has read what."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import event

from core import dates
from core.errors import Invalid, NotAllowed, OutOfScope
from core.models import Branch, TrailEvent, User
from extensions import db
from learning import briefing_notes
from learning.bulletins import (
    acknowledge,
    bulletin_draft,
    get_bulletin,
    new_bulletin,
    read_counts,
    readership,
    unread_bulletins,
)
from learning.models import Acknowledgement, Bulletin
from tests.learning.conftest import complete_review, count


def _branch(code: str) -> Branch:
    return db.session.scalar(db.select(Branch).where(Branch.code == code))


def _data(**changes):
    data = {
        "title": "Safer handovers",
        "what_happened": "A time-critical dose was missed at a change of shift.",
        "what_learned": "Verbal handovers lose details.",
        "what_changes": "Use the written handover checklist at every change of shift.",
        "branch_ids": [_branch("NORTH").id],
        "roles": [],
        "review_ids": [],
    }
    data.update(changes)
    return data


def test_a_bulletin_goes_to_staff_of_its_branches(staff):
    bulletin = new_bulletin(staff["manager"], _data())
    assert unread_bulletins(staff["carer1"]) == [bulletin]
    assert unread_bulletins(staff["carer2"]) == [bulletin]
    assert unread_bulletins(staff["carer3"]) == []


def test_roles_narrow_the_audience(staff):
    bulletin = new_bulletin(staff["manager"], _data(roles=["supervisor"]))
    assert unread_bulletins(staff["carer1"]) == []
    assert unread_bulletins(staff["supervisor"]) == [bulletin]
    assert [r.user.email for r in readership(bulletin)] == ["supervisor@example.com"]


def test_acknowledging_removes_it_from_unread_and_shows_the_manager(staff):
    bulletin = new_bulletin(staff["manager"], _data())
    acknowledge(staff["carer1"], bulletin)
    assert unread_bulletins(staff["carer1"]) == []
    read = {r.user.email: r.read_at for r in readership(bulletin)}
    assert read["carer1@example.com"] is not None
    assert read["carer2@example.com"] is None
    assert (
        db.session.scalar(
            db.select(TrailEvent).where(
                TrailEvent.record_type == "bulletin", TrailEvent.action == "acknowledge"
            )
        ).actor_id
        == staff["carer1"].id
    )


def test_acknowledging_twice_is_once(staff):
    bulletin = new_bulletin(staff["manager"], _data())
    first = acknowledge(staff["carer1"], bulletin)
    second = acknowledge(staff["carer1"], bulletin)
    assert first.id == second.id
    assert count(Acknowledgement) == 1


def test_someone_it_was_not_sent_to_cannot_acknowledge(staff):
    bulletin = new_bulletin(staff["manager"], _data(roles=["supervisor"]))
    with pytest.raises(NotAllowed):
        acknowledge(staff["carer1"], bulletin)


def test_a_carer_cannot_open_a_bulletin_for_another_branch(staff):
    bulletin = new_bulletin(staff["manager"], _data())
    with pytest.raises(OutOfScope):
        get_bulletin(staff["carer3"], bulletin.id)
    assert get_bulletin(staff["carer1"], bulletin.id) == bulletin


@pytest.mark.parametrize(
    ("field", "text", "found"),
    [
        ("what_happened", "P-0003 missed a dose.", "P-0003"),
        ("what_learned", "Amina noticed it first.", "Amina"),
        ("title", "INC-2026-0001 learning", "INC-2026-0001"),
        ("what_changes", "AB now has a new plan.", "AB"),
    ],
)
def test_names_and_references_are_refused(staff, field, text, found):
    with pytest.raises(Invalid) as caught:
        new_bulletin(staff["manager"], _data(**{field: text}))
    assert f"“{found}”" in caught.value.errors[field][0]
    assert count(Bulletin) == 0


def test_a_draft_from_a_review_is_anonymised(staff, report):
    incident = report()
    review = complete_review(
        staff["manager"],
        [incident],
        "root_cause",
        what_happened="Amina Carer found P-0001's evening dose still in the pack.",
    )
    draft = bulletin_draft(staff["manager"], [review.id])
    assert (
        draft["what_happened"] == "a colleague found the person's evening dose still in the pack."
    )
    assert draft["what_learned"] == "Verbal handovers lose time-critical details."
    assert draft["review_ids"] == [review.id]
    assert draft["branch_ids"] == [incident.branch_id]


def test_only_managers_write_bulletins(staff):
    with pytest.raises(NotAllowed):
        new_bulletin(staff["supervisor"], _data())


def test_a_manager_can_only_send_to_their_branches(staff):
    staff["manager"].branches = [_branch("NORTH")]
    with pytest.raises(Invalid) as caught:
        new_bulletin(staff["manager"], _data(branch_ids=[_branch("SOUTH").id]))
    assert "branch_ids" in caught.value.errors


def test_a_debrief_note_references_the_bulletin(staff):
    bulletin = new_bulletin(staff["manager"], _data())
    note = briefing_notes.add_briefing_note(
        staff["supervisor"],
        {
            "kind": "team_debrief",
            "held_on": dates.uk_today(),
            "branch_id": _branch("NORTH").id,
            "attendee_ids": [staff["carer1"].id, staff["carer2"].id],
            "note": "Both carers explained the checklist in their own words.",
        },
        bulletin=bulletin,
    )
    assert briefing_notes.notes_about(staff["manager"], bulletin) == [note]
    assert briefing_notes.notes_about(staff["carer1"], bulletin) == [note]
    assert briefing_notes.notes_about(staff["carer3"], bulletin) == []


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"held_on_days": 1}, "held_on"),
        ({"attendee_key": "carer3"}, "attendee_ids"),
    ],
)
def test_bad_notes_are_refused(staff, changes, field):
    bulletin = new_bulletin(staff["manager"], _data())
    data = {
        "kind": "supervision",
        "held_on": dates.uk_today() + timedelta(days=changes.get("held_on_days", 0)),
        "branch_id": _branch("NORTH").id,
        "attendee_ids": [staff[changes.get("attendee_key", "carer1")].id],
        "note": "Talked it through.",
    }
    with pytest.raises(Invalid) as caught:
        briefing_notes.add_briefing_note(staff["manager"], data, bulletin=bulletin)
    assert field in caught.value.errors


def _read_counts_world(staff):
    """Three bulletins, a member of staff who has left (but read one before) and
    acknowledgements; returns the bulletins."""
    manager = staff["manager"]
    north, south = _branch("NORTH").id, _branch("SOUTH").id
    everyone = new_bulletin(manager, _data(title="Everyone", branch_ids=[north, south]))
    carers = new_bulletin(manager, _data(title="Carers", roles=["carer"]))
    leads = new_bulletin(
        manager, _data(title="Leads", branch_ids=[south], roles=["manager", "supervisor"])
    )
    acknowledge(staff["carer2"], everyone)
    staff["carer2"].active = False
    for who, bulletin in (
        ("carer1", everyone),
        ("carer1", carers),
        ("manager", everyone),
        ("manager", leads),
    ):
        acknowledge(staff[who], bulletin)
    db.session.commit()
    return everyone, carers, leads


def test_read_counts_count_active_staff_of_the_branches_and_roles_once_each(staff):
    everyone, carers, leads = _read_counts_world(staff)
    # everyone: carer1, carer3, supervisor, manager and office (carer2 has left);
    # carers: carer1 of NORTH; leads: the manager, the only lead in SOUTH.
    assert read_counts([everyone, carers, leads]) == {
        everyone.id: (2, 5),
        carers.id: (1, 1),
        leads.id: (1, 1),
    }


def test_read_counts_for_some_branches_count_only_their_staff(staff):
    everyone, carers, leads = _read_counts_world(staff)
    # SOUTH: carer3, the manager and office.
    assert read_counts([everyone, carers, leads], [_branch("SOUTH").id]) == {
        everyone.id: (1, 3),
        carers.id: (0, 0),
        leads.id: (1, 1),
    }


def test_read_counts_do_not_load_staff_outside_the_audience(staff):
    *_, leads = _read_counts_world(staff)
    # The leads bulletin goes to SOUTH's manager and supervisors: not NORTH's staff.
    outside = {staff[k].id for k in ("carer1", "carer2", "supervisor")}
    leads_id = leads.id
    db.session.expunge_all()
    bulletins = [db.session.get_one(Bulletin, leads_id)]
    loaded: list[int] = []

    def on_load(user, _context):
        loaded.append(user.id)

    event.listen(User, "load", on_load)
    try:
        read_counts(bulletins)
    finally:
        event.remove(User, "load", on_load)
    assert not outside & set(loaded), loaded
