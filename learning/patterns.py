"""Patterns found automatically in the incidents a manager can see, so that
repeated low-level events are acted on before they become serious harm:

- the same person and category again and again (default: 3 falls in 30 days);
- several incidents of one category whose reviews share a contributing
  condition (medication incidents around handover);
- hotspots: one branch, team (within its branch), time of day or weekday with
  far more incidents of a category than the others.

The database counts (learning/pattern_sql.py: GROUP BY for hotspots, window
functions for repeats) and returns only what the page shows: each pattern's count
and its first incidents. A thematic review starts from a pattern's identity (its
key and window), its incidents found again within the caller's scope. No request
objects here.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import Select, func

from core import scoping
from core.dates import UK, uk_midnight, utcnow
from core.models import Branch, PersonSupported, Team, User
from extensions import db
from incidents.models import Incident, label
from incidents.services import visible_incidents
from learning import pattern_reviews, pattern_sql
from learning.models import Condition, LearningReview
from learning.pattern_sql import LISTED, TIME_BANDS, conditions_by_incident

__all__ = ["LISTED", "TIME_BANDS", "conditions_by_incident"]

# Patterns a section of the patterns page lists before a link to the rest of it,
# and the sections (?show=repeats lists all of that one).
SHOWN = 20
SECTIONS = ("repeats", "conditions", "hotspots")

WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]


@dataclass(frozen=True)
class PatternSettings:
    lookback_days: int = 90
    repeat_count: int = 3
    repeat_days: int = 30
    condition_count: int = 3
    hotspot_min: int = 4
    hotspot_ratio: float = 2.0

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> PatternSettings:
        return cls(
            lookback_days=int(config.get("PATTERN_LOOKBACK_DAYS", cls.lookback_days)),
            repeat_count=int(config.get("PATTERN_REPEAT_COUNT", cls.repeat_count)),
            repeat_days=int(config.get("PATTERN_REPEAT_DAYS", cls.repeat_days)),
            condition_count=int(config.get("PATTERN_CONDITION_COUNT", cls.condition_count)),
            hotspot_min=int(config.get("PATTERN_HOTSPOT_MIN", cls.hotspot_min)),
            hotspot_ratio=float(config.get("PATTERN_HOTSPOT_RATIO", cls.hotspot_ratio)),
        )


@dataclass(frozen=True)
class PersonRef:
    ref: str


@dataclass(eq=False)
class PatternIncident:
    """An incident as the rules and the patterns page read it: only the columns they
    need, without the ORM's bookkeeping (a busy provider has tens of thousands in
    the look-back). Equal only to itself, as loaded records are."""

    id: str
    reference: str
    category: str
    harm: str
    occurred_at: datetime
    occurred_offset: int
    person_id: int | None
    branch_id: int
    team_id: int | None
    person: PersonRef | None

    @property
    def occurred_local(self) -> datetime:
        """When it happened, on the device's own clock (as Incident.occurred_local)."""
        return self.occurred_at.astimezone(timezone(timedelta(minutes=self.occurred_offset)))


# The rules take loaded incidents (tests) or the light rows find_patterns reads.
PatternRow = Incident | PatternIncident


@dataclass
class Pattern:
    kind: str  # repeat | condition | branch | team | time_of_day | weekday
    key: str
    title: str
    detail: str
    theme: str  # the title a thematic review starts with
    # The first LISTED of its incidents, by when they happened (the page lists them).
    incidents: list[PatternRow]
    review: LearningReview | None = None  # the thematic review covering most of them
    covered: int = 0
    # The incident list's query that shows these incidents (GET /incidents), when
    # the list has the filters for it; find_patterns adds the look-back's first
    # day to those without dates of their own.
    list_filters: dict[str, str] = field(default_factory=dict)
    count: int = 0  # all its incidents (0: as many as listed)
    branch_ids: set[int] = field(default_factory=set)  # where its incidents are
    # Its incidents happened between these moments (its identity, with the key).
    start: datetime | None = None
    end: datetime | None = None
    # What picks its incidents out of the look-back (see _selector_of).
    selector: tuple[Any, ...] = ()

    def __post_init__(self) -> None:
        self.count = self.count or len(self.incidents)
        self.branch_ids = self.branch_ids or {i.branch_id for i in self.incidents}

    @property
    def incident_ids(self) -> list[str]:
        """The listed incidents' ids."""
        return [i.id for i in self.incidents]

    @property
    def fully_reviewed(self) -> bool:
        return self.review is not None and self.covered == self.count

    @property
    def identity(self) -> dict[str, str]:
        """What the thematic-review form posts: the server finds the incidents again."""
        moments = (self.start, self.end)
        if None in moments:
            return {"pattern": self.key}
        return {
            "pattern": self.key,
            "window_from": moments[0].isoformat(),  # type: ignore[union-attr]
            "window_to": moments[1].isoformat(),  # type: ignore[union-attr]
        }


