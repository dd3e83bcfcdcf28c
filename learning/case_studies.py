"""Anonymised case studies: drafted from an incident, its reviews, actions and
evidence; edited by a manager; exported as Markdown or Word-friendly HTML."""

from __future__ import annotations

import html
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import Select, func

from actions.models import Action, ActionStatus, VerificationKind
from core import scoping, trail
from core.dates import UK, uk_today, utcnow
from core.errors import Invalid, OutOfScope
from core.models import User
from core.permissions import require_role
from core.saving import check_version, commit
from extensions import db
from incidents.models import Incident, label
from incidents.services import incident_in_scope
from learning import anonymise
from learning.bulletins import read_counts
from learning.incident_links import actions_for_incident
from learning.models import BriefingNote, Bulletin, CaseStudy, LearningReview, ReviewMethod
from learning.permissions import MANAGERS
from learning.reviews import reviews_of
from learning.verification import TrendResult, count_trend, verification_evidence


def visible_case_studies(user: User) -> Select[Any]:
    return scoping.scoped(db.select(CaseStudy), user, CaseStudy)


def get_case_study(user: User, case_study_id: int) -> CaseStudy:
    require_role(user, MANAGERS)
    return scoping.one_in_scope(visible_case_studies(user), CaseStudy, case_study_id)


def list_case_studies(user: User) -> list[CaseStudy]:
    require_role(user, MANAGERS)
    return list(
        db.session.scalars(visible_case_studies(user).order_by(CaseStudy.updated_at.desc()))
    )


def _month(moment: datetime) -> str:
    return moment.astimezone(UK).strftime("%B %Y")


def _a(phrase: str) -> str:
    return f"an {phrase}" if phrase[:1].lower() in "aeiou" else f"a {phrase}"


def _after(t: TrendResult) -> str:
    """The "after" half of a before-and-after sentence. A count of the days after
    is claimed only once they have all passed: hours after a change, "0 in the 30
    days after" would say nothing and read as proof (issue 16)."""
    if t.complete:
        return f"{t.after} in the {t.days} days after"
    ends = f"{t.after_to.day} {t.after_to:%B %Y}"
    so_far = f" ({t.after} so far)" if t.after else ""
    return f"and the {t.days} days after end on {ends}: too soon to compare{so_far}"


def case_study_evidence(
    incident: Incident, reviews: Sequence[LearningReview], actions: Sequence[Action], today: date
) -> list[str]:
    """The measured evidence, sentence by sentence: re-audits, trends before and
    after, verification, and staff reading the learning."""
    lines: list[str] = []
    for action in actions:
        evidence = verification_evidence(action, today)
        if evidence.kind == VerificationKind.SAMPLE.value and evidence.samples:
            scores = [s.score for s in evidence.samples if s.score is not None]
            average = f", average score {sum(scores) / len(scores):.0f}%" if scores else ""
            lines.append(
                f"Re-audit after “{action.title}”: {evidence.samples_passed} of "
                f"{len(evidence.samples)} spot checks passed{average}."
            )
        if evidence.kind == VerificationKind.TREND.value and evidence.trend is not None:
            t = evidence.trend
            lines.append(
                f"{label(t.category)} incidents: {t.before} in the {t.days} days before "
                f"“{action.title}”, {_after(t)}."
            )
    # The incident's own kind of event in its branch, around the first change.
    done = [a.done_at for a in actions if a.done_at is not None]
    pivot = min(done) if done else None
    if pivot is None:
        completed = [r.completed_at for r in reviews if r.completed_at is not None]
        pivot = min(completed) if completed else None
    if pivot is not None and not any(
        a.verification_kind == VerificationKind.TREND.value
        and a.trend_category == incident.category
        for a in actions
    ):
        t = count_trend(
            branch_id=incident.branch_id,
            category=incident.category,
            person_id=None,
            pivot=pivot,
            days=30,
            today=today,
        )
        lines.append(
            f"{label(t.category)} incidents in the branch: {t.before} in the 30 days before "
            f"the changes, {_after(t)}."
        )
    judged = [
        a
        for a in actions
        if a.status in (ActionStatus.VERIFIED_EFFECTIVE.value, ActionStatus.NOT_EFFECTIVE.value)
    ]
    if actions:
        effective = sum(1 for a in judged if a.status == ActionStatus.VERIFIED_EFFECTIVE.value)
        lines.append(
            f"{effective} of {len(actions)} action{'s' if len(actions) != 1 else ''} verified "
            "effective by the registered manager."
        )
    review_ids = [r.id for r in reviews]
    if review_ids:
        bulletins = list(
            db.session.scalars(
                db.select(Bulletin).where(Bulletin.reviews.any(LearningReview.id.in_(review_ids)))
            )
        )
        counts = read_counts(bulletins)
        notes_per_bulletin = dict(
            db.session.execute(
                db.select(BriefingNote.bulletin_id, func.count(BriefingNote.id))
                .where(BriefingNote.bulletin_id.in_([b.id for b in bulletins]))
                .group_by(BriefingNote.bulletin_id)
            ).all()
        )
        for bulletin in bulletins:
            read, sent_to = counts[bulletin.id]
            lines.append(
                f"{read} of {sent_to} staff confirmed they had read the learning bulletin about it."
            )
            notes = notes_per_bulletin.get(bulletin.id, 0)
            if notes:
                lines.append(
                    f"Discussed in {notes} team debrief or supervision session"
                    f"{'s' if notes != 1 else ''}."
                )
    return lines


