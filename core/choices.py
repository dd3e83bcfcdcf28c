"""How a record is offered in a form's choices: one (value, label) pair per kind
of record, the same on every page. Templates use them as filters
(`people|map('person_option')`), routes call them directly."""

from __future__ import annotations

from typing import Any

from flask import Flask

from core.models import Branch, PersonSupported, User


def person_choice(person: PersonSupported) -> tuple[str, str]:
    # A reference and initials only: names of the people supported are never kept.
    return person.ref, f"{person.ref} ({person.initials})"


def staff_choice(user: User) -> tuple[int, str]:
    return user.id, f"{user.name} ({user.role_enum.label})"


def branch_choice(branch: Branch) -> tuple[int, str]:
    """By id, for forms that save the branch."""
    return branch.id, f"{branch.name} ({branch.code})"


def branch_code_choice(branch: Branch) -> tuple[str, str]:
    """By code, for filters whose URL a person may read or share."""
    return branch.code, f"{branch.name} ({branch.code})"


def enum_choice(member: Any) -> tuple[str, str]:
    """A labelled enum member (roles, conditions, kinds of note)."""
    return member.value, member.label


def init_app(app: Flask) -> None:
    app.jinja_env.filters.update(
        person_option=person_choice,
        staff_option=staff_choice,
        branch_option=branch_choice,
        enum_option=enum_choice,
    )
