"""Cumulative reductions along a dim: cumsum, cumprod, cummax, cummin, logcumsumexp."""
from ..arguments import normalize_dim
from ..ops.scan import (CumSum, CumProd, LogCumSumExp, CumMax, CumMin, CumMaxIndices,
                        CumMinIndices)
from ..tensor import tensor_method
from ..dtypes import as_dtype
from .elementwise import no_shell_kernel
from .reduce import return_types, torch_name

__all__ = ["cumsum", "cumprod", "cummax", "cummin", "logcumsumexp"]


def _cumulative(cls, input, dim, dtype, op):
    if dtype is not None:
        no_shell_kernel(f"{op}_out_cpu", as_dtype(dtype).dtype)
        input = input.to(dtype)
    out = cls.apply(input, normalize_dim(dim, input.ndim, op))
    return out if dtype is None else out.to(dtype)


@tensor_method
def cumsum(input, dim, *, dtype=None):
    """Running sums along ``dim``; integers and bools give int64 (as torch)."""
    return _cumulative(CumSum, input, dim, dtype, "cumsum")


@tensor_method
def cumprod(input, dim, *, dtype=None):
    """Running products along ``dim``; the gradient is exact where x holds zeros."""
    return _cumulative(CumProd, input, dim, dtype, "cumprod")


@tensor_method
def logcumsumexp(input, dim):
    """``log Σ_{i≤k} exp(xᵢ)`` along ``dim``, without overflow (floating point only)."""
    if input.dtype.kind != "f":
        raise NotImplementedError(f'"logcumsumexp_out_cpu" not implemented for '
                                  f"'{torch_name(input.dtype)}'")
    return LogCumSumExp.apply(input, normalize_dim(dim, input.ndim, "logcumsumexp"))


def _cum_extreme(input, dim, op, index_op, value_op):
    d = normalize_dim(dim, input.ndim, op)
    indices = index_op.apply(input, d)
    values = value_op.apply(input, indices.array, d)
    return getattr(return_types, op)(values, indices)


@tensor_method
def cummax(input, dim):
    """``(values, indices)``: the running maximum and where it was (the latest place on ties,
    as torch; NaN propagates)."""
    no_shell_kernel("cummax_cpu", input.array.dtype)
    return _cum_extreme(input, dim, "cummax", CumMaxIndices, CumMax)


@tensor_method
def cummin(input, dim):
    """``(values, indices)``: the running minimum and where it was (the latest on ties)."""
    no_shell_kernel("cummin_cpu", input.array.dtype)
    return _cum_extreme(input, dim, "cummin", CumMinIndices, CumMin)

