"""What the service worker precaches, with content revisions so a deploy updates
every phone cleanly, and the web app manifest."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from flask import current_app, url_for
from werkzeug.exceptions import HTTPException

import settings
from core.static_build import BUNDLES, OUTBOX_BUNDLE, OUTBOX_PAGE_SCRIPT, PAGE_BUNDLE
from core.templating import asset_revision, bundle_scripts

# The outbox's scripts, in load order: pages load them (core/static_build.py
# bundles them as OUTBOX_BUNDLE), the worker imports them (static/js/offline/*.js
# keep queue, storage and request serialisation apart).
OUTBOX_SCRIPTS = BUNDLES[OUTBOX_BUNDLE]
# What the worker itself runs (no page code).
WORKER_SCRIPTS = OUTBOX_SCRIPTS
# The page's own part of the outbox, after OUTBOX_SCRIPTS, in load order
# (PAGE_BUNDLE); page.js starts the rest and, on a page kept from before there
# were parts (it names only page.js), loads them itself from its own list, which
# must stay the same.
PAGE_SCRIPTS = BUNDLES[PAGE_BUNDLE]
# The stylesheet of the pages of a carer's first visit (the sign-in page and
# /incidents/new): candour.css purged against only what those pages can show.
REPORT_STYLESHEET = "vendor/candour-report.css"
# The no-signal page's count of what waits (with store.js, no page parts).
OFFLINE_PAGE_SCRIPTS = ["js/offline/waiting.js"]

# The app shell: what must be on the phone for any page to work with no signal.
# The scripts one by one as well as in bundles (`shell_assets`): a page kept by an
# older version names them so, and page.js loads its parts so on such a page.
SHELL_ASSETS = [
    "vendor/candour.css",
    # The sign-in page's and the incident form's smaller stylesheet (only the
    # rules they can show: purgecss.report.cjs).
    REPORT_STYLESHEET,
    "vendor/htmx.min.js",
    "js/app.js",
    *OUTBOX_SCRIPTS,
    *PAGE_SCRIPTS,
    OUTBOX_PAGE_SCRIPT,
    *OFFLINE_PAGE_SCRIPTS,
    # The forms' own scripts (the spot check's progress and notes, the incident
    # form's reveals and rows): the kept blank forms name them, so they must be
    # on the phone too. (The worker also keeps any other file a kept page names.)
    "js/audit-form.js",
    "js/incident-form.js",
    "js/body-map.js",
    "js/photos.js",
    "icons/icon.svg",
    "icons/icon-192.png",
    "icons/icon-512.png",
    "icons/icon-maskable-512.png",
]

# Pages a carer or supervisor must be able to open with no signal: the blank
# forms and the outbox. Cached per signed-in user (the forms list the people of
# their branch) and only those this app actually serves.
# "/bulletins": learning bulletins are anonymised by rule (no names, initials or
# references), so the list, with each bulletin's text, can be read with no signal.
OFFLINE_PAGE_CANDIDATES = ["/incidents/new", "/audits/new", "/outbox", "/bulletins"]

WORKER_SOURCE = settings.ROOT / "service-worker.js"


def shell_assets() -> list[str]:
    """SHELL_ASSETS and each bundle that is built (pages name only those)."""
    built = [name for name in BUNDLES if bundle_scripts(name) == [name]]
    return [*SHELL_ASSETS, *built]


def page_scripts() -> list[str]:
    """What a signed-in page loads for the outbox: its bundles, or their sources."""
    return [*bundle_scripts(OUTBOX_BUNDLE), *bundle_scripts(PAGE_BUNDLE)]


def precache_manifest() -> list[dict[str, str]]:
    entries = [
        {
            "url": url_for("static", filename=name, v=asset_revision(name)),
            "revision": asset_revision(name),
        }
        for name in shell_assets()
    ]
    for endpoint, template in (
        ("pwa.offline", "pwa/offline.html"),
        ("pwa.saved", "pwa/saved.html"),
    ):
        entries.append({"url": url_for(endpoint), "revision": _template_revision(template)})
    return entries


def _template_revision(name: str) -> str:
    path = Path(current_app.root_path) / "templates" / name
    return hashlib.sha256(path.read_bytes()).hexdigest()[:12]


def offline_pages() -> list[str]:
    """The candidate pages that exist in this app (a GET route answers them)."""
    adapter = current_app.url_map.bind("localhost")
    found = []
    for path in OFFLINE_PAGE_CANDIDATES:
        try:
            adapter.match(path, method="GET")
        except HTTPException:  # no such page here (or only under another path)
            continue
        found.append(path)
    return found


def worker_imports() -> list[str]:
    return [
        url_for("static", filename=name, v=asset_revision(name))
        for name in bundle_scripts(OUTBOX_BUNDLE)
    ]


def worker_script() -> str:
    """The worker's source with its settings in front. Any change to the shell, the
    imported scripts or the source changes the bytes, which makes browsers install
    the new version."""
    manifest = precache_manifest()
    imports = worker_imports()
    pages = offline_pages()
    source = WORKER_SOURCE.read_text(encoding="utf-8")
    version = hashlib.sha256(
        (json.dumps([manifest, imports, pages]) + source).encode()
    ).hexdigest()[:12]
    header = (
        f"const SW_VERSION = {json.dumps(version)};\n"
        f"const PRECACHE = {json.dumps(manifest)};\n"
        f"const SW_IMPORTS = {json.dumps(imports)};\n"
        f"const OFFLINE_PAGES = {json.dumps(pages)};\n"
    )
    return header + source


def web_manifest() -> dict[str, Any]:
    """The web app manifest: the name, colours and icons a phone uses when Candour
    is added to its home screen."""
    return {
        "name": "Candour – learning from incidents",
        "short_name": "Candour",
        "description": "Report incidents and near misses, complete spot checks, learn together.",
        "start_url": url_for("core.home"),
        "scope": "/",
        "display": "standalone",
        "background_color": "#ffffff",
        "theme_color": "#005eb8",
        "lang": "en-GB",
        "icons": [
            {
                "src": url_for("static", filename="icons/icon-192.png"),
                "sizes": "192x192",
                "type": "image/png",
            },
            {
                "src": url_for("static", filename="icons/icon-512.png"),
                "sizes": "512x512",
                "type": "image/png",
            },
            {
                "src": url_for("static", filename="icons/icon-maskable-512.png"),
                "sizes": "512x512",
                "type": "image/png",
                "purpose": "maskable",
            },
        ],
    }
