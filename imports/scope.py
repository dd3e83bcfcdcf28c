"""The branches an import may name: every branch for a command (run by the
provider on the server), the importer's own on the page (core.scoping's rule
that a user works within their branches). Loaded once per import."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TypeVar

from core.models import Branch, User
from extensions import db
from imports.plans import Row

T = TypeVar("T")

# Keys per query when reading what is already on file (well under SQLite's limit
# on bound values); 5,000 rows is one query.
CHUNK = 10_000


def in_chunks(items: Sequence[T], size: int = CHUNK) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


class Branches:
    TOO_MANY = (
        "This line has more values than there are columns. Put a value that "
        "holds a comma in double quotes."
    )

    def __init__(self, importer: User | None):
        self.by_code: dict[str, Branch] = {
            b.code.upper(): b for b in db.session.scalars(db.select(Branch))
        }
        self._codes: dict[int, str] = {b.id: b.code for b in self.by_code.values()}
        self.all_ids = set(self._codes)
        self.allowed = None if importer is None else importer.branch_ids

    def may_change(self, branch_id: int) -> bool:
        return self.allowed is None or branch_id in self.allowed

    def code_of(self, branch_id: int) -> str:
        return self._codes[branch_id]

    def named(self, row: Row, code: str) -> Branch | None:
        """The branch with this code, or None with the row refused: no such
        branch, or not one of the importer's."""
        branch = self.by_code.get(code.strip().upper())
        if branch is None:
            row.refuse(f"No branch has the code {code}.")
            return None
        if not self.may_change(branch.id):
            row.refuse(f"{branch.code} is not one of your branches.")
            return None
        return branch
