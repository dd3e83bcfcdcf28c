"""Static files, served by the app itself (WhiteNoise around the WSGI app), so a
phone gets them compressed and cached for a year whatever is in front of the app.

- What is served: build/static/ (core/static_build.py: scripts minified, gzip and
  brotli copies made by `make setup`), file by file while its source in static/
  is unchanged; else the source as it is. WhiteNoise picks the smallest copy the
  browser accepts (`Content-Encoding`, `Vary: Accept-Encoding`).
- Revisions: `asset_url` adds `?v=` and the first 12 hex digits of the SHA-256 of
  what is served. That URL answers `Cache-Control: public, max-age=31536000,
  immutable`: its bytes never change. Any other URL of a file (none, or an older
  revision, as a page kept on a phone may name) answers `no-cache`: the browser
  asks each time and gets 304 while the file is unchanged.
- Bundles (core/static_build.py BUNDLES): one built file for the scripts a kind
  of page loads. Served, and named by `scripts`, only while built from its
  sources as they are now; else `scripts` names the sources one by one (an
  edited script shows before the next build, never an older bundle).
- One path: Flask's own `static` route only builds URLs; a file WhiteNoise does
  not have (the SCSS sources, a mistyped name) is a 404.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from flask import Flask, abort
from whitenoise import WhiteNoise
from whitenoise.responders import StaticFile
from whitenoise.string_utils import decode_path_info

from core.static_build import (
    BUILD,
    BUNDLES,
    MANIFEST,
    SOURCE,
    bundle_digest,
    digest,
    is_served,
    served_files,
)

IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"
REVISION_LENGTH = 12
DROPPED_HEADERS = ("cache-control", "last-modified")

Stamp = tuple[int, int]


def _stamp(path: Path) -> Stamp | None:
    try:
        stat = path.stat()
    except OSError:
        return None
    return (stat.st_mtime_ns, stat.st_size)


class StaticFiles(WhiteNoise):  # type: ignore[misc]
    """WhiteNoise over static/ and its built copy, with a cache policy per URL."""

    def __init__(
        self,
        application: Any,
        *,
        prefix: str = "/static/",
        source: Path = SOURCE,
        build: Path = BUILD,
        autorefresh: bool = False,
        bundles: dict[str, list[str]] | None = None,
    ):
        self.bundles = BUNDLES if bundles is None else bundles
        self.source = source.resolve()
        self.build = build.resolve()
        self.prefix = prefix
        self._digests: dict[Path, tuple[Stamp, str]] = {}
        self._manifest: tuple[Stamp | None, dict[str, str]] = (None, {})
        # WhiteNoise's own headers carry no Cache-Control: __call__ sets it per URL.
        super().__init__(application, autorefresh=autorefresh, max_age=None)
        self.allow_all_origins = False
        if not autorefresh:
            for rel in [*served_files(self.source), *self.bundles]:
                if (found := self._static_file(rel)) is not None:
                    self.files[prefix + rel] = found

    # --- which copy ---------------------------------------------------------------------

    def _digest(self, path: Path) -> str | None:
        stamp = _stamp(path)
        if stamp is None:
            return None
        known = self._digests.get(path)
        if known is None or known[0] != stamp:
            known = (stamp, digest(path.read_bytes()))
            self._digests[path] = known
        return known[1]

    def _built_from(self) -> dict[str, str]:
        path = self.build / MANIFEST
        stamp = _stamp(path)
        if stamp != self._manifest[0]:
            try:
                self._manifest = (stamp, json.loads(path.read_text(encoding="utf-8")))
            except (OSError, ValueError):
                self._manifest = (stamp, {})
        return self._manifest[1]

    def served_path(self, rel: str) -> Path | None:
        """The file to answer `rel` with: the built copy while it was made from the
        source as it is now, else the source; None when there is no such file."""
        if rel in self.bundles:
            return self._bundle_path(rel)
        source = self.source / rel
        if not source.is_file():
            return None
        built = self.build / rel
        made_from = self._built_from().get(rel)
        if made_from and built.is_file() and made_from == self._digest(source):
            return built
        return source

    def _bundle_path(self, rel: str) -> Path | None:
        """A bundle's built file while it was made from its sources as they are now."""
        built = self.build / rel
        made_from = self._built_from().get(rel)
        now = bundle_digest([self._digest(self.source / name) for name in self.bundles[rel]])
        return built if made_from and made_from == now and built.is_file() else None

    def scripts(self, rel: str) -> list[str]:
        """What a page loads for a bundle: the bundle while it is up to date, else
        its sources in order."""
        # Registered when the app started (or looked up on each request).
        known = self.autorefresh or self.prefix + rel in self.files
        return [rel] if known and self.served_path(rel) is not None else list(self.bundles[rel])

    def revision(self, rel: str) -> str:
        """The content revision of what `rel` is served as ("missing" for no file)."""
        path = self.served_path(rel)
        found = self._digest(path) if path else None
        return found[:REVISION_LENGTH] if found else "missing"

    def _static_file(self, rel: str) -> StaticFile | None:
        path = self.served_path(rel)
        return self.get_static_file(str(path), self.prefix + rel) if path else None

    def _relative(self, url: str) -> str | None:
        if not url.startswith(self.prefix) or not self.url_is_canonical(url):
            return None
        rel = url[len(self.prefix) :]
        return rel if rel and is_served(rel) else None

    def find_file(self, url: str) -> StaticFile | None:
        """Development (autorefresh): looked up on each request, so an edit shows."""
        rel = self._relative(url)
        return self._static_file(rel) if rel is not None else None

    # --- answering ----------------------------------------------------------------------

    def cache_policy(self, url: str, query: str) -> str:
        asked = parse_qs(query).get("v")
        rel = url[len(self.prefix) :]
        return IMMUTABLE if asked == [self.revision(rel)] else REVALIDATE

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        url = decode_path_info(environ.get("PATH_INFO", ""))
        found = self.find_file(url) if self.autorefresh else self.files.get(url)
        if found is None:
            return self.application(environ, start_response)
        policy = self.cache_policy(url, environ.get("QUERY_STRING", ""))

        def start(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            # The ETag is enough to ask "changed?": Last-Modified only adds bytes.
            kept = [(k, v) for k, v in headers if k.lower() not in DROPPED_HEADERS]
            kept += [("Cache-Control", policy), ("X-Content-Type-Options", "nosniff")]
            return start_response(status, kept, exc_info)

        return self.serve(found, environ, start)


def _not_here(filename: str) -> Any:
    abort(404)


def asset_revision(app: Flask, filename: str) -> str:
    files: StaticFiles = app.extensions["candour_static"]
    return files.revision(filename)


def bundle_scripts(app: Flask, bundle: str) -> list[str]:
    files: StaticFiles = app.extensions["candour_static"]
    return files.scripts(bundle)


def init_app(app: Flask) -> None:
    files = StaticFiles(
        app.wsgi_app,
        prefix=f"{app.static_url_path}/",
        source=Path(app.static_folder or SOURCE),
        # Development: pick up an edited file without a restart.
        autorefresh=app.config.get("ENV_NAME") == "development",
    )
    app.wsgi_app = files  # type: ignore[method-assign]
    app.extensions["candour_static"] = files
    app.view_functions["static"] = _not_here
