"""What each export holds: incidents, actions, spot checks, duty decisions and
denominators,
each as columns read from its records, the records a person may export (their
branches, through the same scoping as every page and the API) and the date that
puts a record in a period:

- incidents: when it happened (UK calendar day);
- actions: when it was raised;
- spot checks: when the check was done;
- duty decisions: when their incident happened (the duties of the incidents
  export of the same period);
- denominators (visits and people supported per branch per month): every month
  with a day in the period.

Values are the API's (codes such as `near_miss`, `medication`), so a file can be
matched with `/api/v1`; times are UK time."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, Select, select
from sqlalchemy.orm import (
    InstrumentedAttribute,
    contains_eager,
    joinedload,
    lazyload,
    load_only,
)

from actions.models import Action, ActionSource
from actions.queries import visible_actions
from audits.models import Audit
from audits.results import visible_audits
from core import scoping
from core.dates import Period
from core.models import Branch, PersonSupported, User
from exports import columns as c
from exports.columns import BatchFacts, Column
from extensions import db
from governance.models import Denominator
from incidents.models import Incident, IncidentDecision
from incidents.services import visible_incidents


@dataclass(frozen=True)
class Dataset:
    name: str  # as in the address: /exports/<name>.csv
    label: str  # as the exports page offers it
    sheet: str  # the spreadsheet's tab
    columns: tuple[Column, ...]
    # The records `user` may export (not yet limited to a period or ordered).
    records: Callable[[User], Select[Any]]
    # The moment that puts a record in a period, and the record's own key: the
    # keyset order a file is read in (oldest first).
    moment: InstrumentedAttribute[Any]
    key: InstrumentedAttribute[Any]
    key_of: Callable[[Any], tuple[Any, Any]]
    branch_id: InstrumentedAttribute[int]
    # How the rows are loaded (related records in the same query, or not at all).
    loading: tuple[Any, ...] = ()
    # Facts a batch's rows need, looked up once per batch.
    batch_facts: Callable[[User, list[Any]], dict[str, Any]] = field(
        default=lambda _user, _batch: {}
    )
    # Which records a period holds, for a dataset whose `moment` is not a
    # point in time (None: `moment` within the period's UK days).
    within: Callable[[Period], ColumnElement[bool]] | None = None
    # Records the rows name, loaded once per file (added to each batch's facts).
    referenced: Callable[[User], dict[str, Any]] = field(default=lambda _user: {})

    def statement(self, user: User, period: Period, branch: Branch | None) -> Select[Any]:
        """The records of `period` (whole UK days) in `branch`, or in all of the
        user's branches, that `user` may see."""
        if self.within is not None:
            stmt = self.records(user).where(self.within(period))
        else:
            stmt = self.records(user).where(
                self.moment >= period.starts_at, self.moment < period.ends_at
            )
        if branch is not None:
            stmt = stmt.where(self.branch_id == branch.id)
        return stmt

    def ids(self, stmt: Select[Any]) -> Select[Any]:
        """The keys of `statement`'s records (to count them, or note them)."""
        return stmt.with_only_columns(self.key)

    def rows(self, stmt: Select[Any]) -> Select[Any]:
        """`statement` loading what the columns read, in the same queries."""
        return stmt.options(*self.loading)


def _codes(values: list[dict[str, Any]] | None) -> str:
    return "; ".join(str(v.get("who", "")) for v in values or [])


# --- incidents -----------------------------------------------------------------------


# Only the columns the file has; the branch, team, person and staff each row names
# are found in the session (`_incident_references`), not joined onto every row.
INCIDENT_LOADING = (
    load_only(
        *(getattr(Incident, name) for name in (
            "id", "reference", "status", "kind", "category", "medication_error",
            "time_critical", "harm", "occurred_at", "reported_at", "received_at",
            "branch_id", "team_id", "person_id", "author_id", "reviewer_id", "location",
            "what_happened", "immediate_actions", "staff_injured", "people_informed",
            "safeguarding", "clinical_escalation", "family_contact", "late_reason",
            "seen_at", "triaged_at", "closed_at", "feedback", "no_review_reason", "version",
        )),
        raiseload=True,
    ),
    lazyload(Incident.branch),
    lazyload(Incident.person),
    lazyload(Incident.author),
)  # fmt: skip


