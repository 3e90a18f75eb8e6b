"""Photos of cases and inspections: untrusted uploads, checked and re-encoded.

Only JPEG and PNG are taken, recognised by their content (Pillow), not by their name or
declared type; the picture is decoded (so a file that only looks like one is refused),
bounded in pixels (a decompression bomb is refused before it is decoded) and re-encoded:
what is stored carries no EXIF (a phone's GPS position and serial number stay out of the
public's reach), and a thumbnail is made once.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError

from gridmap.errors import InvalidInput

MAX_PHOTOS = 5
MAX_PIXELS = 40_000_000  # a 40-megapixel phone photo; more is refused unopened
LONG_SIDE = 2048  # what is stored: enough to read a number plate
THUMB_SIDE = 240


@dataclass(frozen=True)
class Photo:
    data: bytes
    thumb: bytes
    content_type: str


def _encode(image: Image.Image, fmt: str, side: int) -> bytes:
    copy = image.copy()
    copy.thumbnail((side, side))
    out = io.BytesIO()
    if fmt == "JPEG":
        copy.convert("RGB").save(out, "JPEG", quality=85, optimize=True)
    else:
        copy.save(out, "PNG", optimize=True)
    return out.getvalue()


def check_photo(raw: bytes, name: str, max_bytes: int) -> Photo:
    """One uploaded photo, checked and re-encoded; ``name`` names it in errors."""
    if len(raw) > max_bytes:
        raise InvalidInput(
            f"photo {name}: {len(raw) / 1e6:.1f} MB; at most {max_bytes / 1e6:g} MB",
            field="photos",
        )
    try:
        with Image.open(io.BytesIO(raw)) as probe:
            fmt = probe.format
            if fmt not in ("JPEG", "PNG"):
                raise InvalidInput(f"photo {name}: {fmt} is not JPEG or PNG", field="photos")
            if probe.width * probe.height > MAX_PIXELS:
                raise InvalidInput(
                    f"photo {name}: {probe.width}×{probe.height} pixels; at most "
                    f"{MAX_PIXELS // 1_000_000} megapixels",
                    field="photos",
                )
            image = ImageOps.exif_transpose(probe)  # upright, as the phone showed it
            image.load()
    except Image.DecompressionBombError:  # a header claiming billions of pixels, any format:
        raise InvalidInput(  # Pillow's own bound, met before ours
            f"photo {name}: more than {MAX_PIXELS // 1_000_000} megapixels", field="photos"
        ) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        if isinstance(exc, InvalidInput):
            raise
        raise InvalidInput(f"photo {name}: not a JPEG or PNG picture", field="photos") from None
    content_type = "image/jpeg" if fmt == "JPEG" else "image/png"
    return Photo(_encode(image, fmt, LONG_SIDE), _encode(image, fmt, THUMB_SIDE), content_type)


def check_photos(files: list[tuple[str, bytes]], max_bytes: int) -> list[Photo]:
    """Up to :data:`MAX_PHOTOS` (name, content) pairs; empty file inputs are skipped."""
    files = [(n, raw) for n, raw in files if raw]
    if len(files) > MAX_PHOTOS:
        raise InvalidInput(f"{len(files)} photos; at most {MAX_PHOTOS}", field="photos")
    return [check_photo(raw, name or f"{i + 1}", max_bytes) for i, (name, raw) in enumerate(files)]