@dataclass
class PatternReport:
    repeats: list[Pattern] = field(default_factory=list)
    conditions: list[Pattern] = field(default_factory=list)
    hotspots: list[Pattern] = field(default_factory=list)
    since: datetime | None = None

    @property
    def all(self) -> list[Pattern]:
        return [*self.repeats, *self.conditions, *self.hotspots]


def _plural(n: int, word: str) -> str:
    category_words = {
        "fall": ("fall", "falls"),
        "medication": ("medication incident", "medication incidents"),
        "safeguarding": ("safeguarding concern", "safeguarding concerns"),
        "behaviour": ("distress or behaviour incident", "distress or behaviour incidents"),
        "injury": ("injury", "injuries"),
        "skin": ("skin or pressure damage report", "skin or pressure damage reports"),
        "missed_call": ("missed or late call", "missed or late calls"),
        "infection": ("infection", "infections"),
        "property": ("property or money incident", "property or money incidents"),
        "other": ("other incident", "other incidents"),
    }
    one, many = category_words.get(word, (word, f"{word}s"))
    return f"{n} {one if n == 1 else many}"


def _day(moment: datetime) -> str:
    return moment.strftime("%d %b %Y").lstrip("0")


# --- a shared contributing condition ----------------------------------------------------


def reviewed(window: Select[Any]) -> tuple[dict[str, Any], dict[str, set[str]]]:
    """The look-back's reviewed incidents (light rows by id) and the contributing
    conditions their reviews named, in one read."""
    incidents: dict[str, Any] = {}
    named: dict[str, set[str]] = defaultdict(set)
    for row in pattern_sql.reviewed_rows(window):
        incidents.setdefault(row.id, row)
        named[row.id].update(pattern_sql.named_conditions(row.conditions))
    return incidents, named


def shared_conditions(
    incidents: Mapping[str, Any],
    named: Mapping[str, set[str]],
    settings: PatternSettings,
    listed: int,
    shown: int | None = None,
) -> list[Pattern]:
    """At least `condition_count` incidents of one category whose reviews named
    the same contributing condition (the incidents and conditions as `reviewed`
    reads them); only the listed ones (of the first `shown` patterns, when
    given) are made into incidents for the page."""
    groups: dict[tuple[str, str], list[Any]] = defaultdict(list)
    for incident_id, conditions in named.items():
        incident = incidents[incident_id]
        for condition in conditions:
            groups[(incident.category, condition)].append(incident)
    known = {c.value for c in Condition}
    patterns: list[Pattern] = []
    for (category, condition), rows in sorted(groups.items()):
        if len(rows) < settings.condition_count or condition not in known:
            continue
        rows.sort(key=lambda i: (i.occurred_at, i.id))
        condition_label = Condition(condition).label
        patterns.append(
            Pattern(
                kind="condition",
                key=f"condition:{category}:{condition}",
                title=f"{_plural(len(rows), category)} share “{condition_label.lower()}”",
                detail=(
                    f"Their reviews each named {condition_label.lower()} as a contributing "
                    f"condition ({_day(rows[0].occurred_at)} to {_day(rows[-1].occurred_at)})."
                ),
                theme=f"{label(category)} incidents and {condition_label.lower()}",
                incidents=[_light(r) for r in rows[:listed]]
                if shown is None or len(patterns) < shown
                else [],
                count=len(rows),
                branch_ids={r.branch_id for r in rows},
                selector=("condition", category, condition),
            )
        )
    return patterns


# --- hotspots -----------------------------------------------------------------------------


