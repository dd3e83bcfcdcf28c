"""Static files as the app itself serves them (core/static_files.py): the built
copy, compressed ahead of time, cached for good at its revision URL only."""

from __future__ import annotations

import gzip
import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import brotli
import pytest
from flask import Flask
from werkzeug.test import Client as WsgiClient

from core.static_build import MANIFEST, build
from core.static_files import IMMUTABLE, REVALIDATE, StaticFiles
from core.templating import asset_revision

DECODE = {"br": brotli.decompress, "gzip": gzip.decompress, None: lambda data: data}


def _served_bytes(app: Flask, name: str) -> bytes:
    path = app.extensions["candour_static"].served_path(name)
    return path.read_bytes()


def _revision_url(app: Flask, name: str) -> str:
    with app.app_context():
        return f"/static/{name}?v={asset_revision(name)}"


@pytest.mark.parametrize(
    ("accepts", "encoding"),
    [("br, gzip", "br"), ("gzip", "gzip"), ("br", "br"), ("identity", None)],
)
@pytest.mark.parametrize("name", ["vendor/candour.css", "js/offline/queue.js"])
def test_a_revision_url_comes_compressed_and_is_cached_for_good(
    app: Flask, name: str, accepts: str, encoding: str | None
) -> None:
    response = app.test_client().get(_revision_url(app, name), headers={"Accept-Encoding": accepts})
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == IMMUTABLE
    assert response.headers.get("Content-Encoding") == encoding
    assert "Accept-Encoding" in response.headers["Vary"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert DECODE[encoding](response.get_data()) == _served_bytes(app, name)


@pytest.mark.parametrize("query", ["", "?v=000000000000", "?other=1"])
def test_any_other_url_of_a_file_is_checked_each_time(app: Flask, query: str) -> None:
    client = app.test_client()
    response = client.get(f"/static/js/app.js{query}")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == REVALIDATE
    again = client.get(
        f"/static/js/app.js{query}", headers={"If-None-Match": response.headers["ETag"]}
    )
    assert again.status_code == 304
    assert again.headers["Cache-Control"] == REVALIDATE


def test_our_scripts_are_served_minified(app: Flask) -> None:
    source = (Path(app.static_folder or "") / "js/offline/queue.js").read_bytes()
    served = app.test_client().get(_revision_url(app, "js/offline/queue.js")).get_data()
    assert len(served) < len(source) * 0.7


def test_the_stylesheet_keeps_only_the_rules_pages_use(app: Flask) -> None:
    css = _served_bytes(app, "vendor/candour.css").decode()
    assert ".nhsuk-button" in css
    assert ".app-header" in css
    # NHS.UK frontend's components Candour never shows are not sent.
    assert ".nhsuk-hero" not in css
    assert ".nhsuk-u-width-one-quarter" not in css


@pytest.mark.parametrize(
    "path", ["/static/scss/candour.scss", "/static/vendor/.build.sha256", "/static/nothing.js"]
)
def test_what_is_not_served_is_a_plain_404(app: Flask, path: str) -> None:
    assert app.test_client().get(path).status_code == 404


# --- the built copy and its source, on a tree of their own ----------------------------------


def _tree(tmp_path: Path) -> tuple[Path, Path]:
    source, target = tmp_path / "static", tmp_path / "build"
    (source / "js").mkdir(parents=True)
    (source / "js" / "note.txt").write_text("a line that repeats\n" * 200)
    build(source, target)
    return source, target


def _files(source: Path, target: Path, autorefresh: bool) -> StaticFiles:
    def nothing(environ: dict[str, object], start_response: object) -> list[bytes]:
        raise AssertionError("the app was asked for a static file")

    return StaticFiles(nothing, source=source, build=target, autorefresh=autorefresh)


@pytest.mark.parametrize("autorefresh", [False, True])
def test_a_built_copy_is_served_while_its_source_is_unchanged(
    tmp_path: Path, autorefresh: bool
) -> None:
    source, target = _tree(tmp_path)
    files = _files(source, target, autorefresh)
    response = WsgiClient(files).get("/static/js/note.txt", headers={"Accept-Encoding": "br"})
    assert response.headers["Content-Encoding"] == "br"
    assert files.served_path("js/note.txt") == target / "js" / "note.txt"
    assert json.loads((target / MANIFEST).read_text())["js/note.txt"]


def test_an_edited_source_not_yet_built_is_served_as_it_is(tmp_path: Path) -> None:
    source, target = _tree(tmp_path)
    (source / "js" / "note.txt").write_text("edited since the build\n" * 200)
    files = _files(source, target, autorefresh=True)
    response = WsgiClient(files).get("/static/js/note.txt", headers={"Accept-Encoding": "br"})
    assert "Content-Encoding" not in response.headers
    assert response.get_data() == (source / "js" / "note.txt").read_bytes()
    assert files.revision("js/note.txt") != "missing"


# --- bundles: one file for the scripts a kind of page loads -----------------------------------

STRICT = (
    "'use strict';\nglobalThis.seen.push(['a', (function () { return this; })() === undefined]);\n"
)
SLOPPY = (
    "globalThis.seen.push(['b', (function () { return this; })() === undefined]); // no newline"
)
BUNDLE = {"js/both.js": ["js/a.js", "js/b.js"]}


def _bundle_tree(tmp_path: Path) -> tuple[Path, Path, StaticFiles]:
    source, target = tmp_path / "static", tmp_path / "build"
    (source / "js").mkdir(parents=True)
    (source / "js" / "a.js").write_text(STRICT)
    (source / "js" / "b.js").write_text(SLOPPY)
    build(source, target, BUNDLE)

    def nothing(environ: dict[str, object], start_response: object) -> list[bytes]:
        raise AssertionError("the app was asked for a static file")

    return source, target, StaticFiles(nothing, source=source, build=target, bundles=BUNDLE)


def test_a_bundle_runs_its_sources_in_order_each_as_strict_as_it_was(tmp_path: Path) -> None:
    _, target, _ = _bundle_tree(tmp_path)
    bundle = (target / "js/both.js").read_text()
    script = f"globalThis.seen = [];\n{bundle}\nconsole.log(JSON.stringify(seen));"
    node = shutil.which("node")
    assert node, "node (as for node --test) runs the bundle"
    # Our own script, no shell.
    ran = subprocess.run(  # noqa: S603
        [node, "-e", script], capture_output=True, text=True, check=True, timeout=30
    )
    # a.js stays strict; b.js after it does not become strict.
    assert json.loads(ran.stdout) == [["a", True], ["b", False]]


def test_a_built_bundle_is_served_and_named_by_pages(tmp_path: Path) -> None:
    _, target, files = _bundle_tree(tmp_path)
    assert files.scripts("js/both.js") == ["js/both.js"]
    response = WsgiClient(files).get(
        f"/static/js/both.js?v={files.revision('js/both.js')}", headers={"Accept-Encoding": "br"}
    )
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == IMMUTABLE
    assert brotli.decompress(response.get_data()) == (target / "js/both.js").read_bytes()


@pytest.mark.parametrize("autorefresh", [False, True])
def test_with_a_source_edited_since_the_build_pages_name_the_sources(
    tmp_path: Path, autorefresh: bool
) -> None:
    source, _, _ = _bundle_tree(tmp_path)
    (source / "js" / "b.js").write_text(SLOPPY + "\n// edited")

    def not_found(environ: dict[str, object], start_response: Any) -> list[bytes]:
        start_response("404 Not Found", [("Content-Type", "text/plain")])
        return [b"no such file"]

    files = StaticFiles(
        not_found,
        source=source,
        build=tmp_path / "build",
        autorefresh=autorefresh,
        bundles=BUNDLE,
    )
    assert files.scripts("js/both.js") == ["js/a.js", "js/b.js"]
    # Never the older bundle.
    assert WsgiClient(files).get("/static/js/both.js").status_code == 404
