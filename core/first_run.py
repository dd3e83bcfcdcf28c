"""Setting up a new service from an empty database: its branches and its first
registered manager (`flask create-branch` and `flask create-manager`, in
core/commands.py). No request here. Every change is on the audit trail, with no
actor (nobody is signed in at the command line) and `via: "command"`."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from core import branches as branch_rules
from core import password_policy, services, trail
from core.models import Branch, Role, User
from core.passwords import hash_password
from core.services import normalise_email
from extensions import db

BAD_EMAIL = "Give an email address like name@example.com."
BAD_NAME = "Give the manager's full name, 1 to 120 characters."
NO_BRANCH = "Give at least one branch with --branch CODE."
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


class SetupError(ValueError):
    """What was asked cannot be done; the message says why in one line. Nothing
    was written."""


@dataclass(frozen=True)
class BranchResult:
    branch: Branch
    created: bool
    # The name the branch already has, when it exists under another name.
    other_name: str | None = None


def normalise_code(code: str) -> str:
    return code.strip().upper()


def create_branch(code: str, name: str) -> BranchResult:
    """A new branch; the same code again changes nothing (whatever the name).
    Codes and names follow the branches page's rules (core.branches)."""
    name = " ".join(name.split())
    try:
        code = branch_rules.normalise_code(code)
    except branch_rules.BranchError:
        raise SetupError(branch_rules.CODE_RULE) from None
    if not 1 <= len(name) <= branch_rules.NAME_MAX:
        raise SetupError(branch_rules.NAME_RULE)
    existing = db.session.scalar(db.select(Branch).where(Branch.code == code))
    if existing is not None:
        other = existing.name if existing.name != name else None
        return BranchResult(existing, created=False, other_name=other)
    branch = Branch(code=code, name=name)
    db.session.add(branch)
    db.session.flush()
    trail.record(None, "create", "branch", branch.id, code=code, name=name, via="command")
    db.session.commit()
    return BranchResult(branch, created=True)


def check_manager(email: str, name: str, branch_codes: Iterable[str]) -> list[Branch]:
    """Everything about a new manager but the password; returns their branches.
    Raises SetupError for a bad or taken email, a bad name or an unknown branch."""
    email = normalise_email(email)
    if len(email) > 254 or not _EMAIL.fullmatch(email):
        raise SetupError(BAD_EMAIL)
    if not 1 <= len(" ".join(name.split())) <= 120:
        raise SetupError(BAD_NAME)
    if db.session.scalar(db.select(User.id).where(User.email == email)) is not None:
        raise SetupError(f"Someone already has the email address {email}; nothing was created.")
    codes = list(dict.fromkeys(normalise_code(c) for c in branch_codes))
    if not codes:
        raise SetupError(NO_BRANCH)
    branches = list(db.session.scalars(db.select(Branch).where(Branch.code.in_(codes))))
    unknown = sorted(set(codes) - {b.code for b in branches})
    if unknown:
        raise SetupError(
            f"There is no branch {', '.join(unknown)}: create it first with "
            f'flask --app app create-branch CODE "Name". Nothing was created.'
        )
    archived = sorted(b.code for b in branches if b.archived)
    if archived:
        raise SetupError(
            f"Branch {', '.join(archived)} is archived: use it again on the branches "
            "page first. Nothing was created."
        )
    return sorted(branches, key=lambda b: b.code)


def create_manager(email: str, name: str, branch_codes: Iterable[str], password: str) -> User:
    """A registered manager of these branches, with a password they chose (so
    they are not asked to change it at first sign-in)."""
    branches = check_manager(email, name, branch_codes)
    email, name = normalise_email(email), " ".join(name.split())
    refused = password_policy.problems(password, email=email, name=name)
    if refused:
        raise SetupError(" ".join(refused) + " Nothing was created.")
    user = services.add_account(
        None,
        email=email,
        name=name,
        role=Role.MANAGER,
        branches=branches,
        password_hash=hash_password(password),
        via="command",
    )
    db.session.commit()
    return user
