"""`flask --app app push-keys`: a new VAPID key pair for the environment."""

from __future__ import annotations

import click
from flask import Flask, current_app

from notifications.push import keys

PLACEHOLDER = "mailto:it@your-provider.example"


def init_app(app: Flask) -> None:
    @app.cli.command("push-keys")
    @click.option(
        "--subject",
        default=None,
        help="A mailto: or https: address push services may contact "
        "(default: PUBLIC_URL when it is https).",
    )
    def push_keys(subject: str | None) -> None:
        """Print a new VAPID key pair and subject, as lines for the environment.
        Made once: a new pair stops the alerts of every device until it is
        switched on again."""
        if subject is None:
            public_url = str(current_app.config.get("PUBLIC_URL") or "")
            subject = public_url if public_url.startswith("https://") else PLACEHOLDER
        elif not subject.startswith(("mailto:", "https://")):
            raise click.UsageError("--subject must start with mailto: or https://")
        public, private = keys.new_key_pair()
        click.echo(f"VAPID_PUBLIC_KEY={public}")
        click.echo(f"VAPID_PRIVATE_KEY={private}")
        click.echo(f"VAPID_SUBJECT={subject}")
        click.echo(
            "Keep VAPID_PRIVATE_KEY secret, like SECRET_KEY, and the same from one "
            "start to the next.",
            err=True,
        )
