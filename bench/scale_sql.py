# ruff: noqa: S608  (SQL text from integer ids and fixed snippets; every value is bound)
"""Hand-written SQL computing the figures each page shows, the yardstick of
`make bench` (bench/scale.py): a page is timed against the plain query for the same
figures in the same run. tests/bench/test_scale_sql.py proves at a small size that
these queries and the pages agree.

Plain SQL text, for the demo's manager (every branch) and office account; the only
helpers used are the date ones that turn UK days and months into UTC moments."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Connection

from core.buckets import month_starts
from core.dates import UK, last_months, uk_midnight


@dataclass(frozen=True)
class Who:
    """The accounts the pages are read as."""

    manager_id: int
    office_id: int
    branch_ids: tuple[int, ...]
    office_seen_at: datetime | None


def who(conn: Connection) -> Who:
    ids: dict[str, int] = dict(
        conn.execute(
            text(
                'SELECT email, id FROM "user" '
                "WHERE email IN ('manager@example.com', 'office@example.com')"
            )
        ).all()
    )
    branches = tuple(r[0] for r in conn.execute(text("SELECT id FROM branch ORDER BY id")))
    seen = conn.execute(
        text("SELECT seen_at FROM records_seen WHERE user_id = :u"),
        {"u": ids["office@example.com"]},
    ).scalar()
    return Who(ids["manager@example.com"], ids["office@example.com"], branches, seen)


def _in(ids: tuple[int, ...]) -> str:
    return "(" + ",".join(str(int(i)) for i in ids) + ")"


def _postgres(conn: Connection) -> bool:
    return conn.dialect.name == "postgresql"


def _local(conn: Connection, column: str, offset: str) -> str:
    """The device's local time of a moment (as Incident.occurred_local)."""
    if _postgres(conn):
        return f"({column} + make_interval(mins => {offset}))"
    return f"datetime({column}, {offset} || ' minutes')"


# --- governance dashboard (12 months) ---------------------------------------------------


def governance(conn: Connection, me: Who, today: date) -> dict[str, Any]:
    period = last_months(today, 12)
    start, end = uk_midnight(period.start), uk_midnight(period.end + timedelta(days=1))
    bounds = month_starts(period.months)
    month = (
        "CASE "
        + " ".join(f"WHEN occurred_at < :m{n} THEN '{key}'" for n, (key, _) in enumerate(bounds))
        + " END"
    )
    marks = {f"m{n}": moment for n, (_, moment) in enumerate(bounds)}
    b = _in(me.branch_ids)
    p = {"start": start, "end": end, **marks}
    incidents = conn.execute(
        text(
            f"SELECT {month} AS month, kind, harm, category, place, count(*) FROM incident "
            f"WHERE branch_id IN {b} AND occurred_at >= :start AND occurred_at < :end "
            "GROUP BY 1, 2, 3, 4, 5"
        ),
        p,
    ).all()
    now = datetime.now(UK)
    duties = conn.execute(
        text(
            "SELECT count(*), count(CASE WHEN d.done_at <= d.due_at THEN 1 END), "
            "count(CASE WHEN d.done_at > d.due_at THEN 1 END), "
            "count(CASE WHEN d.done_at IS NULL AND d.due_at < :now THEN 1 END) "
            "FROM incident_decision d JOIN incident i ON i.id = d.incident_id "
            f"WHERE i.branch_id IN {b} AND d.status <> 'does_not_apply' "
            "AND d.due_at >= :start AND d.due_at < :end"
        ),
        {**p, "now": now},
    ).one()
    actions = conn.execute(
        text(
            "SELECT count(CASE WHEN created_at >= :start AND created_at < :end THEN 1 END), "
            "count(CASE WHEN done_at >= :start AND done_at < :end THEN 1 END), "
            "count(CASE WHEN verified_at >= :start AND verified_at < :end "
            "AND status = 'verified_effective' THEN 1 END), "
            "count(CASE WHEN verified_at >= :start AND verified_at < :end "
            "AND status = 'not_effective' THEN 1 END), "
            "count(CASE WHEN created_at < :end AND status = 'open' AND due < :today THEN 1 END) "
            f"FROM action WHERE branch_id IN {b}"
        ),
        {**p, "today": today},
    ).one()
    month_audit = month.replace("occurred_at", "a.conducted_at")
    spot_checks = conn.execute(
        text(
            f"SELECT t.slug, {month_audit}, count(*), avg(a.score) FROM audit a "
            "JOIN audit_template t ON t.id = a.template_id "
            f"WHERE a.branch_id IN {b} AND a.conducted_at >= :start AND a.conducted_at < :end "
            "GROUP BY 1, 2"
        ),
        p,
    ).all()
    themes = conn.execute(
        text(
            "SELECT conditions FROM learning_review "
            f"WHERE branch_id IN {b} AND status = 'completed' "
            "AND completed_at >= :start AND completed_at < :end"
        ),
        p,
    ).all()
    return {
        "incidents": incidents,
        "duties": tuple(duties),
        "actions": tuple(actions),
        "spot_checks": spot_checks,
        "themes": len(themes),
        "patterns": patterns(conn, me, today),
    }


