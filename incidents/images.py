"""Photos as the server keeps them: what a file really is (its bytes, not its
name or declared type), whether it is whole, and a clean copy of it.

A clean copy is decoded and drawn again (Pillow): turned upright as the
camera's EXIF orientation says, scaled to at most `max_side` pixels on its long
side, and written as a new JPEG, so nothing from the original file is kept:
no EXIF (with its GPS position), XMP, ICC profile, comments or other chunks.
No database and no request here.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError

JPEG = "image/jpeg"
PNG = "image/png"
WEBP = "image/webp"
SUPPORTED = (JPEG, PNG, WEBP)
# ISO base media "ftyp" brands of HEIC/HEIF photos (not accepted: see docs/api.md).
_HEIF_BRANDS = (b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1", b"avif")
_PILLOW_FORMATS = {JPEG: "JPEG", PNG: "PNG", WEBP: "WEBP"}


class NotAnImage(Exception):
    """Not a photo Candour accepts (415), whatever the file is called."""


class BrokenImage(Exception):
    """A photo that cannot be read: cut short or damaged (422)."""


class ImageTooLarge(Exception):
    """More pixels than the server will decode (413)."""


@dataclass(frozen=True)
class CleanImage:
    data: bytes
    content_type: str
    width: int
    height: int


def sniff(data: bytes) -> str | None:
    """The image type the bytes themselves say (JPEG, PNG or WebP), else None."""
    if data[:3] == b"\xff\xd8\xff":
        return JPEG
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return PNG
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return WEBP
    return None


def is_heif(data: bytes) -> bool:
    return data[4:8] == b"ftyp" and data[8:12] in _HEIF_BRANDS


def is_whole(data: bytes, content_type: str) -> bool:
    """Whether the file runs to its format's end (a JPEG's EOI marker, a PNG's IEND
    chunk, a WebP's RIFF length). Checked here rather than left to Pillow, whose
    ImageFile.LOAD_TRUNCATED_IMAGES is one global that other code sets (WeasyPrint
    sets it to True on import): with it set, a cut-short photo decodes silently
    with its missing part grey."""
    if content_type == JPEG:
        return _jpeg_whole(data)
    if content_type == PNG:
        return _png_whole(data)
    size = int.from_bytes(data[4:8], "little")
    return len(data) >= 8 + size and size >= 4


def _jpeg_whole(data: bytes) -> bool:
    """Walk the marker segments and the entropy-coded data after each SOS to EOI."""
    i = 2
    while 0 <= i < len(data):
        if data[i] != 0xFF:
            return False
        i = _next_segment(data, i)
        if i == _EOI:
            return True
    return False


_EOI = -2  # _next_segment's answer at the end-of-image marker


def _next_segment(data: bytes, i: int) -> int:
    """Where the segment after the marker at `i` starts; _EOI at the end of the
    image; -1 when the data stops short."""
    n = len(data)
    while i < n and data[i] == 0xFF:  # fill bytes
        i += 1
    if i >= n:
        return -1
    marker = data[i]
    i += 1
    if marker == 0xD9:
        return _EOI
    if 0xD0 <= marker <= 0xD7 or marker == 0x01:  # no length
        return i
    if i + 2 > n:
        return -1
    length = int.from_bytes(data[i : i + 2], "big")
    if length < 2:
        return -1
    i += length
    # After SOS the scan data runs to the next marker that is not RSTn or stuffing.
    return _end_of_scan(data, i) if marker == 0xDA else i


def _end_of_scan(data: bytes, i: int) -> int:
    n = len(data)
    while True:
        j = data.find(b"\xff", i)
        if j < 0 or j + 1 >= n:
            return -1
        following = data[j + 1]
        if following == 0x00 or 0xD0 <= following <= 0xD7:
            i = j + 2
        elif following == 0xFF:
            i = j + 1
        else:
            return j


def _png_whole(data: bytes) -> bool:
    n, i = len(data), 8
    while i + 8 <= n:
        length = int.from_bytes(data[i : i + 4], "big")
        kind = data[i + 4 : i + 8]
        end = i + 12 + length
        if end > n:
            return False
        if kind == b"IEND":
            return True
        i = end
    return False


def clean_copy(data: bytes, *, max_pixels: int, max_side: int, quality: int = 82) -> CleanImage:
    """A clean JPEG of the photo in `data` (see the module's note).

    NotAnImage when the bytes are not JPEG, PNG or WebP; ImageTooLarge above
    `max_pixels` (checked from the header, before anything is decoded);
    BrokenImage when it is cut short or cannot be decoded."""
    content_type = sniff(data)
    if content_type is None:
        raise NotAnImage()
    if not is_whole(data, content_type):
        raise BrokenImage()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=[_PILLOW_FORMATS[content_type]])
            width, height = image.size
            if width * height > max_pixels:
                raise ImageTooLarge(width * height)
            if content_type == JPEG:
                # Decode at a fraction of full size when the JPEG allows it: a 48-megapixel
                # photo is then never held whole in memory.
                image.draft("RGB", (max_side, max_side))
            image.load()
            upright = ImageOps.exif_transpose(image)
            flat = _flatten(upright)
            flat.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as err:
        raise ImageTooLarge() from err
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError) as err:
        raise BrokenImage() from err
    # Drawn onto a new image: nothing of the original's info (EXIF, ICC, XMP,
    # comments) can travel with it into the file written.
    clean = Image.new("RGB", flat.size, "white")
    clean.paste(flat)
    out = io.BytesIO()
    clean.save(out, "JPEG", quality=quality, optimize=True)
    return CleanImage(out.getvalue(), JPEG, clean.width, clean.height)


def _flatten(image: Image.Image) -> Image.Image:
    """RGB, with any transparency laid on white."""
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        flat = Image.new("RGB", rgba.size, "white")
        flat.paste(rgba, mask=rgba.getchannel("A"))
        return flat
    return image.convert("RGB")
