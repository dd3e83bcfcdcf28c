"""What the service worker precaches, with content revisions so a deploy updates
every phone cleanly."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from flask import current_app, url_for

import settings
from core.templating import asset_revision

# The app shell: what must be on the phone for any page to work with no signal.
SHELL_ASSETS = [
    "vendor/candour.css",
    "vendor/htmx.min.js",
    "js/app.js",
    "icons/icon.svg",
    "icons/icon-192.png",
    "icons/icon-512.png",
    "icons/icon-maskable-512.png",
]

WORKER_SOURCE = settings.ROOT / "service-worker.js"


def precache_manifest() -> list[dict[str, str]]:
    entries = [
        {
            "url": url_for("static", filename=name, v=asset_revision(name)),
            "revision": asset_revision(name),
        }
        for name in SHELL_ASSETS
    ]
    entries.append(
        {"url": url_for("pwa.offline"), "revision": _template_revision("pwa/offline.html")}
    )
    return entries


def _template_revision(name: str) -> str:
    path = Path(current_app.root_path) / "templates" / name
    return hashlib.sha256(path.read_bytes()).hexdigest()[:12]


def worker_script() -> str:
    """The worker's source with its precache list in front. Any change to the list
    or to the source changes the bytes, which makes browsers install the new
    version."""
    manifest = precache_manifest()
    source = WORKER_SOURCE.read_text(encoding="utf-8")
    version = hashlib.sha256((json.dumps(manifest) + source).encode()).hexdigest()[:12]
    header = (
        f"const SW_VERSION = {json.dumps(version)};\nconst PRECACHE = {json.dumps(manifest)};\n"
    )
    return header + source
