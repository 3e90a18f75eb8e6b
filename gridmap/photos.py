"""Photos of cases and inspections: untrusted uploads, checked and re-encoded.

Only JPEG and PNG are taken, recognised by their content (Pillow), not by their name or
declared type; the picture is decoded (so a file that only looks like one is refused),
bounded in pixels (a decompression bomb is refused before it is decoded) and re-encoded:
what is stored carries no EXIF (a phone's GPS position and serial number stay out of the
public's reach), and a thumbnail is made once.

A request carries at most :data:`MAX_PHOTOS`, of :data:`MAX_REQUEST_BYTES` and
:data:`MAX_REQUEST_PIXELS` together, all read from the headers before anything is
decoded; a user sends at most :data:`PER_HOUR` an hour (``web.params.photos`` counts).
"""

from __future__ import annotations

import io
import warnings
from collections.abc import Callable
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError

from gridmap.errors import InvalidInput, say

MAX_PHOTOS = 5  # per request
MAX_PIXELS = 40_000_000  # a 40-megapixel phone photo; more is refused unopened
# Per request, whatever the count: the bytes sent, and the pixels decoding would make
# (decoding is what costs a worker: five 40-megapixel PNGs took 6 s and 150 MB).
MAX_REQUEST_BYTES = 24_000_000
MAX_REQUEST_PIXELS = 100_000_000
PER_HOUR = 60  # photos one user may send in an hour (counted by the web app)
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


@dataclass(frozen=True)
class Probe:
    """What a photo's header says, read without decoding the picture."""

    name: str
    raw: bytes
    format: str
    pixels: int


def _too_many_pixels(name: str) -> InvalidInput:
    return InvalidInput(
        say(
            "photo {name}: more than {max_pixels} megapixels",
            name=name,
            max_pixels=MAX_PIXELS // 1_000_000,
        ),
        field="photos",
    )


def probe_photo(raw: bytes, name: str, max_bytes: int) -> Probe:
    """One photo's size, format and pixel count from its header (Pillow's lazy open: no
    pixel is decoded), refused when any is beyond its bound."""
    if len(raw) > max_bytes:
        raise InvalidInput(
            say(
                "photo {name}: {raw_count:.1f} MB; at most {max_bytes:g} MB",
                name=name,
                raw_count=len(raw) / 1e6,
                max_bytes=max_bytes / 1e6,
            ),
            field="photos",
        )
    try:
        with warnings.catch_warnings():
            # Pillow warns (or, past twice its bound, raises) on a header claiming more
            # than about 89 megapixels: ours is lower, so both are a refusal here.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(raw)) as head:
                fmt, width, height = head.format, head.width, head.height
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _too_many_pixels(name) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise InvalidInput(
            say("photo {name}: not a JPEG or PNG picture", name=name), field="photos"
        ) from None
    if fmt not in ("JPEG", "PNG"):
        raise InvalidInput(
            say("photo {name}: {fmt} is not JPEG or PNG", name=name, fmt=fmt), field="photos"
        )
    if width * height > MAX_PIXELS:
        raise InvalidInput(
            say(
                "photo {name}: {width}×{height} pixels; at most {max_pixels} megapixels",
                name=name,
                width=width,
                height=height,
                max_pixels=MAX_PIXELS // 1_000_000,
            ),
            field="photos",
        )
    return Probe(name, raw, fmt, width * height)


def decode_photo(probe: Probe) -> Photo:
    """A probed photo decoded and re-encoded (upright, without EXIF, with a thumbnail)."""
    name = probe.name
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(probe.raw)) as opened:
                if opened.width * opened.height != probe.pixels:  # not the header we read
                    raise _too_many_pixels(name)
                image = ImageOps.exif_transpose(opened)  # upright, as the phone showed it
                image.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _too_many_pixels(name) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        if isinstance(exc, InvalidInput):
            raise
        raise InvalidInput(
            say("photo {name}: not a JPEG or PNG picture", name=name), field="photos"
        ) from None
    content_type = "image/jpeg" if probe.format == "JPEG" else "image/png"
    return Photo(
        _encode(image, probe.format, LONG_SIDE),
        _encode(image, probe.format, THUMB_SIDE),
        content_type,
    )


def check_photo(raw: bytes, name: str, max_bytes: int) -> Photo:
    """One uploaded photo, checked and re-encoded; ``name`` names it in errors."""
    return decode_photo(probe_photo(raw, name, max_bytes))


def check_photos(
    files: list[tuple[str, bytes]],
    max_bytes: int,
    max_request_bytes: int = MAX_REQUEST_BYTES,
    before_decoding: Callable[[int], None] | None = None,
) -> list[Photo]:
    """Up to :data:`MAX_PHOTOS` (name, content) pairs; empty file inputs are skipped.

    Every bound that needs no decoding is checked first, for every photo: the count, the
    bytes of each and of all, each header's format and pixels, and the pixels of all;
    then ``before_decoding(count)`` (the web app's hourly count per user, which may
    refuse); only then is any picture decoded."""
    files = [(n, raw) for n, raw in files if raw]
    if len(files) > MAX_PHOTOS:
        raise InvalidInput(
            say(
                "{files_count} photos; at most {max_photos}",
                files_count=len(files),
                max_photos=MAX_PHOTOS,
            ),
            field="photos",
        )
    total = sum(len(raw) for _, raw in files)
    if total > max_request_bytes:
        raise InvalidInput(
            say(
                "{total:.1f} MB of photos in one request; at most {max_request_bytes:g} MB",
                total=total / 1e6,
                max_request_bytes=max_request_bytes / 1e6,
            ),
            field="photos",
        )
    probes = [
        probe_photo(raw, name or f"{i + 1}", max_bytes) for i, (name, raw) in enumerate(files)
    ]
    pixels = sum(p.pixels for p in probes)
    if pixels > MAX_REQUEST_PIXELS:
        raise InvalidInput(
            say(
                "{pixels:.0f} megapixels of photos in one request; at most {max_request_pixels}",
                pixels=pixels / 1e6,
                max_request_pixels=MAX_REQUEST_PIXELS // 1_000_000,
            ),
            field="photos",
        )
    if probes and before_decoding is not None:
        before_decoding(len(probes))
    return [decode_photo(p) for p in probes]
