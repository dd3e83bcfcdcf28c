"""An incident or near miss as a carer reported it, plus what the office adds."""

from __future__ import annotations

import enum
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import (
    JSON,
    ColumnElement,
    ForeignKey,
    Integer,
    String,
    Text,
    false,
    or_,
    text,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.dates import utcnow
from core.models import Branch, PersonSupported, Role, Team, User, UTCDateTime
from extensions import db


class Kind(enum.StrEnum):
    INCIDENT = "incident"
    NEAR_MISS = "near_miss"


class Category(enum.StrEnum):
    MEDICATION = "medication"
    FALL = "fall"
    SAFEGUARDING = "safeguarding"
    BEHAVIOUR = "behaviour"
    INJURY = "injury"
    SKIN = "skin"
    MISSED_CALL = "missed_call"
    INFECTION = "infection"
    PROPERTY = "property"
    OTHER = "other"


class MedicationError(enum.StrEnum):
    OMISSION = "omission"
    WRONG_DOSE = "wrong_dose"
    WRONG_TIME = "wrong_time"
    WRONG_PERSON = "wrong_person"
    WRONG_MEDICINE = "wrong_medicine"
    RECORDING = "recording"


class Harm(enum.StrEnum):
    NONE = "none"
    LOW = "low"
    MODERATE = "moderate"
    SEVERE = "severe"
    DEATH = "death"


class Status(enum.StrEnum):
    SUBMITTED = "submitted"
    TRIAGED = "triaged"
    UNDER_REVIEW = "under_review"
    ACTIONS_AGREED = "actions_agreed"
    CLOSED = "closed"


INFORMED_WHO = [
    "family",
    "manager",
    "office",
    "gp",
    "111",
    "999",
    "safeguarding",
    "police",
    "cqc",
    "other",
]
INFORMED_METHOD = ["phone", "in_person", "email", "other"]
YES_NO_UNSURE = ["yes", "no", "unsure"]
# The reporter's answers to "could this be abuse or neglect?" that make a record
# one that may be safeguarding, whatever its category.
MAY_BE_ABUSE = ("yes", "unsure")
FAMILY_CONTACT = ["yes", "no", "not_applicable"]
# Where it happened, as a choice (falls are themed by it); the free text
# `location` says more.
PLACES = [
    "kitchen",
    "bathroom",
    "bedroom",
    "stairs",
    "living_room",
    "garden",
    "outside_home",
    "vehicle",
    "other",
]
PLACE_LABELS: dict[str, str] = {
    "kitchen": "Kitchen",
    "bathroom": "Bathroom",
    "bedroom": "Bedroom",
    "stairs": "Stairs",
    "living_room": "Living room",
    "garden": "Garden",
    "outside_home": "Outside the home",
    "vehicle": "Vehicle",
    "other": "Somewhere else",
}

LABELS: dict[str, str] = {
    # kinds
    "incident": "Incident",
    "near_miss": "Near miss",
    # categories
    "medication": "Medication",
    "fall": "Fall",
    "safeguarding": "Safeguarding concern",
    "behaviour": "Distress or behaviour",
    "injury": "Injury",
    "skin": "Skin or pressure damage",
    "missed_call": "Missed or late call",
    "infection": "Infection",
    "property": "Property or money",
    "other": "Something else",
    # medication errors
    "omission": "Dose missed",
    "wrong_dose": "Wrong dose",
    "wrong_time": "Wrong time",
    "wrong_person": "Wrong person",
    "wrong_medicine": "Wrong medicine",
    "recording": "Recording error",
    # harm
    "none": "No harm",
    "low": "Low harm",
    "moderate": "Moderate harm",
    "severe": "Severe harm",
    "death": "Death",
    # statuses
    "submitted": "Sent",
    "triaged": "Seen by a manager",
    "under_review": "Being reviewed",
    "actions_agreed": "Changes agreed",
    "closed": "Closed",
    # people informed
    "family": "Family or representative",
    "manager": "Manager or on-call",
    "gp": "GP",
    "111": "NHS 111",
    "999": "999",
    "police": "Police",
    "cqc": "CQC",
    # methods
    "phone": "Phone",
    "in_person": "In person",
    "email": "Email",
    # answers
    "yes": "Yes",
    "no": "No",
    "unsure": "Not sure",
    "not_applicable": "Not needed",
    # decisions on duties
    "pending": "To decide",
    "applies": "Applies",
    "does_not_apply": "Does not apply",
}


def label(value: str | None) -> str:
    if value is None:
        return ""
    return LABELS.get(value, value.replace("_", " ").capitalize())


# "Who have you told": where a value means someone else than the same word as a
# category ("safeguarding" told is the safeguarding team or local authority).
INFORMED_LABELS: dict[str, str] = {
    "safeguarding": "Safeguarding team or local authority",
    "office": "The office",
}
# Telling any of these is telling the provider: duty clocks may start from it
# (incidents/duties.py aware_at).
PROVIDER_TOLD = ("manager", "office")


def place_label(place: str | None) -> str:
    """Where it happened, as chosen ("" when not chosen)."""
    return PLACE_LABELS.get(place or "", "")


def informed_label(who: str | None) -> str:
    """Who was told, as people read it on the form and the record."""
    return INFORMED_LABELS.get(who or "", "") or label(who)


class ReferenceCounter(db.Model):  # type: ignore[name-defined,misc]
    """The last INC-YYYY-NNNN number given out in each year."""

    __tablename__ = "reference_counter"

    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last: Mapped[int] = mapped_column(default=0)


class Incident(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "incident"

    # The UUID the phone made when the form opened: the key for exactly-once.
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    reference: Mapped[str] = mapped_column(String(16), unique=True)
    # SHA-256 of the content as first received, to tell a replay (same) from a
    # conflicting reuse of the id (different).
    content_hash: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(20), default=Status.SUBMITTED.value, index=True)

    kind: Mapped[str] = mapped_column(String(20), index=True, active_history=True)
    category: Mapped[str] = mapped_column(String(20), index=True, active_history=True)
    medication_error: Mapped[str | None] = mapped_column(String(20))
    time_critical: Mapped[bool] = mapped_column(default=False)

    # Device times, in UTC, with the offset the device gave (minutes east of UTC),
    # so both "when it happened there" and ordering are exact.
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True, active_history=True)
    occurred_offset: Mapped[int] = mapped_column(default=0)
    reported_at: Mapped[datetime] = mapped_column(UTCDateTime)
    reported_offset: Mapped[int] = mapped_column(default=0)
    late_reason: Mapped[str | None] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)

    branch_id: Mapped[int] = mapped_column(ForeignKey("branch.id"), index=True, active_history=True)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person_supported.id"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    # The reporter's team when the report arrived (a snapshot: moving team later
    # does not move history). None when they had no team in this branch.
    team_id: Mapped[int | None] = mapped_column(ForeignKey("team.id"), index=True)

    location: Mapped[str] = mapped_column(String(200), default="")
    # One of PLACES, or None (not chosen, or sent by an older client).
    place: Mapped[str | None] = mapped_column(String(20), index=True, active_history=True)
    what_happened: Mapped[str] = mapped_column(Text)
    immediate_actions: Mapped[str] = mapped_column(Text)
    harm: Mapped[str] = mapped_column(String(20), index=True, active_history=True)
    staff_injured: Mapped[bool] = mapped_column(default=False)
    # The staff injury (RIDDOR): which colleague, what the injury was, whether it
    # is on HSE's list (incidents/riddor.py REPORTABLE), whether someone who is
    # not a worker went to hospital, and days off work (a manager fills it in
    # later; None until then).
    injured_staff_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), index=True)
    staff_injury: Mapped[str] = mapped_column(Text, default="", server_default="")
    specified_injury: Mapped[str | None] = mapped_column(String(20))
    non_worker_hospital: Mapped[bool] = mapped_column(default=False, server_default=false())
    days_off_work: Mapped[int | None] = mapped_column(Integer)
    # Other staff involved and witnesses: user ids of staff of the branch.
    other_staff_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    witness_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    # Set by a manager at triage when the police became involved after the report.
    police_involved: Mapped[bool] = mapped_column(default=False, server_default=false())
    people_informed: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)

    safeguarding: Mapped[str] = mapped_column(String(20))
    clinical_escalation: Mapped[str] = mapped_column(String(20))
    family_contact: Mapped[str] = mapped_column(String(20))

    # Office and manager follow-up.
    seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    triaged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reviewer_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), index=True)
    # "What we learned and what will change", written to the reporter: people who
    # never hear back stop reporting.
    feedback: Mapped[str] = mapped_column(Text, default="", server_default="")
    feedback_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Closing needs a learning review, or this: why no review is needed.
    no_review_reason: Mapped[str | None] = mapped_column(Text)
    version: Mapped[int] = mapped_column(default=1)

    branch: Mapped[Branch] = relationship(lazy="joined")
    person: Mapped[PersonSupported | None] = relationship(lazy="joined")
    author: Mapped[User] = relationship(foreign_keys=[author_id], lazy="joined")
    reviewer: Mapped[User | None] = relationship(foreign_keys=[reviewer_id])
    injured_staff: Mapped[User | None] = relationship(foreign_keys=[injured_staff_id])
    team: Mapped[Team | None] = relationship()
    decisions: Mapped[list[IncidentDecision]] = relationship(
        back_populates="incident", order_by="IncidentDecision.id", cascade="all"
    )
    notes: Mapped[list[IncidentNote]] = relationship(
        back_populates="incident", order_by="IncidentNote.id", cascade="all"
    )
    body_marks: Mapped[list[BodyMark]] = relationship(
        back_populates="incident", order_by="BodyMark.position", cascade="all, delete-orphan"
    )

    # Migration 1005_indexes: what the pages at scale need (docs/scale.md).
    __table_args__ = (
        db.Index(
            "ix_incident_branch_occurred",
            "branch_id",
            "occurred_at",
            postgresql_include=[
                "kind",
                "harm",
                "category",
                "place",
                "person_id",
                "team_id",
                "occurred_offset",
                # Migration 1103: the patterns' look-back, index-only.
                "id",
                "reference",
            ],
        ),
        db.Index(
            "ix_incident_category_received_id",
            "category",
            "received_at",
            "id",
            postgresql_include=["branch_id"],
        ),
        db.Index(
            "ix_incident_open_received",
            "received_at",
            postgresql_where=text("status <> 'closed'"),
            sqlite_where=text("status <> 'closed'"),
        ),
    )
    __mapper_args__: dict[str, Any] = {"version_id_col": version}

    @classmethod
    def may_be_safeguarding_condition(cls) -> ColumnElement[bool]:
        """The one rule for "may be safeguarding", in SQL: the category, or the
        reporter's threshold answer yes or not sure (`may_be_safeguarding`)."""
        return or_(cls.category == Category.SAFEGUARDING.value, cls.safeguarding.in_(MAY_BE_ABUSE))

    @classmethod
    def extra_scope(cls, user: User) -> ColumnElement[bool]:
        """Records that may be safeguarding: only managers of the branch and the
        reporter (carers through the carer scope) may see them, wherever they
        are listed, searched, opened or linked."""
        if user.role == Role.MANAGER:
            return true()
        return or_(~cls.may_be_safeguarding_condition(), cls.author_id == user.id)

    @property
    def occurred_local(self) -> datetime:
        """When it happened, on the device's own clock."""
        return self.occurred_at.astimezone(timezone(timedelta(minutes=self.occurred_offset)))

    @property
    def reported_local(self) -> datetime:
        return self.reported_at.astimezone(timezone(timedelta(minutes=self.reported_offset)))

    @property
    def may_be_safeguarding(self) -> bool:
        """As `may_be_safeguarding_condition`, for a record already loaded."""
        return self.category == Category.SAFEGUARDING.value or self.safeguarding in MAY_BE_ABUSE

    @property
    def is_closed(self) -> bool:
        return self.status == Status.CLOSED.value


