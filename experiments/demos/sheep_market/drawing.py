"""Drawings as the page sends them: a PNG image as a data URL, checked before it is accepted or shown."""

import base64
import binascii
import struct
import zlib

PNG_PREFIX = "data:image/png;base64,"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
#: The canvas of the page, in pixels.
SIZE = 300
#: The largest drawing accepted, in characters of its data URL.
MAX_LENGTH = 500_000


class InvalidDrawing(ValueError):
    """Something that is not a drawing the page could have sent."""


def checked_image(data_url) -> str:
    """The data URL of a PNG image of the canvas's size, or InvalidDrawing."""
    if not isinstance(data_url, str) or not data_url.startswith(PNG_PREFIX) or len(data_url) > MAX_LENGTH:
        raise InvalidDrawing(f"A drawing is a PNG image as a data URL of at most {MAX_LENGTH} characters.")
    try:
        image = base64.b64decode(data_url[len(PNG_PREFIX) :], validate=True)
    except binascii.Error:
        raise InvalidDrawing("The drawing's data are not base64.") from None
    if image[:8] != PNG_SIGNATURE or image[12:16] != b"IHDR" or struct.unpack(">II", image[16:24]) != (SIZE, SIZE):
        raise InvalidDrawing(f"The drawing is not a {SIZE}×{SIZE} PNG image.")
    return data_url


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def render(strokes: list[list[tuple[int, int]]]) -> str:
    """Black pen strokes (lists of points) on a white canvas, as a PNG data URL like the page's."""
    pixels = [bytearray(b"\xff" * SIZE) for _ in range(SIZE)]
    for stroke in strokes:
        for (x0, y0), (x1, y1) in zip(stroke, stroke[1:]):
            steps = max(abs(x1 - x0), abs(y1 - y0), 1)
            for step in range(steps + 1):
                x, y = round(x0 + (x1 - x0) * step / steps), round(y0 + (y1 - y0) * step / steps)
                for pen_x in (x, x + 1):  # a pen two pixels wide, as on the page
                    if 0 <= pen_x < SIZE and 0 <= y < SIZE:
                        pixels[y][pen_x] = 0
    header = struct.pack(">IIBBBBB", SIZE, SIZE, 8, 0, 0, 0, 0)  # 8-bit greyscale
    rows = b"".join(b"\x00" + bytes(row) for row in pixels)
    image = PNG_SIGNATURE + _chunk(b"IHDR", header) + _chunk(b"IDAT", zlib.compress(rows)) + _chunk(b"IEND", b"")
    return PNG_PREFIX + base64.b64encode(image).decode("ascii")