# --- patterns (90 days) ------------------------------------------------------------------


def patterns(conn: Connection, me: Who, today: date) -> dict[str, Any]:
    since = uk_midnight(today - timedelta(days=90))
    b = _in(me.branch_ids)
    local = _local(conn, "occurred_at", "occurred_offset")
    hour = f"extract(hour FROM {local})" if _postgres(conn) else f"strftime('%H', {local})"
    # ISO weekday 1 (Monday) to 7 on PostgreSQL; 0 (Sunday) to 6 on SQLite.
    weekday = f"extract(isodow FROM {local})" if _postgres(conn) else f"strftime('%w', {local})"
    window = (
        "RANGE BETWEEN INTERVAL '30 days' PRECEDING AND CURRENT ROW"
        if _postgres(conn)
        else "RANGE BETWEEN 30 PRECEDING AND CURRENT ROW"
    )
    order = "occurred_at" if _postgres(conn) else "julianday(occurred_at)"
    where = f"WHERE branch_id IN {b} AND occurred_at >= :since"
    p = {"since": since}
    return {
        "hours": conn.execute(
            text(f"SELECT category, {hour}, count(*) FROM incident {where} GROUP BY 1, 2"), p
        ).all(),
        "weekdays": conn.execute(
            text(f"SELECT category, {weekday}, count(*) FROM incident {where} GROUP BY 1, 2"), p
        ).all(),
        "branches": conn.execute(
            text(f"SELECT category, branch_id, count(*) FROM incident {where} GROUP BY 1, 2"), p
        ).all(),
        "teams": conn.execute(
            text(
                f"SELECT category, team_id, count(*) FROM incident {where} "
                "AND team_id IS NOT NULL GROUP BY 1, 2"
            ),
            p,
        ).all(),
        # The most incidents of one person and category within any 30 days.
        "repeats": conn.execute(
            text(
                "SELECT person_id, category, max(n) FROM ("
                "SELECT person_id, category, count(*) OVER (PARTITION BY person_id, category "
                f"ORDER BY {order} {window}) AS n FROM incident {where} "
                "AND person_id IS NOT NULL) w GROUP BY 1, 2"
            ),
            p,
        ).all(),
        "conditions": conn.execute(
            text(
                "SELECT i.category, CAST(r.conditions AS TEXT), "
                "count(*) FROM incident i "
                "JOIN review_incident ri ON ri.incident_id = i.id "
                "JOIN learning_review r ON r.id = ri.review_id "
                f"WHERE i.branch_id IN {b} AND i.occurred_at >= :since GROUP BY 1, 2"
            ),
            p,
        ).all(),
    }


# --- home pages --------------------------------------------------------------------------


def manager_home(conn: Connection, me: Who, today: date) -> dict[str, Any]:
    b = _in(me.branch_ids)
    now = datetime.now(UK)
    dates = {"today": today, "soon": today + timedelta(days=7)}
    overdue = (
        f"FROM incident_decision d JOIN incident i ON i.id = d.incident_id "
        f"WHERE i.branch_id IN {b} AND d.status <> 'does_not_apply' "
        "AND d.done_at IS NULL AND d.due_at < :now"
    )
    return {
        "overdue_duties": conn.execute(text(f"SELECT count(*) {overdue}"), {"now": now}).scalar(),
        "first_overdue": conn.execute(
            text(f"SELECT d.id, i.reference {overdue} ORDER BY d.due_at, d.id LIMIT 10"),
            {"now": now},
        ).all(),
        **{
            name: (
                conn.execute(text(f"SELECT count(*) FROM action WHERE {where}"), dates).scalar(),
                conn.execute(
                    text(f"SELECT id, title FROM action WHERE {where} ORDER BY {order} LIMIT 10"),
                    dates,
                ).all(),
            )
            for name, where, order in (
                ("overdue", f"branch_id IN {b} AND status = 'open' AND due < :today", "due, id"),
                (
                    "due_soon",
                    f"branch_id IN {b} AND status = 'open' AND due >= :today AND due <= :soon",
                    "due, id",
                ),
                ("to_verify", f"branch_id IN {b} AND status = 'done'", "done_at, id"),
            )
        },
        "patterns": patterns(conn, me, today),
    }


def _office_scope(me: Who) -> str:
    return (
        f"branch_id IN {_in(me.branch_ids)} AND (NOT (category = 'safeguarding' "
        f"OR safeguarding IN ('yes', 'unsure')) OR author_id = {int(me.office_id)})"
    )


