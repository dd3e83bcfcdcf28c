"""How often each question of a template was not met, month by month, across its versions."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from audits.models import Answer, Audit, AuditAnswer, AuditTemplate
from audits.template_versions import versions_of
from core import scoping
from core.dates import last_months, month_key, uk_midnight
from core.models import User
from extensions import db


@dataclass
class ItemRate:
    key: str
    text: str
    critical: bool
    # month (YYYY-MM) -> (not met, answered yes or no)
    months: dict[str, tuple[int, int]] = field(default_factory=dict)

    def total(self) -> tuple[int, int]:
        failed = sum(f for f, _ in self.months.values())
        answered = sum(a for _, a in self.months.values())
        return failed, answered


def failure_rates(
    user: User, slug: str, months: int, today: date
) -> tuple[list[str], list[ItemRate]]:
    """How often each question was not met, month by month, across every
    version of the template (items are followed by their key). N/A is left out."""
    keys = last_months(today, months).months
    first = date.fromisoformat(f"{keys[0]}-01")
    rates: dict[str, ItemRate] = {}
    for version in sorted(versions_of(slug), key=lambda t: t.version, reverse=True):
        if version.is_draft:
            continue
        for item in version.items:
            rates.setdefault(item.key, ItemRate(item.key, item.text, item.critical))
    stmt = (
        db.select(AuditAnswer.item_key, AuditAnswer.answer, Audit.conducted_at)
        .join(Audit, AuditAnswer.audit_id == Audit.id)
        .join(AuditTemplate, Audit.template_id == AuditTemplate.id)
        .where(AuditTemplate.slug == slug)
        .where(Audit.conducted_at >= uk_midnight(first))
        .where(AuditAnswer.answer != Answer.NA.value)
        .where(scoping.record_scope(user, Audit))
    )
    for key, answer, conducted in db.session.execute(stmt):
        rate = rates.get(key)
        if rate is None:
            continue
        month = month_key(conducted)
        failed, answered = rate.months.get(month, (0, 0))
        rate.months[month] = (failed + (answer == Answer.NO.value), answered + 1)
    return keys, list(rates.values())
