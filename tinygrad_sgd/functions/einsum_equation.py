"""``einsum``: torch's equation parser (its checks in torch's order, with its messages), its
sublist form, and its result dtype, which is whatever its internal pairwise steps give
(:func:`_einsum_dtype` replays them). The math is :class:`tinygrad_sgd.ops.Einsum`."""
import numbers

import numpy as np

from .. import ops
from ..dtypes import result_dtype
from ..autograd.torch_names import named
from ..errors import DTypeError, ShapeError
from ..tensor import Tensor
from .products import LETTERS, _SCALAR_NAME

__all__ = ["einsum"]


def einsum(*args):
    """``einsum(equation, *operands)``, ``einsum(equation, [operands])`` or the sublist form
    ``einsum(a, [0, 1], b, [1, 2], [0, 2])``. Labels are A-Z and a-z; ``...`` covers the
    remaining dims (broadcast, aligned from the right); size-1 dims broadcast; a label repeated
    in an operand takes its diagonal; without ``->`` the output is ``...`` followed by the
    labels seen once, in alphabetical order (upper case first)."""
    if len(args) < 2:
        raise ValueError("einsum(): must specify the equation string and at least one operand, "
                         "or at least one operand and its subscripts list")
    equation, operands = args[0], args[1:]
    if isinstance(equation, Tensor):
        equation, operands = _sublist_equation(args)
    while len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])       # (unwrapped again and again, as torch)
    if not isinstance(equation, str):
        raise TypeError(f"einsum(): argument 'equation' (position 1) must be str, not "
                        f"{type(equation).__name__}")
    if not operands:
        raise ValueError("einsum(): must specify the equation string and at least one operand, "
                         "or at least one operand and its subscripts list")
    for i, op in enumerate(operands):
        if not isinstance(op, Tensor):
            raise TypeError(f"expected Tensor as element {i} in argument 1, but got "
                            f"{type(op).__name__}")
    subs, out = _parse_einsum(equation, operands)
    dtype = _einsum_dtype(subs, out, operands)
    if len(subs) == 1 and set(out) == set(subs[0]) and dtype == operands[0].dtype:
        return _relabelled_view(operands[0], subs[0], out)
    result = ops.Einsum.apply(*operands, equation=",".join(subs) + "->" + out, dtype=dtype,
                              written=equation)
    return named(result, _einsum_node(subs, out), *operands)


def _relabelled_view(x, sub, out):
    """One operand and no label summed: torch's result is a view of it (diagonals for the
    repeated labels, then a permute), and writing to it writes to the operand."""
    labels = list(sub)
    for c in sub:
        if labels.count(c) > 1:
            i = labels.index(c)
            j = labels.index(c, i + 1)
            x = x.diagonal(0, i, j)                 # (the diagonal's dim goes last)
            labels = [d for k, d in enumerate(labels) if k not in (i, j)] + [c]
    return x.permute([labels.index(c) for c in out])


def _einsum_node(subs, out):
    """torch's last node (its einsum is permutes, sums and a bmm of views): one operand gives
    a ``SumBackward1`` if a label is summed, else a ``PermuteBackward0``; more give the view of
    a bmm (``ViewBackward0``) if one is, else a product (``MulBackward0``)."""
    summed = set("".join(subs)) - set(out) - {"."}
    if len(subs) == 1:
        return "SumBackward1" if summed else "PermuteBackward0"
    return "ViewBackward0" if summed else "MulBackward0"


def _sublist_equation(args):
    def labels(sublist):
        out = ""
        for s in sublist:
            if s is Ellipsis:
                out += "..."
            elif isinstance(s, numbers.Integral) and 0 <= s < 52:
                out += LETTERS[s]
            else:
                raise ValueError("einsum(): subscript in subscript list is not within the valid "
                                 "range [0, 52)")
        return out
    equation = ",".join(labels(s) for s in args[1::2])
    if len(args) % 2:
        equation += "->" + labels(args[-1])
        return equation, args[:-1:2]
    return equation, args[::2]


def _parse_einsum(equation, operands):
    """Check the equation as torch does (same order, same messages) and spell it for NumPy:
    one subscript string per operand and the output, ellipsis dims given unused letters."""
    arrow = equation.find("->")
    lhs = equation if arrow < 0 else equation[:arrow]
    labels, ellipsis = [[]], False
    i = 0
    while i < len(lhs):
        c = lhs[i]
        if c == ".":
            k = len(labels) - 1
            if ellipsis:
                raise RuntimeError(f"einsum(): found '.' for operand {k} for which an ellipsis "
                                   f"was already found")
            if not lhs.startswith("...", i):
                raise RuntimeError(f"einsum(): found '.' for operand {k} that is not part of "
                                   f"any ellipsis")
            labels[-1].append("...")
            ellipsis, i = True, i + 2
        elif c == ",":
            labels.append([])
            ellipsis = False
            if len(labels) > len(operands):
                raise RuntimeError("einsum(): fewer operands were provided than specified in "
                                   "the equation")
        elif c != " ":
            if c not in LETTERS:
                raise RuntimeError(f"einsum(): invalid subscript given at index {i} in the "
                                   f"equation string, subscripts must be in [a-zA-Z]")
            labels[-1].append(c)
        i += 1
    if len(labels) != len(operands):
        raise RuntimeError("einsum(): more operands were provided than specified in the equation")

    count, n_ell = {}, 0
    for k, (labs, op) in enumerate(zip(labels, operands)):
        named = [c for c in labs if c != "..."]
        for c in named:
            count[c] = count.get(c, 0) + 1
        if "..." in labs:
            n_ell = max(n_ell, op.ndim - len(named))
            if len(named) > op.ndim:
                raise ShapeError(f"einsum(): the number of subscripts in the equation "
                                 f"({len(named)}) is more than the number of dimensions "
                                 f"({op.ndim}) for operand {k}")
        elif len(named) != op.ndim:
            raise ShapeError(f"einsum(): the number of subscripts in the equation ({len(named)}) "
                             f"does not match the number of dimensions ({op.ndim}) for operand "
                             f"{k} and no ellipsis was given")
    out = ["..."] + sorted(c for c, n in count.items() if n == 1) if arrow < 0 else \
        _parse_output(equation[arrow + 2:], len(lhs), count)

    free = [c for c in LETTERS if c not in count]
    if n_ell > len(free):
        raise RuntimeError(f"einsum(): {len(count)} labels and {n_ell} dims under the ellipsis "
                           f"need more than the 52 letters NumPy's einsum has")
    ell = free[:n_ell]
    out = "".join("".join(ell) if c == "..." else c for c in out)
    return _check_sizes(labels, operands, ell), out


