"""Who may do what in the learning loop, for its routes and services alike."""

from __future__ import annotations

from actions.models import Action, ActionStatus
from actions.permissions import ACTION_ROLES
from audits.permissions import CONDUCTING_ROLES
from core.models import Role, User
from core.permissions import has_role
from learning.models import LearningReview

REVIEW_ROLES = frozenset({Role.SUPERVISOR, Role.MANAGER})


MANAGERS = frozenset({Role.MANAGER})


# Staff who see how many have read a bulletin, and who has.
READERSHIP_ROLES = frozenset({Role.SUPERVISOR, Role.MANAGER, Role.OFFICE})


def can_edit_review(user: User, review: LearningReview) -> bool:
    """Supervisors and managers answer a review until it is complete (reviews.save_review)."""
    return has_role(user, REVIEW_ROLES) and not review.is_completed


def can_manage_actions(user: User) -> bool:
    """Supervisors and managers raise actions, carry them into reviews and note
    briefings (actions.records, reviews.carry_into_review, briefing_notes)."""
    return has_role(user, ACTION_ROLES)


def can_mark_done(user: User, action: Action) -> bool:
    """An open action, by its owner or a supervisor or manager (actions.records.mark_done)."""
    return action.status == ActionStatus.OPEN.value and (
        action.owner_id == user.id or can_manage_actions(user)
    )


def can_carry(user: User, action: Action) -> bool:
    """An open action, by a supervisor or manager (reviews.carry_into_review)."""
    return can_manage_actions(user) and action.status == ActionStatus.OPEN.value


def can_verify(user: User) -> bool:
    """Managers judge whether an action worked (verification)."""
    return has_role(user, MANAGERS)


def can_reaudit(user: User) -> bool:
    """Those who conduct spot checks re-audit an action (audits' re-audit pages)."""
    return has_role(user, CONDUCTING_ROLES)


def sees_readership(user: User) -> bool:
    """Office staff, supervisors and managers see who has read a bulletin."""
    return has_role(user, READERSHIP_ROLES)
