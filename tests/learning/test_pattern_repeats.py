"""Repeats for one person, counted by the database, against the rule written out
the slow way: every set of `count` or more of a person's incidents of one category
within `days` days is a repeat, and sets that share an incident are one pattern."""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import datetime, timedelta

import pytest

from incidents.models import Incident
from learning.patterns import PatternSettings, find_patterns
from tests.learning.conftest import NOW


def _by_the_rule(incidents: list[Incident], count: int, days: int) -> set[frozenset[str]]:
    """Each window starting at an incident that holds `count` or more joins them
    all (union-find); what is joined is a repeat."""
    runs: dict[tuple[int | None, str], list[Incident]] = defaultdict(list)
    for incident in incidents:
        runs[(incident.person_id, incident.category)].append(incident)
    parent: dict[str, str] = {}

    def root(incident_id: str) -> str:
        while parent[incident_id] != incident_id:
            incident_id = parent[incident_id]
        return incident_id

    for run in runs.values():
        for start in run:
            held = [
                i
                for i in run
                if start.occurred_at <= i.occurred_at <= start.occurred_at + timedelta(days=days)
            ]
            if len(held) < count:
                continue
            for incident in held:
                parent.setdefault(incident.id, incident.id)
            for incident in held[1:]:
                parent[root(incident.id)] = root(held[0].id)
    repeats: dict[str, set[str]] = defaultdict(set)
    for incident_id in parent:
        repeats[root(incident_id)].add(incident_id)
    return {frozenset(found) for found in repeats.values()}


def _random_incidents(report, seed: int) -> list[Incident]:
    """Two people's falls and skin reports over 80 days, some at the same moment."""
    chance = random.Random(seed)
    moments: list[datetime] = []
    made = []
    for _ in range(26):
        if moments and chance.random() < 0.15:
            moment = chance.choice(moments)  # another report of the same moment
        else:
            moment = NOW - timedelta(days=chance.uniform(0.5, 80))
            moments.append(moment)
        made.append(
            report(
                occurred_at=moment.replace(microsecond=0),
                category=chance.choice(["fall", "skin"]),
                person_ref=chance.choice(["P-0002", "P-0003"]),
            )
        )
    return made


@pytest.mark.parametrize("seed", [1, 2, 3], ids=lambda s: f"seed{s}")
def test_repeats_are_the_sets_of_count_within_days_joined_where_they_share_one(staff, report, seed):
    made = _random_incidents(report, seed)
    for count, days in ((3, 30), (2, 7), (4, 20), (1, 5), (2, 2)):
        settings = PatternSettings(repeat_count=count, repeat_days=days)
        found = find_patterns(staff["manager"], settings, now=NOW).repeats
        repeats = {frozenset(p.incident_ids) for p in found}
        assert repeats == _by_the_rule(made, count, days), (count, days)
