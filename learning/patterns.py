"""Patterns found automatically in the incidents a manager can see, so that
repeated low-level events are acted on before they become serious harm:

- the same person and category again and again (default: 3 falls in 30 days);
- several incidents of one category whose reviews share a contributing
  condition (medication incidents around handover);
- hotspots: one branch, team (within its branch), time of day or weekday with
  far more incidents of a category than the others.

Each pattern carries its incidents, so a thematic review can start from it with
one click. Pure rules over loaded incidents; no request objects here.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
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
from learning.models import Condition, LearningReview, ReviewMethod, review_incidents

# Home-care call times, as the rota thinks of the day.
TIME_BANDS: list[tuple[str, int, int]] = [
    ("night (22:00 to 06:59)", 22, 7),
    ("morning (07:00 to 10:59)", 7, 11),
    ("lunchtime (11:00 to 13:59)", 11, 14),
    ("afternoon (14:00 to 17:59)", 14, 18),
    ("evening (18:00 to 21:59)", 18, 22),
]
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
    incidents: list[PatternRow]
    review: LearningReview | None = None  # the thematic review covering most of them
    covered: int = 0
    # The incident list's query that shows these incidents (GET /incidents), when
    # the list has the filters for it; find_patterns adds the look-back's first
    # day to those without dates of their own.
    list_filters: dict[str, str] = field(default_factory=dict)

    @property
    def incident_ids(self) -> list[str]:
        return [i.id for i in self.incidents]

    @property
    def fully_reviewed(self) -> bool:
        return self.review is not None and self.covered == len(self.incidents)


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


# --- repeated incidents for one person --------------------------------------------


def repeated_for_person(
    incidents: Iterable[PatternRow], settings: PatternSettings
) -> list[Pattern]:
    """The same person and category at least `repeat_count` times within any
    `repeat_days` days. Overlapping windows are joined into one pattern."""
    groups: dict[tuple[int, str], list[PatternRow]] = defaultdict(list)
    for incident in incidents:
        if incident.person_id is not None:
            groups[(incident.person_id, incident.category)].append(incident)

    window = timedelta(days=settings.repeat_days)
    patterns: list[Pattern] = []
    for (_, category), rows in groups.items():
        rows.sort(key=lambda i: i.occurred_at)
        clusters: list[list[PatternRow]] = []
        # The last cluster's end (an index into rows): windows slide forward, so a
        # window overlapping the last cluster adds only the rows after its end.
        last_end = -1
        start = 0
        for end in range(len(rows)):
            while rows[end].occurred_at - rows[start].occurred_at > window:
                start += 1
            if end - start + 1 >= settings.repeat_count:
                if clusters and start <= last_end:
                    clusters[-1].extend(rows[last_end + 1 : end + 1])
                else:
                    clusters.append(rows[start : end + 1])
                last_end = end
        for cluster in clusters:
            person = cluster[0].person
            ref = person.ref if person is not None else "?"
            first, last = cluster[0].occurred_at, cluster[-1].occurred_at
            patterns.append(
                Pattern(
                    kind="repeat",
                    key=f"repeat:{ref}:{category}:{cluster[0].id}",
                    title=f"{_plural(len(cluster), category)} for {ref}",
                    detail=(
                        f"Between {_day(first)} and {_day(last)} "
                        f"({(last - first).days + 1} days; the threshold is "
                        f"{settings.repeat_count} in {settings.repeat_days} days)."
                    ),
                    theme=f"Repeated {label(category).lower()} events for {ref}",
                    incidents=cluster,
                    list_filters={
                        "person": ref,
                        "category": category,
                        "date_from": _uk_date(first),
                        "date_to": _uk_date(last),
                    }
                    if person is not None
                    else {},
                )
            )
    return patterns


# --- a shared contributing condition ----------------------------------------------------


def conditions_by_incident(incident_ids: Sequence[str] | Select[Any]) -> dict[str, set[str]]:
    """The contributing conditions each incident's reviews named (the incidents as
    ids, or as a query of their ids: thousands of ids are better left in the database)."""
    if not isinstance(incident_ids, Select):
        if not incident_ids:
            return {}
        incident_ids = list(incident_ids)
    rows = db.session.execute(
        db.select(review_incidents.c.incident_id, LearningReview.conditions)
        .join(LearningReview, LearningReview.id == review_incidents.c.review_id)
        .where(review_incidents.c.incident_id.in_(incident_ids))
    )
    found: dict[str, set[str]] = defaultdict(set)
    for incident_id, conditions in rows:
        found[incident_id].update(conditions or [])
    return found


def shared_conditions(
    incidents: Iterable[PatternRow],
    conditions: Mapping[str, set[str]],
    settings: PatternSettings,
) -> list[Pattern]:
    """At least `condition_count` incidents of one category whose reviews named
    the same contributing condition."""
    groups: dict[tuple[str, str], list[PatternRow]] = defaultdict(list)
    for incident in incidents:
        for condition in conditions.get(incident.id, ()):
            groups[(incident.category, condition)].append(incident)
    known = {c.value for c in Condition}
    patterns: list[Pattern] = []
    for (category, condition), rows in sorted(groups.items()):
        if len(rows) < settings.condition_count or condition not in known:
            continue
        rows.sort(key=lambda i: i.occurred_at)
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
                incidents=rows,
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


def _weekday(incident: PatternRow) -> int:
    return incident.occurred_local.weekday()


def _count_hotspots(
    rows: Sequence[PatternRow],
    bucket_of: Callable[[PatternRow], int],
    buckets: int,
    settings: PatternSettings,
) -> Iterator[tuple[int, list[PatternRow]]]:
    """The buckets (0 to `buckets` - 1: a time of day, a weekday) whose count of
    incidents is a hotspot against the others', with their incidents."""
    spread: dict[int, list[PatternRow]] = defaultdict(list)
    for incident in rows:
        spread[bucket_of(incident)].append(incident)
    for n in range(buckets):
        mine = spread.get(n, [])
        others = [len(spread.get(m, [])) for m in range(buckets) if m != n]
        if _is_hotspot(len(mine), len(mine), others, settings):
            yield n, mine