def compose_case_study(
    incident: Incident,
    reviews: Sequence[LearningReview],
    actions: Sequence[Action],
    today: date,
    ids: anonymise.Identifiers,
) -> dict[str, str]:
    """The five sections the tender tip asks for, anonymised."""

    def clean(text: str) -> str:
        return anonymise.scrub(text.strip(), ids)

    kind = "near miss" if incident.kind == "near_miss" else "incident"
    category = label(incident.category).lower()
    if incident.medication_error:
        category = f"medication ({label(incident.medication_error).lower()})"
    time_critical = ", involving a time-critical medicine" if incident.time_critical else ""
    event = (
        f"In {_month(incident.occurred_at)}, {_a(category)} {kind}{time_critical} "
        f"({label(incident.harm).lower()}). {clean(incident.what_happened)}\n\n"
        f"Straight away: {clean(incident.immediate_actions)}"
    )
    process_parts = []
    for review in reviews:
        part = f"We used {_a(review.method_enum.label.lower())}: {review.method_enum.hint.lower()}"
        if review.method == ReviewMethod.THEMATIC.value:
            part += f" It looked at {len(review.incidents)} incidents together."
        if review.condition_labels:
            part += (
                " Contributing conditions: "
                + ", ".join(c.lower() for c in review.condition_labels)
                + "."
            )
        for text in (review.why_difference, review.why, review.findings, review.conditions_detail):
            if text.strip():
                part += f" {clean(text)}"
        process_parts.append(part)
    action_lines = []
    for action in actions:
        status = action.status_enum.label.lower()
        when = f", done {action.done_at.astimezone(UK):%B %Y}" if action.done_at else ""
        action_lines.append(f"- {clean(action.title)} ({status}{when})")
    changed = "\n\n".join(clean(t) for r in reviews for t in (r.changes, r.lessons) if t.strip())
    evidence = "\n".join(
        f"- {clean(line)}" for line in case_study_evidence(incident, reviews, actions, today)
    )
    title = f"Learning from {_a(category)} {kind}"
    return {
        "title": title[:200],
        "event": event,
        "review_process": "\n\n".join(process_parts),
        "action_taken": "\n".join(action_lines),
        "what_changed": changed,
        "evidence": evidence,
    }


CASE_STUDY_SECTIONS = [
    ("event", "The event"),
    ("review_process", "How we reviewed it"),
    ("action_taken", "What we did"),
    ("what_changed", "What changed"),
    ("evidence", "How we know it worked"),
]