def _incident_references(user: User) -> dict[str, Any]:
    """The user's branches with their teams, people supported and staff by id: what
    an incident's row names, loaded once per file (`_named`)."""
    ids = user.branch_ids
    people = db.session.scalars(select(PersonSupported).where(PersonSupported.branch_id.in_(ids)))
    staff = db.session.scalars(select(User).where(User.branches.any(Branch.id.in_(ids))))
    return {
        "branch": {b.id: b for b in scoping.branches_for(user)},
        "team": {t.id: t for t in scoping.teams_for(user)},
        "person": {p.id: p for p in people},
        "staff": {u.id: u for u in staff},
    }


# Each relationship an incident's row names: its id column and where it is looked up.
_REFERENCES = {
    "branch": ("branch_id", "branch"),
    "team": ("team_id", "team"),
    "person": ("person_id", "person"),
    "author": ("author_id", "staff"),
    "reviewer": ("reviewer_id", "staff"),
}


def _named(incident: Incident, facts: BatchFacts, relation: str) -> Any:
    """The record an incident names (its branch, team, person or a member of
    staff), from those loaded for the file, or read from the database when it is
    not among them (staff since moved to another branch, say)."""
    column, found_in = _REFERENCES[relation]
    key = getattr(incident, column)
    if key is None:
        return None
    found = facts.extra[found_in].get(key)
    return found if found is not None else getattr(incident, relation)


def _name_of(team: Any) -> str | None:
    return team.name if team is not None else None


INCIDENTS = Dataset(
    name="incidents",
    label="Incidents and near misses",
    sheet="Incidents",
    columns=(
        c.text("id", lambda i: i.id, width=38),
        c.text("reference", lambda i: i.reference, width=16),
        c.text("status", lambda i: i.status),
        c.text("kind", lambda i: i.kind),
        c.text("category", lambda i: i.category),
        c.text("medication_error", lambda i: i.medication_error),
        c.flag("time_critical", lambda i: i.time_critical),
        c.text("harm", lambda i: i.harm),
        c.moment("occurred_at", lambda i: i.occurred_at),
        c.moment("reported_at", lambda i: i.reported_at),
        c.moment("received_at", lambda i: i.received_at),
        Column("branch", c.Kind.TEXT, lambda i, f: _named(i, f, "branch").code),
        Column("team", c.Kind.TEXT, lambda i, f: _name_of(_named(i, f, "team")), width=20),
        Column(
            "person_ref",
            c.Kind.TEXT,
            lambda i, f: _named(i, f, "person"),
            who=c.Who.PERSON,
            width=12,
        ),
        Column(
            "reporter", c.Kind.TEXT, lambda i, f: _named(i, f, "author"), who=c.Who.STAFF, width=20
        ),
        c.free_text("location", lambda i: i.location),
        c.free_text("what_happened", lambda i: i.what_happened),
        c.free_text("immediate_actions", lambda i: i.immediate_actions),
        c.flag("staff_injured", lambda i: i.staff_injured),
        c.text("people_informed", lambda i: _codes(i.people_informed), width=20),
        c.text("safeguarding", lambda i: i.safeguarding),
        c.text("clinical_escalation", lambda i: i.clinical_escalation),
        c.text("family_contact", lambda i: i.family_contact),
        c.free_text("late_reason", lambda i: i.late_reason),
        Column(
            "reviewer",
            c.Kind.TEXT,
            lambda i, f: _named(i, f, "reviewer"),
            who=c.Who.STAFF,
            width=20,
        ),
        c.moment("seen_at", lambda i: i.seen_at),
        c.moment("triaged_at", lambda i: i.triaged_at),
        c.moment("closed_at", lambda i: i.closed_at),
        c.free_text("feedback", lambda i: i.feedback),
        c.free_text("no_review_reason", lambda i: i.no_review_reason),
    ),
    records=visible_incidents,
    loading=INCIDENT_LOADING,
    referenced=_incident_references,
    moment=Incident.occurred_at,
    key=Incident.id,
    key_of=lambda i: (i.occurred_at, i.id),
    branch_id=Incident.branch_id,
)


