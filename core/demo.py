"""Demo data exactly as docs/api.md describes ("Demo data"); idempotent.

Core seeds branches, people supported, staff and teams; every other package adds
its own through `add_seeder`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from flask import Flask, current_app

from core import two_factor
from core.models import Branch, PersonSupported, Role, Team, User
from core.passwords import hash_password, verify_password
from extensions import db

BRANCHES = [("NORTH", "North branch"), ("SOUTH", "South branch")]

USERS = [
    ("carer1@example.com", "Amina Carer", Role.CARER, ["NORTH"]),
    ("carer2@example.com", "Ben Carer", Role.CARER, ["NORTH"]),
    ("carer3@example.com", "Chloe Carer", Role.CARER, ["SOUTH"]),
    ("supervisor@example.com", "Sam Supervisor", Role.SUPERVISOR, ["NORTH"]),
    ("manager@example.com", "Morgan Manager", Role.MANAGER, ["NORTH", "SOUTH"]),
    ("office@example.com", "Olu Office", Role.OFFICE, ["NORTH", "SOUTH"]),
]

# Two teams (rounds) per branch, and who is in which. Not every user needs a
# team: the manager and the office work across both branches.
TEAMS = {
    "NORTH": ["Town centre", "Moorside round"],
    "SOUTH": ["Harbour and seafront", "Villages round"],
}
TEAM_OF = {
    "carer1@example.com": ("NORTH", "Town centre"),
    "supervisor@example.com": ("NORTH", "Town centre"),
    "carer2@example.com": ("NORTH", "Moorside round"),
    "carer3@example.com": ("SOUTH", "Harbour and seafront"),
}

# Initials only; no names, addresses or dates of birth.
INITIALS = [
    "AB", "CD", "EF", "GH", "JK", "LM", "NP", "QR", "ST", "UV",
    "WX", "YZ", "AC", "BD", "CE", "DF", "EG", "FH", "GJ", "HK",
]  # fmt: skip


def seed_core(password: str) -> list[str]:
    branches: dict[str, Branch] = {}
    for code, name in BRANCHES:
        branch = db.session.scalar(db.select(Branch).where(Branch.code == code))
        if branch is None:
            branch = Branch(code=code, name=name)
            db.session.add(branch)
        branches[code] = branch
    db.session.flush()

    for n, initials in enumerate(INITIALS, start=1):
        ref = f"P-{n:04d}"
        if (
            db.session.scalar(db.select(PersonSupported.id).where(PersonSupported.ref == ref))
            is None
        ):
            code = "NORTH" if n <= 10 else "SOUTH"
            db.session.add(PersonSupported(ref=ref, initials=initials, branch=branches[code]))

    password_hash = None
    demo_users: list[User] = []
    for email, name, role, codes in USERS:
        user = db.session.scalar(db.select(User).where(User.email == email))
        if user is None:
            password_hash = password_hash or hash_password(password)
            user = User(email=email, name=name, role=role.value, password_hash=password_hash)
            db.session.add(user)
        elif not verify_password(user.password_hash, password):
            user.password_hash = hash_password(password)
        user.role = role.value
        user.active = True
        user.branches = [branches[c] for c in codes]
        demo_users.append(user)
    db.session.flush()
    # Demo accounts sign in with a password alone, whatever TWO_FACTOR_ROLES says.
    two_factor.mark_exempt(demo_users)
    db.session.commit()
    return [f"  {email:<24} {role.label} ({', '.join(codes)})" for email, _, role, codes in USERS]


def seed_teams() -> list[str]:
    """The demo teams, and the demo staff placed in them (as on a first run)."""
    teams: dict[tuple[str, str], Team] = {}
    for code, names in TEAMS.items():
        branch = db.session.scalar(db.select(Branch).where(Branch.code == code))
        if branch is None:
            continue
        for name in names:
            team = db.session.scalar(
                db.select(Team).where(Team.branch_id == branch.id, Team.name == name)
            )
            if team is None:
                team = Team(branch=branch, name=name)
                db.session.add(team)
            team.active = True
            teams[(code, name)] = team
    db.session.flush()
    for email, key in TEAM_OF.items():
        user = db.session.scalar(db.select(User).where(User.email == email))
        if user is not None and key in teams:
            user.team = teams[key]
    db.session.commit()
    return [f"Demo teams: {', '.join(names)} ({code})" for code, names in TEAMS.items()]


# From this many generated incidents up, they (and spot checks, reviews and actions in
# proportion) are inserted in bulk (learning/bulk_demo.py) rather than one at a time
# through the services, which make the default demo (60) and the tests' few.
BULK_FROM = 1000


@dataclass(frozen=True)
class DemoOptions:
    password: str
    incidents: int = 0  # generated incidents (0: none)
    incident_seed: int = 1  # the same seed gives the same incidents

    @property
    def bulk(self) -> bool:
        return self.incidents >= BULK_FROM


# A package's demo data: what it adds for these options, as lines to print.
Seeder = Callable[[DemoOptions], list[str]]


def add_seeder(app: Flask, order: int, seeder: Seeder) -> None:
    """Each package adds its demo data (in its `init_app`), so that seeding runs
    in layer order without core knowing the packages above it."""
    app.extensions.setdefault("candour_demo_seeders", []).append((order, seeder))


def _seed_staff(options: DemoOptions) -> list[str]:
    return ["Demo sign-ins (password as given):", *seed_core(options.password), *seed_teams()]


def seed(password: str, incidents: int = 0, incident_seed: int = 1) -> list[str]:
    """Every package's demo data, lowest layer first. Safe to run twice."""
    options = DemoOptions(password, incidents, incident_seed)
    seeders = [(0, _seed_staff), *current_app.extensions.get("candour_demo_seeders", [])]
    lines: list[str] = []
    for _order, seeder in sorted(seeders, key=lambda pair: pair[0]):
        lines += seeder(options)
    return lines
