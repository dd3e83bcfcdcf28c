"""The demo learning: made through the services, once."""

from __future__ import annotations

from actions.models import Action
from extensions import db
from incidents.demo import seed_incidents
from learning import bulletins, reviews
from learning.demo import seed_learning
from learning.models import Bulletin, LearningReview
from tests.learning.conftest import count


def test_demo_learning_needs_incidents(staff):
    assert seed_learning() == ["Demo learning: no medication incident to learn from yet."]
    assert count(LearningReview) == 0


def test_demo_learning_is_made_once(staff):
    seed_incidents(40, seed=2)
    db.session.commit()
    first = seed_learning()
    assert first[0].startswith("Demo learning: a review of INC-")
    assert seed_learning() == ["Demo learning: already there."]
    assert (count(LearningReview), count(Action), count(Bulletin)) == (1, 2, 1)
    (review,) = reviews.list_reviews(staff["manager"])
    assert review.is_completed
    assert bulletins.unread_bulletins(staff["carer1"])[0].reviews == [review]