# --- actions -------------------------------------------------------------------------


def _source_incidents(user: User, batch: list[Any]) -> dict[str, Any]:
    """The references of the incidents the batch's actions came from, of those
    the user may see: an action from another's report, or from one that may be
    safeguarding, names no incident (as GET /api/v1/actions)."""
    wanted = {a.source_id for a in batch if a.source_type == ActionSource.INCIDENT.value}
    if not wanted:
        return {"incidents": {}}
    stmt = visible_incidents(user).where(Incident.id.in_(wanted))
    rows = db.session.execute(stmt.with_only_columns(Incident.id, Incident.reference))
    return {"incidents": {str(row[0]): str(row[1]) for row in rows}}


def _source(action: Action, facts: BatchFacts, *, reference: bool) -> str | None:
    if action.source_type != ActionSource.INCIDENT.value:
        return None if reference else action.source_id
    found: str | None = facts.extra["incidents"].get(action.source_id)
    if found is None:
        return None
    return found if reference else action.source_id


ACTIONS = Dataset(
    name="actions",
    label="Actions",
    sheet="Actions",
    columns=(
        c.number("id", lambda a: a.id),
        c.free_text("title", lambda a: a.title),
        c.text("status", lambda a: a.status),
        c.day("due", lambda a: a.due),
        c.text("branch", lambda a: a.branch.code),
        c.staff("owner", lambda a: a.owner),
        c.staff("raised_by", lambda a: a.author),
        c.moment("created_at", lambda a: a.created_at),
        c.text("source_type", lambda a: a.source_type),
        Column("source_id", c.Kind.TEXT, lambda a, f: _source(a, f, reference=False), width=38),
        Column("source_reference", c.Kind.TEXT, lambda a, f: _source(a, f, reference=True)),
        c.moment("done_at", lambda a: a.done_at),
        c.flag("requires_verification", lambda a: a.requires_verification),
        c.text("verification_kind", lambda a: a.verification_kind),
        c.moment("verified_at", lambda a: a.verified_at),
        c.staff("verified_by", lambda a: a.verified_by),
        c.person("trend_person_ref", lambda a: a.trend_person),
        c.free_text("detail", lambda a: a.detail),
        c.free_text("evidence", lambda a: a.evidence),
        c.free_text("verification_note", lambda a: a.verification_note),
    ),
    records=visible_actions,
    loading=(
        joinedload(Action.author),
        joinedload(Action.verified_by),
        joinedload(Action.trend_person),
    ),
    moment=Action.created_at,
    key=Action.id,
    key_of=lambda a: (a.created_at, a.id),
    branch_id=Action.branch_id,
    batch_facts=_source_incidents,
)


# --- spot checks ---------------------------------------------------------------------


def _failed(audit: Audit) -> list[str]:
    return [a.item_key for a in audit.answers if a.failed]