@dataclass(frozen=True)
class TeamSize:
    """A team in use and how many active staff are in it today."""

    team: Team
    members: int


def _team_hotspots(
    category: str,
    rows: Sequence[PatternRow],
    teams: Sequence[TeamSize],
    settings: PatternSettings,
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
    per_team: dict[int, list[PatternRow]] = defaultdict(list)
    for incident in rows:
        if incident.team_id is not None:
            per_team[incident.team_id].append(incident)

    patterns: list[Pattern] = []
    for sizes in by_branch.values():
        if len(sizes) < 2:
            continue
        for size in sizes:
            mine = per_team.get(size.team.id, [])
            rate = len(mine) / size.members
            other_rates = [
                len(per_team.get(o.team.id, [])) / o.members for o in sizes if o is not size
            ]
            if not _is_hotspot(len(mine), rate, other_rates, settings):
                continue
            team, branch = size.team, size.team.branch
            people = "person" if size.members == 1 else "people"
            patterns.append(
                Pattern(
                    kind="team",
                    key=f"team:{category}:{team.id}",
                    title=f"{_plural(len(mine), category)} in the {team.name} team ({branch.name})",
                    detail=(
                        f"{len(mine)} reported by a team of {size.members} {people}: at least "
                        f"{settings.hotspot_ratio:g} times as many per team member as the "
                        f"other teams in {branch.name}."
                    ),
                    theme=f"{label(category)} incidents in the {team.name} team",
                    incidents=list(mine),
                    list_filters={"team": str(team.id), "category": category},
                )
            )
    return patterns


def _uk_date(moment: datetime) -> str:
    """The UK calendar day of a moment, as the incident list's date filters take it."""
    return moment.astimezone(UK).date().isoformat()


def hotspots(
    incidents: Iterable[PatternRow],
    branches: Sequence[Branch],
    people_per_branch: Mapping[int, int],
    settings: PatternSettings,
    teams: Sequence[TeamSize] = (),
) -> list[Pattern]:
    by_category: dict[str, list[PatternRow]] = defaultdict(list)
    for incident in incidents:
        by_category[incident.category].append(incident)

    patterns: list[Pattern] = []
    for category, rows in sorted(by_category.items()):
        rows.sort(key=lambda i: i.occurred_at)
        what = label(category).lower()

        # Branches: compared per person supported, since branches differ in size.
        if len(branches) > 1:
            per_branch: dict[int, list[PatternRow]] = defaultdict(list)
            for incident in rows:
                per_branch[incident.branch_id].append(incident)
            for branch in branches:
                mine = per_branch.get(branch.id, [])
                rate = len(mine) / max(people_per_branch.get(branch.id, 0), 1)
                other_rates = [
                    len(per_branch.get(b.id, [])) / max(people_per_branch.get(b.id, 0), 1)
                    for b in branches
                    if b.id != branch.id
                ]
                if _is_hotspot(len(mine), rate, other_rates, settings):
                    patterns.append(
                        Pattern(
                            kind="branch",
                            key=f"branch:{category}:{branch.code}",
                            title=f"{_plural(len(mine), category)} in {branch.name}",
                            detail=(
                                f"{len(mine)} for {people_per_branch.get(branch.id, 0)} people "
                                "supported: at least "
                                f"{settings.hotspot_ratio:g} times the rate of the other branches."
                            ),
                            theme=f"{label(category)} incidents in {branch.name}",
                            incidents=mine,
                            list_filters={"branch": branch.code, "category": category},
                        )
                    )

        patterns.extend(_team_hotspots(category, rows, teams, settings))

        for n, mine in _count_hotspots(rows, time_band, len(TIME_BANDS), settings):
            band = TIME_BANDS[n][0]
            patterns.append(
                Pattern(
                    kind="time_of_day",
                    key=f"time:{category}:{n}",
                    title=f"{_plural(len(mine), category)} in the {band.split(' (')[0]}",
                    detail=(
                        f"{len(mine)} of {len(rows)} {what} events happened in the {band}: "
                        f"at least {settings.hotspot_ratio:g} times the average of the "
                        "other times of day."
                    ),
                    theme=f"{label(category)} incidents in the {band.split(' (')[0]}",
                    incidents=mine,
                )
            )

        for n, mine in _count_hotspots(rows, _weekday, len(WEEKDAYS), settings):
            day = WEEKDAYS[n]
            patterns.append(
                Pattern(
                    kind="weekday",
                    key=f"weekday:{category}:{n}",
                    title=f"{_plural(len(mine), category)} on {day}s",
                    detail=(
                        f"{len(mine)} of {len(rows)} {what} events happened on a {day}: "
                        f"at least {settings.hotspot_ratio:g} times the average of the "
                        "other days."
                    ),
                    theme=f"{label(category)} incidents on {day}s",
                    incidents=mine,
                )
            )
    return patterns


# --- putting it together for one manager ------------------------------------------------


def _attach_reviews(user: User, patterns: list[Pattern], window: Select[Any]) -> None:
    """Link each pattern to the thematic review (within scope) that covers most
    of its incidents, so managers see what is already being looked at. `window`
    selects the ids of the incidents patterns were looked for in: the reviews of
    any of them (a review of none of a pattern's incidents covers none)."""
    # One query whether or not anything was found, so a page's statements stay
    # the same however many incidents there are.
    stmt = (
        scoping.scoped(db.select(LearningReview), user, LearningReview)
        .where(LearningReview.method == ReviewMethod.THEMATIC.value)
        .where(LearningReview.incidents.any(Incident.id.in_(window)))
        .order_by(LearningReview.started_at.desc())
    )
    reviews = [(r, {i.id for i in r.incidents}) for r in db.session.scalars(stmt)]
    for pattern in patterns:
        wanted = set(pattern.incident_ids)
        best, best_count = None, 0
        for review, covered in reviews:
            count = len(wanted & covered)
            if count > best_count:
                best, best_count = review, count
        pattern.review, pattern.covered = best, best_count


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


PATTERN_COLUMNS = (
    Incident.id,
    Incident.reference,
    Incident.category,
    Incident.harm,
    Incident.occurred_at,
    Incident.occurred_offset,
    Incident.person_id,
    Incident.branch_id,
    Incident.team_id,
)


def look_back_start(now: datetime, days: int) -> datetime:
    """Midnight (UK time) starting the day `days` days before today. The look-back
    is whole UK days, as the incident list's date filters are, so a pattern's link
    lists exactly the incidents it counted."""
    return uk_midnight(now.astimezone(UK).date() - timedelta(days=days))


def find_patterns(
    user: User, settings: PatternSettings, now: datetime | None = None
) -> PatternReport:
    """Every pattern among the incidents `user` may see that happened within the
    look-back period."""
    now = now or utcnow()
    since = look_back_start(now, settings.lookback_days)
    # Only the columns the rules and the patterns page read: a busy provider has
    # hundreds of incidents in the window, and their free text is not needed here.
    window = visible_incidents(user).where(Incident.occurred_at >= since)
    window_ids = window.with_only_columns(Incident.id)
    rows = db.session.execute(
        window.with_only_columns(*PATTERN_COLUMNS, PersonSupported.ref).outerjoin(
            PersonSupported, PersonSupported.id == Incident.person_id
        )
    )
    incidents: list[PatternRow] = [
        PatternIncident(
            *(r.id, r.reference, r.category, r.harm, r.occurred_at, r.occurred_offset),
            *(r.person_id, r.branch_id, r.team_id),
            person=PersonRef(r.ref) if r.ref is not None else None,
        )
        for r in rows
    ]
    branches = scoping.branches_for(user)
    people = dict(
        db.session.execute(
            db.select(PersonSupported.branch_id, func.count(PersonSupported.id))
            .where(PersonSupported.active.is_(True))
            .group_by(PersonSupported.branch_id)
        ).all()
    )
    teams = team_sizes([b.id for b in branches])
    report = PatternReport(
        repeats=repeated_for_person(incidents, settings),
        conditions=shared_conditions(incidents, conditions_by_incident(window_ids), settings),
        hotspots=hotspots(incidents, branches, people, settings, teams),
        since=since,
    )
    _attach_reviews(user, report.all, window_ids)
    first_day = _uk_date(since)
    for pattern in report.all:
        if pattern.list_filters:
            pattern.list_filters.setdefault("date_from", first_day)
    return report
