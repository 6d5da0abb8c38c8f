"""segment_reduce: one reduction per segment of consecutive rows.

The public function (:func:`tinygrad_sgd.functions.segment.segment_reduce`) flattens the data to
rows ``x`` (n, …) and describes the segments by three arrays: ``index`` (the rows read, in
order), ``segment`` (the segment each of them belongs to) and ``lengths`` (each segment's number
of rows). The op reduces ``x[index]`` into one row per segment (given back in ``shape``).
"""
import numpy as np

from ..autograd import Function, is_grad_enabled
from .shape import GetItem, IndexAdd
from .strided import NoDerivative

__all__ = ["SegmentReduce"]

_START = {"sum": 0.0, "mean": 0.0, "prod": 1.0, "max": -np.inf, "min": np.inf}
_INTO = {"sum": np.add, "mean": np.add, "prod": np.multiply, "max": np.maximum,
         "min": np.minimum}


class SegmentReduce(Function):
    """zₛ = reduce over the rows xᵢ of segment s (and ``initial``, if given).

    Backward, row by row (each row gets its segment's gradient gₛ times): sum 1; mean 1/lenₛ;
    max/min 1/(number of rows equal to zₛ) where xᵢ = zₛ, else 0; prod Π_{j≠i} xⱼ · initial —
    zₛ/xᵢ without zeros in the segment, the product of the other (nonzero) factors at its one
    zero, 0 elsewhere. The backward is differentiable again (torch's is not), but for a
    product with zeros: there, as torch, the second derivative raises."""
    inputs, rule = ("x",), "zₛ = reduce_{i in segment s} xᵢ"
    derivatives = ("sum: 1; mean: 1/lenₛ; max/min: [xᵢ = zₛ]/ties; prod: Π_{j≠i} xⱼ",)
    grad_fn_name = "SegmentReduceBackward"
    op_name = "segment_reduce"

    def forward(self, x, index, segment, lengths, reduce, initial, shape=None):
        a = x.array
        self.index, self.segment, self.lengths = index, segment, lengths
        self.reduce, self.initial = reduce, initial
        wide = np.float32 if a.dtype == np.float16 else a.dtype
        out = np.full((lengths.size,) + a.shape[1:], _START[reduce], wide)
        _INTO[reduce].at(out, segment, a[index])
        if initial is not None:
            out = _INTO[reduce](out, np.asarray(initial, wide)).astype(wide, copy=False)
        if reduce == "mean":
            n = lengths.reshape((-1,) + (1,) * (a.ndim - 1))
            with np.errstate(invalid="ignore", divide="ignore"):
                out = np.where(n > 0, out / np.maximum(n, 1),
                               np.nan if initial is None else initial).astype(wide)
        out = out.astype(a.dtype, copy=False)
        self.flat = out.shape
        out = out if shape is None else out.reshape(shape)        # (segments, rows' shape)
        self.save_for_backward(x)
        self.save_output(out)
        return out

    def backward(self, g):
        (x,) = self.saved_tensors
        index, segment, ndim = self.index, self.segment, x.ndim
        spread = GetItem.apply(g.reshape(self.flat), segment)    # gₛ at each row read
        if self.reduce == "mean":
            spread = spread / self.constant(self.lengths[segment].reshape(
                (-1,) + (1,) * (ndim - 1)).astype(x.array.dtype))
        elif self.reduce in ("max", "min"):
            picked = (x.array[index] == self.output().array.reshape(self.flat)[segment])
            ties = np.zeros(self.flat, np.int64)
            np.add.at(ties, segment, picked)
            spread = spread * self.constant(
                (picked / np.maximum(ties[segment], 1)).astype(x.array.dtype))
        elif self.reduce == "prod":
            spread = spread * self._others(x)
        return IndexAdd.apply(spread, index, x.shape, True)

    def _others(self, x):
        """Π_{j≠i} xⱼ (times initial) for every row read, as a Tensor (differentiable)."""
        rows, segment = GetItem.apply(x, self.index), self.segment
        zero = rows.array == 0
        zeros = np.zeros(self.flat, np.int64)
        np.add.at(zeros, segment, zero)
        ones = self.constant(np.ones((), x.array.dtype))
        nonzero = SegmentReduce.apply(rows.where(self.constant(~zero), ones),
                                      np.arange(len(segment)), segment, self.lengths, "prod",
                                      self.initial)
        n = zeros[segment]
        no_zero = GetItem.apply(self.output().reshape(self.flat), segment) / rows.where(
            self.constant(~zero), ones)
        the_zero = GetItem.apply(nonzero, segment)
        others = no_zero.where(self.constant(n == 0), the_zero.where(
            self.constant((n == 1) & zero), ones * 0))
        if zero.any() and is_grad_enabled():     # (a segment with one zero: its other rows'
            return NoDerivative.apply(           # gradient, 0, is not differentiated here)
                others, x, what="aten::_segment_reduce_backward")
        return others
