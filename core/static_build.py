"""The served copy of static/ in build/static/, made by `make setup`
(`core.static_build.main`): the scripts minified (esbuild, pinned in
package.json; no source maps), every other file copied, and beside each file
that compresses well its gzip (.gz) and brotli (.br) copies, made once here so
the app never compresses a static file while someone waits.

build/static/manifest.json names, for each file, the SHA-256 of the source it
was made from: core/static_files.py serves a built copy only while its source
is unchanged (an edited script not yet rebuilt is served as it is, uncompressed;
never an older copy). git ignores build/.
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


def build(source: Path = SOURCE, target: Path = BUILD) -> dict[str, str]:
    """Make target/ from source/ and return its manifest (path -> source SHA-256)."""
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
    (target / MANIFEST).write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n")
    return manifest


def main() -> int:
    manifest = build()
    raw = sum((SOURCE / rel).stat().st_size for rel in manifest)
    served = sum((BUILD / rel).stat().st_size for rel in manifest)
    brotlied = sum(
        os.path.getsize(p)
        if os.path.exists(p := f"{BUILD / rel}.br")
        else (BUILD / rel).stat().st_size
        for rel in manifest
    )
    print(
        f"build/static: {len(manifest)} files, {raw // 1024} KB as written, "
        f"{served // 1024} KB minified, {brotlied // 1024} KB with brotli",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
