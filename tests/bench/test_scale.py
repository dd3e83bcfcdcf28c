"""`make bench`'s verdicts (bench/scale.py): the export's growth is judged per row
exported, every other page's as it is; BENCH_PAGES names pages as printed."""

from __future__ import annotations

import pytest

from bench import scale

Figures = dict[int, dict[str, dict[str, float]]]


def _figures(page_ms: tuple[float, float], rows: tuple[int, int], *, per_row: bool) -> Figures:
    """One page's medians at 2,000 and 200,000, each as long as its SQL."""
    small, large = (
        {"page": ms / 1000, "sql": ms / 1000, "healthz": 0.001, "rows": n, "per_row": per_row}
        for ms, n in zip(page_ms, rows, strict=True)
    )
    return {2000: {"a page": small}, 200000: {"a page": large}}


def test_a_page_judged_per_row_may_grow_with_its_rows(capsys):
    figures = _figures((30.0, 1500.0), (100, 10000), per_row=True)
    assert scale.report(figures, [2000, 200000], "postgresql", 5) == 0
    out = capsys.readouterr().out
    assert "0.50* " in out
    assert "growth per row exported" in out
    assert "10,000 rows at 200000 and 100 at 2000" in out


def test_a_page_judged_per_row_fails_when_each_row_costs_over_3x(capsys):
    figures = _figures((30.0, 12000.0), (100, 10000), per_row=True)
    assert scale.report(figures, [2000, 200000], "postgresql", 5) == 1
    assert "4.00*" in capsys.readouterr().out


def test_any_other_page_fails_growing_with_the_same_figures(capsys):
    figures = _figures((30.0, 1500.0), (100, 10000), per_row=False)
    assert scale.report(figures, [2000, 200000], "postgresql", 5) == 1
    out = capsys.readouterr().out
    assert "50.00 " in out
    assert "per row exported" not in out


@pytest.mark.parametrize(
    ("pages", "name", "chosen"),
    [
        ("", "patterns", True),
        ("patterns,manager home", "manager home", True),
        ("patterns,manager home", "office home", False),
        ("export, 30 days CSV", "export, 30 days CSV", True),
        ("export, 30 days CSV", "review list, falls", False),
        ("patterns", "export, 30 days CSV", False),
    ],
    ids=["none-given", "listed", "not-listed", "comma-name", "other-comma-name", "part-missing"],
)
def test_bench_pages_names_pages_as_printed(pages, name, chosen):
    assert scale.wanted(pages, name) is chosen
