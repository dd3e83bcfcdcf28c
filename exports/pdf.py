"""One way to make a PDF, used by every pack: a Jinja template rendered to HTML,
laid out by WeasyPrint on A4 with the one print stylesheet (`exports/pdf.css`:
"Page N of M", the pack's period and branches on every page through @page
margin boxes), tagged for screen readers (PDF/UA-1) and fetching nothing: only
`data:` addresses, so a pack never reaches the network or the disk.

WeasyPrint is imported here, lazily, and only when a PDF is drawn: importing it
sets Pillow's global `ImageFile.LOAD_TRUNCATED_IMAGES` (shared/recipes/
documents.md), which would let a truncated upload through; the flag is put back
as it was straight after the import."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import Response, render_template

STYLESHEET = Path(__file__).with_name("pdf.css")
MIMETYPE = "application/pdf"


@dataclass(frozen=True)
class Running:
    """What every page of a pack repeats: its title, period and branches."""

    title: str
    period: str
    branches: str


def _weasyprint() -> Any:
    from PIL import ImageFile

    before = ImageFile.LOAD_TRUNCATED_IMAGES
    import weasyprint

    ImageFile.LOAD_TRUNCATED_IMAGES = before
    return weasyprint


def render_pdf(template: str, running: Running, **context: Any) -> bytes:
    """The template (extending exports/pdf/base.html) as PDF bytes."""
    html = render_template(template, running=running, **context)
    weasyprint = _weasyprint()
    fetcher = weasyprint.URLFetcher(allowed_protocols={"data"}, fail_on_errors=False)
    document = weasyprint.HTML(string=html, base_url="about:blank", url_fetcher=fetcher)
    pdf: bytes = document.write_pdf(
        stylesheets=[weasyprint.CSS(filename=str(STYLESHEET), url_fetcher=fetcher)],
        pdf_variant="pdf/ua-1",
        pdf_tags=True,
    )
    return pdf


def pdf_response(pdf: bytes, filename: str) -> Response:
    """A PDF to download, never cached (packs hold records)."""
    return Response(
        pdf,
        mimetype=MIMETYPE,
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "no-store",
        },
    )


def period_words(start: Any, end: Any) -> str:
    return f"{start:%-d %b %Y} to {end:%-d %b %Y}"


def branch_words(codes: list[str]) -> str:
    if not codes:
        return "No branches"
    return ("Branch " if len(codes) == 1 else "Branches ") + ", ".join(codes)