def time_band(incident: PatternRow) -> int:
    hour = incident.occurred_local.hour
    for n, (_, start, end) in enumerate(TIME_BANDS):
        if start < end and start <= hour < end:
            return n
        if start > end and (hour >= start or hour < end):
            return n
    raise ValueError(hour)  # the bands cover the whole day


def _is_hotspot(
    count: int, value: float, others: Sequence[float], settings: PatternSettings
) -> bool:
    """At least `hotspot_min` incidents, and a value (a count, or a rate) at least
    `hotspot_ratio` times the average of the other buckets."""
    if count < settings.hotspot_min or not others:
        return False
    return value >= settings.hotspot_ratio * (sum(others) / len(others))


@dataclass(frozen=True)
class TeamSize:
    """A team in use and how many active staff are in it today."""

    team: Team
    members: int


@dataclass
class _Counts:
    """One category's incidents in the look-back, counted by bucket."""

    total: int = 0
    by: dict[str, dict[int, int]] = field(
        default_factory=lambda: defaultdict(lambda: defaultdict(int))
    )
    branches: dict[tuple[str, int], set[int]] = field(default_factory=lambda: defaultdict(set))


def _counts(rows: Iterable[tuple[str, int, int | None, int, int, int]]) -> dict[str, _Counts]:
    found: dict[str, _Counts] = defaultdict(_Counts)
    for category, branch_id, team_id, band, weekday, n in rows:
        counts = found[category]
        counts.total += n
        for kind, value in (
            ("branch", branch_id),
            ("team", team_id),
            ("time_of_day", band),
            ("weekday", weekday),
        ):
            if value is not None:
                counts.by[kind][value] += n
                counts.branches[(kind, value)].add(branch_id)
    return found


def _team_hotspots(
    category: str, counts: _Counts, teams: Sequence[TeamSize], settings: PatternSettings
) -> list[Pattern]:
    """Teams compared with the other teams of their own branch, per team member:
    teams differ in size, and a team of six carers makes more visits (and so
    more reports) than a team of two, so raw counts would mostly find the
    biggest team. Today's membership stands in for the period's; the look-back
    is short enough for that to be fair. Only teams with someone in them are
    compared (an empty team's rate is nothing but a zero), and only where a
    branch has more than one such team."""
    by_branch: dict[int, list[TeamSize]] = defaultdict(list)
    for size in teams:
        if size.members > 0:
            by_branch[size.team.branch_id].append(size)
    per_team = counts.by["team"]
    patterns: list[Pattern] = []
    for sizes in by_branch.values():
        if len(sizes) < 2:
            continue
        for size in sizes:
            mine = per_team.get(size.team.id, 0)
            rate = mine / size.members
            other_rates = [per_team.get(o.team.id, 0) / o.members for o in sizes if o is not size]
            if not _is_hotspot(mine, rate, other_rates, settings):
                continue
            team, branch = size.team, size.team.branch
            people = "person" if size.members == 1 else "people"
            patterns.append(
                Pattern(
                    kind="team",
                    key=f"team:{category}:{team.id}",
                    title=f"{_plural(mine, category)} in the {team.name} team ({branch.name})",
                    detail=(
                        f"{mine} reported by a team of {size.members} {people}: at least "
                        f"{settings.hotspot_ratio:g} times as many per team member as the "
                        f"other teams in {branch.name}."
                    ),
                    theme=f"{label(category)} incidents in the {team.name} team",
                    incidents=[],
                    list_filters={"team": str(team.id), "category": category},
                    count=mine,
                    selector=("team", category, team.id),
                )
            )
    return patterns


def _bucket_hotspots(
    category: str, counts: _Counts, kind: str, buckets: int, settings: PatternSettings
) -> list[Pattern]:
    """Times of day or weekdays whose count is a hotspot against the others'."""
    spread = counts.by[kind]
    what = label(category).lower()
    patterns: list[Pattern] = []
    for n in range(buckets):
        mine = spread.get(n, 0)
        others = [spread.get(m, 0) for m in range(buckets) if m != n]
        if not _is_hotspot(mine, mine, others, settings):
            continue
        if kind == "time_of_day":
            band = TIME_BANDS[n][0]
            short = band.split(" (")[0]
            key, title, theme = f"time:{category}:{n}", f"in the {short}", f"in the {short}"
            detail = f"happened in the {band}: at least {{}} times the average of the other times of day."
        else:
            day = WEEKDAYS[n]
            key, title, theme = f"weekday:{category}:{n}", f"on {day}s", f"on {day}s"
            detail = f"happened on a {day}: at least {{}} times the average of the other days."
        patterns.append(
            Pattern(
                kind=kind,
                key=key,
                title=f"{_plural(mine, category)} {title}",
                detail=f"{mine} of {counts.total} {what} events "
                + detail.format(f"{settings.hotspot_ratio:g}"),
                theme=f"{label(category)} incidents {theme}",
                incidents=[],
                count=mine,
                selector=(kind, category, n),
            )
        )
    return patterns


