"""The password policy (OWASP ASVS 4.0, section 2.1): the one rule for every
password a person chooses: their own change, accepting an invitation, and the
first manager made by `flask create-manager`. (The demo's accounts are not
chosen by anyone and do not go through it.)

- At least MIN_LENGTH characters (2.1.1) and up to MAX_LENGTH, well over the 64
  ASVS asks to allow (2.1.2); never truncated, any character allowed, spaces
  and emoji included (2.1.3, 2.1.4).
- No composition rules: no "one capital, one digit" (2.1.9).
- Refused when it is on the breached and common password lists, or close to
  them, by zxcvbn (its frequency lists of passwords from breaches, common words,
  names; and its estimate of how many guesses it takes, 2.1.7): anything below
  GOOD_ENOUGH_SCORE.
- Refused when it is, or contains, the account's own email address (its part
  before the @) or name.

Pure: no request and no database here.
"""

from __future__ import annotations

import re
import unicodedata

from zxcvbn import zxcvbn
from zxcvbn.frequency_lists import FREQUENCY_LISTS

MIN_LENGTH = 12
MAX_LENGTH = 128
# zxcvbn's score: 3 means "safely unguessable" (about 10^8 guesses or more).
GOOD_ENOUGH_SCORE = 3
# zxcvbn's time grows with the length; the first characters are enough to find
# what is weak (characters after them only add to the guesses).
_ESTIMATED_LENGTH = 64
# A part of a name or email shorter than this is not looked for inside a
# password ("jo" is in too many ordinary words); zxcvbn still weighs it.
_SHORTEST_OWN_PART = 4

TOO_SHORT = f"Choose a password of at least {MIN_LENGTH} characters."
TOO_LONG = f"Choose a password of no more than {MAX_LENGTH} characters."
COMMON = (
    "This password is on the lists of common and leaked passwords that attackers "
    "try first. Choose another one."
)
GUESSABLE = (
    "This password would be too easy to guess: it is close to a common password or "
    "follows a pattern such as a keyboard row, a date or a repeat. Add another word "
    "or two that are not about you."
)
OWN_DETAILS = "Do not use your own name or email address in your password."
HINT = (
    f"At least {MIN_LENGTH} characters. A few words you will remember, with spaces, "
    "make a good one. Not a common password, and not your name or email address."
)

_COMMON_PASSWORDS = frozenset(FREQUENCY_LISTS["passwords"])
_NOT_LETTERS = re.compile(r"[\W_]+")


def _plain(text: str) -> str:
    """Lower case, letters and digits only ("Jo-Anne Smith" -> "joannesmith")."""
    return _NOT_LETTERS.sub("", unicodedata.normalize("NFKC", text).casefold())


def _own_parts(email: str, name: str) -> list[str]:
    local = email.split("@", 1)[0]
    parts = [email, local, name, *name.split(), *_NOT_LETTERS.split(local)]
    return [p for p in (_plain(part) for part in parts) if p]


def length_problem(password: str) -> str | None:
    """Too short or too long, counted in Unicode characters as ASVS counts them;
    None when the length is right. (Forms check this much before anything else.)"""
    if len(password) < MIN_LENGTH:
        return TOO_SHORT
    if len(password) > MAX_LENGTH:
        return TOO_LONG
    return None


def problems(password: str, *, email: str = "", name: str = "") -> list[str]:
    """What is wrong with `password` for the account with this email and name, in
    plain English; an empty list when it may be used."""
    too = length_problem(password)
    if too is not None:
        return [too]
    plain = _plain(password)
    own = _own_parts(email, name)
    if any(part == plain or (len(part) >= _SHORTEST_OWN_PART and part in plain) for part in own):
        return [OWN_DETAILS]
    if password.casefold() in _COMMON_PASSWORDS or plain in _COMMON_PASSWORDS:
        return [COMMON]
    estimate = zxcvbn(
        password[:_ESTIMATED_LENGTH],
        user_inputs=[*own, "candour"],
        max_length=_ESTIMATED_LENGTH,
    )
    if estimate["score"] < GOOD_ENOUGH_SCORE:
        return [GUESSABLE]
    return []
