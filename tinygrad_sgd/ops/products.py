"""Products of tensors beyond matmul: einsum, and the ops built on the same idea.

``Einsum`` is the general one: its backward for each operand is again an einsum (of the
gradient with the other operands), so second order comes for free. ``Tensordot`` and ``Kron``
are einsums with a faster forward or a reshape around them. The matrix–vector family (``Dot``,
``Mv``, ``Outer``, ``Bmm``) and the scaled sums ``β·input + α·product`` (``Addmm``, ``Baddbmm``,
``Addmv``, ``Addr``) run on BLAS (``np.matmul``/``np.dot``) and differentiate into each other.
Arguments are checked (with torch's messages) in :mod:`tinygrad_sgd.functions.products` (einsum:
:mod:`tinygrad_sgd.functions.einsum_equation`).
"""
import math
import string

import numpy as np

from ..autograd import Function, is_grad_enabled
from ..kernels.bilinear_half import bilinear_forward, bilinear_backward
from .linalg import MatMul

__all__ = ["Einsum", "Tensordot", "Kron", "Dot", "Mv", "Outer", "Bmm", "Addmm", "Baddbmm",
           "Addmv", "Addr", "BilinearHalf"]

# np.einsum's path search (pairwise contractions, BLAS where it can) costs ~0.1 ms: worth it
# when the plain loop over every label at once would be longer
_OPTIMIZE_FROM = 1 << 15


class Einsum(Function):
    """``equation`` arrives normalised: explicit output, ellipsis already spelled as letters,
    no spaces (``"ij,jk->ik"``). Labels of size 1 broadcast, as in torch. The gradient of
    operand k is einsum(g, the other operands → k's labels); a repeated label of k (a
    diagonal, ``"ii->i"``) gets a fresh letter tied to it by an identity matrix, and a label
    only k has (summed out by k alone) is broadcast back with expand."""
    inputs, rule = ("Aₖ",), "Z = einsum(equation, A₁, …, Aₙ)"
    derivatives = ("dL/dAₖ = einsum(dL/dZ and every other Aⱼ → the labels of Aₖ)",)
    op_name = "einsum"

    def forward(self, *operands, equation, dtype=None, written=None):
        self.equation, self.written = equation, written or equation
        self.save_for_backward(*operands)
        arrays = [o.array if dtype is None else o.array.astype(dtype, copy=False)
                  for o in operands]
        if len(arrays) == 1:
            return _one_operand(equation, arrays[0])
        if _no_sum(equation):
            return _products(equation, arrays)
        half = arrays[0].dtype == np.float16    # summed in float32 and rounded once, as
        if half:                                # torch's bmm (NumPy's einsum: in float16)
            arrays = [a.astype(np.float32) for a in arrays]
        out = np.asarray(np.einsum(equation, *arrays, optimize=_worth_optimizing(equation,
                                                                                arrays)))
        return out.astype(np.float16) if half else out

    def backward(self, g):
        need = self.needs_input_grad
        n = len(self._saved)
        # operand j's values are read only by the gradients of the others (as torch, which
        # saves an input only for them: x changed in place after z = kron(x, w) is no
        # matter when only x needs a gradient); shapes and dtypes are read in any case
        like = [(t.shape, t.dtype) for t in self._saved]
        xs = self.saved_tensors_if(*[any(need[k] for k in range(n) if k != j)
                                     for j in range(n)])
        return tuple(einsum_grad(self.equation, g, xs, k, *like[k]) if need[k] else None
                     for k in range(n))

    def label(self):
        return f"einsum({self.written!r})"


def _one_operand(equation, x):
    """Diagonals and transposes by einsum (a view), the sum by ``np.sum``: pairwise summation,
    as accurate as torch's (einsum's own loop adds one by one: 100x the float32 error on 10⁷
    elements)."""
    lhs, out = equation.split("->")
    labels = out + "".join(dict.fromkeys(c for c in lhs if c not in out))
    view = np.einsum(f"{lhs}->{labels}", x)
    if len(labels) == len(out):
        return np.array(view)                       # (a copy: never the input's memory)
    return np.asarray(view.sum(axis=tuple(range(len(out), len(labels))), dtype=view.dtype))


def _no_sum(equation):
    """True when every label is kept in the output: the einsum is products only (an outer,
    elementwise or batched-outer product)."""
    lhs, out = equation.split("->")
    return all(c in out for c in lhs if c != ",")


