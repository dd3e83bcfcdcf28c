"""The job queue (Huey): web requests only enqueue; `flask --app app worker` runs
the jobs and the periodic schedule.

QUEUE_URL chooses the storage: empty means a SQLite file under instance/
(instance/queue.db; nothing more to run), `redis://host:port/db` a Redis server
(several worker machines), `sqlite:////path/to/file.db` another SQLite file and
`immediate` runs each job at once in the process that enqueues it (tests only).
Every job reads and writes the database itself, so the queue holds only ids:
losing the queue loses no message (the sweep, every minute, finds them again).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from flask import Flask, current_app
from huey import Huey, MemoryHuey, RedisHuey, SqliteHuey, crontab

import settings
from core.dates import UK

_KEY = "notifications.huey"
_TASKS = "notifications.tasks"


def make_huey(config: dict[str, Any]) -> Huey:
    url: str = config.get("QUEUE_URL", "") or ""
    name: str = config.get("QUEUE_NAME", "candour")
    # results=False: jobs record their outcome in the database; the queue keeps
    # no results (they would pile up in it).
    if url == "immediate":
        return MemoryHuey(name, results=False, immediate=True)
    if url.startswith(("redis://", "rediss://", "unix://")):
        return RedisHuey(name, results=False, url=url)
    if url.startswith("sqlite:///"):
        path = Path(url.removeprefix("sqlite:///"))
    elif not url:
        path = settings.ROOT / "instance" / "queue.db"
    else:
        raise settings.SettingsError(
            f"QUEUE_URL must be empty, redis://… or sqlite:///…, not {url!r}."
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    return SqliteHuey(name, results=False, filename=str(path))


def init_app(app: Flask) -> Huey:
    huey = make_huey(app.config)
    app.extensions[_KEY] = huey
    return huey


def huey(app: Flask | None = None) -> Huey:
    queue: Huey = (app or current_app).extensions[_KEY]
    return queue


def register_task(app: Flask, name: str, func: Callable[..., Any]) -> Callable[..., Any]:
    """A job the worker runs (in an app context); calling the returned function
    with arguments enqueues it (arguments: ids and plain values, never objects)."""

    def run(*args: Any, **kwargs: Any) -> Any:
        with app.app_context():
            return func(*args, **kwargs)

    task: Any = huey(app).task(name=name)(run)
    app.extensions.setdefault(_TASKS, {})[name] = task
    return task  # type: ignore[no-any-return]


def uk_schedule(
    minute: str = "*", hour: str = "*", day_of_week: str = "*"
) -> Callable[[datetime], bool]:
    """A crontab in UK clock time (Huey's own crontab is in UTC): "08:00 every
    Monday" stays 08:00 on the clock across the changes to and from BST."""
    match = crontab(minute=minute, hour=hour, day_of_week=day_of_week)

    def due(moment: datetime) -> bool:
        # Huey passes naive UTC (utc=True).
        utc = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment
        return bool(match(utc.astimezone(UK).replace(tzinfo=None)))

    return due


def add_periodic(
    app: Flask,
    name: str,
    func: Callable[[], Any],
    *,
    minute: str = "*",
    hour: str = "*",
    day_of_week: str = "*",
) -> Callable[..., Any]:
    """Run `func()` (in an app context) on a schedule given in UK clock time,
    crontab style: `add_periodic(app, "digest", send_digests, minute="0", hour="8")`.
    The worker started with `flask --app app worker` runs the schedule."""

    def run() -> Any:
        with app.app_context():
            return func()

    task: Callable[..., Any] = huey(app).periodic_task(
        uk_schedule(minute, hour, day_of_week), name=name
    )(run)
    return task


def enqueue_task(app: Flask, name: str, *args: Any, eta: datetime | None = None) -> None:
    """Enqueue the registered job `name` (now, or not before `eta`)."""
    task = app.extensions[_TASKS][name]
    if eta is None:
        task(*args)
    else:
        task.schedule(args=args, eta=_naive_utc(eta))


def _naive_utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(tzinfo=None)