def hotspots(
    counted: Mapping[str, _Counts],
    branches: Sequence[Branch],
    people_per_branch: Mapping[int, int],
    settings: PatternSettings,
    teams: Sequence[TeamSize] = (),
) -> list[Pattern]:
    """Hotspots from the counts (their incidents are added by find_patterns)."""
    patterns: list[Pattern] = []
    for category, counts in sorted(counted.items()):
        # Branches: compared per person supported, since branches differ in size.
        per_branch = counts.by["branch"]
        if len(branches) > 1:
            for branch in branches:
                mine = per_branch.get(branch.id, 0)
                rate = mine / max(people_per_branch.get(branch.id, 0), 1)
                other_rates = [
                    per_branch.get(b.id, 0) / max(people_per_branch.get(b.id, 0), 1)
                    for b in branches
                    if b.id != branch.id
                ]
                if _is_hotspot(mine, rate, other_rates, settings):
                    patterns.append(
                        Pattern(
                            kind="branch",
                            key=f"branch:{category}:{branch.code}",
                            title=f"{_plural(mine, category)} in {branch.name}",
                            detail=(
                                f"{mine} for {people_per_branch.get(branch.id, 0)} people "
                                "supported: at least "
                                f"{settings.hotspot_ratio:g} times the rate of the other branches."
                            ),
                            theme=f"{label(category)} incidents in {branch.name}",
                            incidents=[],
                            list_filters={"branch": branch.code, "category": category},
                            count=mine,
                            selector=("branch", category, branch.id),
                        )
                    )
        patterns.extend(_team_hotspots(category, counts, teams, settings))
        patterns.extend(
            _bucket_hotspots(category, counts, "time_of_day", len(TIME_BANDS), settings)
        )
        patterns.extend(_bucket_hotspots(category, counts, "weekday", len(WEEKDAYS), settings))
    for pattern in patterns:
        kind, category, value = pattern.selector
        pattern.branch_ids = set(counted[category].branches[(kind, value)])
    return patterns


def _uk_date(moment: datetime) -> str:
    """The UK calendar day of a moment, as the incident list's date filters take it."""
    return moment.astimezone(UK).date().isoformat()


def team_sizes(branch_ids: Sequence[int]) -> list[TeamSize]:
    """Teams in use in these branches, with their active members (one query)."""
    members = (
        db.select(User.team_id, func.count(User.id).label("n"))
        .where(User.active.is_(True), User.team_id.is_not(None))
        .group_by(User.team_id)
        .subquery()
    )
    rows = db.session.execute(
        db.select(Team, func.coalesce(members.c.n, 0))
        .outerjoin(members, members.c.team_id == Team.id)
        .where(Team.branch_id.in_(list(branch_ids)), Team.active.is_(True))
        .order_by(Team.branch_id, Team.name)
    ).all()
    return [TeamSize(team, int(n or 0)) for team, n in rows]


def look_back_start(now: datetime, days: int) -> datetime:
    """Midnight (UK time) starting the day `days` days before today. The look-back
    is whole UK days, as the incident list's date filters are, so a pattern's link
    lists exactly the incidents it counted."""
    return uk_midnight(now.astimezone(UK).date() - timedelta(days=days))


# --- repeated incidents for one person --------------------------------------------------


def _light(row: Any) -> PatternIncident:
    return PatternIncident(
        *(row.id, row.reference, row.category, row.harm, row.occurred_at, row.occurred_offset),
        *(row.person_id, row.branch_id, row.team_id),
        person=PersonRef(row.ref) if row.ref is not None else None,
    )


