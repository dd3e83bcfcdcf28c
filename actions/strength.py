"""The hierarchy of action strength: a reminder or training on its own is a weaker
action than a change to the system."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from actions.models import Action

_WEAK = re.compile(
    r"\b(remind\w*|re-?train\w*|train(?:ing)?|refresher|coach\w*|memo|e-?mail(?:ed)? (?:all )?staff|"
    r"tell staff|told staff|be (?:more )?careful|awareness|warn\w*|read (?:the )?policy|"
    r"sign (?:the )?policy|toolbox talk|double[- ]check\w*|discuss\w* (?:at|in) (?:the )?team)\b",
    re.IGNORECASE,
)


_SYSTEM = re.compile(
    r"\b(checklist|check-list|prompt\w*|template|(?:new|revised|redesigned) form|redesign\w*|"
    r"rota\w*|staffing|equipment|sensor|alarm|handover (?:sheet|tool|record|checklist|book)|"
    r"(?:updat|revis|chang|rewrit|amend|review)\w* (?:the |their |his |her )?"
    r"(?:care plan|support plan|risk assessment|falls risk assessment)\w*|"
    r"standardis\w*|automat\w*|electronic|e-?mar|blister|pharmacy|lock\w*|remov\w*|"
    r"replac\w*|install\w*|schedul\w*|call times?|footwear|hoist|grab rails?|monitor\w* pad|"
    r"spot[- ]check\w*|sampl\w*|re-?audit\w*)\b",
    re.IGNORECASE,
)


WEAK_HINT = (
    "Reminders and training on their own are weaker actions: they fade when people are "
    "busy. Pair this with a change to the system, such as a checklist or prompt, a change "
    "to the care plan, rota or equipment, or spot checks that show the change is used."
)


@dataclass(frozen=True)
class Strength:
    level: str  # "weak", "system" or "unknown"

    @property
    def is_weak(self) -> bool:
        return self.level == "weak"

    @property
    def hint(self) -> str:
        return WEAK_HINT if self.is_weak else ""


def action_strength(title: str, detail: str = "") -> Strength:
    """The hierarchy of action strength, roughly: changes to the system (forcing
    functions, checklists, rotas, equipment) are stronger than reminders and
    training, which depend on people remembering."""
    text = f"{title} {detail}"
    if _SYSTEM.search(text):
        return Strength("system")
    if _WEAK.search(text):
        return Strength("weak")
    return Strength("unknown")


def only_weak(actions: Iterable[Action]) -> bool:
    """Every action agreed is a reminder or training: nothing changes the system."""
    items = list(actions)
    return bool(items) and all(action_strength(a.title, a.detail).is_weak for a in items)
