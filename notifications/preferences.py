"""Preferences: per kind of message, by which channels (e-mail, push, both,
neither). A choice is stored as one Preference row per channel; no row means on."""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations

from sqlalchemy import select

from core import trail
from core.models import Role, User
from extensions import db
from notifications.channels import channels
from notifications.kinds import Kind
from notifications.models import Preference

NEITHER = "none"


@dataclass(frozen=True)
class Row:
    """One kind on the page: its choice, or the fixed text when it cannot be changed."""

    kind: Kind
    value: str
    fixed: bool


def choices() -> list[tuple[str, str]]:
    """The answers on offer: every set of the registered channels, all first, none last
    ("email+push" "E-mail and push", "email" "E-mail", "push" "Push", "none" "Neither")."""
    registered = list(channels().values())
    options: list[tuple[str, str]] = []
    for size in range(len(registered), 0, -1):
        for group in combinations(registered, size):
            value = "+".join(c.name for c in group)
            label = " and ".join(
                c.label if i == 0 else c.label.lower() for i, c in enumerate(group)
            )
            options.append((value, label))
    options.append((NEITHER, "Neither" if len(registered) > 1 else "No"))
    return options


def kinds_for(user: User) -> list[Kind]:
    role = Role(user.role)
    return [k for k in Kind if k.on_preferences_page and role in k.roles]


def _value(wanted: dict[str, bool]) -> str:
    on = [name for name in channels() if wanted.get(name, True)]
    return "+".join(on) or NEITHER


def rows(user: User) -> list[Row]:
    mine = db.session.scalars(select(Preference).where(Preference.user_id == user.id))
    stored: dict[str, dict[str, bool]] = {}
    for pref in mine:
        stored.setdefault(pref.kind, {})[pref.channel] = pref.on
    return [
        Row(kind, _value(stored.get(kind.value, {})), kind.always_on_for(user.role))
        for kind in kinds_for(user)
    ]


def save(user: User, chosen: dict[str, str]) -> list[str]:
    """Store `chosen` ({kind: value}) for the kinds the user may change; returns
    the kinds that changed (on the audit trail too). The caller commits."""
    before = {row.kind.value: row.value for row in rows(user)}
    changed: list[str] = []
    for row in rows(user):
        if row.fixed or row.kind.value not in chosen:
            continue
        value = chosen[row.kind.value]
        if value == before[row.kind.value]:
            continue
        on = set(value.split("+")) if value != NEITHER else set()
        for name in channels():
            _set(user, row.kind, name, name in on)
        changed.append(row.kind.value)
    if changed:
        trail.record(user, "message_preferences_changed", "user", user.id, kinds=changed)
    return changed


def _set(user: User, kind: Kind, channel: str, on: bool) -> None:
    pref = db.session.scalar(
        select(Preference).where(
            Preference.user_id == user.id,
            Preference.kind == kind.value,
            Preference.channel == channel,
        )
    )
    if pref is None:
        db.session.add(Preference(user_id=user.id, kind=kind.value, channel=channel, on=on))
    else:
        pref.on = on
