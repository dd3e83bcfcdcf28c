"""The places on a body a mark can be (the body map's regions), one table for the
form, the record, the API's reference data and the schema's checks.

Each region is on one side of the body, and its code starts with that side
(`front_chest`, `back_right_heel`), so a form that only sends the region still
says which side it is on (incidents/body_map.py `side_of`). Left and right are
the person's own: on the front outline their right is on the viewer's left, on
the back outline their left is.

Each region also has its shape on the outline (SVG user units, a 200 × 420
view box per side). At 320 px wide the limbs' regions are at least 44 px
across (a thumb in a glove); the neck is the one smaller target, and every
region is also a choice in a plain list.
"""

from __future__ import annotations

from dataclasses import dataclass

SIDES = ("front", "back")
SIDE_LABELS = {"front": "Front of the body", "back": "Back of the body"}
VIEW_BOX = "0 0 200 420"


# ("rect", x, y, width, height, corner radius) or ("ellipse", cx, cy, rx, ry, 0)
Shape = tuple[str, float, float, float, float, float]


@dataclass(frozen=True)
class Region:
    code: str
    label: str
    side: str
    shape: Shape


def _rect(x: float, y: float, w: float, h: float, r: float = 10) -> Shape:
    return ("rect", x, y, w, h, r)


def _ellipse(cx: float, cy: float, rx: float, ry: float) -> Shape:
    return ("ellipse", cx, cy, rx, ry, 0)


def _mirror(shape: Shape) -> Shape:
    """The same shape on the other half of the outline (x → 200 − x)."""
    kind, a, b, c, d, e = shape
    if kind == "rect":
        return ("rect", 200 - a - c, b, c, d, e)
    return ("ellipse", 200 - a, b, c, d, e)


# Limbs drawn on the viewer's left half; mirrored for the other half.
_FRONT_LIMBS = [
    ("hip", "{side} hip and groin", _rect(70, 194, 30, 36, 6)),
    ("upper_arm", "{side} upper arm (front)", _rect(38, 76, 29, 70, 12)),
    ("forearm", "{side} forearm (front)", _rect(36, 148, 29, 74, 12)),
    ("hand", "{side} hand (palm)", _rect(30, 224, 36, 40, 15)),
    ("thigh", "{side} thigh (front)", _rect(70, 232, 29, 70)),
    ("knee", "{side} knee", _rect(71, 304, 28, 30)),
    ("shin", "{side} shin", _rect(71, 336, 28, 52)),
    ("foot", "{side} foot (top)", _rect(64, 390, 35, 28, 11)),
]
_BACK_LIMBS = [
    ("buttock", "{side} buttock", _rect(70, 180, 30, 50, 8)),
    ("upper_arm", "{side} upper arm (back)", _rect(38, 76, 29, 66, 12)),
    ("elbow", "{side} elbow", _rect(38, 144, 29, 28, 12)),
    ("forearm", "{side} forearm (back)", _rect(36, 174, 29, 48, 12)),
    ("hand", "{side} hand (back)", _rect(30, 224, 36, 40, 15)),
    ("thigh", "{side} thigh (back)", _rect(70, 232, 29, 70)),
    ("knee", "Back of {side_lower} knee", _rect(71, 304, 28, 30)),
    ("calf", "{side} calf", _rect(71, 336, 28, 52)),
    ("heel", "{side} heel", _rect(64, 390, 35, 28, 11)),
]


def _limbs(side: str, limbs: list[tuple[str, str, Shape]]) -> list[Region]:
    # Front: the person's right is on the viewer's left; back: their left is.
    viewer_left, viewer_right = ("right", "left") if side == "front" else ("left", "right")
    regions = []
    for body_side, mirrored in ((viewer_left, False), (viewer_right, True)):
        for name, label, shape in limbs:
            words = label.format(side=body_side.capitalize(), side_lower=body_side)
            regions.append(
                Region(
                    f"{side}_{body_side}_{name}", words, side, _mirror(shape) if mirrored else shape
                )
            )
    return regions


REGIONS: tuple[Region, ...] = (
    Region("front_head", "Face and front of head", "front", _ellipse(100, 32, 24, 27)),
    Region("front_neck", "Front of neck", "front", _rect(86, 58, 28, 18, 6)),
    Region("front_chest", "Chest", "front", _rect(70, 74, 60, 64, 14)),
    Region("front_abdomen", "Stomach (abdomen)", "front", _rect(70, 138, 60, 56, 6)),
    *_limbs("front", _FRONT_LIMBS),
    Region("back_head", "Back of head", "back", _ellipse(100, 32, 24, 27)),
    Region("back_neck", "Back of neck", "back", _rect(86, 58, 28, 18, 6)),
    Region("back_upper", "Upper back and shoulder blades", "back", _rect(70, 74, 60, 64, 14)),
    Region("back_lower", "Lower back", "back", _rect(70, 138, 60, 42, 6)),
    *_limbs("back", _BACK_LIMBS),
    # Drawn after the buttocks, so it is on top where they meet.
    Region(
        "back_sacrum",
        "Base of the spine (sacrum and tailbone)",
        "back",
        _rect(82, 180, 36, 28, 10),
    ),
)

BY_CODE: dict[str, Region] = {r.code: r for r in REGIONS}
CODES: list[str] = [r.code for r in REGIONS]


def label_of(code: str) -> str:
    region = BY_CODE.get(code)
    return region.label if region else code


def on_side(side: str) -> list[Region]:
    return [r for r in REGIONS if r.side == side]


def reference() -> list[dict[str, str]]:
    """`/api/v1/reference` "body_regions": every region with its side."""
    return [{"code": r.code, "label": r.label, "side": r.side} for r in REGIONS]


def choices_by_side() -> list[tuple[str, list[tuple[str, str]]]]:
    """For a select: each side's regions, in the order of the outline."""
    return [(SIDE_LABELS[side], [(r.code, r.label) for r in on_side(side)]) for side in SIDES]
