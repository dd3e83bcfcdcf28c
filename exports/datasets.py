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

import json
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, DateTime, Select, Text, cast, select, type_coerce
from sqlalchemy.orm import InstrumentedAttribute, contains_eager, joinedload, lazyload

from actions.models import Action, ActionSource
from actions.queries import visible_actions
from audits.models import Audit
from audits.results import visible_audits
from core import scoping
from core.dates import Period, as_utc
from core.models import Branch, PersonSupported, Team, User
from exports import columns as c
from exports.batches import ROW_BATCH, in_batches
from exports.columns import Batch, BatchRead, Column
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
    # How the records are loaded (related records in the same query, or not at all).
    loading: tuple[Any, ...] = ()
    # Or: the records read as rows of these columns only (tuples, no ORM records;
    # `loading` is then unused), which the columns read by name.
    fields: tuple[Any, ...] = ()
    # Facts a batch's rows need, looked up once per batch.
    batch_facts: Callable[[User, Sequence[Any]], dict[str, Any]] = field(
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

    def batches(self, stmt: Select[Any]) -> Iterator[Sequence[Any]]:
        """`statement`'s records (or rows), oldest first, a batch at a time, loading
        what the columns read in the same queries."""
        if self.fields:
            rows = stmt.with_only_columns(*self.fields)
            return in_batches(rows, self.moment, self.key, self.key_of, ROW_BATCH, rows=True)
        loaded = stmt.options(*self.loading)
        return in_batches(loaded, self.moment, self.key, self.key_of)


def _codes(values: list[dict[str, Any]] | None) -> str:
    return "; ".join([str(v.get("who", "")) for v in values]) if values else ""


# --- incidents -----------------------------------------------------------------------


# Only the fields the file has, read as rows; the branch, team, person and staff each
# row names are found in dictionaries loaded once per file (`_incident_references`),
# not joined onto every row. Moments come as the database gives them (no conversion
# of each: the file's writers take them so, `as_utc`); the people informed as their
# JSON text, decoded a batch at a time (`_people_informed`).
_MOMENTS = ("occurred_at", "reported_at", "received_at", "seen_at", "triaged_at", "closed_at")
INCIDENT_FIELDS = (
    *(getattr(Incident, name) for name in (
        "id", "reference", "status", "kind", "category", "medication_error",
        "time_critical", "harm", "branch_id", "team_id", "person_id", "author_id",
        "reviewer_id", "location", "what_happened", "immediate_actions", "staff_injured",
        "safeguarding", "clinical_escalation", "family_contact", "late_reason",
        "feedback", "no_review_reason",
    )),
    *(type_coerce(getattr(Incident, name), DateTime(timezone=True)).label(name)
      for name in _MOMENTS),
    cast(Incident.people_informed, Text).label("people_informed"),
)  # fmt: skip


def _people_informed(batch: Batch) -> list[str]:
    """Who was told (`_codes`) of each of the batch's rows, their JSON decoded in
    one go: the rows' texts as the items of one JSON array (each a JSON value the
    database holds: json.loads of each alone gives the same values)."""
    texts = batch.field("people_informed")
    try:
        values = json.loads("[" + ",".join(texts) + "]")
    except (TypeError, ValueError):  # a NULL among them
        values = None
    if values is None or len(values) != len(texts):
        values = [None if text is None else json.loads(text) for text in texts]
    # Most name one person: theirs without a call (as `_codes` writes it).
    return [
        str(value[0].get("who", "")) if type(value) is list and len(value) == 1 else _codes(value)
        for value in values
    ]


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


# Where the records a row names are looked up (`_incident_references`), by model.
_FOUND_IN: dict[str, type[Any]] = {
    "branch": Branch,
    "team": Team,
    "person": PersonSupported,
    "staff": User,
}


def _named(id_field: str, found_in: str, attribute: str | None = None) -> BatchRead:
    """The records the batch's rows name by `id_field` (their branch, team, person
    or a member of staff), or their `attribute`, from those loaded for the file;
    one not among them (staff since moved to another branch, say) is read from the
    database, once per file."""

    def read(batch: Batch) -> list[Any]:
        found: dict[int, Any] = batch.extra[found_in]
        ids = batch.field(id_field)
        for key in set(ids).difference(found, (None,)):
            found[key] = db.session.get(_FOUND_IN[found_in], key)
        if attribute is None:
            return list(map(found.get, ids))
        values = {
            key: getattr(found[key], attribute)
            for key in set(ids).difference((None,))
            if found[key] is not None
        }
        return list(map(values.get, ids))

    return read


INCIDENTS = Dataset(
    name="incidents",
    label="Incidents and near misses",
    sheet="Incidents",
    columns=(
        c.text("id", "id", width=38),
        c.text("reference", "reference", width=16),
        c.text("status", "status"),
        c.text("kind", "kind"),
        c.text("category", "category"),
        c.text("medication_error", "medication_error"),
        c.flag("time_critical", "time_critical"),
        c.text("harm", "harm"),
        c.moment("occurred_at", "occurred_at"),
        c.moment("reported_at", "reported_at"),
        c.moment("received_at", "received_at"),
        Column("branch", c.Kind.TEXT, _named("branch_id", "branch", "code")),
        Column("team", c.Kind.TEXT, _named("team_id", "team", "name"), width=20),
        Column(
            "person_ref", c.Kind.TEXT, _named("person_id", "person"), who=c.Who.PERSON, width=12
        ),
        Column("reporter", c.Kind.TEXT, _named("author_id", "staff"), who=c.Who.STAFF, width=20),
        c.free_text("location", "location"),
        c.free_text("what_happened", "what_happened"),
        c.free_text("immediate_actions", "immediate_actions"),
        c.flag("staff_injured", "staff_injured"),
        Column("people_informed", c.Kind.TEXT, _people_informed, width=20),
        c.text("safeguarding", "safeguarding"),
        c.text("clinical_escalation", "clinical_escalation"),
        c.text("family_contact", "family_contact"),
        c.free_text("late_reason", "late_reason"),
        Column("reviewer", c.Kind.TEXT, _named("reviewer_id", "staff"), who=c.Who.STAFF, width=20),
        c.moment("seen_at", "seen_at"),
        c.moment("triaged_at", "triaged_at"),
        c.moment("closed_at", "closed_at"),
        c.free_text("feedback", "feedback"),
        c.free_text("no_review_reason", "no_review_reason"),
    ),
    records=visible_incidents,
    fields=INCIDENT_FIELDS,
    referenced=_incident_references,
    moment=Incident.occurred_at,
    key=Incident.id,
    key_of=lambda i: (as_utc(i.occurred_at), i.id),
    branch_id=Incident.branch_id,
)


# --- actions -------------------------------------------------------------------------


def _source_incidents(user: User, batch: Sequence[Any]) -> dict[str, Any]:
    """The references of the incidents the batch's actions came from, of those
    the user may see: an action from another's report, or from one that may be
    safeguarding, names no incident (as GET /api/v1/actions)."""
    wanted = {a.source_id for a in batch if a.source_type == ActionSource.INCIDENT.value}
    if not wanted:
        return {"incidents": {}}
    stmt = visible_incidents(user).where(Incident.id.in_(wanted))
    rows = db.session.execute(stmt.with_only_columns(Incident.id, Incident.reference))
    return {"incidents": {str(row[0]): str(row[1]) for row in rows}}


def _source(action: Action, facts: Batch, *, reference: bool) -> str | None:
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
        Column(
            "source_id", c.Kind.TEXT, c.each(lambda a, f: _source(a, f, reference=False)), width=38
        ),
        Column("source_reference", c.Kind.TEXT, c.each(lambda a, f: _source(a, f, reference=True))),
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
        Column("overdue", c.Kind.BOOL, c.each(lambda d, f: d.is_overdue(f.now))),
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
