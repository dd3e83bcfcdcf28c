"""The kinds of message Candour sends, and what each kind may do.

Urgent kinds go out at any hour; the others wait for the day (07:00-21:00 UK
time, notifications/quiet_hours.py). A kind nobody may switch off is sent by
every channel the recipient can receive, whatever their preferences say.
"""

from __future__ import annotations

from enum import StrEnum

from core.models import Role

_LABELS = {
    "escalation": "Serious incident reported",
    "duty_due": "A regulatory duty is due soon",
    "duty_overdue": "A regulatory duty is overdue",
    "action_digest": "Your actions due tomorrow or overdue (morning digest)",
    "weekly_summary": "Weekly summary (Monday morning)",
    "bulletin": "New learning bulletin",
    "account_link": "Invitation or password reset link",
}

_HINTS = {
    "escalation": "Sent at any hour.",
    "duty_due": "Sent at any hour: a duty 4 hours from its deadline.",
    "duty_overdue": "Sent at any hour, once, when a duty's deadline passes.",
    "action_digest": "One message at 08:00 on days when something is due or overdue.",
    "weekly_summary": "Monday at 08:00.",
    "bulletin": "Between 07:00 and 21:00.",
    "account_link": "",
}


class Kind(StrEnum):
    ESCALATION = "escalation"
    DUTY_DUE = "duty_due"
    DUTY_OVERDUE = "duty_overdue"
    ACTION_DIGEST = "action_digest"
    WEEKLY_SUMMARY = "weekly_summary"
    BULLETIN = "bulletin"
    # Invitations and password resets (core/invitations.py): e-mail only, sent
    # straight away, not on the preferences page.
    ACCOUNT_LINK = "account_link"

    @property
    def label(self) -> str:
        return _LABELS[self.value]

    @property
    def hint(self) -> str:
        return _HINTS[self.value]

    @property
    def urgent(self) -> bool:
        """Sent at any hour (quiet hours do not hold it back)."""
        return self in _URGENT

    @property
    def roles(self) -> frozenset[Role]:
        """Who may receive this kind (and so sees it on the preferences page)."""
        return _ROLES[self]

    def always_on_for(self, role: Role | str) -> bool:
        """Whether this kind goes by every channel whatever the preferences say."""
        return self in (Kind.ESCALATION, Kind.ACCOUNT_LINK) and Role(role) in self.roles

    @property
    def on_preferences_page(self) -> bool:
        return self is not Kind.ACCOUNT_LINK


_URGENT = frozenset({Kind.ESCALATION, Kind.DUTY_DUE, Kind.DUTY_OVERDUE, Kind.ACCOUNT_LINK})
_OFFICE = frozenset({Role.MANAGER, Role.OFFICE})
_EVERYONE = frozenset(Role)
_ROLES: dict[Kind, frozenset[Role]] = {
    # Escalations go to the branch's managers (on call, then the others).
    Kind.ESCALATION: frozenset({Role.MANAGER}),
    Kind.DUTY_DUE: _OFFICE,
    Kind.DUTY_OVERDUE: _OFFICE,
    Kind.ACTION_DIGEST: _EVERYONE,
    Kind.WEEKLY_SUMMARY: _OFFICE,
    Kind.BULLETIN: _EVERYONE,
    Kind.ACCOUNT_LINK: _EVERYONE,
}
