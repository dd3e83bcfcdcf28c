"""Taking identifying details out of text that leaves the service (bulletins for
every carer, case studies for tenders), by rules and word lists, offline.

What it finds (`findings`), each with the neutral words it is replaced by
(`scrub`):

- addresses: a house number with a street word ("14 Acacia Road", "Flat 3, 2
  Mill Lane"), a named street ("on Acacia Road") and UK postcodes ("LS6 2AB");
- relatives with their names ("son David", "her daughter Sue", "his wife Mary",
  "next of kin: Peter"): the relation stays, the name goes;
- phone numbers in UK formats (07700 900123, +44 (0)161 496 0000, (01632) 960001);
- NHS numbers: 10 digits that pass the Modulus 11 check;
- dates of birth: after "DOB", "date of birth" or "born", and any full date
  before 2000 (in home care, nearly always a birth date);
- email addresses; incident and person references (INC-…, P-…); titled names
  ("Mrs Patel"); the initials of the people supported and every staff name the
  service knows (from the database); and common first names from a word list.

No maintained library does this offline here: Microsoft Presidio needs a spaCy
language model downloaded at run time, and the UK-specific rules (NHS numbers,
postcodes, "son David") would have to be written anyway. A manager still reads
every suspected item, highlighted, before a bulletin is sent or a case study
exported (`segments`, `fingerprint`).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from functools import lru_cache

from core.models import PersonSupported, User
from extensions import db

PERSON_REF = re.compile(r"\bP-\d{3,6}\b", re.IGNORECASE)
INCIDENT_REF = re.compile(r"\bINC-\d{4}-\d{3,}\b", re.IGNORECASE)
EMAIL = re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b")
# A UK number: +44 (with an optional "(0)") or a leading 0 (maybe in brackets),
# then digits with single spaces, hyphens or a closing bracket between them;
# `_uk_phone` then checks the national number has 9 or 10 digits.
PHONE = re.compile(r"(?<![\w+])(?:\+44[\s-]?(?:\(0\)[\s-]?)?|\(?0)\d(?:[\s\-)]{0,2}\d){7,11}(?!\w)")
NHS_NUMBER = re.compile(r"(?<![\w+-])\d{3}[\s-]?\d{3}[\s-]?\d{4}(?![\w-])")
TITLED = re.compile(
    r"\b(?:Mr|Mrs|Ms|Miss|Mx|Dr|Prof|Rev|Revd|Nurse|Sir|Dame|Lady|Lord)\.?\s+"
    r"[A-Z][a-zA-Z-]*(?:'[A-Z][a-zA-Z-]+)?"
)
POSTCODE = re.compile(
    r"\b(?:GIR ?0AA|[A-PR-UWYZ][A-HK-Y]?\d[A-Z\d]? ?\d[ABD-HJLNP-UW-Z]{2})\b", re.IGNORECASE
)

_STREET = (
    r"Road|Rd|Street|St|Avenue|Ave|Lane|Ln|Close|Drive|Dr|Way|Court|Ct|Crescent|Cres|Place|"
    r"Pl|Gardens|Gdns|Terrace|Grove|Walk|Row|Hill|Park|View|Mews|Square|Sq|Rise|Green|"
    r"Parade|Vale|Wharf|Gate|Croft|Fold|Meadows?|Bank|Approach|Boulevard|Yard|Brow|Heights|"
    r"Chase|Cottages|Villas|Mount|Lodge|House|Flats|Estate|Precinct|Crossing|Embankment"
)
# Named streets without a number: only the unmistakable street words.
_NAMED_STREET = r"Road|Street|Avenue|Lane|Close|Drive|Crescent|Gardens|Terrace|Grove|Mews"
_WORD = r"[A-Z][a-z'’]+(?:-[A-Z][a-z'’]+)?"
ADDRESS = re.compile(
    rf"(?:\b(?:Flat|Apartment|Apt|Unit)\s+\d+[A-Za-z]?,?\s+)?"
    rf"(?<![\w/.-])\d{{1,4}}[A-Za-z]?,?\s+(?:{_WORD}\s+){{1,3}}(?:{_STREET})\b"
    rf"|\b(?:Flat|Apartment)\s+\d+[A-Za-z]?\b"
    rf"|\b(?!The\b)(?:{_WORD}\s+){{1,2}}(?:{_NAMED_STREET})\b"
)

_RELATION = (
    r"son-in-law|daughter-in-law|step-?son|step-?daughter|grandson|granddaughter|grandchild|"
    r"son|daughter|wife|husband|partner|mum|mother|dad|father|brother|sister|niece|nephew|"
    r"aunt|auntie|uncle|cousin|next of kin|neighbour|friend"
)
# Capitalised words that start a clause rather than name someone.
_NOT_A_NAME = (
    r"The|A|An|And|But|Or|On|In|At|To|Of|Who|When|Was|Is|He|She|They|It|I|We|You|This|"
    r"That|Then|So|If|As|After|Before|Today|Yesterday|Tomorrow|Monday|Tuesday|Wednesday|"
    r"Thursday|Friday|Saturday|Sunday|Has|Had|Said|Says|Rang|Called|Came|Visited|Found"
)
_NAME = rf"(?!(?:{_NOT_A_NAME})\b)[A-Z][a-z'’]+(?:-[A-Z][a-z'’]+)?"
RELATIVE = re.compile(
    rf"(?P<rel>\b(?:(?:[Hh]is|[Hh]er|[Tt]heir|[Tt]he|[Aa]|[Mm]y|[Yy]our|[Ww]hose)\s+)?"
    rf"(?i:{_RELATION}))(?:\s*[,:]\s*|\s+)(?P<name>{_NAME}(?:\s+{_NAME})?)"
)

_MONTH = (
    r"Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|"
    r"Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?"
)
_DATE = (
    rf"\d{{1,2}}[/.-]\d{{1,2}}[/.-](?:\d{{4}}|\d{{2}})"
    rf"|\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?(?:{_MONTH})\.?,?\s+\d{{4}}"
    rf"|(?:{_MONTH})\.?\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}}"
    rf"|\d{{4}}-\d{{2}}-\d{{2}}"
)
DOB = re.compile(
    rf"\b(?:DOB|D\.O\.B\.?|date of birth|birth ?date|born(?:\s+on)?)\s*(?:is|was|:|-)?\s*"
    rf"(?:{_DATE})|\bborn\s+in\s+(?:19|20)\d\d\b",
    re.IGNORECASE,
)
DATE = re.compile(rf"\b(?:{_DATE})\b", re.IGNORECASE)
_YEAR = re.compile(r"(?:19|20)\d\d|(?<=[/.-])\d\d\b")

# Common first names in the UK (people supported are mostly older; relatives and
# staff are any age). Matched capitalised only, and never the words that are
# also everyday English ("Will", "May", "Mark", "Grace", "Bill", "Frank"…).
_FIRST_NAMES_TEXT = """
    Aaron Abdul Abigail Adam Adrian Agnes Ahmed Aisha Alan Albert Alexander Alfie Alfred
    Alice Alison Amelia Amina Amy Andrew Angela Ann Anna Anne Annie Anthony Arthur Audrey
    Barbara Barry Beatrice Ben Benjamin Bernard Beryl Betty Beverley Brenda Brian Bridget
    Carl Caroline Catherine Charles Charlie Charlotte Cheryl Chloe Christine Christopher
    Clare Claire Colin Connor Craig Cyril Daniel Danielle David Deborah Dennis Derek Diane
    Donald Doreen Doris Dorothy Douglas Edith Edna Edward Eileen Eleanor Elizabeth Ellen
    Emily Emma Eric Ernest Ethel Evelyn Fatima Florence Frances Francis Freda Gareth Gary
    Geoffrey George Georgia Gerald Gillian Gladys Glenys Gordon Graham Gwen Hannah Harold
    Harry Hazel Helen Henry Hilda Howard Ian Irene Isabel Isabella Jack Jacqueline James
    Jamie Jane Janet Janice Jason Jean Jeffrey Jennifer Jessica Joan Joanne John Jonathan
    Joseph Joshua Joyce Judith Julia Julie Karen Kate Katherine Kathleen Kathryn Keith
    Kenneth Kevin Kieran Laura Lauren Leonard Leslie Lilian Linda Lisa Liam Lorraine Louise
    Lucy Luke Lynn Malcolm Margaret Maria Marian Marie Marion Marjorie Martin Mary Matthew
    Maureen Maurice Megan Michael Michelle Mildred Mohammed Muhammad Nancy Natalie Neil
    Nicholas Nicola Norah Norma Norman Oliver Olivia Owen Pamela Patricia Patrick Paul
    Pauline Peggy Peter Philip Phyllis Priya Rachel Raymond Rebecca Reginald Richard Rita
    Robert Ronald Rosemary Ruth Ryan Sally Samuel Sandra Sarah Sharon Sheila Shirley Simon
    Sophie Stanley Stephen Steven Stuart Sue Susan Sylvia Terence Thomas Timothy Tracey
    Valerie Vera Veronica Victoria Vincent Walter Wendy William Winifred Yvonne Zoe
