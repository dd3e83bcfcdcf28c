"""Whether a request came from htmx, answered once for every page.

A page and its htmx swap share one template (`name.html` includes `_name.html`):
the route renders the partial only when htmx asked for it, and the whole page for
a plain request, a link opened in a new tab or htmx restoring history (which
needs the whole page).
"""

from __future__ import annotations

from htmx_flask import request


def is_htmx_request() -> bool:
    """Sent by htmx (the `HX-Request` header), whatever it wants back."""
    return bool(request.htmx)


def wants_partial() -> bool:
    """An htmx swap that takes only the partial."""
    return is_htmx_request() and not request.htmx.history_restore_request
