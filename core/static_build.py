"""The served copy of static/ in build/static/, made by `make setup`
(`core.static_build.main`): the scripts minified (esbuild, pinned in
package.json; no source maps), every other file copied, and beside each file
that compresses well its gzip (.gz) and brotli (.br) copies, made once here so
the app never compresses a static file while someone waits.

Bundles (BUNDLES): the scripts a kind of page loads, made into one file here
(each source in its own function scope, so one file's 'use strict' stays its
own, then minified), so a phone with no service worker asks for one file, not
a dozen, each with its own headers. A bundle has no source of its own: pages
name it only while it is built from its sources as they are now, else its
sources one by one (core/static_files.py `scripts`).

build/static/manifest.json names, for each file, the SHA-256 of the source it
was made from (for a bundle, `bundle_digest` of its sources'): core/static_files.py
serves a built copy only while its source is unchanged (an edited script not yet
rebuilt is served as it is, uncompressed; never an older copy). git ignores build/.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import brotli

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "static"
BUILD = ROOT / "build" / "static"
MANIFEST = "manifest.json"
ESBUILD = ROOT / "node_modules" / ".bin" / "esbuild"
# What pages never load: the stylesheet's sources, dot files (build stamps).
NOT_SERVED_DIRS = ("scss",)
# Already compressed: a second pass only costs time.
NOT_COMPRESSED = (".png", ".jpg", ".jpeg", ".gif", ".webp", ".woff", ".woff2", ".gz", ".br")
# A compressed copy is kept only when it saves at least this share of the file.
WORTH_IT = 0.95

# The outbox: what the service worker imports and every signed-in page loads
# first (pwa/services.py OUTBOX_SCRIPTS), in load order.
OUTBOX_BUNDLE = "js/bundles/outbox.js"
# The page's own part of the outbox (pwa/services.py PAGE_SCRIPTS), page.js last.
# Not the outbox page's own part (OUTBOX_PAGE_SCRIPT): only /outbox loads it.
PAGE_BUNDLE = "js/bundles/page.js"
# The incident form's own scripts (templates/incidents/new.html named this bundle
# until REPORT_BUNDLE; a form kept on a phone before that still names it).
INCIDENT_FORM_BUNDLE = "js/bundles/incident-form.js"
# What /incidents/new loads after htmx and app.js, as one file: the outbox's
# storage, the page's part of it and the form's own scripts. A phone with no
# service worker takes them in one answer, compressed together (docs/operations.md
# "Static files and page weight").
REPORT_BUNDLE = "js/bundles/report.js"
# The rest of the outbox, which the form needs only once something is saved or
# sent (payloads, the queue, photos, the offline checks): the page names it in a
# meta and page-common.js loads it then (the worker's shell keeps it).
REPORT_LATER_BUNDLE = "js/bundles/report-later.js"
OUTBOX_SOURCES = [
    "vendor/idb.umd.js",
    "js/offline/store.js",
    "js/offline/serialise.js",
    "js/offline/payloads.js",
    "js/offline/queue.js",
    "js/offline/photo-outbox.js",
]
PAGE_SOURCES = [
    "js/offline/page-common.js",
    "js/offline/badge.js",
    "js/offline/replay-triggers.js",
    "js/offline/form-messages.js",
    "js/offline/drafts.js",
    "js/offline/checks.js",
    "js/offline/form-capture.js",
    "js/offline/notices.js",
    "js/offline/sign-out.js",
    "js/offline/page.js",
]
INCIDENT_FORM_SOURCES = ["js/incident-form.js", "js/body-map.js", "js/photos.js"]
LATER_SOURCES = [
    "js/offline/payloads.js",
    "js/offline/queue.js",
    "js/offline/photo-outbox.js",
    "js/offline/checks.js",
]
BUNDLES: dict[str, list[str]] = {
    OUTBOX_BUNDLE: OUTBOX_SOURCES,
    PAGE_BUNDLE: PAGE_SOURCES,
    INCIDENT_FORM_BUNDLE: INCIDENT_FORM_SOURCES,
    REPORT_BUNDLE: [
        *(name for name in [*OUTBOX_SOURCES, *PAGE_SOURCES] if name not in LATER_SOURCES),
        *INCIDENT_FORM_SOURCES,
    ],
    REPORT_LATER_BUNDLE: LATER_SOURCES,
}
# The outbox page's own part (what waits, "Send now"): /outbox loads it after
# PAGE_BUNDLE; page.js loads it on an outbox page that does not name it.
OUTBOX_PAGE_SCRIPT = "js/offline/outbox-page.js"


def is_served(rel: str) -> bool:
    """Whether a path under static/ (relative to it) is one the app serves."""
    parts = rel.split("/")
    return parts[0] not in NOT_SERVED_DIRS and not any(p.startswith(".") for p in parts)


def served_files(source: Path = SOURCE) -> list[str]:
    """Every file under static/ the app serves, as paths relative to it."""
    return [
        rel
        for path in sorted(source.rglob("*"))
        if path.is_file() and is_served(rel := path.relative_to(source).as_posix())
    ]


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _minify(scripts: list[str], build: Path, source: Path) -> None:
    """Our own scripts, minified in one esbuild run (vendor files come minified)."""
    if not scripts:
        return
    # Our own file names only, no shell: nothing from outside reaches the command.
    subprocess.run(  # noqa: S603
        [
            str(ESBUILD),
            *[str(source / rel) for rel in scripts],
            "--minify",
            "--log-level=warning",
            f"--outbase={source}",
            f"--outdir={build}",
        ],
        check=True,
        cwd=ROOT,
    )


def bundle_digest(source_digests: list[str | None]) -> str | None:
    """What a bundle is made from, as one digest (None while a source is missing)."""
    if any(found is None for found in source_digests):
        return None
    return digest("\n".join(str(found) for found in source_digests).encode())


def _bundle(name: str, sources: list[str], build: Path, source: Path) -> str | None:
    """Write build/name from its sources; return bundle_digest (None: not made,
    a source is missing)."""
    paths = [source / rel for rel in sources]
    if not all(path.is_file() for path in paths):
        return None
    texts = [path.read_text(encoding="utf-8") for path in paths]
    # Each file in its own function scope, `this` as at the top of a script.
    joined = "".join(f"(function(){{\n{text}\n}}).call(this);\n" for text in texts)
    made = subprocess.run(  # noqa: S603
        [str(ESBUILD), "--loader=js", "--minify", "--log-level=warning"],
        input=joined.encode(),
        capture_output=True,
        check=True,
        cwd=ROOT,
    )
    out = build / name
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(made.stdout)
    _compressed(out)
    return bundle_digest([digest(path.read_bytes()) for path in paths])


def _compressed(path: Path) -> None:
    """Write path.gz and path.br when they are worth it; remove any older ones."""
    for suffix in (".gz", ".br"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    if path.suffix.lower() in NOT_COMPRESSED:
        return
    data = path.read_bytes()
    if not data:
        return
    # mtime=0: the same bytes give the same file, build after build.
    copies = {
        ".gz": gzip.compress(data, compresslevel=9, mtime=0),
        ".br": brotli.compress(data, mode=brotli.MODE_TEXT, quality=11),
    }
    for suffix, packed in copies.items():
        if len(packed) <= WORTH_IT * len(data):
            Path(f"{path}{suffix}").write_bytes(packed)


def build(
    source: Path = SOURCE, target: Path = BUILD, bundles: dict[str, list[str]] | None = None
) -> dict[str, str]:
    """Make target/ from source/ (and the bundles, BUNDLES by default) and return
    its manifest (path -> source SHA-256)."""
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    files = served_files(source)
    own_scripts = [rel for rel in files if rel.endswith(".js") and not rel.startswith("vendor/")]
    _minify(own_scripts, target, source)
    manifest = {}
    for rel in files:
        out = target / rel
        if rel not in own_scripts:
            out.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source / rel, out)
        _compressed(out)
        manifest[rel] = digest((source / rel).read_bytes())
    for name, sources in (BUNDLES if bundles is None else bundles).items():
        made_from = _bundle(name, sources, target, source)
        if made_from:
            manifest[name] = made_from
    (target / MANIFEST).write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n")
    return manifest


def main() -> int:
    manifest = build()
    raw = sum((SOURCE / rel).stat().st_size for rel in manifest if rel not in BUNDLES)
    served = sum((BUILD / rel).stat().st_size for rel in manifest if rel not in BUNDLES)
    brotlied = sum(
        os.path.getsize(p)
        if os.path.exists(p := f"{BUILD / rel}.br")
        else (BUILD / rel).stat().st_size
        for rel in manifest
        if rel not in BUNDLES
    )
    print(
        f"build/static: {len(manifest) - len(BUNDLES)} files and {len(BUNDLES)} bundles, {raw // 1024} KB as written, "
        f"{served // 1024} KB minified, {brotlied // 1024} KB with brotli",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
