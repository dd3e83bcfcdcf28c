"""What an import will do, row by row, before it does it: the preview the page
shows and the command prints, and what confirming writes."""

from __future__ import annotations

import enum
import hashlib
import json
from collections import Counter
from dataclasses import dataclass, field
from typing import Any


class Outcome(enum.StrEnum):
    ADD = "add"
    UPDATE = "update"
    UNCHANGED = "unchanged"
    ERROR = "error"

    @property
    def label(self) -> str:
        return {"add": "Add", "update": "Update", "unchanged": "Unchanged", "error": "Error"}[
            self.value
        ]


@dataclass
class Row:
    """One line of the file: its key (reference or email), the values it asks for,
    and what importing it does (with the reasons when it cannot)."""

    line: int
    key: str
    values: dict[str, Any]
    outcome: Outcome = Outcome.ADD
    reasons: list[str] = field(default_factory=list)
    # For an update: {field: [now, after]}.
    changes: dict[str, list[Any]] = field(default_factory=dict)

    def refuse(self, reason: str) -> None:
        self.outcome = Outcome.ERROR
        self.reasons.append(reason)


@dataclass
class Plan:
    kind: str  # "people" or "staff"
    rows: list[Row]

    @property
    def ok(self) -> bool:
        return not any(r.outcome is Outcome.ERROR for r in self.rows)

    @property
    def errors(self) -> list[Row]:
        return [r for r in self.rows if r.outcome is Outcome.ERROR]

    def count(self, outcome: Outcome) -> int:
        return Counter(r.outcome for r in self.rows)[outcome]

    @property
    def counts(self) -> dict[str, int]:
        found = Counter(r.outcome.value for r in self.rows)
        return {o.value: found[o.value] for o in Outcome}

    def summary(self) -> str:
        c = self.counts
        return f"{c['add']} added, {c['update']} updated, {c['unchanged']} unchanged"

    def digest(self) -> str:
        """A fingerprint of everything the plan would write: a confirm is only
        carried out when planning again gives the same one."""
        rows = [[r.line, r.key, r.outcome.value, r.values, r.changes] for r in self.rows]
        text = json.dumps([self.kind, rows], sort_keys=True, default=str)
        return hashlib.sha256(text.encode()).hexdigest()
