"""The service worker and manifest are served as installable-app files."""

from __future__ import annotations

import json
import re

import settings
from core.static_build import (
    BUNDLES,
    INCIDENT_FORM_BUNDLE,
    OUTBOX_BUNDLE,
    OUTBOX_PAGE_SCRIPT,
    PAGE_BUNDLE,
    REPORT_BUNDLE,
    REPORT_LATER_BUNDLE,
)
from pwa import services


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


def _header(client, name: str):
    body = client.get("/service-worker.js").get_data(as_text=True)
    for line in body.splitlines()[:4]:
        if line.startswith(f"const {name} = "):
            return json.loads(line.removeprefix(f"const {name} = ").rstrip(";"))
    raise AssertionError(f"{name} missing from the worker")


def test_the_worker_imports_the_outbox_bundle_it_shares_with_pages(client):
    imports = _header(client, "SW_IMPORTS")
    assert [u.split("?")[0] for u in imports] == [f"/static/{OUTBOX_BUNDLE}"]
    assert services.WORKER_SCRIPTS == [
        "vendor/idb.umd.js",
        "js/offline/store.js",
        "js/offline/serialise.js",
        "js/offline/payloads.js",
        "js/offline/queue.js",
        "js/offline/photo-outbox.js",
    ]
    precached = {entry["url"] for entry in _header(client, "PRECACHE")}
    assert set(imports) <= precached  # revisioned, and on the phone before it is needed
    for url in imports:
        assert client.get(url).status_code == 200


def test_the_shell_keeps_the_bundles_and_each_script_pages_kept_before_named(client):
    """A page kept by an older version names the scripts one by one (or only
    page.js, which then loads its parts): with no signal the worker answers them
    from its shell, whatever revision the page names."""
    precached = {entry["url"].split("?")[0] for entry in _header(client, "PRECACHE")}
    bundles = {
        f"/static/{name}"
        for name in (
            OUTBOX_BUNDLE,
            PAGE_BUNDLE,
            INCIDENT_FORM_BUNDLE,
            REPORT_BUNDLE,
            REPORT_LATER_BUNDLE,
        )
    }
    assert bundles <= precached
    for name in [
        *services.OUTBOX_SCRIPTS,
        *services.PAGE_SCRIPTS,
        OUTBOX_PAGE_SCRIPT,
        *BUNDLES[INCIDENT_FORM_BUNDLE],
    ]:
        assert f"/static/{name}" in precached, name


def test_the_worker_keeps_only_blank_forms_and_the_outbox_page(client, app):
    pages = _header(client, "OFFLINE_PAGES")
    assert "/incidents/new" in pages
    assert "/outbox" in pages
    # Only pages this app serves (an unbuilt page would never be kept).
    adapter = app.url_map.bind("localhost")
    for path in pages:
        adapter.match(path, method="GET")


def test_a_deploy_that_changes_a_script_changes_the_worker(client, app, monkeypatch):
    before = _header(client, "SW_VERSION")
    files = app.extensions["candour_static"]
    served = files.revision
    # What a deploy does to one script: its content, so its revision, changes.
    monkeypatch.setattr(
        files,
        "revision",
        lambda name: "changed00001" if name == "js/offline/queue.js" else served(name),
    )
    assert _header(client, "SW_VERSION") != before
    monkeypatch.undo()
    assert _header(client, "SW_VERSION") == before


