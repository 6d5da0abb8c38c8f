"""TFRecord framing: how an event file holds its records, and the CRC32C that guards them.

An event file is a plain sequence of records, each::

    uint64 length          (little-endian: the number of data bytes)
    uint32 masked_crc32c(length bytes)
    bytes  data            (one serialized ``Event`` protocol buffer)
    uint32 masked_crc32c(data)

CRC32C is the CRC-32 of the Castagnoli polynomial (reflected form ``0x82F63B78``), the checksum
TensorFlow chose for its records; "masked" rotates it right by 15 bits and adds a constant, so
that the CRC of data which itself holds CRCs stays unlike them. A reader checks both CRCs and
stops at a record that is cut short (a writer still writing).
"""
from __future__ import annotations

import struct
from typing import Iterator

__all__ = ["crc32c", "masked_crc32c", "encode_record", "read_records"]

_POLY = 0x82F63B78          # Castagnoli, bit-reversed


def _make_table() -> tuple:
    """``table[b]``: the CRC register after shifting byte ``b`` through eight times."""
    table = []
    for byte in range(256):
        crc = byte
        for _ in range(8):
            crc = (crc >> 1) ^ _POLY if crc & 1 else crc >> 1
        table.append(crc)
    return tuple(table)


_TABLE = _make_table()


def crc32c(data: bytes) -> int:
    """The CRC32C (Castagnoli) of ``data``: one table look-up per byte
    (``crc32c(b"123456789") == 0xE3069283``)."""
    crc, table = 0xFFFFFFFF, _TABLE
    for byte in data:
        crc = table[(crc ^ byte) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


def masked_crc32c(data: bytes) -> int:
    """TFRecord's masked CRC: ``rotate_right(crc, 15) + 0xA282EAD8`` (mod 2**32)."""
    crc = crc32c(data)
    return (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF


def encode_record(data: bytes) -> bytes:
    """One record: length, its masked CRC, the data, the data's masked CRC."""
    header = struct.pack("<Q", len(data))
    return (header + struct.pack("<I", masked_crc32c(header)) + data
            + struct.pack("<I", masked_crc32c(data)))


def read_records(path) -> Iterator[bytes]:
    """The data of each record in the file at ``path``, in order; a CRC that does not match
    raises ``ValueError``, a record cut short at the end of the file ends the iteration."""
    with open(path, "rb") as f:
        while True:
            header = f.read(12)
            if len(header) < 12:
                return
            (length,), (length_crc,) = struct.unpack("<Q", header[:8]), \
                struct.unpack("<I", header[8:])
            if masked_crc32c(header[:8]) != length_crc:
                raise ValueError(f"{path}: corrupt record length at byte {f.tell() - 12}")
            body = f.read(length + 4)
            if len(body) < length + 4:
                return
            data, (data_crc,) = body[:length], struct.unpack("<I", body[length:])
            if masked_crc32c(data) != data_crc:
                raise ValueError(f"{path}: corrupt record data at byte {f.tell() - len(body)}")
            yield data