# Decisions still to do (the overdue ones among them are what the home page lists).
UNDONE = "done_at IS NULL AND status <> 'does_not_apply'"


class DecisionStatus(enum.StrEnum):
    PENDING = "pending"
    APPLIES = "applies"
    DOES_NOT_APPLY = "does_not_apply"


class IncidentDecision(db.Model):  # type: ignore[name-defined,misc]
    """One rule that may apply to an incident (a CQC notification, the duty of
    candour, RIDDOR, a safeguarding referral, telling the family): what the
    manager decided, why, when it was done, and when it is due.

    Made when the incident arrives (and when triage changes what triggers them);
    never deleted, so the record shows every duty that was considered.
    """

    __tablename__ = "incident_decision"

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[str] = mapped_column(
        ForeignKey("incident.id", ondelete="CASCADE"), index=True
    )
    rule: Mapped[str] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(
        String(20), default=DecisionStatus.PENDING.value, index=True
    )
    # Why the rule was suggested, from the facts of the report.
    trigger: Mapped[str] = mapped_column(Text, default="")
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    rationale: Mapped[str] = mapped_column(Text, default="")
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # For example the CQC notification number or the RIDDOR reference.
    reference: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # What started the clock of `due_at`: when, and in words ("when the office was
    # told"). None on decisions made before it was kept.
    clock_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    clock_started_by: Mapped[str] = mapped_column(String(200), default="", server_default="")
    # A manager who added this duty by hand (the rules had not suggested it).
    added_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    version: Mapped[int] = mapped_column(default=1)

    incident: Mapped[Incident] = relationship(back_populates="decisions")
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id], lazy="joined")
    added_by: Mapped[User | None] = relationship(foreign_keys=[added_by_id])

    __table_args__ = (
        db.UniqueConstraint("incident_id", "rule"),
        db.Index(
            "ix_incident_decision_undone_due",
            "due_at",
            postgresql_where=text(UNDONE),
            sqlite_where=text(UNDONE),
            postgresql_include=["incident_id"],
        ),
        db.Index(
            "ix_incident_decision_due_incident",
            "due_at",
            "incident_id",
            postgresql_include=["status", "done_at"],
        ),
    )
    __mapper_args__: dict[str, Any] = {"version_id_col": version}

    def is_overdue(self, now: datetime) -> bool:
        """Still to do (undecided, or decided to apply and not yet done) and past due."""
        return (
            self.due_at is not None
            and self.done_at is None
            and self.status != DecisionStatus.DOES_NOT_APPLY.value
            and self.due_at < now
        )