def _products(equation, arrays):
    """An einsum with nothing summed, as broadcast products: each operand's view (diagonals
    and transposes by einsum) with its labels in output order and size 1 for the others.
    ``np.einsum`` adds every product to a +0 accumulator, so a product of −0 came out +0;
    torch keeps it −0 (the same numbers otherwise: the product is the same rounding)."""
    lhs, out = equation.split("->")
    result = None
    for sub, a in zip(lhs.split(","), arrays):
        order = "".join(c for c in out if c in sub)
        view = np.einsum(f"{sub}->{order}", a)
        view = view.reshape([view.shape[order.index(c)] if c in order else 1 for c in out])
        result = view if result is None else result * view
    return np.asarray(result)


def _worth_optimizing(equation, arrays):
    """Whether the plain einsum loop (one pass over every combination of labels) is long."""
    if len(arrays) < 2:
        return False
    size = {}
    for sub, a in zip(equation.split("->")[0].split(","), arrays):
        for c, n in zip(sub, a.shape):
            size[c] = max(size.get(c, 1), n)
    return math.prod(size.values()) >= _OPTIMIZE_FROM


def einsum_grad(equation, g, xs, k, shape, dtype):
    """dL/dxₖ for ``Z = einsum(equation, *xs)`` given ``g = dL/dZ``, as one Einsum node
    (xₖ itself is not read: ``shape`` and ``dtype`` are its)."""
    lhs, out = equation.split("->")
    subs = lhs.split(",")
    terms = [(s, x) for j, (s, x) in enumerate(zip(subs, xs)) if j != k] + [(out, g)]
    fresh = [c for c in string.ascii_letters if c not in equation]
    target, seen = [], set()
    for pos, c in enumerate(subs[k]):
        if c in seen:                       # a diagonal: δ(c, c') ties the fresh c' to c
            f = fresh.pop()
            n = shape[pos]
            terms.append((c + f, Function.constant(np.eye(n, dtype=g.dtype))))
            c = f
        seen.add(c)
        target.append(c)
    known = set("".join(s for s, _ in terms))
    kept = "".join(c for c in target if c in known)
    r = Einsum.apply(*[t for _, t in terms],
                     equation=",".join(s for s, _ in terms) + "->" + kept)
    if len(kept) < len(target):             # labels only xₖ has: size 1 for now
        sizes = iter(r.shape)
        r = r.reshape(tuple(next(sizes) if c in known else 1 for c in target))
    full = np.broadcast_shapes(r.shape, shape)
    if r.shape != full:                     # ... and broadcast (as are labels where xₖ is
        r = r.expand(full)                  # bigger than the rest); the graph walk sums
    return r if r.dtype == dtype else r.to(dtype)   # where xₖ is smaller


class Tensordot(Einsum):
    """An einsum whose forward is ``np.tensordot`` (one BLAS call) when the contracted sizes
    match (a size-1 dim against a bigger one broadcasts, as in torch: einsum does that)."""
    inputs, rule = ("A", "B"), "Z = Σ over the paired dims of A·B"
    derivatives = ("dL/dA = einsum(dL/dZ, B → the dims of A)",
                   "dL/dB = einsum(dL/dZ, A → the dims of B)")
    op_name = "tensordot"

    def forward(self, a, b, equation, axes):
        self.axes = axes
        if all(a.shape[i] == b.shape[j] for i, j in zip(*axes)):
            self.equation = equation
            self.save_for_backward(a, b)
            return np.tensordot(a.array, b.array, axes)
        return super().forward(a, b, equation=equation)

    def label(self):
        return f"tensordot(dims={[list(d) for d in self.axes]})"


class Kron(Einsum):
    """kron(A, B)[.., i·p + k, ..] = A[.., i, ..]·B[.., k, ..]: the outer product with the
    axes interleaved (``"ab,cd->acbd"``), then each pair of axes merged by a reshape."""
    rule = "Z = A ⊗ B"
    derivatives = ("dL/dA = einsum(dL/dZ unmerged, B)", "dL/dB = einsum(dL/dZ unmerged, A)")
    inputs = ("A", "B")
    op_name = "kron"

    def forward(self, a, b, equation, dtype=None):
        wide = super().forward(a, b, equation=equation, dtype=dtype)
        self.wide_shape = wide.shape
        n = max(a.ndim, b.ndim)
        sa, sb = (1,) * (n - a.ndim) + a.shape, (1,) * (n - b.ndim) + b.shape
        return wide.reshape([p * q for p, q in zip(sa, sb)])

    def backward(self, g):
        return super().backward(g.reshape(self.wide_shape))

    def label(self):
        return "kron"


