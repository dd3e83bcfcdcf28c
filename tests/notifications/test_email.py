"""The e-mail itself, as the mail server receives it: the reference and the link,
and nothing about the person supported or what happened."""

from __future__ import annotations

from flask import Flask

from core.models import PersonSupported, User
from extensions import db
from incidents import services as incident_services
from incidents.schemas import IncidentInSchema
from notifications.dispatch import notify
from notifications.kinds import Kind
from notifications.wording import about_incident
from tests.factories import incident_payload
from tests.notifications.conftest import MailBox


def test_an_escalation_email_holds_the_reference_and_link_only(
    app_ctx: Flask, staff: dict[str, User], mail: MailBox
) -> None:
    body = incident_payload(person_ref="P-0001", people_informed=[])
    incident = incident_services.create_incident(
        staff["carer1"], IncidentInSchema().load(body)
    ).incident
    person = db.session.scalars(
        db.select(PersonSupported).where(PersonSupported.ref == "P-0001")
    ).one()
    wording = about_incident(Kind.ESCALATION, incident, "Open the record to acknowledge it.")

    notify(
        Kind.ESCALATION,
        event_key=f"escalation:{incident.id}:1",
        recipients=[staff["manager"]],
        subject=wording.subject,
        text=wording.text,
        link_path=wording.link_path,
    )
    db.session.commit()

    (raw,) = mail.raw
    message = raw.decode()
    assert incident.reference in message
    assert f"https://candour.example/incidents/{incident.id}" in message
    for private in (
        body["what_happened"],
        body["immediate_actions"],
        "P-0001",
        f" {person.initials} ",
        f" {person.initials}.",
        staff["carer1"].name,
        staff["manager"].name,
    ):
        assert private not in message, private


def test_the_email_is_plain_text_from_the_configured_sender(
    app_ctx: Flask, staff: dict[str, User], mail: MailBox
) -> None:
    notify(
        Kind.ESCALATION,
        event_key="escalation:x:1",
        recipients=[staff["manager"]],
        subject="Serious incident reported: INC-1 (NORTH)",
        text="Serious incident reported: INC-1, North branch.",
        link_path="/incidents/1",
    )
    db.session.commit()

    (email,) = mail.received
    assert email["From"] == "candour@care.example"
    assert email["To"] == "manager@example.com"
    assert email.get_content_type() == "text/plain"
    assert email.get_content().splitlines()[:3] == [
        "Serious incident reported: INC-1, North branch.",
        "",
        "https://candour.example/incidents/1",
    ]