"""
FIRST_NAMES = frozenset(_FIRST_NAMES_TEXT.split())

# Short words a name list must never blank out (a staff member called "Will"
# or "May" should not turn every "will" into "a colleague").
_COMMON = {
    "will", "may", "june", "april", "august", "rose", "grace", "faith", "hope",
    "joy", "amber", "summer", "sky", "dawn", "carer", "manager", "office",
    "supervisor", "staff",
}  # fmt: skip

_SURNAME = rf"(?:\s+(?!(?:{_NOT_A_NAME})\b)[A-Z][a-z'’]+(?:-[A-Z][a-z'’]+)?)?"
FIRST_NAME = re.compile(
    r"\b(?:" + "|".join(sorted(FIRST_NAMES, key=len, reverse=True)) + r")\b" + _SURNAME
)

# What each kind is replaced by, and how it is called on the review page.
REPLACEMENT = {
    "email": "[email removed]",
    "phone": "[phone number removed]",
    "nhs_number": "[NHS number removed]",
    "date_of_birth": "[date of birth removed]",
    "postcode": "[postcode removed]",
    "address": "[address removed]",
    "incident_ref": "the incident",
    "person_ref": "the person",
    "titled_name": "the person",
    "staff_name": "a colleague",
    "initials": "the person",
    "first_name": "[name removed]",
}
KIND_LABEL = {
    "email": "email address",
    "phone": "phone number",
    "nhs_number": "NHS number",
    "date_of_birth": "date of birth",
    "postcode": "postcode",
    "address": "address",
    "relative": "relative's name",
    "incident_ref": "incident reference",
    "person_ref": "person reference",
    "titled_name": "name",
    "staff_name": "staff name",
    "initials": "initials",
    "first_name": "name",
}
# When two findings start at the same place and are as long, the first kind wins.
_PRIORITY = list(KIND_LABEL)


@dataclass(frozen=True)
class Identifiers:
    """What counts as identifying in this service: staff names (whole and in
    parts) and the initials and references of the people supported."""

    names: frozenset[str] = field(default_factory=frozenset)
    initials: frozenset[str] = field(default_factory=frozenset)
    # The people supported's references as stored (any format an import allowed).
    refs: frozenset[str] = field(default_factory=frozenset)


@dataclass(frozen=True)
class Finding:
    start: int
    end: int
    kind: str
    text: str
    replacement: str

    @property
    def label(self) -> str:
        return KIND_LABEL[self.kind]


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
    refs = {
        r.strip()
        for (r,) in db.session.execute(db.select(PersonSupported.ref))
        if len(r.strip()) >= 3 and not r.strip().isdigit()
    }
    return Identifiers(frozenset(n for n in names if n), frozenset(initials), frozenset(refs))


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


@lru_cache(maxsize=16)
def _refs_pattern(refs: frozenset[str]) -> re.Pattern[str] | None:
    if not refs:
        return None
    words = sorted(refs, key=len, reverse=True)
    return re.compile(
        r"(?<![\w-])(?:" + "|".join(re.escape(w) for w in words) + r")(?![\w-])", re.IGNORECASE
    )


def nhs_number_valid(digits: str) -> bool:
    """The NHS number's Modulus 11 check: weights 10 down to 2 on the first nine
    digits; 11 minus the remainder of the sum by 11 is the check digit (11 is 0,
    10 means the number is not valid)."""
    if len(digits) != 10 or not digits.isdigit():
        return False
    total = sum(int(d) * (10 - i) for i, d in enumerate(digits[:9]))
    check = 11 - total % 11
    check = 0 if check == 11 else check
    return check != 10 and check == int(digits[9])


def _uk_phone(text: str) -> bool:
    digits = re.sub(r"\D", "", text)
    national = digits[2:] if text.lstrip("(").startswith("+44") else digits
    national = national.removeprefix("0")
    return 9 <= len(national) <= 10


def _old_date(text: str) -> bool:
    years = [y for y in _YEAR.findall(text) if len(y) == 4]
    return bool(years) and int(years[0]) < 2000


def _simple(pattern: re.Pattern[str], kind: str, text: str) -> list[Finding]:
    return [
        Finding(m.start(), m.end(), kind, m.group(0), REPLACEMENT[kind])
        for m in pattern.finditer(text)
    ]


def _all_findings(text: str, ids: Identifiers) -> list[Finding]:
    found = [
        *_simple(EMAIL, "email", text),
        *(
            f
            for f in _simple(NHS_NUMBER, "nhs_number", text)
            if nhs_number_valid(re.sub(r"\D", "", f.text))
        ),
        *(f for f in _simple(PHONE, "phone", text) if _uk_phone(f.text)),
        *_simple(DOB, "date_of_birth", text),
        *(f for f in _simple(DATE, "date_of_birth", text) if _old_date(f.text)),
        *_simple(POSTCODE, "postcode", text),
        *_simple(ADDRESS, "address", text),
        *_simple(INCIDENT_REF, "incident_ref", text),
        *_simple(PERSON_REF, "person_ref", text),
        *_simple(TITLED, "titled_name", text),
        *_simple(FIRST_NAME, "first_name", text),
    ]
    for m in RELATIVE.finditer(text):
        found.append(Finding(m.start(), m.end(), "relative", m.group(0), m.group("rel")))
    names = _name_pattern(ids.names)
    if names is not None:
        found.extend(_simple(names, "staff_name", text))
    initials = _initials_pattern(ids.initials)
    if initials is not None:
        found.extend(_simple(initials, "initials", text))
    refs = _refs_pattern(ids.refs)
    if refs is not None:
        found.extend(_simple(refs, "person_ref", text))
    return found


def findings(text: str, ids: Identifiers) -> list[Finding]:
    """Everything in `text` that looks identifying, in order, none overlapping
    (the longest wins where two overlap)."""
    candidates = sorted(
        _all_findings(text, ids),
        key=lambda f: (
            f.start,
            -(f.end - f.start),
            _PRIORITY.index(f.kind) if f.kind in _PRIORITY else 99,
        ),
    )
    chosen: list[Finding] = []
    for finding in candidates:
        if chosen and finding.start < chosen[-1].end:
            continue
        chosen.append(finding)
    return chosen


def scrub(text: str, ids: Identifiers) -> str:
    """The text with identifying details replaced by neutral words."""
    parts: list[str] = []
    at = 0
    for finding in findings(text, ids):
        parts.append(text[at : finding.start])
        parts.append(finding.replacement)
        at = finding.end
    parts.append(text[at:])
    return "".join(parts)


def identifiers_in(text: str, ids: Identifiers) -> list[str]:
    """What in `text` still looks identifying, each once, in order of appearance."""
    seen: list[str] = []
    for finding in findings(text, ids):
        value = finding.text.strip()
        if value not in seen:
            seen.append(value)
    return seen


def segments(text: str, ids: Identifiers) -> list[tuple[str, str | None]]:
    """The text in pieces for a review page: (piece, None) for plain text and
    (piece, label) for a suspected item to highlight. The template escapes both."""
    pieces: list[tuple[str, str | None]] = []
    at = 0
    for finding in findings(text, ids):
        if finding.start > at:
            pieces.append((text[at : finding.start], None))
        pieces.append((finding.text, finding.label))
        at = finding.end
    if at < len(text):
        pieces.append((text[at:], None))
    return pieces


def fingerprint(*texts: str) -> str:
    """A short fingerprint of exactly what a manager checked: any change to the
    text means checking again."""
    return hashlib.sha256("\x1f".join(texts).encode()).hexdigest()
