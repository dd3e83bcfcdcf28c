"""`flask --app app worker`: the job queue's consumer and its periodic schedule."""

from __future__ import annotations

import logging

import click
from flask import Flask

from notifications import delivery, queue


def init_app(app: Flask) -> None:
    @app.cli.command("worker")
    @click.option("--threads", default=2, show_default=True, help="Jobs run at the same time.")
    @click.option(
        "--periodic/--no-periodic",
        default=True,
        show_default=True,
        help="Run the periodic schedule (on one worker only, when there are several).",
    )
    def worker(threads: int, periodic: bool) -> None:
        """Send messages and run the periodic jobs (stops on Ctrl-C or SIGTERM)."""
        huey = queue.huey(app)
        if huey.immediate:
            raise click.ClickException("QUEUE_URL=immediate runs jobs at once: no worker needed.")
        logging.basicConfig(level=logging.INFO, format="%(asctime)s worker %(message)s")
        # An idle worker looks for new jobs at least every second (max_delay).
        # Messages left "sending" by a worker that was stopped, and any whose
        # enqueue was lost, go now rather than at the next minute.
        queue.enqueue_task(app, delivery.SWEEP)
        click.echo(f"Candour worker: {threads} threads, queue {type(huey).__name__}")
        huey.create_consumer(
            workers=threads, worker_type="thread", periodic=periodic, max_delay=1.0
        ).run()
