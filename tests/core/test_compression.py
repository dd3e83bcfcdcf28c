"""Pages compressed on their way out (core/compression.py), only for requests the
page made itself or the person typed: never for another site's (BREACH)."""

from __future__ import annotations

import gzip

import brotli
import pytest
from flask import Flask

DECODE = {"br": brotli.decompress, "gzip": gzip.decompress}


@pytest.mark.parametrize(("accepts", "encoding"), [("gzip, deflate, br", "br"), ("gzip", "gzip")])
@pytest.mark.parametrize("site", ["same-origin", "none"])
def test_a_page_the_person_opened_comes_compressed(
    app: Flask, accepts: str, encoding: str, site: str
) -> None:
    plain = app.test_client().get("/login").get_data()
    response = app.test_client().get(
        "/login", headers={"Accept-Encoding": accepts, "Sec-Fetch-Site": site}
    )
    assert response.status_code == 200
    assert response.headers["Content-Encoding"] == encoding
    assert "Accept-Encoding" in response.headers["Vary"]
    body = DECODE[encoding](response.get_data())
    assert b"Sign in" in body
    assert len(response.get_data()) < len(body) / 2
    # The same page (its CSRF token aside) as sent uncompressed.
    assert body.split(b'name="csrf_token"')[0] == plain.split(b'name="csrf_token"')[0]


@pytest.mark.parametrize("site", ["cross-site", "same-site", None])
def test_a_page_another_site_asked_for_is_never_compressed(app: Flask, site: str | None) -> None:
    headers = {"Accept-Encoding": "br, gzip"}
    if site:
        headers["Sec-Fetch-Site"] = site
    response = app.test_client().get("/login", headers=headers)
    assert "Content-Encoding" not in response.headers
    assert b"Sign in" in response.get_data()


def test_the_worker_script_comes_compressed_and_still_answers_304(app: Flask) -> None:
    client = app.test_client()
    headers = {"Accept-Encoding": "br", "Sec-Fetch-Site": "same-origin"}
    first = client.get("/service-worker.js", headers=headers)
    assert first.headers["Content-Encoding"] == "br"
    assert brotli.decompress(first.get_data()).startswith(b"const SW_VERSION = ")
    assert first.headers["ETag"].startswith('W/"')
    again = client.get(
        "/service-worker.js", headers={**headers, "If-None-Match": first.headers["ETag"]}
    )
    assert again.status_code == 304