def office_home(conn: Connection, me: Who, today: date) -> dict[str, Any]:
    now = datetime.now(UK)
    since = me.office_seen_at or now - timedelta(days=7)
    days = (
        "(extract(epoch FROM ({a} - {b})) / 86400.0)"
        if _postgres(conn)
        else "(julianday({a}) - julianday({b}))"
    )
    late = (
        f"({days.format(a='reported_at', b='occurred_at')} >= 1 "
        f"OR {days.format(a='received_at', b='reported_at')} >= 1)"
    )
    asked = (
        "EXISTS (SELECT 1 FROM incident_note n WHERE n.incident_id = incident.id "
        "AND n.kind = 'chase')"
    )
    answered = (
        "EXISTS (SELECT 1 FROM incident_note a WHERE a.incident_id = incident.id "
        "AND a.kind = 'admin' AND a.created_at >= (SELECT max(q.created_at) "
        "FROM incident_note q WHERE q.incident_id = incident.id AND q.kind = 'chase'))"
    )
    works = {
        "new": "received_at > :since",
        "late": f"status <> 'closed' AND {late}",
        "details": "status <> 'closed' AND ((location = '' AND place IS NULL) "
        f"OR person_id IS NULL) AND NOT {asked}",
        "questions": f"status <> 'closed' AND {asked} AND NOT {answered}",
    }
    scope = _office_scope(me)
    found: dict[str, Any] = {}
    for name, condition in works.items():
        where = f"FROM incident WHERE {scope} AND {condition}"
        found[name] = (
            conn.execute(text(f"SELECT count(*) {where}"), {"since": since}).scalar(),
            conn.execute(
                text(f"SELECT id, reference {where} ORDER BY received_at DESC, id DESC LIMIT 5"),
                {"since": since},
            ).all(),
        )
    found["newest"] = conn.execute(
        text(f"SELECT max(received_at) FROM incident WHERE {scope}")
    ).scalar()
    return found


# --- lists and an export -------------------------------------------------------------------


def review_list(conn: Connection, me: Who, today: date) -> dict[str, Any]:
    where = f"FROM incident WHERE branch_id IN {_in(me.branch_ids)} AND category = 'fall'"
    return {
        "total": conn.execute(text(f"SELECT count(*) {where}")).scalar(),
        "ids": [
            r[0]
            for r in conn.execute(
                text(f"SELECT id {where} ORDER BY received_at DESC, id DESC LIMIT 25")
            )
        ],
    }


def actions_list(conn: Connection, me: Who, today: date) -> tuple[int, Sequence[Any]]:
    where = f"WHERE a.branch_id IN {_in(me.branch_ids)} AND a.status = 'open'"
    return conn.execute(text(f"SELECT count(*) FROM action a {where}")).scalar_one(), conn.execute(
        text(
            "SELECT a.id, a.title, a.due, a.status, u.name FROM action a "
            f'JOIN "user" u ON u.id = a.owner_id {where} ORDER BY a.due, a.id LIMIT 50'
        )
    ).all()


EXPORT_DAYS = 30


def export_window(today: date) -> tuple[date, date]:
    return today - timedelta(days=EXPORT_DAYS), today


def incidents_export(conn: Connection, me: Who, today: date) -> Sequence[Any]:
    """The file's 30 values of each incident in the period, names joined: what the
    export writes, before it is written as text (the page formats each value as a
    cell; the database hands over the values)."""
    first, last = export_window(today)
    return conn.execute(
        text(
            "SELECT i.id, i.reference, i.status, i.kind, i.category, i.medication_error, "
            "i.time_critical, i.harm, i.occurred_at, i.reported_at, i.received_at, b.code, "
            "t.name, p.ref, a.name, i.location, i.what_happened, i.immediate_actions, "
            "i.staff_injured, i.people_informed, i.safeguarding, i.clinical_escalation, "
            "i.family_contact, i.late_reason, r.name, i.seen_at, i.triaged_at, i.closed_at, "
            "i.feedback, i.no_review_reason "
            "FROM incident i JOIN branch b ON b.id = i.branch_id "
            "LEFT JOIN team t ON t.id = i.team_id "
            "LEFT JOIN person_supported p ON p.id = i.person_id "
            'LEFT JOIN "user" a ON a.id = i.author_id '
            'LEFT JOIN "user" r ON r.id = i.reviewer_id '
            f"WHERE i.branch_id IN {_in(me.branch_ids)} "
            "AND i.occurred_at >= :start AND i.occurred_at < :end ORDER BY i.occurred_at, i.id"
        ),
        {"start": uk_midnight(first), "end": uk_midnight(last + timedelta(days=1))},
    ).all()


@dataclass(frozen=True)
class Page:
    name: str
    role: str  # who reads it: manager | office
    url: Callable[[date], str]
    sql: Callable[[Connection, Who, date], Any]
    # Its growth judged per row written (the rows its SQL returns): an export of a
    # fixed period writes more rows from a larger database, as it must.
    per_row: bool = False


PAGES = [
    Page("governance dashboard", "manager", lambda _: "/governance", governance),
    Page("patterns", "manager", lambda _: "/patterns", patterns),
    Page("manager home", "manager", lambda _: "/", manager_home),
    Page("office home", "office", lambda _: "/", office_home),
    Page("review list, falls", "manager", lambda _: "/incidents?category=fall", review_list),
    Page("actions, all open", "manager", lambda _: "/actions?view=open", actions_list),
    Page(
        f"export, {EXPORT_DAYS} days CSV",
        "manager",
        lambda today: "/exports/incidents.csv?from={}&to={}".format(*export_window(today)),
        incidents_export,
        per_row=True,
    ),
]
