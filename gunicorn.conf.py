"""gunicorn's settings for Candour. gunicorn reads ./gunicorn.conf.py from the
directory it is started in (docs/operations.md); `-c gunicorn.conf.py` names it
from anywhere else.

gunicorn writes a `Server: gunicorn` header into every answer itself, below the
app, and has no setting to leave it out: this takes it out, so answers do not say
which server (and so which known weaknesses) to try.
"""

from __future__ import annotations

from typing import Any

from gunicorn.http import wsgi

_gunicorn_default_headers = wsgi.Response.default_headers


def _default_headers_without_server(self: Any) -> list[str]:
    headers: list[str] = _gunicorn_default_headers(self)
    return [h for h in headers if not h.lower().startswith("server:")]


wsgi.Response.default_headers = _default_headers_without_server  # type: ignore[method-assign]

# Settings can also come from the command line (which wins) or GUNICORN_CMD_ARGS.
bind = "127.0.0.1:8000"
workers = 4