def _parse_output(rhs, lhs_length, count):
    out, i = [], 0
    while i < len(rhs):
        c = rhs[i]
        if c == ".":
            if "..." in out:
                raise RuntimeError("einsum(): found '.' for output but an ellipsis (...) was "
                                   "already found")
            if not rhs.startswith("...", i):
                raise RuntimeError("einsum(): found '.' for output that is not part of any "
                                   "ellipsis (...)")
            out.append("...")
            i += 2
        elif c != " ":
            if c not in LETTERS:
                raise RuntimeError(f"einsum(): invalid subscript given at index "
                                   f"{lhs_length + 2 + i} in the equation string, subscripts "
                                   f"must be in [a-zA-Z]")
            if c in out or not count.get(c):
                raise RuntimeError(f"einsum(): output subscript {c} " + (
                    "appears more than once in the output" if c in out else
                    "does not appear in the equation for any input operand"))
            out.append(c)
        i += 1
    return out


def _check_sizes(labels, operands, ell):
    """Sizes must agree or be 1 (broadcast); a repeated label must have equal sizes."""
    size, ell_size, subs = {}, [1] * len(ell), []
    for k, (labs, op) in enumerate(zip(labels, operands)):
        s, dim, first = "", 0, {}
        for c in labs:
            if c == "...":
                n = op.ndim - (len(labs) - 1)
                for j in range(len(ell) - n, len(ell)):
                    d = op.shape[dim]
                    if d != 1:
                        if ell_size[j] not in (1, d):
                            raise ShapeError(
                                f"einsum(): dimension {dim} covered by ellipsis in operand {k}"
                                f"has size {d} which does not broadcast with previously seen "
                                f"ellipsis with size {ell_size[j]} for the respective dimension")
                        ell_size[j] = d
                    s, dim = s + ell[j], dim + 1
                continue
            d = op.shape[dim]
            if c in first:
                if d != op.shape[first[c]]:
                    raise ShapeError(f"einsum(): subscript {c} is repeated for operand {k} but "
                                     f"the sizes don't match, {d} != {op.shape[first[c]]}")
            elif d != 1:
                if size.get(c, 1) not in (1, d):
                    raise ShapeError(f"einsum(): subscript {c} has size {d} for operand {k} "
                                     f"which does not broadcast with previously seen size "
                                     f"{size[c]}")
                size[c] = d
            first.setdefault(c, dim)
            s, dim = s + c, dim + 1
        subs.append(s)
    return subs


def _summed(dtype):
    """torch's sum turns bool and integers into int64."""
    return np.dtype(np.int64) if dtype.kind in "biu" else dtype


def _einsum_dtype(subs, out, operands):
    """The result dtype torch's einsum gives, by replaying its steps on dtypes and sizes only:
    operands are contracted left to right; a label only one side still has is summed away
    first (``sum``: integers become int64); a pair with labels to contract is a ``bmm`` (same
    dtype required, no bool), a pair without is a ``mul`` (promotes); one operand with labels
    to sum is a ``sum``."""
    contracted = sorted(set("".join(subs)) - set(out))
    if len(operands) == 1:
        dtype = operands[0].array.dtype
        return _summed(dtype) if contracted else dtype
    queue = []
    for s, op in zip(subs, operands):
        shape = dict(zip(s, op.shape))
        queue.append(({c: shape.get(c, 1) for c in contracted}, op.array.dtype, op.numel() == 0))
    counts = {c: sum(sizes[c] != 1 for sizes, _, _ in queue) for c in contracted}
    while len(queue) > 1:
        (sa, da, ea), (sb, db, eb) = queue.pop(0), queue.pop(0)
        sum_dims = []
        for c in contracted:
            if sa[c] != 1 and sb[c] != 1:
                counts[c] -= 1
                if counts[c] == 1:
                    sum_dims.append(c)
                    counts[c] = 0
            elif counts[c] == 1 and (sa[c] != 1 or sb[c] != 1):
                if sa[c] != 1:
                    sa[c], da = 1, _summed(da)
                else:
                    sb[c], db = 1, _summed(db)
                counts[c] = 0
        if sum_dims and not (ea or eb):
            if da == np.bool_:
                raise NotImplementedError('"bmm" not implemented for \'Bool\'')
            if da != db:
                raise DTypeError(f"expected scalar type {_SCALAR_NAME[da.name]} but found "
                                 f"{_SCALAR_NAME[db.name]}")
        dtype = result_dtype(np.empty(1, da), np.empty(1, db))
        sizes = {c: 1 if c in sum_dims else sa[c] if sb[c] == 1 else sb[c] for c in contracted}
        queue.insert(0, (sizes, dtype, ea or eb))
    return queue[0][1]

