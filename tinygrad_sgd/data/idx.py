"""Reading IDX files, the simple binary format MNIST and Fashion-MNIST are published in.

An IDX file is a header followed by the raw items, row-major, big-endian:

    bytes 0-1   zero
    byte  2     type code: 0x08 ubyte, 0x09 byte, 0x0B short, 0x0C int, 0x0D float, 0x0E double
    byte  3     number of dimensions, ndim
    4*ndim      the size of each dimension, as big-endian uint32
    ...         prod(dims) items of the given type

See http://yann.lecun.com/exdb/mnist/ (bottom of the page). The files are usually gzipped.
"""

import gzip
import os
import zlib

import numpy as np

__all__ = ["IDXError", "read_idx", "parse_idx", "IDX_TYPES"]

# type code -> (big-endian NumPy dtype, name used in messages)
IDX_TYPES = {
    0x08: (np.dtype(">u1"), "ubyte"),
    0x09: (np.dtype(">i1"), "byte"),
    0x0B: (np.dtype(">i2"), "int16"),
    0x0C: (np.dtype(">i4"), "int32"),
    0x0D: (np.dtype(">f4"), "float32"),
    0x0E: (np.dtype(">f8"), "float64"),
}

GZIP_MAGIC = b"\x1f\x8b"


class IDXError(ValueError):
    """A file is not a valid IDX file; the message names the file and what is wrong."""


def read_idx(path) -> np.ndarray:
    """Read an IDX file (gzipped or raw) into a NumPy array of native byte order.

    Gzip is recognised by its magic bytes, so the file name does not matter, except that a
    file named ``*.gz`` that is not gzip-compressed is reported as a corrupt download.
    Raises ``IDXError`` (a ``ValueError``) naming the file on any problem.
    """
    path = os.fspath(path)
    with open(path, "rb") as f:
        raw = f.read()

    if raw[:2] == GZIP_MAGIC:
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError, zlib.error) as e:  # BadGzipFile is an OSError
            raise IDXError(f"{path}: corrupt gzip data: {e}") from None
    elif path.endswith(".gz"):
        raise IDXError(f"{path}: corrupt gzip: the name ends in .gz but the file does not "
                       f"start with the gzip magic bytes 1f 8b (it starts with {raw[:4].hex(' ')})")
    return parse_idx(raw, name=path)


def parse_idx(raw: bytes, name: str = "<bytes>") -> np.ndarray:
    """Decode the bytes of an (uncompressed) IDX file; ``name`` is used in error messages."""
    if len(raw) < 4:
        raise IDXError(f"{name}: too short for an IDX header: {len(raw)} bytes, need at least 4")

    zero0, zero1, type_code, ndim = raw[0], raw[1], raw[2], raw[3]
    if zero0 != 0 or zero1 != 0:
        raise IDXError(f"{name}: bad magic number 0x{raw[:4].hex()}: an IDX file starts with "
                       f"two zero bytes (is it an IDX file?)")
    if type_code not in IDX_TYPES:
        known = ", ".join(f"0x{code:02X} {tname}" for code, (_, tname) in IDX_TYPES.items())
        raise IDXError(f"{name}: bad magic number 0x{raw[:4].hex()}: unknown data type code "
                       f"0x{type_code:02X} (known: {known})")
    if ndim == 0:
        raise IDXError(f"{name}: bad magic number 0x{raw[:4].hex()}: number of dimensions is 0")

    header_len = 4 + 4 * ndim
    if len(raw) < header_len:
        raise IDXError(f"{name}: truncated header: {ndim} dimensions need {header_len} header "
                       f"bytes, file has {len(raw)}")
    dims = tuple(int(d) for d in np.frombuffer(raw, dtype=">u4", count=ndim, offset=4))

    dtype, tname = IDX_TYPES[type_code]
    n_items = int(np.prod(dims, dtype=np.int64))
    expected = n_items * dtype.itemsize
    actual = len(raw) - header_len
    if actual != expected:
        shape = "x".join(str(d) for d in dims)
        what = "truncated" if actual < expected else "overlong"
        each = "" if dtype.itemsize == 1 else f" {tname} ({dtype.itemsize} bytes each)"
        extra = "" if actual < expected else f" ({actual - expected} bytes too many)"
        raise IDXError(f"{name}: {what}: header says {shape}{each} = {expected} bytes of data, "
                       f"file has {actual}{extra}")

    array = np.frombuffer(raw, dtype=dtype, count=n_items, offset=header_len).reshape(dims)
    # astype copies: the result is writable, owns its memory, and is in native byte order
    return array.astype(dtype.newbyteorder("="))