def test_the_worker_script_is_asked_for_again_cheaply(client):
    first = client.get("/service-worker.js")
    again = client.get("/service-worker.js", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304
    assert again.headers["Cache-Control"] == "no-cache"


def test_the_outbox_page_needs_sign_in(client, seeded):
    response = client.get("/outbox")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_the_outbox_page_explains_itself_without_javascript(sign_in):
    html = sign_in("carer1").get("/outbox").get_data(as_text=True)
    assert '<h1 class="nhsuk-heading-l">Waiting to be sent</h1>' in html
    assert "saved on this phone and sent by themselves" in html
    assert "needs JavaScript" in html
    assert "data-outbox hidden" in html


def test_every_signed_in_page_has_the_outbox_badge_and_a_guarded_sign_out(sign_in, client):
    html = sign_in("carer1").get("/").get_data(as_text=True)
    assert 'href="/outbox" class="app-outbox-link"' in html
    assert "data-outbox-count" in html
    assert "data-sign-out" in html
    assert f"/static/{PAGE_BUNDLE}?v=" in html
    anonymous = client.get("/login").get_data(as_text=True)
    assert "data-outbox-count" not in anonymous
    assert "js/bundles/" not in anonymous


def test_pages_name_the_outbox_parts_in_order_and_page_js_knows_them():
    """page.js loads its parts itself on a page kept before there were parts (it
    names only page.js): its list must be the one pages name today."""
    source = (settings.ROOT / "static/js/offline/page.js").read_text(encoding="utf-8")
    listed = re.search(r"const PARTS = \[(.*?)\];", source, re.DOTALL)
    assert listed is not None
    names = [f"js/offline/{name}" for name in re.findall(r"'([^']+)'", listed.group(1))]
    assert [*names, "js/offline/page.js"] == services.PAGE_SCRIPTS
    for name in services.PAGE_SCRIPTS:
        assert (settings.ROOT / "static" / name).is_file(), name
        assert name in services.SHELL_ASSETS, name


def test_signed_in_pages_load_the_outbox_bundle_then_the_page_bundle(sign_in):
    html = sign_in("carer1").get("/").get_data(as_text=True)
    loaded = re.findall(
        r'<script src="/static/(js/(?:offline|bundles)/[^"?]+|vendor/idb[^"?]+)\?v=', html
    )
    assert loaded == [OUTBOX_BUNDLE, PAGE_BUNDLE]


def test_the_incident_form_loads_its_scripts_as_one_bundle_and_names_the_rest(sign_in):
    """What the form loads (REPORT_BUNDLE) and what it names for later, to save
    or send (REPORT_LATER_BUNDLE): together every outbox, page and form script,
    each once, in load order within each."""
    html = sign_in("carer1").get("/incidents/new").get_data(as_text=True)
    loaded = re.findall(r'<script src="/static/(js/[^"?]+|vendor/idb[^"?]+)\?v=', html)
    assert loaded == ["js/app.js", REPORT_BUNDLE]
    later = re.search(r'<meta name="candour-later-scripts" content="([^"]*)">', html)
    assert later is not None
    assert [url.split("?")[0] for url in later.group(1).split()] == [
        f"/static/{REPORT_LATER_BUNDLE}"
    ]
    everything = [*services.OUTBOX_SCRIPTS, *services.PAGE_SCRIPTS, *BUNDLES[INCIDENT_FORM_BUNDLE]]
    now, then = BUNDLES[REPORT_BUNDLE], BUNDLES[REPORT_LATER_BUNDLE]
    assert sorted([*now, *then]) == sorted(everything)
    assert now == [name for name in everything if name not in then]
    assert then == [name for name in everything if name in then]


def test_only_the_outbox_page_loads_the_outbox_pages_own_part(sign_in):
    client = sign_in("carer1")
    outbox = client.get("/outbox").get_data(as_text=True)
    loaded = re.findall(r'<script src="/static/(js/(?:offline|bundles)/[^"?]+)\?v=', outbox)
    assert loaded == [OUTBOX_BUNDLE, PAGE_BUNDLE, OUTBOX_PAGE_SCRIPT]
    assert OUTBOX_PAGE_SCRIPT not in services.PAGE_SCRIPTS
    for path in ("/", "/incidents/new"):
        assert OUTBOX_PAGE_SCRIPT not in client.get(path).get_data(as_text=True), path


def test_with_a_bundle_out_of_date_pages_name_its_sources_one_by_one(sign_in, app, monkeypatch):
    """An edited script not yet built: pages (and the worker) load the sources as
    they are, never the older bundle."""
    files = app.extensions["candour_static"]
    monkeypatch.setattr(files, "_bundle_path", lambda rel: None)
    html = sign_in("carer1").get("/").get_data(as_text=True)
    loaded = re.findall(
        r'<script src="/static/(js/(?:offline|bundles)/[^"?]+|vendor/idb[^"?]+)\?v=', html
    )
    assert loaded == services.OUTBOX_SCRIPTS + services.PAGE_SCRIPTS


def _classes_in_css(path: str) -> set[str]:
    css = (settings.ROOT / "static" / path).read_text(encoding="utf-8")
    return set(re.findall(r"\.(-?[_a-zA-Z][\w-]*)", css))


def _classes_in_html(html: str) -> set[str]:
    return {name for found in re.findall(r'class="([^"]*)"', html) for name in found.split()}


def test_the_report_stylesheet_keeps_every_rule_the_sign_in_page_and_the_form_use(sign_in, client):
    """The sign-in page and /incidents/new (blank, and with the server's errors)
    name the smaller stylesheet: every class they use that candour.css styles, it
    styles too (purgecss.report.cjs lists what they are made of)."""
    full = _classes_in_css("vendor/candour.css")
    report = _classes_in_css(services.REPORT_STYLESHEET)
    carer = sign_in("carer1")
    pages = {
        "sign-in": client.get("/login").get_data(as_text=True),
        "sign-in with errors": client.post_form("/login", {"email": "x"}).get_data(as_text=True),
        "form": carer.get("/incidents/new").get_data(as_text=True),
        "form with errors": carer.post_form("/incidents/new", {}).get_data(as_text=True),
    }
    assert report < full  # smaller: other pages' rules are left out
    for name, html in pages.items():
        assert services.REPORT_STYLESHEET in html, name
        used = _classes_in_html(html) & full
        assert used, name
        assert used <= report, (name, sorted(used - report))
