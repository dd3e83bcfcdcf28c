"""Invitations and password resets are e-mailed through the queue when e-mail is
set up, and the link is not kept once sent."""

from __future__ import annotations

from typing import Any

from flask import Flask
from sqlalchemy import select

from core.models import Branch, User
from extensions import db
from notifications.delivery import LINK_REMOVED
from notifications.models import Message, Status
from tests.notifications.conftest import MailBox


def _add_carer(app: Flask, manager: Any) -> Any:
    with app.app_context():
        north = db.session.scalar(select(Branch.id).where(Branch.code == "NORTH"))
    return manager.post_form(
        "/users",
        {
            "name": "Dee Newcarer",
            "email": "dee@example.com",
            "role": "carer",
            "branch_ids": [north],
        },
    )


def test_a_new_account_gets_its_invitation_by_email(
    app: Flask, sign_in: Any, seeded: Any, mail: MailBox
) -> None:
    answer = _add_carer(app, sign_in("manager"))
    assert answer.status_code == 200

    (email,) = mail.received
    assert email["To"] == "dee@example.com"
    body = email.get_content()
    link = next(line for line in body.splitlines() if "/invitations/" in line)
    assert link.startswith("https://candour.example/invitations/")
    assert link.removeprefix("https://candour.example") in answer.get_data(as_text=True)
    with app.app_context():
        message = db.session.scalars(select(Message)).one()
        assert (message.status, message.link_path) == (Status.SENT, LINK_REMOVED)


def test_a_reset_link_is_emailed_to_the_account(
    app: Flask, sign_in: Any, seeded: Any, mail: MailBox
) -> None:
    answer = sign_in("manager").post_form(f"/users/{seeded['carer1'].id}/reset-password")
    assert answer.status_code == 200

    (email,) = mail.received
    assert email["To"] == "carer1@example.com"
    assert email["Subject"] == "Candour: choose a new password"
    assert "https://candour.example/invitations/" in email.get_content()


def test_without_mail_set_up_nothing_is_queued(app: Flask, sign_in: Any, seeded: Any) -> None:
    assert not app.config["MAIL_SERVER"]
    assert _add_carer(app, sign_in("manager")).status_code == 200
    with app.app_context():
        assert db.session.scalars(select(Message)).all() == []
        assert db.session.scalars(select(User).where(User.email == "dee@example.com")).one()