class IncidentNoteKind(enum.StrEnum):
    CHASE = "chase"  # a question to the reporter, shown on their list
    ADMIN = "admin"  # an office note on the record


class IncidentNote(db.Model):  # type: ignore[name-defined,misc]
    """An administrative note on an incident, or a chase to its reporter."""

    __tablename__ = "incident_note"

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[str] = mapped_column(
        ForeignKey("incident.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(20))
    body: Mapped[str] = mapped_column(Text)
    author_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    incident: Mapped[Incident] = relationship(back_populates="notes")
    author: Mapped[User] = relationship(lazy="joined")


class BodyMark(db.Model):  # type: ignore[name-defined,misc]
    """One mark on the body map of an incident (incidents/body_map.py), in the
    order the reporter listed them. Written once, with the incident."""

    __tablename__ = "incident_body_mark"

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[str] = mapped_column(
        ForeignKey("incident.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer)
    region: Mapped[str] = mapped_column(String(40))
    side: Mapped[str] = mapped_column(String(10))
    kind: Mapped[str] = mapped_column(String(20), index=True)
    # Pressure damage only: "1"…"4", "unstageable", "deep_tissue".
    pressure_category: Mapped[str | None] = mapped_column(String(20))
    developed_in_care: Mapped[bool | None] = mapped_column()
    size: Mapped[str] = mapped_column(String(40), default="")
    note: Mapped[str] = mapped_column(Text, default="")

    incident: Mapped[Incident] = relationship(back_populates="body_marks")

    def as_json(self) -> dict[str, Any]:
        """As the API sends and returns it (docs/api.md `body_map`)."""
        return {
            "region": self.region,
            "side": self.side,
            "kind": self.kind,
            "pressure_category": self.pressure_category,
            "developed_in_care": self.developed_in_care,
            "size": self.size,
            "note": self.note,
        }


class IncidentMonthCount(db.Model):  # type: ignore[name-defined,misc]
    """How many incidents of a branch happened in a UK month with a kind, harm,
    category and place: the governance dashboard's counts without reading every
    incident of the year. Kept by incidents/month_counts.py in the transaction that
    writes the incident; `flask rebuild-incident-counts` makes it again."""

    __tablename__ = "incident_month_count"

    branch_id: Mapped[int] = mapped_column(ForeignKey("branch.id"), primary_key=True)
    month: Mapped[str] = mapped_column(String(7), primary_key=True)  # "YYYY-MM", UK
    kind: Mapped[str] = mapped_column(String(20), primary_key=True)
    harm: Mapped[str] = mapped_column(String(20), primary_key=True)
    category: Mapped[str] = mapped_column(String(20), primary_key=True)
    # The incident's place, "" for none (a key column cannot be NULL).
    place: Mapped[str] = mapped_column(String(20), primary_key=True)
    n: Mapped[int] = mapped_column(Integer, default=0)


class RecordsSeen(db.Model):  # type: ignore[name-defined,misc]
    """When a member of the office last looked at the new records (their home
    page counts what arrived since)."""

    __tablename__ = "records_seen"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("user.id", ondelete="CASCADE"), primary_key=True
    )
    seen_at: Mapped[datetime] = mapped_column(UTCDateTime)