# --------------------------------------------------------------------- matrix and vector
class Dot(Function):
    inputs, rule = ("x", "y"), "z = Σᵢ xᵢ·yᵢ"
    derivatives = ("dL/dx = g·y", "dL/dy = g·x")

    def forward(self, x, y):
        self.save_for_backward(x, y)
        return np.asarray(np.dot(x.array, y.array))

    def backward(self, g):
        x, y = self.saved_tensors
        return (g * y if self.needs_input_grad[0] else None,
                g * x if self.needs_input_grad[1] else None)


class BilinearHalf(Function):
    """F.bilinear of float16 (B, I) and (B, J) inputs and an (O, I, J) weight, with torch's
    float16 roundings (:mod:`..kernels.bilinear_half`: its loop over the outputs rounds the
    partial products, and the backward's sums over the outputs add in float16). With
    ``create_graph`` the gradients are einsums again (differentiable, rounded once)."""
    inputs, rule = ("x₁", "A", "x₂"), "y_o = Σᵢⱼ x₁ᵢ·A_oij·x₂ⱼ"
    derivatives = ("dL/dx₁ = Σ_o g_o·A_o·x₂", "dL/dA_oij = Σ g_o·x₁ᵢ·x₂ⱼ",
                   "dL/dx₂ = Σ_o g_o·(x₁·A_o)")
    op_name = "bilinear"

    def forward(self, x1, weight, x2):
        self.save_for_backward(x1, weight, x2)
        out, self.partial = bilinear_forward(x1.array, weight.array, x2.array)
        return out

    def backward(self, g):
        x1, weight, x2 = self.saved_tensors
        need = self.needs_input_grad[:3]
        if not is_grad_enabled():
            return tuple(None if a is None else self.constant(a) for a in bilinear_backward(
                g.array, x1.array, weight.array, x2.array, self.partial, need))
        from ..functions.einsum_equation import einsum
        return (einsum("bo,oij,bj->bi", g, weight, x2) if need[0] else None,
                einsum("bo,bi,bj->oij", g, x1, x2) if need[1] else None,
                einsum("bo,bi,oij->bj", g, x1, weight) if need[2] else None)


class Mv(Function):
    inputs, rule = ("M", "v"), "z = M·v"
    derivatives = ("dL/dM = g ⊗ v", "dL/dv = Mᵀ·g")

    def forward(self, m, v):
        self.save_for_backward(m, v)
        return np.matmul(m.array, v.array)

    def backward(self, g):
        m, v = self.saved_tensors
        return (Outer.apply(g, v) if self.needs_input_grad[0] else None,
                Mv.apply(m.mT, g) if self.needs_input_grad[1] else None)


class Outer(Function):
    """For mixed dtypes the gradients are cast back to each input's dtype (as torch)."""
    inputs, rule = ("x", "y"), "Zᵢⱼ = xᵢ·yⱼ"
    derivatives = ("dL/dx = g·y", "dL/dy = gᵀ·x")

    def forward(self, x, y, dtype=None):
        self.save_for_backward(x, y)
        dtype = dtype or np.result_type(x.array, y.array)
        return np.multiply.outer(x.array.astype(dtype, copy=False),
                                 y.array.astype(dtype, copy=False))

    def backward(self, g):
        x, y = self.saved_tensors
        return (Mv.apply(g, y.to(g.dtype)).to(x.dtype) if self.needs_input_grad[0] else None,
                Mv.apply(g.mT, x.to(g.dtype)).to(y.dtype) if self.needs_input_grad[1] else None)


class Bmm(Function):
    """matmul without broadcasting: 3-D operands with the same batch size (checked before)."""
    inputs, rule = ("X", "Y"), "Zₙ = Xₙ @ Yₙ for each batch item n"
    derivatives = ("dL/dXₙ = gₙ @ Yₙᵀ", "dL/dYₙ = Xₙᵀ @ gₙ")

    def forward(self, x, y):
        self.save_for_backward(x, y)
        return np.matmul(x.array, y.array)

    def backward(self, g):
        x, y = self.saved_tensors
        return (Bmm.apply(g, y.mT) if self.needs_input_grad[0] else None,
                Bmm.apply(x.mT, g) if self.needs_input_grad[1] else None)


