"""A PNG encoder in NumPy + zlib, for the images of :mod:`.summary` (torch hands this to PIL).

A PNG file is the 8-byte signature, then chunks, each ``uint32 length, 4-letter type, data,
uint32 CRC-32 of type+data`` (big-endian): ``IHDR`` (width, height, bit depth 8, colour type,
then compression, filter and interlace methods, all 0), the image data split over ``IDAT``
chunks, and an empty ``IEND``.

The image data is one zlib stream of the rows, each row led by a byte naming the *filter*
that turned its bytes into differences from neighbours (0 none, 1 Sub: minus the byte one
pixel left, 2 Up: minus the byte above, 4 Paeth: minus whichever of left / above /
upper-left is closest to left + above - upper-left), which compress better than raw pixels.
Like PIL (whose bytes this reproduces) each row takes the filter that makes the sum of its
bytes, read as signed, smallest in magnitude — ties to the earlier of none, Up, Sub, Paeth —
and the stream is zlib's default level with ``memLevel`` 9 and the ``Z_FILTERED`` strategy (made
for filtered image data), cut into IDAT chunks of 64 KiB.
Rows depend only on the raw rows around them, so every row's filters are computed at once.
"""
from __future__ import annotations

import struct
import zlib

import numpy as np

__all__ = ["encode_png"]

# channels -> PNG colour type (0 grey, 4 grey + alpha, 2 RGB, 6 RGBA)
_COLOUR_TYPE = {1: 0, 2: 4, 3: 2, 4: 6}
_IDAT_SIZE = 65536


def _chunk(kind: bytes, data: bytes) -> bytes:
    return (struct.pack(">I", len(data)) + kind + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))


def _cost(filtered: np.ndarray) -> np.ndarray:
    """Each row's sum of ``|byte|`` with the bytes read as signed (200 counts as 56)."""
    v = filtered.astype(np.int64)
    return np.minimum(v, 256 - v).sum(axis=-1)


def _filtered_rows(rows: np.ndarray, bpp: int) -> np.ndarray:
    """Each row (``rows``: height × row bytes, uint8) led by its filter byte and filtered."""
    above = np.zeros_like(rows)
    above[1:] = rows[:-1]
    left = np.zeros_like(rows)
    left[:, bpp:] = rows[:, :-bpp]
    upper_left = np.zeros_like(rows)
    upper_left[:, bpp:] = above[:, :-bpp]
    a, b, c = (x.astype(np.int16) for x in (left, above, upper_left))
    pa, pb, pc = np.abs(b - c), np.abs(a - c), np.abs(a + b - 2 * c)
    paeth = np.where((pa <= pb) & (pa <= pc), left, np.where(pb <= pc, above, upper_left))
    candidates = [(0, rows), (2, rows - above), (1, rows - left), (4, rows - paeth)]
    costs = np.stack([_cost(f) for _, f in candidates])
    choice = np.argmin(costs, axis=0)                        # first of the smallest
    out = np.empty((rows.shape[0], rows.shape[1] + 1), np.uint8)
    for i, (kind, f) in enumerate(candidates):
        pick = choice == i
        out[pick, 0], out[pick, 1:] = kind, f[pick]
    return out


def encode_png(pixels: np.ndarray) -> bytes:
    """The PNG bytes of ``pixels``, a uint8 array of height × width × channels (1 to 4)."""
    height, width, channels = pixels.shape
    if channels not in _COLOUR_TYPE:
        raise TypeError(f"Cannot handle this data type: (1, 1, {channels}), |u1")
    rows = np.ascontiguousarray(pixels, dtype=np.uint8).reshape(height, width * channels)
    data = _filtered_rows(rows, channels).tobytes()
    compressor = zlib.compressobj(zlib.Z_DEFAULT_COMPRESSION, zlib.DEFLATED, 15, 9,
                                  zlib.Z_FILTERED)
    stream = compressor.compress(data) + compressor.flush()
    step = max(_IDAT_SIZE, width * 4)
    header = struct.pack(">IIBBBBB", width, height, 8, _COLOUR_TYPE[channels], 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header)
            + b"".join(_chunk(b"IDAT", stream[i:i + step]) for i in range(0, len(stream), step))
            + _chunk(b"IEND", b""))
