"""Variable-length sequences for the recurrent layers, as ``torch.nn.utils.rnn``.

* :func:`pad_sequence` — a list of ``(L_i, *)`` tensors as one padded ``(max L, B, *)`` tensor;
* :class:`PackedSequence` — the same sequences without padding: the rows of time step 0 of
  every sequence, then of step 1, ... (sequences sorted longest first), with ``batch_sizes[t]``
  saying how many sequences are still running at step t. RNN, LSTM and GRU take one and skip
  the padding: each sequence's final state is its state at its own last step;
* :func:`pack_padded_sequence`, :func:`pack_sequence`, :func:`pad_packed_sequence`,
  :func:`unpad_sequence`, :func:`unpack_sequence` — conversions between the three.

Every conversion is one gather (``rows[index]``, with an extra row holding the padding value)
so gradients flow through it; the index arithmetic is NumPy on the lengths.
"""
from collections.abc import Iterable
from typing import NamedTuple

import numpy as np

from ...functions import cat
from ...tensor import Tensor

__all__ = ["PackedSequence", "invert_permutation", "pack_padded_sequence",
           "pad_packed_sequence", "pad_sequence", "unpad_sequence", "pack_sequence",
           "unpack_sequence"]


class PackedSequence_(NamedTuple):
    data: Tensor
    batch_sizes: Tensor
    sorted_indices: Tensor
    unsorted_indices: Tensor


class PackedSequence(PackedSequence_):
    """``(data, batch_sizes, sorted_indices, unsorted_indices)``: made by
    :func:`pack_padded_sequence` / :func:`pack_sequence`, not by hand. ``sorted_indices``
    (None if the input was already sorted) orders the original batch by decreasing length;
    ``unsorted_indices`` is its inverse."""

    def __new__(cls, data, batch_sizes=None, sorted_indices=None, unsorted_indices=None):
        if unsorted_indices is None:
            unsorted_indices = invert_permutation(sorted_indices)
        if batch_sizes is None:
            if not (isinstance(data, (list, tuple)) and len(data) == 2):
                raise AssertionError("Expected data to be a list or tuple of length 2")
            data, batch_sizes = data
        return super().__new__(cls, data, batch_sizes, sorted_indices, unsorted_indices)

    def to(self, *args, **kwargs):
        """``data.to(...)``; the index tensors stay (there is one device, the CPU)."""
        data = self.data.to(*args, **kwargs)
        if data is self.data:
            return self
        return type(self)(data, self.batch_sizes, self.sorted_indices, self.unsorted_indices)

    def cuda(self, *args, **kwargs):
        return self.to(self.data.cuda(*args, **kwargs))     # raises, as torch's CPU build

    def cpu(self, *args, **kwargs):
        return self.to(self.data.cpu(*args, **kwargs))

    def double(self):
        return self.to(dtype=_dtype("float64"))

    def float(self):
        return self.to(dtype=_dtype("float32"))

    def half(self):
        return self.to(dtype=_dtype("float16"))

    def long(self):
        return self.to(dtype=_dtype("int64"))

    def int(self):
        return self.to(dtype=_dtype("int32"))

    def short(self):
        return self.to(dtype=_dtype("int16"))

    def char(self):
        return self.to(dtype=_dtype("int8"))

    def byte(self):
        return self.to(dtype=_dtype("uint8"))

    @property
    def is_cuda(self):
        return self.data.is_cuda


def _dtype(name):
    from ... import dtypes
    return getattr(dtypes, name)


def _int64(values):
    return Tensor._of(np.asarray(values, dtype=np.int64))


def invert_permutation(permutation):
    """The inverse permutation (None stays None): ``out[permutation[i]] = i``."""
    if permutation is None:
        return None
    p = np.asarray(permutation.array)
    out = np.empty_like(p)
    out[p] = np.arange(p.size, dtype=p.dtype)
    return Tensor._of(out)


def _gather_rows(data, index, padding_value):
    """``data[index]`` along dim 0, where ``index == len(data)`` picks a row filled with
    ``padding_value`` (cast to data's dtype, as torch's ``full``): one differentiable gather."""
    fill = np.full((1,) + tuple(data.shape[1:]), padding_value, dtype=data.array.dtype)
    return cat([data, Tensor._of(fill)], 0)[index]


def pad_sequence(sequences, batch_first=False, padding_value=0.0, padding_side="right"):
    """Stack tensors of shapes ``(L_i, *)`` into ``(max L, B, *)`` (``(B, max L, *)`` with
    ``batch_first``), filling the missing steps with ``padding_value`` after each sequence
    (``padding_side='left'``: before it). The result has the first sequence's dtype and
    trailing shape (the others are cast and broadcast to it, as torch copies them in)."""
    if not isinstance(sequences, Iterable):
        raise RuntimeError(f"pad_sequence: Expected iterable for input sequences, but got arg "
                           f"of type: {type(sequences)}")
    sequences = tuple(sequences)
    if not sequences:
        raise RuntimeError("received an empty list of sequences")
    if padding_side not in ("left", "right"):
        raise RuntimeError(f"Expected padding_side to be one of left or right, but got "
                           f"{padding_side}.")
    if any(s.ndim == 0 for s in sequences):
        raise RuntimeError("pad_sequence: every sequence needs a first (time) dimension, got a "
                           "0-d tensor")
    first = sequences[0]
    trailing = tuple(first.shape[1:])
    pieces = []
    for s in sequences:
        if s.dtype != first.dtype:
            s = s.to(first.dtype)
        if tuple(s.shape[1:]) != trailing:
            s = s.expand((s.shape[0],) + trailing)
        pieces.append(s)
    lengths = np.array([s.shape[0] for s in pieces], dtype=np.int64)
    total, longest = int(lengths.sum()), int(lengths.max())
    starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])
    t = np.arange(longest)[:, None]
    pos = t - (longest - lengths[None, :] if padding_side == "left" else 0)
    index = np.where((pos >= 0) & (pos < lengths[None, :]), starts[None, :] + pos, total)
    return _gather_rows(cat(pieces, 0), index.T if batch_first else index, padding_value)