AUDITS = Dataset(
    name="audits",
    label="Spot checks",
    sheet="Spot checks",
    columns=(
        c.text("id", lambda a: a.id, width=38),
        c.text("template", lambda a: a.template.slug, width=24),
        c.text("template_title", lambda a: a.template.title, width=30),
        c.number("template_version", lambda a: a.template.version),
        c.moment("conducted_at", lambda a: a.conducted_at),
        c.moment("received_at", lambda a: a.received_at),
        c.text("branch", lambda a: a.branch.code),
        c.staff("supervisor", lambda a: a.author),
        c.staff("observed", lambda a: a.observed),
        c.person("person_ref", lambda a: a.person),
        c.number("score", lambda a: None if a.score is None else round(a.score, 1)),
        c.text("outcome", lambda a: a.outcome),
        c.number("items_failed", lambda a: len(_failed(a))),
        c.text("failed_items", lambda a: "; ".join(_failed(a)), width=30),
        c.number("reaudit_of_action", lambda a: a.reaudit_of_action_id),
        c.moment("acknowledged_at", lambda a: a.acknowledged_at),
        c.free_text("feedback", lambda a: a.feedback),
    ),
    records=visible_audits,
    # The actions a check raised are not part of this file: not loaded.
    loading=(lazyload(Audit.raised_actions),),
    moment=Audit.conducted_at,
    key=Audit.id,
    key_of=lambda a: (a.conducted_at, a.id),
    branch_id=Audit.branch_id,
)


# --- duty decisions ------------------------------------------------------------------


def _duties(user: User) -> Select[Any]:
    """Decisions on the incidents the user may see (records that may be
    safeguarding: managers only, as everywhere)."""
    visible: ColumnElement[bool] = scoping.record_scope(user, Incident)
    return select(IncidentDecision).join(IncidentDecision.incident).where(visible)


DUTIES = Dataset(
    name="duties",
    label="Duty decisions",
    sheet="Duty decisions",
    columns=(
        c.number("id", lambda d: d.id),
        c.text("incident_id", lambda d: d.incident_id, width=38),
        c.text("incident_reference", lambda d: d.incident.reference, width=16),
        c.moment("incident_occurred_at", lambda d: d.incident.occurred_at),
        c.text("branch", lambda d: d.incident.branch.code),
        c.text("rule", lambda d: d.rule, width=24),
        c.text("status", lambda d: d.status),
        c.text("trigger", lambda d: d.trigger, width=40),
        c.moment("due_at", lambda d: d.due_at),
        Column("overdue", c.Kind.BOOL, lambda d, f: d.is_overdue(f.now)),
        c.staff("decided_by", lambda d: d.decided_by),
        c.moment("decided_at", lambda d: d.decided_at),
        c.moment("done_at", lambda d: d.done_at),
        c.free_text("reference", lambda d: d.reference),
        c.free_text("rationale", lambda d: d.rationale),
        c.moment("created_at", lambda d: d.created_at),
    ),
    records=_duties,
    loading=(contains_eager(IncidentDecision.incident),),
    moment=Incident.occurred_at,
    key=IncidentDecision.id,
    key_of=lambda d: (d.incident.occurred_at, d.id),
    branch_id=Incident.branch_id,
)


# --- denominators (visits and people supported per branch per month) ---------------


def _visible_denominators(user: User) -> Select[Any]:
    return (
        select(Denominator)
        .join(Branch, Denominator.branch_id == Branch.id)
        .where(scoping.branch_scope(user, Denominator.branch_id))
    )


def _months_touching(period: Period) -> ColumnElement[bool]:
    """Every month with a day in the period."""
    first, last = period.start.strftime("%Y-%m"), period.end.strftime("%Y-%m")
    return (Denominator.month >= first) & (Denominator.month <= last)


DENOMINATORS = Dataset(
    name="denominators",
    label="Visits and people supported (per branch per month)",
    sheet="Visits and people",
    columns=(
        c.text("month", lambda d: d.month, width=9),
        c.text("branch", lambda d: d.branch.code),
        c.number("visits", lambda d: d.visits),
        c.number("people_supported", lambda d: d.people_supported),
        c.number("care_hours", lambda d: d.care_hours),
        c.moment("updated_at", lambda d: d.updated_at),
    ),
    records=_visible_denominators,
    loading=(contains_eager(Denominator.branch),),
    moment=Denominator.month,
    key=Denominator.id,
    key_of=lambda d: (d.month, d.id),
    branch_id=Denominator.branch_id,
    within=_months_touching,
)


DATASETS: dict[str, Dataset] = {
    d.name: d for d in (INCIDENTS, ACTIONS, AUDITS, DUTIES, DENOMINATORS)
}