# --------------------------------------------------------------------- β·input + α·product
class _ScaledSum(Function):
    """``β·input + α·product(A, B)``, one node as in torch. With β = 0 the input is not read
    (a NaN in it does not reach the result), as torch does; α multiplies the product even
    when 0 — except in addmm and addmv, whose BLAS call skips the product when α = 0 (an inf
    in A gives no NaN there), as torch's does. β and α arrive as Python numbers of the
    input's kind (ints truncated for integer tensors; bools for bool tensors, where + is "or"
    and · is "and")."""
    inputs, rule = ("input", "A", "B"), "Z = β·input + α·product(A, B)"
    derivatives = ("dL/dinput = β·g", "dL/dA = α·(∂product/∂A)ᵀ·g",
                   "dL/dB = α·(∂product/∂B)ᵀ·g")
    alpha_zero_skips = False
    sums_in_float32 = False     # float16: computed in float32 and rounded once (torch's BLAS ops)

    def forward(self, input, a, b, beta=1, alpha=1):
        self.beta, self.alpha = beta, alpha
        self.save_for_backward(a, b)
        x, y, z = input.array, a.array, b.array
        half = self.sums_in_float32 and y.dtype == np.float16
        if half:       # torch's CPU kernel in float16: the whole sum in float32, rounded once
            x, y, z = x.astype(np.float32), y.astype(np.float32), z.astype(np.float32)
        if alpha == 0 and self.alpha_zero_skips:       # (n, k)·(k, m) or (n, k)·(k,)
            out = np.zeros(y.shape[:-1] + z.shape[1:], np.result_type(y, z))
        else:
            out = self.product(y, z)
        if out.dtype == np.bool_:
            out &= bool(alpha)
            return out | (x & bool(beta))
        if alpha != 1:
            out *= np.asarray(alpha).astype(out.dtype)     # (ints wrap as torch's)
        if beta == 1:
            out += x
        elif beta != 0:
            out += np.asarray(beta).astype(out.dtype) * x
        return out.astype(np.float16) if half else out

    def backward(self, g):
        a, b = self.saved_tensors
        need_input, need_a, need_b = self.needs_input_grad
        d_a, d_b = self.product_grads(g, a, b, need_a, need_b)
        if self.alpha != 1:      # the product, then α, as torch's mm_mat1_backward and the
            d_a = None if d_a is None else d_a * self.alpha     # others (α·g first rounded
            d_b = None if d_b is None else d_b * self.alpha     # g before the product)
        return (g * self.beta if need_input and self.beta != 1 else g if need_input else None,
                d_a, d_b)

    def label(self):
        """``addmm``, or ``addmm(beta=0.5)`` when β or α is not 1."""
        options = [f"{k}={v}" for k, v in (("beta", self.beta), ("alpha", self.alpha)) if v != 1]
        return self.op_name + (f"({', '.join(options)})" if options else "")


class Addmm(_ScaledSum):
    inputs, rule = ("input", "A", "B"), "Z = β·input + α·(A @ B)"
    derivatives = ("dL/dinput = β·g", "dL/dA = α·g @ Bᵀ", "dL/dB = α·Aᵀ @ g")
    op_name = "addmm"
    alpha_zero_skips = sums_in_float32 = True
    product = staticmethod(np.matmul)

    @staticmethod
    def product_grads(g, a, b, need_a, need_b):
        return (MatMul.apply(g, b.mT) if need_a else None,
                MatMul.apply(a.mT, g) if need_b else None)


class Baddbmm(Addmm):
    rule = "Zₙ = β·inputₙ + α·(Aₙ @ Bₙ) for each batch item n"
    op_name = "baddbmm"
    alpha_zero_skips = False

    @staticmethod
    def product_grads(g, a, b, need_a, need_b):
        return (Bmm.apply(g, b.mT) if need_a else None,
                Bmm.apply(a.mT, g) if need_b else None)


class Addmv(_ScaledSum):
    inputs, rule = ("input", "M", "v"), "z = β·input + α·(M·v)"
    derivatives = ("dL/dinput = β·g", "dL/dM = α·g ⊗ v", "dL/dv = α·Mᵀ·g")
    op_name = "addmv"
    alpha_zero_skips = sums_in_float32 = True
    product = staticmethod(np.matmul)

    @staticmethod
    def product_grads(g, m, v, need_m, need_v):
        return (Outer.apply(g, v) if need_m else None,
                Mv.apply(m.mT, g) if need_v else None)


class Addr(_ScaledSum):
    """Mixed dtypes are promoted (torch allows it here, unlike addmm); the function casts the
    vectors first, so the op sees one dtype."""
    inputs, rule = ("input", "x", "y"), "Z = β·input + α·(x ⊗ y)"
    derivatives = ("dL/dinput = β·g", "dL/dx = α·g·y", "dL/dy = α·gᵀ·x")
    op_name = "addr"
    product = staticmethod(np.multiply.outer)

    @staticmethod
    def product_grads(g, x, y, need_x, need_y):
        return (Mv.apply(g, y) if need_x else None,
                Mv.apply(g.mT, x) if need_y else None)
