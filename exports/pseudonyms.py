"""Pseudonyms for an anonymised export: each person supported and each member of
staff gets a name that is stable within the file ("Person 1" is the same person
on every row) and means nothing outside it (numbered in the order they first
appear, so another export numbers them afresh)."""

from __future__ import annotations

from core.models import PersonSupported, User


class Pseudonyms:
    def __init__(self) -> None:
        self._people: dict[int, str] = {}
        self._staff: dict[int, str] = {}

    def person(self, who: PersonSupported | None) -> str | None:
        if who is None:
            return None
        return self._people.setdefault(who.id, f"Person {len(self._people) + 1}")

    def staff(self, who: User | None) -> str | None:
        if who is None:
            return None
        return self._staff.setdefault(who.id, f"Staff {len(self._staff) + 1}")
