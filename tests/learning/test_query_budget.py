"""SQL statements per learning page must not grow with the number of reviews,
actions, bulletins and incidents (no query per row)."""

from __future__ import annotations

import pytest
from flask import Flask

from core.models import User
from extensions import db
from incidents.demo import seed_incidents
from incidents.models import Incident
from learning import bulletins
from learning.reviews import start_review
from tests.helpers import statements_during, statements_for
from tests.learning.conftest import add_action, complete_review


def _grow(app: Flask, incidents: int, reviews: int, seed: int) -> None:
    """More of everything: incidents, completed reviews with an action each, and
    a bulletin per review that one carer has read."""
    with app.app_context():
        seed_incidents(incidents, seed=seed)
        db.session.commit()
        manager = db.session.scalar(db.select(User).where(User.email == "manager@example.com"))
        carer = db.session.scalar(db.select(User).where(User.email == "carer1@example.com"))
        open_ones = list(
            db.session.scalars(
                db.select(Incident)
                .where(Incident.status != "closed", Incident.category != "safeguarding")
                .where(Incident.branch_id == carer.branches[0].id)
                .order_by(Incident.received_at.desc())
                .limit(reviews)
            )
        )
        for incident in open_ones:
            review = complete_review(manager, [incident])
            add_action(manager, "review", str(review.id), owner=carer)
            bulletin = bulletins.new_bulletin(
                manager,
                {
                    "title": f"Learning {review.id}",
                    "what_happened": "A dose was missed.",
                    "what_learned": "Details get lost.",
                    "what_changes": "Use the checklist.",
                    "branch_ids": [incident.branch_id],
                    "roles": [],
                    "review_ids": [review.id],
                },
            )
            bulletins.acknowledge(carer, bulletin)
        db.session.remove()


@pytest.mark.parametrize(
    ("who", "url"),
    [
        ("manager", "/actions?view=all"),
        ("manager", "/reviews"),
        ("manager", "/bulletins"),
        ("manager", "/patterns"),
        ("manager", "/"),
        ("carer1", "/actions"),
        ("carer1", "/bulletins"),
        ("carer1", "/"),
    ],
)
def test_statements_per_learning_page_do_not_grow_with_volume(app: Flask, sign_in, who, url):
    client = sign_in(who)
    _grow(app, 10, 2, seed=3)
    few = statements_for(app, client, url)
    _grow(app, 60, 8, seed=4)
    many = statements_for(app, client, url)
    assert many <= few + 1, (few, many)


def _reads_to_start_review(app: Flask, user: User, incidents: list[Incident]) -> int:
    ids = [i.id for i in incidents]
    with statements_during(app) as statements:
        start_review(user, "thematic", ids)
    return sum(1 for s in statements if s.lstrip().upper().startswith("SELECT"))


def test_starting_a_review_reads_its_incidents_in_one_go(app: Flask, staff):
    seed_incidents(12, seed=5)
    db.session.commit()
    north = list(
        db.session.scalars(
            db.select(Incident)
            .where(Incident.branch_id == staff["carer1"].branches[0].id)
            .where(Incident.category != "safeguarding")
            .order_by(Incident.received_at)
        )
    )
    assert len(north) >= 10
    few = _reads_to_start_review(app, staff["manager"], north[:2])
    many = _reads_to_start_review(app, staff["manager"], north[2:10])
    assert many == few, (few, many)


def test_the_new_review_form_reads_incidents_passed_in_at_once(app: Flask, sign_in):
    """Incidents passed in the address (from a pattern: up to its whole list) are
    looked up together, not one by one, closed ones included."""
    client = sign_in("manager")
    with app.app_context():
        seed_incidents(40, seed=6)
        db.session.commit()
        ids = list(
            db.session.scalars(
                db.select(Incident.id)
                .where(Incident.category != "safeguarding")
                .order_by(Incident.received_at)
            )
        )
        # Closed ones are not among the form's own candidates, so each is looked up.
        db.session.execute(db.update(Incident).where(Incident.id.in_(ids)).values(status="closed"))
        db.session.commit()
        db.session.remove()
    assert len(ids) >= 12

    def url(chosen: list[str]) -> str:
        return "/reviews/new?method=thematic&" + "&".join(f"incident={i}" for i in chosen)

    few = statements_for(app, client, url(ids[:2]))
    many = statements_for(app, client, url(ids[2:12]))
    assert many == few, (few, many)
    page = client.get(url(ids[2:12])).get_data(as_text=True)
    assert all(f'value="{i}"' in page for i in ids[2:12])
