"""The body map on pages: what the form's section and the record's outline need
(templates/incidents/_body_map.html, _body_map_record.html)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from flask import Flask

from incidents import body_map, body_regions
from incidents.models import BodyMark


def body_map_context(values: Mapping[str, str]) -> dict[str, Any]:
    """For the report form: how many mark rows to draw and the choices."""
    return {
        "mark_rows": body_map.mark_count(values),
        "mark_kinds": list(body_map.KINDS.items()),
        "pressure_categories": list(body_map.PRESSURE_CATEGORIES.items()),
        "region_groups": body_regions.choices_by_side(),
    }


def outline(side: str) -> list[body_regions.Region]:
    """The regions of one side, in drawing order."""
    return body_regions.on_side(side)


def numbers_by_region(marks: Iterable[BodyMark]) -> dict[str, list[int]]:
    """Each marked region's mark numbers (1-based, as the list shows them)."""
    found: dict[str, list[int]] = {}
    for n, mark in enumerate(marks, start=1):
        found.setdefault(mark.region, []).append(n)
    return found


def centre(region: body_regions.Region) -> tuple[float, float]:
    """Where a mark's number goes on the outline."""
    kind, a, b, c, d, _ = region.shape
    if kind == "rect":
        return a + c / 2, b + d / 2
    return a, b


def init_app(app: Flask) -> None:
    app.jinja_env.globals.update(
        body_outline=outline,
        body_sides=body_regions.SIDES,
        body_side_label=body_regions.SIDE_LABELS.get,
        body_view_box=body_regions.VIEW_BOX,
        body_region_label=body_regions.label_of,
        body_region_centre=centre,
        body_mark_numbers=numbers_by_region,
        body_kind_label=body_map.kind_label,
        pressure_label=body_map.category_label,
    )