def repeated_for_person(
    window: Select[Any], settings: PatternSettings, listed: int = LISTED, shown: int | None = None
) -> list[Pattern]:
    """The same person and category at least `repeat_count` times within any
    `repeat_days` days. Overlapping windows are joined into one pattern. Each
    pattern (of the first `shown`, when given) lists its first `listed` incidents."""
    firsts: dict[tuple[int, str, int], list[Any]] = defaultdict(list)
    places: dict[tuple[int, str, int], list[Any]] = defaultdict(list)
    rows = pattern_sql.repeat_rows(
        window, settings.repeat_count, settings.repeat_days, listed, shown
    )
    for row in rows:
        found = firsts if row.rn else places
        found[(row.person_id, row.category, row.cluster)].append(row)
    patterns: list[Pattern] = []
    for (person_id, category, cluster), first_rows in firsts.items():
        where = places[(person_id, category, cluster)]
        first_row = first_rows[0]
        ref = first_row.ref if first_row.ref is not None else "?"
        first, last = first_row.occurred_at, max(r.last_at for r in where)
        size = sum(r.n for r in where)
        patterns.append(
            Pattern(
                kind="repeat",
                key=f"repeat:{ref}:{category}:{first_row.id}",
                title=f"{_plural(size, category)} for {ref}",
                detail=(
                    f"Between {_day(first)} and {_day(last)} "
                    f"({(last - first).days + 1} days; the threshold is "
                    f"{settings.repeat_count} in {settings.repeat_days} days)."
                ),
                theme=f"Repeated {label(category).lower()} events for {ref}",
                incidents=[_light(r) for r in first_rows[:listed]]
                if shown is None or first_row.place <= shown
                else [],
                list_filters={
                    "person": ref,
                    "category": category,
                    "date_from": _uk_date(first),
                    "date_to": _uk_date(last),
                }
                if first_row.ref is not None
                else {},
                count=size,
                # Where its incidents are: a person's are in their branch.
                branch_ids={r.branch_id for r in where},
                start=first,
                end=last,
                selector=("repeat", category, person_id),
            )
        )
    return patterns


# --- putting it together for one manager ------------------------------------------------


def _hotspot_incidents(window: Select[Any], found: list[Pattern]) -> None:
    """Each hotspot's first incidents, in one statement."""
    wanted = [p.selector for p in found]
    listed: dict[int, list[PatternRow]] = defaultdict(list)
    for row in pattern_sql.first_incidents(window, wanted):
        listed[row.n].append(_light(row))
    for n, pattern in enumerate(found):
        pattern.incidents = listed[n]


def find_patterns(
    user: User,
    settings: PatternSettings,
    now: datetime | None = None,
    listed: int = LISTED,
    shown: int | None = None,
) -> PatternReport:
    """Every pattern among the incidents `user` may see that happened within the
    look-back period: each with its count and first `listed` incidents (none for
    pages that show patterns without their incidents: the home page, the
    dashboard). Given `shown`, only each kind's first `shown` patterns list their
    incidents (the patterns page shows no more of a section unless asked)."""
    now = now or utcnow()
    since = look_back_start(now, settings.lookback_days)
    window = visible_incidents(user).where(Incident.occurred_at >= since)
    branches = scoping.branches_for(user)
    people = dict(
        db.session.execute(
            db.select(PersonSupported.branch_id, func.count(PersonSupported.id))
            .where(PersonSupported.active.is_(True))
            .group_by(PersonSupported.branch_id)
        ).all()
    )
    teams = team_sizes([b.id for b in branches])
    incidents, named = reviewed(window)
    counted = _counts(pattern_sql.hotspot_counts(window))
    report = PatternReport(
        repeats=repeated_for_person(window, settings, listed, shown),
        conditions=shared_conditions(incidents, named, settings, listed, shown),
        hotspots=hotspots(counted, branches, people, settings, teams),
        since=since,
    )
    if listed:
        _hotspot_incidents(window, report.hotspots[:shown])
    for pattern in report.all:
        if pattern.start is None:
            pattern.start, pattern.end = since, now
    # The thematic reviews' incidents are among the reviewed: their conditions are known.
    pattern_reviews.attach_reviews(user, report.all, window, named)
    first_day = _uk_date(since)
    for pattern in report.all:
        if pattern.list_filters:
            pattern.list_filters.setdefault("date_from", first_day)
    return report
