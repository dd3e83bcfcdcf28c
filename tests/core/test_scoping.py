"""Scoping of people and colleagues by branch (records are tested with each
record type: incidents, audits, actions)."""

from __future__ import annotations

import pytest

from core import scoping


@pytest.mark.parametrize(
    ("key", "visible"),
    [
        ("carer1", {f"P-{n:04d}" for n in range(1, 11)}),
        ("carer3", {f"P-{n:04d}" for n in range(11, 21)}),
        ("supervisor", {f"P-{n:04d}" for n in range(1, 11)}),
        ("manager", {f"P-{n:04d}" for n in range(1, 21)}),
        ("office", {f"P-{n:04d}" for n in range(1, 21)}),
    ],
)
def test_people_in_scope_by_branch(staff, key, visible):
    assert {p.ref for p in scoping.people_for(staff[key])} == visible


@pytest.mark.parametrize(
    ("key", "ref", "found"),
    [
        ("carer1", "P-0001", True),
        ("carer1", "P-0011", False),
        ("carer3", "P-0011", True),
        ("office", "P-0020", True),
    ],
)
def test_person_by_ref_is_none_outside_scope(staff, key, ref, found):
    assert (scoping.person_by_ref(staff[key], ref) is not None) is found


def test_colleagues_share_a_branch(staff):
    names = {u.email for u in scoping.staff_for(staff["carer3"])}
    assert "carer1@example.com" not in names
    assert {"carer3@example.com", "manager@example.com", "office@example.com"} <= names


def test_a_user_with_no_branch_sees_no_one(staff):
    lonely = staff["supervisor"]
    lonely.branches = []
    assert scoping.people_for(lonely) == []
    assert scoping.branches_for(lonely) == []
