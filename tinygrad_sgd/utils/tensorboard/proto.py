"""The few protocol-buffer messages an event file holds, encoded by hand (no protobuf package).

A protobuf message is a run of fields, each a *key* then a *value*. The key is the varint
``field_number << 3 | wire_type``; the wire types used here are 0 (varint: ints, enums,
bools), 1 (8 bytes: double), 5 (4 bytes: float) and 2 (length-delimited: a varint byte count
then the bytes of a string, a nested message, or a *packed* run of numbers). A varint stores 7
bits a byte, low bits first, the top bit set on every byte but the last; a negative int is
its 64-bit two's complement (ten bytes).

These are proto3 messages: a field at its default (0, 0.0, "", empty) is left out, except a
member of a ``oneof`` (``Summary.Value.simple_value``, ``Event.file_version``,
``Value.number_value``), which is written whatever its value. Fields are written in field
number order, as protobuf's own serializer does, so a message comes out byte for byte as
``SerializeToString`` gives it (maps aside: their order is the serializer's hash order).

Each function below builds one message from the field numbers of TensorBoard's ``.proto``
files (``event.proto``, ``summary.proto``, ``tensor.proto``, ``tensor_shape.proto``,
``plugins/hparams/*.proto``, ``google/protobuf/struct.proto``) and returns its bytes; a
nested message is passed in as the bytes its own function returned.
"""
from __future__ import annotations

import struct

import numpy as np

# TensorFlow's DataType enum (types.proto): the dtypes a TensorProto here can carry
DT = {"DT_FLOAT": 1, "DT_DOUBLE": 2, "DT_INT32": 3, "DT_UINT8": 4, "DT_INT16": 5, "DT_INT8": 6,
      "DT_STRING": 7, "DT_INT64": 9, "DT_BOOL": 10, "DT_HALF": 19}


# ------------------------------------------------------------------ wire format
def varint(n: int) -> bytes:
    """``n`` as a base-128 varint; a negative ``n`` as its 64-bit two's complement."""
    n &= 0xFFFFFFFFFFFFFFFF
    out = bytearray()
    while n > 0x7F:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


def _key(field: int, wire_type: int) -> bytes:
    return varint(field << 3 | wire_type)


def _int(field: int, value: int, always: bool = False) -> bytes:
    """An int, enum or bool field (wire type 0)."""
    return _key(field, 0) + varint(int(value)) if value or always else b""


def _double(field: int, value: float, always: bool = False) -> bytes:
    """A double field (wire type 1: 8 bytes, little-endian); -0.0 is not the default."""
    data = struct.pack("<d", value)
    return _key(field, 1) + data if always or data != bytes(8) else b""


def _float32(value: float) -> bytes:
    with np.errstate(over="ignore"):                     # past float32's range: ±inf
        return np.array(value, dtype="<f4").tobytes()


def _float(field: int, value: float, always: bool = False) -> bytes:
    """A float field (wire type 5: 4 bytes, the value rounded to float32)."""
    data = _float32(value)
    return _key(field, 5) + data if always or data != bytes(4) else b""


def _bytes(field: int, data, always: bool = False) -> bytes:
    """A string, bytes or nested-message field (wire type 2); ``None`` is an unset field."""
    if data is None:
        return b""
    if isinstance(data, str):
        data = data.encode("utf-8")
    return _key(field, 2) + varint(len(data)) + data if data or always else b""


def _message(field: int, body) -> bytes:
    """A nested message: written when set (``body`` not None), even with no fields."""
    return b"" if body is None else _bytes(field, body, always=True)


# a packed repeated field: one length-delimited field holding the values back to back
# (nothing at all when there are none)
def packed_doubles(field: int, values) -> bytes:
    return _bytes(field, np.asarray(values, dtype="<f8").tobytes())


def packed_floats(field: int, values) -> bytes:
    return _bytes(field, b"".join(_float32(v) for v in values))


def packed_varints(field: int, values) -> bytes:
    return _bytes(field, b"".join(varint(int(v)) for v in values))


# ------------------------------------------------------------------ event.proto
def event(wall_time: float, step: int = 0, *, file_version=None, summary=None,
          session_log=None, source_metadata=None) -> bytes:
    """``Event``: when (1 wall_time, 2 step) and one of what (3 file_version, 5 summary,
    7 session_log); 10 source_metadata names the writer."""
    return (_double(1, wall_time) + _int(2, step) + _bytes(3, file_version, always=True)
            + _message(5, summary) + _message(7, session_log) + _message(10, source_metadata))


def session_log(status: int) -> bytes:
    """``SessionLog``: 1 status (START = 1: TensorBoard hides later steps of an older run)."""
    return _int(1, status)


def source_metadata(writer: str) -> bytes:
    """``SourceMetadata``: 1 writer, the name of the program that wrote the file."""
    return _bytes(1, writer)


# ------------------------------------------------------------------ summary.proto
def summary(*values: bytes) -> bytes:
    """``Summary``: 1 repeated Value."""
    return b"".join(_message(1, v) for v in values)


