"""The service worker and manifest are served as installable-app files."""

from __future__ import annotations

import json


def test_service_worker_is_served_at_the_root_uncached(client):
    response = client.get("/service-worker.js")
    assert response.status_code == 200
    assert response.mimetype == "text/javascript"
    assert response.headers["Cache-Control"] == "no-cache"
    body = response.get_data(as_text=True)
    assert body.startswith("const SW_VERSION = ")


def test_precache_lists_the_app_shell_with_revisions(client):
    body = client.get("/service-worker.js").get_data(as_text=True)
    line = body.splitlines()[1]
    manifest = json.loads(line.removeprefix("const PRECACHE = ").rstrip(";"))
    urls = [entry["url"] for entry in manifest]
    assert any(u.startswith("/static/vendor/candour.css?v=") for u in urls)
    assert any(u.startswith("/static/vendor/htmx.min.js?v=") for u in urls)
    assert "/offline" in urls
    assert all(len(entry["revision"]) == 12 for entry in manifest)
    # Every precached URL must exist, or the worker would never install.
    for url in urls:
        assert client.get(url).status_code == 200, url


def test_manifest_makes_the_app_installable(client):
    response = client.get("/manifest.webmanifest")
    body = response.get_json(force=True)
    assert response.mimetype == "application/manifest+json"
    assert body["display"] == "standalone"
    assert body["start_url"] == "/"
    assert any(icon.get("purpose") == "maskable" for icon in body["icons"])
    sizes = {icon["sizes"] for icon in body["icons"]}
    assert {"192x192", "512x512"} <= sizes
