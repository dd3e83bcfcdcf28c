"""The PDF packs: the governance pack for a period, a meeting's pack, one
incident's record (for a safeguarding referral or the police), the CQC evidence
pack and the commissioner's report. Each gathers its figures through the service
that owns them, is drawn by exports.pdf and goes on the audit trail (an "export"
event with the pack, period and branches) before it is sent."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from flask import current_app

from actions import strength
from audits.models import Audit
from core import scoping, trail
from core.dates import UK, Period, utcnow
from core.models import Branch, Role, User
from core.permissions import require_role
from exports import pdf
from exports.commissioner import commissioner_figures
from exports.evidence import cqc_evidence
from exports.permissions import EXPORTERS
from extensions import db
from governance import chart
from governance.figures import dashboard_figures
from governance.meetings import get_meeting, meeting_actions, record_pack_export
from incidents import record, services, timeline
from incidents.duties import RULE_GUIDANCE
from learning import patterns as pattern_rules


@dataclass(frozen=True)
class Pack:
    pdf: bytes
    filename: str


def _scope(user: User, branch: Branch | None) -> list[Branch]:
    return [branch] if branch is not None else scoping.branches_for(user)


def _name(kind: str, period: Period, branch: Branch | None) -> str:
    parts = [kind, period.start.isoformat(), "to", period.end.isoformat()]
    return "-".join([*parts, *([branch.code] if branch else [])]) + ".pdf"


def _trail(user: User, pack: str, period: Period, branches: Sequence[Branch]) -> None:
    trail.record(
        user,
        "export",
        "pack",
        pack,
        format="pdf",
        date_from=period.start.isoformat(),
        date_to=period.end.isoformat(),
        branches=[b.code for b in branches],
    )
    db.session.commit()


def _running(title: str, period: Period, branches: Sequence[Branch]) -> pdf.Running:
    return pdf.Running(
        title,
        pdf.period_words(period.start, period.end),
        pdf.branch_words([b.code for b in branches]),
    )


def reaudits(user: User, branches: Sequence[Branch], period: Period) -> list[Audit]:
    """Re-audits (spot checks that checked an action) carried out in the period."""
    return list(
        db.session.scalars(
            scoping.scoped(db.select(Audit), user, Audit)
            .where(Audit.branch_id.in_([b.id for b in branches]))
            .where(Audit.reaudit_of_action_id.is_not(None))
            .where(Audit.conducted_at >= period.starts_at, Audit.conducted_at < period.ends_at)
            .order_by(Audit.conducted_at)
        )
    )


def governance_pack(
    user: User, branch: Branch | None, period: Period, now: datetime | None = None
) -> Pack:
    """The dashboard's figures for the period (the same service draws both)."""
    require_role(user, {Role.MANAGER})
    branches = _scope(user, branch)
    now = now or utcnow()
    settings = pattern_rules.PatternSettings.from_config(current_app.config)
    figures = dashboard_figures(user, branches, period, now=now, pattern_settings=settings)
    _trail(user, "governance", period, branches)
    body = pdf.render_pdf(
        "exports/pdf/governance_pack.html",
        _running("Governance pack", period, branches),
        figures=figures,
        chart=chart.spc_chart(figures),
        computed_at=now,
        reaudits=reaudits(user, branches, period),
    )
    return Pack(body, _name("governance-pack", period, branch))


def meeting_pack(user: User, meeting_id: int) -> Pack:
    """A meeting's record, its frozen figures and the actions it agreed."""
    meeting = get_meeting(user, meeting_id)
    record_pack_export(user, meeting, "pdf")
    period = Period(meeting.period_start, meeting.period_end)
    body = pdf.render_pdf(
        "exports/pdf/meeting_pack.html",
        _running(f"Meeting pack: {meeting.title}", period, meeting.branches),
        meeting=meeting,
        figures=meeting.snapshot,
        chart=chart.spc_chart(meeting.snapshot),
        actions=meeting_actions(user, meeting),
        strength=strength.action_strength,
    )
    return Pack(body, f"governance-meeting-{meeting.id}.pdf")


def incident_record(user: User, incident_id: str) -> Pack:
    """One record as its page shows it to managers and office staff (the same
    scope and safeguarding restriction: services.get_incident, which puts the
    view of a record that may be safeguarding on the trail), for a referral."""
    require_role(user, set(EXPORTERS))
    incident = services.get_incident(user, incident_id)
    trail.record(user, "export", "incident", incident.id, format="pdf")
    db.session.commit()
    day = incident.occurred_at.astimezone(UK).date()
    now = utcnow()
    body = pdf.render_pdf(
        "exports/pdf/incident_record.html",
        pdf.Running(
            f"Incident record {incident.reference}",
            f"Happened {day:%-d %b %Y}",
            pdf.branch_words([incident.branch.code]),
        ),
        incident=incident,
        now=now,
        lateness=record.lateness(incident),
        timeline=timeline.timeline(incident, for_reporter=False),
        guidance=RULE_GUIDANCE,
    )
    return Pack(body, f"incident-{incident.reference}.pdf")


def cqc_pack(user: User, branch: Branch | None, period: Period) -> Pack:
    require_role(user, set(EXPORTERS))
    branches = _scope(user, branch)
    evidence = cqc_evidence(user, branches, period)
    _trail(user, "cqc", period, branches)
    body = pdf.render_pdf(
        "exports/pdf/cqc_pack.html",
        _running("CQC evidence pack", period, branches),
        evidence=evidence,
    )
    return Pack(body, _name("cqc-evidence", period, branch))


def commissioner_report(user: User, branch: Branch | None, period: Period) -> Pack:
    require_role(user, set(EXPORTERS))
    branches = _scope(user, branch)
    figures = commissioner_figures(user, branches, period)
    _trail(user, "commissioner", period, branches)
    body = pdf.render_pdf(
        "exports/pdf/commissioner_report.html",
        _running("Commissioner's report", period, branches),
        figures=figures,
    )
    return Pack(body, _name("commissioner-report", period, branch))
