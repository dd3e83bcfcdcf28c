"""The record an action comes from, within the caller's scope.

An action may come from an incident, a learning review, a spot check or a
governance meeting. Each of those packages (learning, audits, governance) sits
above this one, so each registers how to find its own records (`add_source`, in
its `init_app`); incidents, below, are found here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from flask import Flask, current_app

from actions.models import Action, ActionSource
from core.errors import OutOfScope
from core.models import User
from incidents.models import Incident, label
from incidents.services import incident_in_scope


@dataclass(frozen=True)
class SourceInfo:
    type: str
    id: str
    title: str
    branch_id: int | None
    incidents: tuple[Incident, ...] = ()
    # The branches an action from it may be for (a meeting of several branches).
    branch_ids: tuple[int, ...] = ()


@dataclass(frozen=True)
class SourceKind:
    # The source within the caller's scope; OutOfScope when it is not.
    resolve: Callable[[User, str], SourceInfo]
    # What anyone who may see an action may know of a source they cannot open
    # (a meeting's title and date, never its minutes); None: its type alone.
    public_title: Callable[[str], str] | None = None


def add_source(app: Flask, source_type: ActionSource, kind: SourceKind) -> None:
    app.extensions.setdefault("candour_action_sources", {})[source_type.value] = kind


def _kind(source_type: str) -> SourceKind | None:
    kinds: dict[str, SourceKind] = current_app.extensions.get("candour_action_sources", {})
    return kinds.get(source_type)


def incident_source(user: User, incident_id: str) -> SourceInfo:
    incident = incident_in_scope(user, incident_id)
    return SourceInfo(
        ActionSource.INCIDENT.value,
        incident.id,
        f"{incident.reference} ({label(incident.category)})",
        incident.branch_id,
        (incident,),
    )


def resolve_source(user: User, source_type: str, source_id: str) -> SourceInfo:
    """The record an action comes from, within the caller's scope."""
    kind = _kind(source_type)
    if kind is None:
        raise OutOfScope(source_type)
    return kind.resolve(user, source_id)


def describe_source(user: User, action: Action) -> SourceInfo:
    """An action's source for display; a source the viewer cannot see shows as
    its type alone (or what its kind lets anyone know)."""
    try:
        return resolve_source(user, action.source_type, action.source_id)
    except OutOfScope:
        kind = _kind(action.source_type)
        if kind is not None and kind.public_title is not None:
            title = kind.public_title(action.source_id)
        else:
            title = ActionSource(action.source_type).value
        return SourceInfo(action.source_type, action.source_id, title, None)


def init_app(app: Flask) -> None:
    add_source(app, ActionSource.INCIDENT, SourceKind(incident_source))
