"""Taking names, initials and references out of text that leaves the service
(bulletins for every carer, case studies for tenders).

It replaces what it can recognise: people's reference codes and initials,
incident references, staff names, email addresses, phone numbers and titled
names ("Mrs Patel"). A manager still reads the result before it is shared;
`identifiers_in` lists what is left so the page can warn them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from core.models import PersonSupported, User
from extensions import db

PERSON_REF = re.compile(r"\bP-\d{3,6}\b", re.IGNORECASE)
INCIDENT_REF = re.compile(r"\bINC-\d{4}-\d{3,}\b", re.IGNORECASE)
EMAIL = re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b")
PHONE = re.compile(r"(?<!\w)(?:\+44\s?|0)(?:\d[\s-]?){9,10}(?!\w)")
TITLED = re.compile(r"\b(?:Mr|Mrs|Ms|Miss|Mx|Dr)\.?\s+[A-Z][a-zA-Z-]*(?:'[A-Z][a-zA-Z-]+)?")

# Short words a name list must never blank out (a staff member called "Will"
# or "May" should not turn every "will" into "a colleague").
_COMMON = {
    "will", "may", "june", "april", "august", "rose", "grace", "faith", "hope",
    "joy", "amber", "summer", "sky", "dawn", "carer", "manager", "office",
    "supervisor", "staff",
}  # fmt: skip


@dataclass(frozen=True)
class Identifiers:
    """What counts as identifying in this service: staff names (whole and in
    parts) and the initials of the people supported."""

    names: frozenset[str] = field(default_factory=frozenset)
    initials: frozenset[str] = field(default_factory=frozenset)


def known_identifiers() -> Identifiers:
    names: set[str] = set()
    for (full,) in db.session.execute(db.select(User.name)):
        names.add(full.strip())
        for part in re.split(r"\s+", full.strip()):
            if len(part) >= 3 and part.lower() not in _COMMON:
                names.add(part)
    initials = {
        i.strip().upper()
        for (i,) in db.session.execute(db.select(PersonSupported.initials))
        if len(i.strip()) >= 2
    }
    return Identifiers(frozenset(n for n in names if n), frozenset(initials))


# The patterns depend only on the names and initials, which change rarely: each
# set is turned into a pattern once, not on every call.
@lru_cache(maxsize=16)
def _name_pattern(names: frozenset[str]) -> re.Pattern[str] | None:
    if not names:
        return None
    # Longest first, so "Amina Carer" goes before "Amina". Names are matched as
    # written (capitalised): "Mark" the colleague, not "mark the chart".
    words = sorted(names, key=len, reverse=True)
    return re.compile(r"\b(?:" + "|".join(re.escape(w) for w in words) + r")\b")


@lru_cache(maxsize=16)
def _initials_pattern(initials_set: frozenset[str]) -> re.Pattern[str] | None:
    if not initials_set:
        return None
    # Initials are matched in capitals only ("AB", "A.B."), never inside words.
    alternatives = []
    for initials in sorted(initials_set, key=len, reverse=True):
        letters = list(initials)
        alternatives.append(re.escape(initials))
        alternatives.append(r"\.".join(re.escape(c) for c in letters) + r"\.?")
    return re.compile(r"(?<![\w.])(?:" + "|".join(alternatives) + r")(?![\w])")


def scrub(text: str, ids: Identifiers) -> str:
    """The text with identifying details replaced by neutral words."""
    result = EMAIL.sub("[email removed]", text)
    result = PHONE.sub("[phone number removed]", result)
    result = INCIDENT_REF.sub("the incident", result)
    result = PERSON_REF.sub("the person", result)
    result = TITLED.sub("the person", result)
    names = _name_pattern(ids.names)
    if names is not None:
        result = names.sub("a colleague", result)
    initials = _initials_pattern(ids.initials)
    if initials is not None:
        result = initials.sub("the person", result)
    return result


def identifiers_in(text: str, ids: Identifiers) -> list[str]:
    """What in `text` still looks identifying, each once, in order of appearance."""
    found: list[tuple[int, str]] = []
    patterns = [EMAIL, PHONE, INCIDENT_REF, PERSON_REF, TITLED]
    for extra in (_name_pattern(ids.names), _initials_pattern(ids.initials)):
        if extra is not None:
            patterns.append(extra)
    for pattern in patterns:
        found.extend((m.start(), m.group(0).strip()) for m in pattern.finditer(text))
    seen: list[str] = []
    for _, value in sorted(found):
        if value not in seen:
            seen.append(value)
    return seen
