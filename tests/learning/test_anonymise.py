"""Taking names, initials and references out of text that leaves the service."""

from __future__ import annotations

import re

import pytest

from learning import anonymise

IDS = anonymise.Identifiers(
    names=frozenset({"Amina Carer", "Amina", "Mark Jones", "Mark", "Jones"}),
    initials=frozenset({"AB", "JK"}),
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("P-0003 fell in the kitchen.", "the person fell in the kitchen."),
        ("See INC-2026-0042.", "See the incident."),
        ("Amina Carer found AB on the floor.", "a colleague found the person on the floor."),
        (
            "A.B. was distressed; Amina called Mark.",
            "the person was distressed; a colleague called a colleague.",
        ),
        ("Mrs Patel's daughter rang.", "the person's daughter rang."),
        (
            "Call 07700 900123 or email x.y@example.com",
            "Call [phone number removed] or email [email removed]",
        ),
        ("Mr O'Brien's key safe", "the person's key safe"),
        # Names are matched as written, so a capitalised "Mark" goes (caution wins).
        (
            "Mark the chart; ABC is not initials; JKL neither.",
            "a colleague the chart; ABC is not initials; JKL neither.",
        ),
    ],
)
def test_scrub(text, expected):
    assert anonymise.scrub(text, IDS) == expected


def test_lower_case_words_that_are_also_names_stay():
    assert anonymise.scrub("mark the chart", IDS) == "mark the chart"


def test_identifiers_in_lists_each_once_in_order():
    text = "AB and P-0001; Amina saw AB again."
    assert anonymise.identifiers_in(text, IDS) == ["AB", "P-0001", "Amina"]


def test_clean_text_has_no_identifiers():
    assert anonymise.identifiers_in("A carer found the person on the floor.", IDS) == []


def test_known_identifiers_come_from_staff_and_people(staff):
    ids = anonymise.known_identifiers()
    assert {"Amina Carer", "Amina", "Morgan"} <= ids.names
    assert "Carer" not in ids.names  # a role word, not a name to blank out
    assert {"AB", "CD", "HK"} <= ids.initials


def test_the_patterns_are_not_rebuilt_for_the_same_names_and_initials(monkeypatch):
    ids = anonymise.Identifiers(names=frozenset({"Zebedee Quill"}), initials=frozenset({"ZQ"}))
    same = anonymise.Identifiers(names=frozenset({"Zebedee Quill"}), initials=frozenset({"ZQ"}))
    assert anonymise.scrub("Zebedee Quill saw ZQ.", ids) == "a colleague saw the person."
    compiled: list[str] = []
    real_compile = re.compile

    def counting_compile(pattern, *args, **kwargs):
        compiled.append(pattern)
        return real_compile(pattern, *args, **kwargs)

    monkeypatch.setattr(re, "compile", counting_compile)
    for _ in range(3):
        assert anonymise.scrub("Zebedee Quill saw ZQ.", same) == "a colleague saw the person."
        assert anonymise.identifiers_in("Z.Q. met Zebedee Quill", same) == ["Z.Q.", "Zebedee Quill"]
    assert compiled == []


def test_references_the_service_knows_are_found_whatever_their_format():
    ids = anonymise.Identifiers(refs=frozenset({"LEEDS-042", "YK7781"}))
    text = "leeds-042 fell; YK7781 did not. LEEDS-0421 is not one."
    assert anonymise.identifiers_in(text, ids) == ["leeds-042", "YK7781"]
    assert anonymise.scrub(text, ids).startswith("the person fell; the person did not.")


def test_known_identifiers_include_the_stored_references(staff):
    assert "P-0001" in anonymise.known_identifiers().refs