def draft_case_study(user: User, incident_id: str, today: date | None = None) -> CaseStudy:
    """A draft from the incident, its completed reviews, actions and evidence,
    with names and references taken out, for the manager to edit."""
    require_role(user, MANAGERS)
    try:
        incident = incident_in_scope(user, incident_id)
    except OutOfScope:
        raise Invalid({"incident_id": ["Choose an incident from the list."]}) from None
    reviews = [r for r in reviews_of(user, incident) if r.is_completed]
    if not reviews:
        raise Invalid(
            {
                "incident_id": [
                    "Complete a learning review of this incident first: a case study shows "
                    "what was learned."
                ]
            }
        )
    sections = compose_case_study(
        incident,
        reviews,
        actions_for_incident(incident),
        today or uk_today(),
        anonymise.known_identifiers(),
    )
    case_study = CaseStudy(
        incident_id=incident.id, branch_id=incident.branch_id, author_id=user.id, **sections
    )
    db.session.add(case_study)
    db.session.flush()
    trail.record(user, "create", "case_study", case_study.id, incident=incident.reference)
    db.session.commit()
    return case_study


def save_case_study(
    user: User, case_study: CaseStudy, data: dict[str, Any], version: int | None = None
) -> CaseStudy:
    require_role(user, MANAGERS)
    check_version(case_study, version)
    changed = []
    for name in ("title", *(key for key, _ in CASE_STUDY_SECTIONS)):
        value = (data.get(name) or "").strip()
        if value != getattr(case_study, name):
            setattr(case_study, name, value)
            changed.append(name)
    if changed:
        case_study.updated_at = utcnow()
        trail.record(user, "update", "case_study", case_study.id, fields=changed)
    commit()
    return case_study


def case_study_warnings(case_study: CaseStudy) -> list[str]:
    """Anything left that looks like a name or reference."""
    ids = anonymise.known_identifiers()
    text = "\n".join(
        [case_study.title, *(getattr(case_study, key) for key, _ in CASE_STUDY_SECTIONS)]
    )
    return anonymise.identifiers_in(text, ids)


def _texts(case_study: CaseStudy) -> list[tuple[str, str]]:
    return [("Title", case_study.title)] + [
        (heading, getattr(case_study, key)) for key, heading in CASE_STUDY_SECTIONS
    ]


def case_study_fingerprint(case_study: CaseStudy) -> str:
    return anonymise.fingerprint(*(text for _, text in _texts(case_study)))


def needs_check(case_study: CaseStudy) -> bool:
    """Something in it still looks identifying and the manager has not checked
    this very text: exporting shows the review page first."""
    return bool(case_study_warnings(case_study)) and (
        case_study.checked_hash != case_study_fingerprint(case_study)
    )


def case_study_review(case_study: CaseStudy) -> dict[str, Any]:
    """Each section with its suspected items highlighted, and the fingerprint
    the manager confirms."""
    ids = anonymise.known_identifiers()
    return {
        "fields": [
            {"label": label, "segments": anonymise.segments(text, ids)}
            for label, text in _texts(case_study)
        ],
        "fingerprint": case_study_fingerprint(case_study),
    }


def confirm_checked(user: User, case_study: CaseStudy, checked: str | None) -> None:
    """The manager has seen every highlighted item of this text and confirms it
    identifies nobody. A fingerprint of other text (edited since) is refused."""
    require_role(user, MANAGERS)
    if checked != case_study_fingerprint(case_study):
        raise Invalid(
            {"checked": ["The case study changed since this page was opened: check it again."]}
        )
    items = case_study_warnings(case_study)
    case_study.checked_hash = checked
    trail.record(user, "check", "case_study", case_study.id, checked_items=len(items))
    commit()


def _markdown_text(text: str) -> str:
    """Typed text as Markdown shows it, never as HTML: a Markdown viewer passes
    HTML through, so `<script>` or `<img onerror=…>` someone typed would run."""
    return html.escape(text, quote=False)


def case_study_markdown(case_study: CaseStudy) -> str:
    parts = [f"# {_markdown_text(case_study.title)}"]
    for key, heading in CASE_STUDY_SECTIONS:
        text = getattr(case_study, key).strip()
        if text:
            parts.append(f"## {heading}\n\n{_markdown_text(text)}")
    return "\n\n".join(parts) + "\n"


def record_export(user: User, case_study: CaseStudy, fmt: str) -> None:
    trail.record(user, "export", "case_study", case_study.id, format=fmt)
    db.session.commit()