def summary_value(tag: str, *, simple_value=None, image=None, histo=None, tensor=None,
                  metadata=None) -> bytes:
    """``Summary.Value``: 1 tag, one of (2 simple_value, 4 image, 5 histo, 8 tensor), and
    9 metadata (which plugin shows it)."""
    return (_bytes(1, tag) + (b"" if simple_value is None else _float(2, simple_value, True))
            + _message(4, image) + _message(5, histo) + _message(8, tensor)
            + _message(9, metadata))


def summary_metadata(plugin_name: str, content: bytes = b"") -> bytes:
    """``SummaryMetadata``: 1 plugin_data = ``PluginData`` (1 plugin_name, 2 content)."""
    return _message(1, _bytes(1, plugin_name) + _bytes(2, content))


def histogram_proto(min, max, num, sum, sum_squares, bucket_limit, bucket) -> bytes:
    """``HistogramProto``: 1 min, 2 max, 3 num, 4 sum, 5 sum_squares (doubles), then the
    packed doubles 6 bucket_limit (each bucket's right edge) and 7 bucket (its count)."""
    return (_double(1, min) + _double(2, max) + _double(3, num) + _double(4, sum)
            + _double(5, sum_squares) + packed_doubles(6, bucket_limit)
            + packed_doubles(7, bucket))


def image(height: int, width: int, colorspace: int, encoded_image_string: bytes) -> bytes:
    """``Summary.Image``: 1 height, 2 width, 3 colorspace (channels), 4 the PNG bytes."""
    return (_int(1, height) + _int(2, width) + _int(3, colorspace)
            + _bytes(4, encoded_image_string))


# ------------------------------------------------------------------ tensor.proto
def tensor_shape(dims) -> bytes:
    """``TensorShapeProto``: 2 repeated Dim (1 size)."""
    return b"".join(_message(2, _int(1, size)) for size in dims)


# TensorProto's value fields: name -> (field number, how the values are packed)
_VALUE_FIELDS = {"float_val": (5, packed_floats), "double_val": (6, packed_doubles),
                 "int_val": (7, packed_varints), "int64_val": (10, packed_varints),
                 "bool_val": (11, packed_varints), "half_val": (13, packed_varints),
                 "uint32_val": (16, packed_varints)}


def tensor_proto(dtype: str, shape=None, *, string_val=(), **values) -> bytes:
    """``TensorProto``: 1 dtype, 2 tensor_shape (``shape``: its dims, None for unset), then
    the values in one of the typed fields (``float_val=[...]``: see ``_VALUE_FIELDS``) or
    8 string_val (repeated bytes, not packed)."""
    out = _int(1, DT[dtype]) + _message(2, None if shape is None else tensor_shape(shape))
    fields = [(_VALUE_FIELDS[name][0], _VALUE_FIELDS[name][1], v) for name, v in values.items()]
    fields += [(8, None, string_val)]
    for number, pack, vals in sorted(fields, key=lambda f: f[0]):
        out += b"".join(_bytes(8, s, True) for s in vals) if pack is None else pack(number, vals)
    return out


# ------------------------------------------------------------------ hparams plugin
def struct_value(v) -> bytes:
    """``google.protobuf.Value`` for a number (2), string (3) or bool (4): a oneof, so even
    0 / "" / False is written."""
    if isinstance(v, bool):
        return _int(4, v, always=True)
    if isinstance(v, str):
        return _bytes(3, v, always=True)
    return _double(2, float(v), always=True)


def list_value(values) -> bytes:
    """``google.protobuf.ListValue``: 1 repeated Value."""
    return b"".join(_message(1, struct_value(v)) for v in values)


def hparam_info(name: str, type: int, domain_discrete=None) -> bytes:
    """``HParamInfo``: 1 name, 4 type (DataType: STRING 1, BOOL 2, FLOAT64 3), 5 the
    discrete domain (a ListValue's bytes)."""
    return _bytes(1, name) + _int(4, type) + _message(5, domain_discrete)


def metric_info(tag: str) -> bytes:
    """``MetricInfo``: 1 name = ``MetricName`` (2 tag)."""
    return _message(1, _bytes(2, tag))


def experiment(hparam_infos, metric_infos) -> bytes:
    """``Experiment``: 4 repeated HParamInfo, 5 repeated MetricInfo."""
    return (b"".join(_message(4, h) for h in hparam_infos)
            + b"".join(_message(5, m) for m in metric_infos))


def session_start_info(hparams: dict) -> bytes:
    """``SessionStartInfo``: 1 ``map<string, Value> hparams`` — a map is a repeated entry
    message (1 key, 2 value)."""
    return b"".join(_message(1, _bytes(1, k) + _message(2, struct_value(v)))
                    for k, v in hparams.items())


def session_end_info(status: int) -> bytes:
    """``SessionEndInfo``: 1 status (STATUS_SUCCESS = 1)."""
    return _int(1, status)


def hparams_plugin_data(*, experiment=None, session_start_info=None,
                        session_end_info=None, version: int = 0) -> bytes:
    """``HParamsPluginData``: 1 version, one of 2 experiment, 3 session_start_info,
    4 session_end_info."""
    return (_int(1, version) + _message(2, experiment) + _message(3, session_start_info)
            + _message(4, session_end_info))
