"""The messages page (one's own choices) and the managers' page of messages not
delivered."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from core.models import TrailEvent, User
from extensions import db
from notifications.dispatch import chosen_channels, notify
from notifications.kinds import Kind
from notifications.models import Message, Status
from tests.notifications.conftest import MailBox


def test_the_page_lists_the_kinds_for_the_role(sign_in: Any) -> None:
    page = sign_in("carer1").get("/account/messages").get_data(as_text=True)
    assert Kind.BULLETIN.label in page
    assert Kind.ESCALATION.label not in page


def test_escalations_cannot_be_switched_off_by_a_manager(
    app: Flask, sign_in: Any, seeded: Any, mail: MailBox
) -> None:
    client = sign_in("manager")
    page = client.get("/account/messages").get_data(as_text=True)
    assert 'data-testid="fixed-escalation"' in page

    client.post_form("/account/messages", _all("none", client) | {"escalation": "none"})

    with app.app_context():
        manager = db.session.get_one(User, seeded["manager"].id)
        assert chosen_channels(Kind.ESCALATION, manager) == ["email"]
        assert chosen_channels(Kind.WEEKLY_SUMMARY, manager) == []


def _all(value: str, client: Any) -> dict[str, str]:
    page = client.get("/account/messages").get_data(as_text=True)
    return {k.value: value for k in Kind if f'name="{k.value}"' in page}


def test_choosing_neither_stops_that_kind_and_is_on_the_trail(
    app: Flask, sign_in: Any, seeded: Any, mail: MailBox
) -> None:
    client = sign_in("carer1")
    # action_digest as it was (both channels: e-mail and push are registered).
    answer = client.post_form(
        "/account/messages", {"bulletin": "none", "action_digest": "email+push"}
    )
    assert answer.status_code == 302

    with app.app_context():
        carer = db.session.get_one(User, seeded["carer1"].id)
        assert chosen_channels(Kind.BULLETIN, carer) == []
        assert chosen_channels(Kind.ACTION_DIGEST, carer) == ["email"]
        event = db.session.scalars(
            select(TrailEvent).where(TrailEvent.action == "message_preferences_changed")
        ).one()
        assert event.detail == {"kinds": ["bulletin"]}


@pytest.mark.parametrize("value", ["", "sometimes", "push+email+fax"])
def test_an_answer_not_offered_is_refused_and_nothing_changes(
    app: Flask, sign_in: Any, seeded: Any, value: str
) -> None:
    client = sign_in("carer1")
    answer = client.post_form("/account/messages", {"bulletin": value, "action_digest": "none"})

    assert answer.status_code == 422
    assert "nhsuk-error-summary" in answer.get_data(as_text=True)
    with app.app_context():
        assert (
            db.session.scalars(
                select(TrailEvent).where(TrailEvent.action == "message_preferences_changed")
            ).all()
            == []
        )


def test_managers_see_messages_not_delivered_to_their_branches_staff(
    app_ctx: Flask, staff: dict[str, User], mail: MailBox, sign_in: Any
) -> None:
    mail.unknown.add("carer3@example.com")
    notify(
        Kind.BULLETIN,
        event_key="bulletin:9",
        recipients=[staff["carer3"]],  # SOUTH
        subject="New bulletin: falls at night",
        text="A new learning bulletin for SOUTH.",
        link_path="/learning/bulletins/9",
        now=_daytime(),
    )
    db.session.commit()
    assert db.session.scalars(select(Message.status)).all() == [Status.FAILED]

    page = sign_in("manager").get("/messages/not-delivered").get_data(as_text=True)
    assert "New bulletin: falls at night" in page
    assert "Chloe Carer" in page


def _daytime() -> Any:
    from datetime import UTC, datetime

    return datetime(2026, 12, 8, 12, 0, tzinfo=UTC)


def test_a_manager_of_another_branch_does_not_see_them(
    app_ctx: Flask, staff: dict[str, User], mail: MailBox, client: Any
) -> None:
    from core.models import Branch, Role
    from core.passwords import hash_password
    from tests.conftest import PASSWORD

    south = db.session.scalars(select(Branch).where(Branch.code == "SOUTH")).one()
    db.session.add(
        User(
            email="south.manager@example.com",
            name="South Manager",
            role=Role.MANAGER.value,
            password_hash=hash_password(PASSWORD),
            branches=[south],
        )
    )
    mail.unknown.add("carer1@example.com")
    notify(
        Kind.BULLETIN,
        event_key="bulletin:10",
        recipients=[staff["carer1"]],  # NORTH
        subject="New bulletin: handover",
        text="A new learning bulletin for NORTH.",
        link_path="/learning/bulletins/10",
        now=_daytime(),
    )
    db.session.commit()

    client.sign_in("south.manager@example.com")
    page = client.get("/messages/not-delivered").get_data(as_text=True)
    assert 'data-testid="undelivered-none"' in page
    assert "New bulletin: handover" not in page


def test_a_manager_sends_a_message_again_once_the_address_is_right(
    app: Flask, seeded: Any, mail: MailBox, sign_in: Any
) -> None:
    mail.unknown.add("carer3@example.com")
    with app.app_context():
        (message,) = notify(
            Kind.BULLETIN,
            event_key="bulletin:11",
            recipients=[db.session.get_one(User, seeded["carer3"].id)],
            subject="New bulletin: falls at night",
            text="A new learning bulletin for SOUTH.",
            link_path="/bulletins/11",
            now=_daytime(),
        )
        db.session.commit()
        message_id = message.id
    mail.unknown.clear()  # the address is put right

    manager = sign_in("manager")
    answer = manager.post_form(f"/messages/{message_id}/resend")

    assert answer.status_code == 302
    assert [m["To"] for m in mail.received] == ["carer3@example.com"]
    with app.app_context():
        assert db.session.get_one(Message, message_id).status == Status.SENT
        assert db.session.scalars(
            select(TrailEvent.record_id).where(TrailEvent.action == "message_resent")
        ).all() == [str(message_id)]
    assert manager.post_form(f"/messages/{message_id}/resend").status_code == 404


def test_an_invitation_not_delivered_cannot_be_sent_again(
    app: Flask, seeded: Any, sign_in: Any
) -> None:
    with app.app_context():
        message = Message(
            kind=Kind.ACCOUNT_LINK.value,
            event_key="account_link:1",
            recipient_id=seeded["carer1"].id,
            channel="email",
            subject="Your Candour account: choose your password",
            text="Open this link to choose your password.",
            link_path="(link not kept after sending)",
            status=Status.FAILED,
            attempts=30,
        )
        db.session.add(message)
        db.session.commit()
        message_id = message.id

    manager = sign_in("manager")
    assert "Send again" not in manager.get("/messages/not-delivered").get_data(as_text=True)
    assert manager.post_form(f"/messages/{message_id}/resend").status_code == 409
    with app.app_context():
        assert db.session.get_one(Message, message_id).status == Status.FAILED
