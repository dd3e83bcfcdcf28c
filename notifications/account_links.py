"""Invitations and password resets (core/invitations.py) e-mailed through the
same queue as every other message, when e-mail is set up (MAIL_SERVER).

The link is a password in all but name: the message keeps it only until it is
sent or given up (notifications.delivery then blanks it), and it goes by e-mail
only, never push.
"""

from __future__ import annotations

from flask import Flask

from core import invitations
from core.invitations import IssuedLink, Purpose
from notifications.dispatch import notify
from notifications.kinds import Kind

SUBJECTS = {
    Purpose.INVITATION: "Your Candour account: choose your password",
    Purpose.RESET: "Candour: choose a new password",
}
TEXTS = {
    Purpose.INVITATION: (
        "You have a Candour account. Open this link to choose your password. "
        "It works once, for {days} days."
    ),
    Purpose.RESET: (
        "Your manager has reset your Candour password. Open this link to choose a "
        "new one. It works once, for {days} days."
    ),
}


def init_app(app: Flask) -> None:
    invitations.on_link_issued(app, send_link)


def send_link(link: IssuedLink) -> None:
    notify(
        Kind.ACCOUNT_LINK,
        event_key=f"account_link:{link.invitation_id}",
        recipients=[link.user],
        subject=SUBJECTS[link.purpose],
        text=TEXTS[link.purpose].format(days=invitations.lifetime_days()),
        link_path=link.path,
    )
