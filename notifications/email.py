"""The "email" channel: plain-text e-mail over SMTP (the standard library's
smtplib and email: nothing to install, and all Candour needs is one short
plain-text message to one address per send).

A message holds a subject, a line or two without personal data and a link to
PUBLIC_URL + link_path; nothing else is added.
"""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from email.utils import make_msgid

from flask import Flask, current_app

from core.models import User
from notifications.channels import Gone, TemporaryFailure, register_channel
from notifications.models import Message

NAME = "email"


def init_app(app: Flask) -> None:
    register_channel(app, NAME, send, available, label="E-mail")


def configured() -> bool:
    return bool(current_app.config.get("MAIL_SERVER"))


def available(user: User) -> bool:
    return configured() and bool(user.email) and "@" in user.email


def link(message: Message) -> str:
    base = current_app.config.get("PUBLIC_URL", "").rstrip("/")
    return f"{base}{message.link_path}"


def compose(message: Message, to: str) -> EmailMessage:
    config = current_app.config
    sender = config["MAIL_FROM"] or f"candour@{config['MAIL_SERVER']}"
    email = EmailMessage()
    email["Subject"] = message.subject
    email["From"] = sender
    email["To"] = to
    # The same Message-ID when a message is sent again after a crash, so mail
    # programs may recognise the duplicate.
    email["Message-ID"] = make_msgid(idstring=f"candour-{message.id}")
    email.set_content(f"{message.text}\n\n{link(message)}\n\n— Candour\n")
    return email


def send(message: Message) -> None:
    config = current_app.config
    if not configured():
        raise Gone("e-mail is not set up (MAIL_SERVER)")
    email = compose(message, message.recipient.email)
    try:
        with _connect() as smtp:
            if config["MAIL_USERNAME"]:
                smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"])
            smtp.send_message(email)
    except smtplib.SMTPRecipientsRefused as exc:
        codes = [code for code, _ in exc.recipients.values()]
        if codes and all(500 <= code < 600 for code in codes):
            raise Gone(f"the mail server refused the address ({codes[0]})") from exc
        raise TemporaryFailure(f"the mail server refused for now ({codes})") from exc
    except smtplib.SMTPResponseException as exc:
        raise TemporaryFailure(f"mail server answered {exc.smtp_code}") from exc
    except (OSError, smtplib.SMTPException) as exc:
        raise TemporaryFailure(f"mail server not reachable: {exc.__class__.__name__}") from exc


def _connect() -> smtplib.SMTP:
    config = current_app.config
    host, port, timeout = config["MAIL_SERVER"], config["MAIL_PORT"], config["MAIL_TIMEOUT_SECONDS"]
    if config["MAIL_USE_SSL"]:
        return smtplib.SMTP_SSL(host, port, timeout=timeout, context=ssl.create_default_context())
    smtp = smtplib.SMTP(host, port, timeout=timeout)
    if config["MAIL_USE_TLS"]:
        try:
            smtp.starttls(context=ssl.create_default_context())
        except BaseException:
            smtp.close()
            raise
    return smtp
