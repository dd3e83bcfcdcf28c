"""Pages (and the service worker's script) compressed on their way out, brotli or
gzip as the browser accepts: the incident form is 37 KB of HTML and about 6 KB
compressed, on a carer's phone on one bar. Static files come compressed already
(core/static_files.py).

Only for requests the page itself made (`Sec-Fetch-Site: same-origin`) or the
person typed (`none`): compressing a page that holds a secret (the CSRF token)
next to text an attacker chose lets them guess the secret from the sizes
(BREACH); their site can only make cross-site requests, which are never
compressed, nor are those of a browser that does not say (older ones).
"""

from __future__ import annotations

import gzip

import brotli
from flask import Flask, Response, request

COMPRESSIBLE = frozenset({"text/html", "text/javascript"})
TRUSTED_SITES = frozenset({"same-origin", "none"})
# Below this, the headers cost more than compression saves.
MIN_BYTES = 1024
# Fast settings: compressed on each request (brotli 5 is within a few per cent of 11).
BROTLI_QUALITY = 5
GZIP_LEVEL = 6


def _encoding() -> str | None:
    if request.headers.get("Sec-Fetch-Site") not in TRUSTED_SITES:
        return None
    accepted = request.accept_encodings
    if accepted["br"]:
        return "br"
    if accepted["gzip"]:
        return "gzip"
    return None


def compress(response: Response) -> Response:
    if response.mimetype not in COMPRESSIBLE:
        return response
    response.vary.add("Accept-Encoding")
    if (
        response.status_code < 200
        or response.status_code in (204, 304)
        or response.direct_passthrough
        or response.is_streamed
        or "Content-Encoding" in response.headers
    ):
        return response
    encoding = _encoding()
    body = response.get_data()
    if encoding is None or len(body) < MIN_BYTES:
        return response
    if encoding == "br":
        packed = brotli.compress(body, mode=brotli.MODE_TEXT, quality=BROTLI_QUALITY)
    else:
        packed = gzip.compress(body, compresslevel=GZIP_LEVEL)
    response.set_data(packed)
    response.headers["Content-Encoding"] = encoding
    # Another encoding of the same content: an ETag that named the bytes is weak now.
    etag, weak = response.get_etag()
    if etag and not weak:
        response.set_etag(etag, weak=True)
    return response


def init_app(app: Flask) -> None:
    # after_request functions run last-registered first: core registers this
    # before anything else, so it sees each answer complete.
    app.after_request(compress)