def _lengths_array(lengths):
    values = np.asarray(lengths.array if isinstance(lengths, Tensor) else lengths)
    if values.ndim != 1:
        raise RuntimeError(f"'lengths' argument should be a 1D CPU int64 tensor, but got "
                           f"{values.ndim}D cpu Long tensor")
    return values.astype(np.int64)


def pack_padded_sequence(input, lengths, batch_first=False, enforce_sorted=True):
    """Pack a padded ``(T, B, *)`` batch (``(B, T, *)`` with ``batch_first``) of sequences of
    the given ``lengths``. With ``enforce_sorted`` the lengths must be decreasing; otherwise
    the batch is sorted here (stably) and the PackedSequence remembers the order."""
    lengths = _lengths_array(lengths)
    if input.ndim < 2:
        raise IndexError(f"Dimension out of range (expected to be in range of [-1, 0], but got "
                         f"1) (pack_padded_sequence: input of shape {tuple(input.shape)} has "
                         f"no batch dim)")
    sorted_indices = None
    if not enforce_sorted:
        order = np.argsort(-lengths, kind="stable")
        lengths, sorted_indices = lengths[order], _int64(order)
        input = input.index_select(0 if batch_first else 1, sorted_indices)
    if batch_first:
        input = input.transpose(0, 1)
    steps, batch = input.shape[0], input.shape[1]
    if input.numel() == 0:
        raise RuntimeError("Cannot pack empty tensors.")
    if lengths.size != batch:
        raise RuntimeError(f"Expected `len(lengths)` to be equal to batch_size, but got "
                           f"{lengths.size} (batch_size={batch})")
    if lengths[-1] <= 0:
        raise RuntimeError("Length of all samples has to be greater than 0, but found an "
                           "element in 'lengths' that is <= 0")
    if np.any(lengths[1:] > lengths[:-1]):
        raise RuntimeError("`lengths` array must be sorted in decreasing order when "
                           "`enforce_sorted` is True. You can pass `enforce_sorted=False` to "
                           "pack_padded_sequence and/or pack_sequence to sidestep this "
                           "requirement if you do not need ONNX exportability.")
    if lengths[0] > steps:       # torch reads past the end of the input here
        raise RuntimeError(f"pack_padded_sequence: a length of {lengths[0]} is longer than the "
                           f"input's {steps} time steps")
    running = lengths[None, :] > np.arange(lengths[0])[:, None]        # (steps, batch)
    rows = input.reshape((steps * batch,) + tuple(input.shape[2:]))
    data = rows[np.flatnonzero(running)]
    return PackedSequence(data, _int64(running.sum(1)), sorted_indices, None)


def pad_packed_sequence(sequence, batch_first=False, padding_value=0.0, total_length=None):
    """The inverse of :func:`pack_padded_sequence`: ``(padded, lengths)``, padded to
    ``total_length`` steps if given, in the original batch order."""
    batch_sizes = np.asarray(sequence.batch_sizes.array, dtype=np.int64)
    max_seq_length = batch_sizes.size
    if total_length is not None:
        if total_length < max_seq_length:
            raise ValueError(f"Expected total_length to be at least the length of the longest "
                             f"sequence in input, but got total_length={total_length} and max "
                             f"sequence length being {max_seq_length}")
        max_seq_length = total_length
    batch = int(batch_sizes[0])
    extra = max_seq_length - batch_sizes.size
    sizes = np.concatenate([batch_sizes, np.zeros(extra, np.int64)])
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    b = np.arange(batch)[None, :]
    index = np.where(b < sizes[:, None], starts[:, None] + b, int(batch_sizes.sum()))
    lengths = (batch_sizes[None, :] > np.arange(batch)[:, None]).sum(1)
    if sequence.unsorted_indices is not None:
        order = np.asarray(sequence.unsorted_indices.array)
        index, lengths = index[:, order], lengths[order]
    padded = _gather_rows(sequence.data, index.T if batch_first else index, padding_value)
    return padded, _int64(lengths)


def unpad_sequence(padded_sequences, lengths, batch_first=False):
    """The list of unpadded sequences of a padded batch (the inverse of
    :func:`pad_sequence`). Unlike torch's, it does not transpose ``padded_sequences`` in
    place when ``batch_first=False``."""
    if not batch_first:
        padded_sequences = padded_sequences.transpose(0, 1)
    return [seq[:int(length)] for seq, length in zip(padded_sequences, lengths, strict=True)]


def pack_sequence(sequences, enforce_sorted=True):
    """Pack a list of ``(L_i, *)`` tensors (``pad_sequence`` then ``pack_padded_sequence``)."""
    lengths = [v.size(0) for v in sequences]
    return pack_padded_sequence(pad_sequence(sequences), lengths,
                                enforce_sorted=enforce_sorted)


def unpack_sequence(packed_sequences):
    """The list of sequences in a PackedSequence (the inverse of :func:`pack_sequence`)."""
    padded, lengths = pad_packed_sequence(packed_sequences, batch_first=True)
    return unpad_sequence(padded, lengths, batch_first=True)
