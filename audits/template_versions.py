"""Spot-check templates as published versions: the current one, any version a check was
answered against, and a template's draft."""

from __future__ import annotations

from sqlalchemy import and_, func

from audits.models import Audit, AuditTemplate
from extensions import db


def published_templates() -> list[AuditTemplate]:
    """The current (latest published) version of every template, by title."""
    latest = (
        db.select(AuditTemplate.slug, func.max(AuditTemplate.version).label("version"))
        .where(AuditTemplate.published_at.is_not(None))
        .group_by(AuditTemplate.slug)
        .subquery()
    )
    stmt = (
        db.select(AuditTemplate)
        .join(
            latest,
            and_(AuditTemplate.slug == latest.c.slug, AuditTemplate.version == latest.c.version),
        )
        .order_by(AuditTemplate.title)
    )
    return list(db.session.scalars(stmt))


def current_template(slug: str) -> AuditTemplate | None:
    template: AuditTemplate | None = db.session.scalar(
        db.select(AuditTemplate)
        .where(AuditTemplate.slug == slug, AuditTemplate.published_at.is_not(None))
        .order_by(AuditTemplate.version.desc())
        .limit(1)
    )
    return template


def template_version(slug: str, version: int) -> AuditTemplate | None:
    template: AuditTemplate | None = db.session.scalar(
        db.select(AuditTemplate).where(AuditTemplate.slug == slug, AuditTemplate.version == version)
    )
    return template


def draft_of(slug: str) -> AuditTemplate | None:
    template: AuditTemplate | None = db.session.scalar(
        db.select(AuditTemplate).where(
            AuditTemplate.slug == slug, AuditTemplate.published_at.is_(None)
        )
    )
    return template


def template_slugs() -> list[str]:
    return list(
        db.session.scalars(db.select(AuditTemplate.slug).distinct().order_by(AuditTemplate.slug))
    )


def versions_of(slug: str) -> list[AuditTemplate]:
    return list(
        db.session.scalars(
            db.select(AuditTemplate)
            .where(AuditTemplate.slug == slug)
            .order_by(AuditTemplate.version.desc())
        )
    )


def audits_per_version(slug: str) -> dict[int, int]:
    rows = db.session.execute(
        db.select(AuditTemplate.version, func.count(Audit.id))
        .join(Audit, Audit.template_id == AuditTemplate.id)
        .where(AuditTemplate.slug == slug)
        .group_by(AuditTemplate.version)
    )
    return {int(row[0]): int(row[1]) for row in rows}
