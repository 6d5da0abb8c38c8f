"""Misuse catalogue, part 1 — tensors: construction and dtypes, conversion to Python, indexing
and item assignment, shape ops, reductions, matmul, and the gradient edge cases the random
programs found (in-place edits torch catches, NaN/inf in prod/cumprod gradients). Each case is
one program run on
tinygrad_sgd and on torch; the outcome (exception class and essential message, or the value
where torch accepts the input) must be the same. Harness: misuse_harness.py; part 2 (nn,
losses, optimisers, data, state_dict, autograd, files): test_misuse_catalogue_nn.py; the older
table with our own messages: test_misuse.py.
"""
import numpy as np
from misuse_harness import Case, check, parametrize, raises, value

OOR = r"[Dd]imension out of range \(expected to be in range of \[-2, 1\], but got "


def oor(dim):
    """torch's and our wording of a dim out of range of a 2-D tensor: both name dim and range"""
    return dict(pattern=OOR + dim + r"\)",
                ours=r"dim " + dim + r" is out of range for a tensor with 2 dimensions "
                                     r"\(expected in \[-2, 1\]\)")


STALE = r"one of the variables needed for gradient computation has been modified by an " \
        r"inplace operation"


def _edit_after(L, op, which, values=(-1.0, 2.0, 0.5)):
    """op(x), then x (or the result) changed in place through detach(), then backward."""
    x = L.tensor(list(values), requires_grad=True)
    y = op(L, x)
    loss = y.sum() * 1.0
    (x if which == "input" else y).detach().mul_(3.0)
    return L.autograd.grad(loss, [x])


def _mul_by_number_then_edit(L):
    x = L.tensor([1.0, 2.0], requires_grad=True)
    y = x * 1.0
    loss = (y * 2.0).sum()                  # torch keeps only the number: y isn't needed
    y.detach().add_(1.0)
    return L.autograd.grad(loss, [x])


def _product_then_edit(L, shapes, needs, edited, product):
    """a·b (as ``product``) with only ``needs`` (0: a, 1: b) needing a gradient; then a or b
    (``edited``) changed in place through detach(), then backward: torch saves an input only
    for the other's gradient, so an edit of the needing one itself is allowed."""
    a = L.tensor(np.linspace(-1, 1, int(np.prod(shapes[0]))).reshape(shapes[0]),
                 requires_grad=needs == 0)
    b = L.tensor(np.linspace(2, -1, int(np.prod(shapes[1]))).reshape(shapes[1]),
                 requires_grad=needs == 1)
    loss = (product(L, a, b) * 1.0).sum()
    (a, b)[edited].detach().mul_(3.0)
    return L.autograd.grad(loss, [(a, b)[needs]])


def _weighted_grad(L, f, values):
    """d/dx of Σ f(x)·w for fixed weights w = cos(0, 1, 2, ...), in float64."""
    x = L.tensor(values, dtype=L.float64, requires_grad=True)
    w = L.tensor(np.cos(np.arange(x.numel())).reshape(tuple(x.shape)), dtype=L.float64)
    return L.autograd.grad((f(x) * w).sum(), [x])


def _grad_of_grad(L, op):
    x = L.tensor([-1.0, 2.0], requires_grad=True)
    (g,) = L.autograd.grad(op(x).sum(), [x], create_graph=True)
    return tuple(t + 0 for t in L.autograd.grad(g.sum(), [x]))   # (torch: a ZeroTensor)


def _grad_of_grad_at(L, f, values):
    x = L.tensor(values, dtype=L.float64, requires_grad=True)
    (g,) = L.autograd.grad(f(x).sum(), [x], create_graph=True)
    return L.autograd.grad(g.sum(), [x])


def _grad(L, f, values):
    x = L.tensor(values, requires_grad=True)
    f(x).sum().backward()
    return x.grad


def _set(x, index, v):
    x[index] = v
    return x


CASES = [
    # ------------------------------------------------------------ construction and dtypes
    Case("zeros(-1)", lambda L: L.zeros(-1), raises(
        RuntimeError, r"zeros: Dimension size must be non-negative")),
    Case("ones(2, -3)", lambda L: L.ones(2, -3), raises(
        RuntimeError, r"negative dimension -3: \[2, -3\]",
        ours=r"ones: Dimension size must be non-negative, got \[2, -3\]")),
    Case("arange step 0", lambda L: L.arange(0, 10, 0), raises(
        RuntimeError, r"step must be nonzero")),
    Case("arange step of the wrong sign", lambda L: L.arange(10, 0, 1), raises(
        RuntimeError, r"upper bound and (lower|larger) bound inconsistent with step sign")),
    Case("linspace steps -1", lambda L: L.linspace(0, 1, -1), raises(
        RuntimeError, r"number of steps must be non-negative")),
    Case("eye(-1)", lambda L: L.eye(-1), raises(
        RuntimeError, r"n must be greater or equal to 0, got -1")),
    Case("randperm(-1)", lambda L: L.randperm(-1), raises(
        RuntimeError, r"negative dimension -1: \[-1\]")),
    Case("randint low >= high", lambda L: L.randint(5, 2, (3,)), raises(
        RuntimeError, r"random_ expects 'from' to be less than 'to', but got from=5 >= to=2")),
    Case("full of a string", lambda L: L.full((2,), "a"), raises(
        TypeError, r"fill_value.*must be Number, not str")),
    Case("integer tensor requires grad", lambda L: L.tensor([1, 2], requires_grad=True),
         raises(RuntimeError, r"(?i)only Tensors of floating point (and complex )?dtype can "
                              r"require gradients")),
    Case("bool tensor requires_grad_()", lambda L: L.tensor([True]).requires_grad_(), raises(
        RuntimeError, r"(?i)only Tensors of floating point (and complex )?dtype can require")),
    Case("int tensor .requires_grad = True",
         lambda L: setattr(L.arange(3), "requires_grad", True), raises(
             RuntimeError, r"(?i)only Tensors of floating point (and complex )?dtype can "
                           r"require")),
    Case("tensor(float64 list, dtype=int64) truncates", lambda L: L.tensor(
        [1.7, -2.7], dtype=L.int64), value()),
    Case("tensor of bools and ints", lambda L: L.tensor([True, 2]), value()),
    Case("empty list", lambda L: L.tensor([]), value()),
    Case("nested empty lists", lambda L: L.tensor([[], []]), value()),
    Case("multinomial of all zeros", lambda L: L.multinomial(L.tensor([0.0, 0.0]), 1), raises(
        RuntimeError, r"invalid multinomial distribution \(sum of probabilities <= 0\)")),
    Case("multinomial, negative probability", lambda L: L.multinomial(
        L.tensor([0.5, -0.5]), 1), raises(
        RuntimeError, r"probability tensor contains either `inf`, `nan` or element < 0")),
    Case("multinomial, more draws than categories", lambda L: L.multinomial(
        L.tensor([0.5, 0.5]), 3), raises(
        RuntimeError, r"cannot sample n_sample > prob_dist.size\(-1\) samples without "
                      r"replacement")),
    # ------------------------------------------------------------ conversion to Python
    Case("item() of two elements", lambda L: L.tensor([1.0, 2.0]).item(), raises(
        RuntimeError, r"a Tensor with 2 elements cannot be converted to Scalar",
        ours=r"has shape \(2,\) \(2 elements\)")),
    Case("item() of an empty tensor", lambda L: L.zeros(0).item(), raises(
        RuntimeError, r"a Tensor with 0 elements cannot be converted to Scalar",
        ours=r"has shape \(0,\) \(0 elements\)")),
    Case("float() of two elements", lambda L: float(L.tensor([1.0, 2.0])), raises(
        ValueError, r"only one element tensors can be converted to Python scalars",
        ours=r"only a tensor with one element can be converted to a Python number")),
    Case("bool() of two elements", lambda L: bool(L.tensor([1.0, 2.0])), raises(
        RuntimeError, r"Boolean value of Tensor with more than one value is ambiguous")),
    Case("if on an empty tensor", lambda L: bool(L.zeros(0)), raises(
        RuntimeError, r"Boolean value of Tensor with no values is ambiguous")),
    Case("len() of a 0-d tensor", lambda L: len(L.tensor(1.0)), raises(
        TypeError, r"len\(\) of a 0-d tensor")),
    Case("iterating a 0-d tensor", lambda L: list(L.tensor(1.0)), raises(
        TypeError, r"iteration over a 0-d tensor")),
    Case("int() of a float tensor truncates", lambda L: int(L.tensor([-2.7])), value()),
    Case("tolist() of a 0-d tensor", lambda L: L.tensor(2.5).tolist(), value()),
    # ------------------------------------------------------------ indexing
    Case("index past the end", lambda L: L.ones(2)[3], raises(
        IndexError, r"index 3 is out of bounds for dimension 0 with size 2")),
    Case("negative index past the start", lambda L: L.ones(2, 3)[:, -4], raises(
        IndexError, r"index -4 is out of bounds for dimension 1 with size 3")),
    Case("too many indices", lambda L: L.ones(2)[0, 0], raises(
        IndexError, r"too many indices for tensor of dimension 1")),
    Case("float tensor as index", lambda L: L.ones(3)[L.tensor([0.0, 1.0])], raises(
        IndexError, r"tensors used as indices must be long, int, byte or bool tensors")),
    Case("index tensor out of range", lambda L: L.ones(3)[L.tensor([0, 5])], raises(
        IndexError, r"index 5 is out of bounds for dimension 0 with size 3")),
    Case("bool mask of the wrong shape", lambda L: L.ones(2)[L.tensor([True, False, True])],
         raises(IndexError, r"shape of the mask \[3\] at index 0 does not match the shape of "
                            r"the indexed tensor \[2\] at index 0")),
    Case("negative slice step", lambda L: L.arange(4)[::-1], raises(
        ValueError, r"step must be greater than zero")),
    Case("two ellipses are accepted", lambda L: L.ones(2, 2)[..., ...], value()),
    Case("float index", lambda L: L.ones(3)[1.0], raises(
        IndexError, r"only integers, slices \(`:`\), ellipsis \(`...`\), None and long or "
                    r"byte Variables are valid indices")),
    Case("slice past the end is empty", lambda L: L.arange(3)[5:], value()),
    Case("bool scalar index adds a dim", lambda L: L.arange(3)[True], value()),
    Case("None index adds a dim", lambda L: L.arange(3)[None, 1:], value()),
    # ------------------------------------------------------------ item assignment
    Case("x[:2] = a tensor of 3", lambda L: _set(L.zeros(4), slice(0, 2), L.ones(3)), raises(
        RuntimeError, r"expand|size of tensor a \(2\) must match the size of tensor b \(3\)",
        ours=r"\(3,\).*\(2,\)|\(2,\).*\(3,\)")),
    Case("x[5] = 1 past the end", lambda L: _set(L.zeros(4), 5, 1.0), raises(
        IndexError, r"index 5 is out of bounds for (dimension|axis) 0 with size 4")),
    Case("x[0] = a string", lambda L: _set(L.zeros(2), 0, "a"), raises(
        TypeError, r"can't assign a str to a")),
    Case("int tensor x[0] = 2.7 truncates", lambda L: _set(L.zeros(2, dtype=L.int64), 0, 2.7),
         value()),
    Case("x[mask] = a scalar", lambda L: _set(L.arange(4.0), L.arange(4) > 1, -1.0), value()),
    Case("x[[0, 0]] += 1 adds once", lambda L: _set(L.zeros(2), [0, 0], 1.0), value()),
    # ------------------------------------------------------------ gather, index_select, masks
    Case("gather index out of range", lambda L: L.gather(L.ones(2, 3), 1, L.tensor([[5], [0]])),
         raises(RuntimeError, r"index 5 is out of bounds for dimension 1 with size 3")),
    Case("gather float index", lambda L: L.gather(L.ones(2, 3), 1, L.tensor([[1.0], [0.0]])),
         raises(RuntimeError, r"gather\(\): Expected dtype int(32/int)?64 for index")),
    Case("gather index of fewer dims", lambda L: L.gather(L.ones(2, 3), 1, L.tensor([1, 0])),
         raises(RuntimeError, r"Index tensor must have the same number of dimensions as "
                              r"input tensor")),
    Case("index_select with a 2-D index", lambda L: L.index_select(
        L.ones(3), 0, L.tensor([[0]])), raises(
        (IndexError, RuntimeError), r"[Ii]ndex is supposed to be a vector")),
    Case("index_select out of range", lambda L: L.index_select(L.ones(3), 0, L.tensor([3])),
         raises(IndexError, r"index out of range in self")),
    Case("masked_fill with a float mask", lambda L: L.ones(2).masked_fill(
        L.tensor([1.0, 0.0]), 0.0), raises(
        RuntimeError, r"masked_fill_? only supports boolean masks, but got mask with dtype "
                      r"(tinygrad_sgd\.)?float")),
    Case("masked_fill with a 1-d value", lambda L: L.ones(2).masked_fill(
        L.tensor([True, False]), L.tensor([1.0])), raises(
        RuntimeError, r"masked_fill_? only supports a 0-dimensional value tensor, but got "
                      r"tensor with 1 dimension")),
    Case("masked_fill mask not broadcastable", lambda L: L.ones(2).masked_fill(
        L.tensor([True, False, True]), 0.0), raises(
        RuntimeError, r"size of tensor a \(3\) must match the size of tensor b \(2\)",
        ours=r"mask's shape \(3,\) and the tensor's \(2,\) cannot be broadcast")),
    Case("take out of range", lambda L: L.take(L.ones(2, 2), L.tensor([4])), raises(
        IndexError, r"out of range", ours=r"out of (range|bounds)")),
    # ------------------------------------------------------------ shape ops
    Case("permute with a repeated dim", lambda L: L.ones(2, 3).permute(0, 0), raises(
        RuntimeError, r"permute\(\): duplicate dims are not allowed")),
    Case("squeeze a dim out of range", lambda L: L.ones(2, 3).squeeze(5),
         raises(IndexError, **oor("5"))),
    Case("unsqueeze past the end", lambda L: L.ones(2).unsqueeze(3),
         raises(IndexError, **oor("3"))),
    Case("transpose a dim out of range", lambda L: L.ones(2, 3).transpose(0, 2),
         raises(IndexError, **oor("2"))),
    Case("flatten start after end", lambda L: L.ones(2, 3, 4).flatten(2, 1), raises(
        RuntimeError, r"flatten\(\) has invalid args: start_dim cannot come after end_dim")),
    Case("expand a non-singleton dim", lambda L: L.ones(2).expand(3), raises(
        RuntimeError, r"expanded size of the tensor \(3\) must match the existing size \(2\) "
                      r"at non-singleton dimension 0")),
    Case("expand to fewer dims", lambda L: L.ones(2, 3).expand(3), raises(
        RuntimeError, r"number of sizes provided \(1\) must be greater or equal to the number "
                      r"of dimensions in the tensor \(2\)")),
    Case("cat of 2-D and 1-D", lambda L: L.cat([L.ones(2, 2), L.ones(2)]), raises(
        RuntimeError, r"Tensors must have same number of dimensions: got 2 and 1")),
    Case("cat of an empty list", lambda L: L.cat([]), raises(
        (RuntimeError, ValueError), r"expected a non-empty list of Tensors")),
    Case("stack of unequal shapes", lambda L: L.stack([L.ones(2), L.ones(3)]), raises(
        RuntimeError, r"stack expects each tensor to be equal size, but got \[2\] at entry 0 "
                      r"and \[3\] at entry 1")),
    Case("stack of an empty list", lambda L: L.stack([]), raises(
        RuntimeError, r"stack expects a non-empty TensorList")),
    Case("split sizes that don't sum up", lambda L: L.ones(3).split([1, 1]), raises(
        RuntimeError, r"split_with_sizes expects split_sizes to sum exactly to 3")),
    Case("chunk(0)", lambda L: L.ones(3).chunk(0), raises(
        RuntimeError, r"chunk expects `chunks` to be greater than 0, got: 0")),
    Case("repeat with fewer dims than the tensor", lambda L: L.ones(2, 2).repeat(2), raises(
        RuntimeError, r"Number of dimensions of repeat dims( \(1\))? can not be smaller than "
                      r"number of dimensions of tensor")),
    Case("repeat a negative count", lambda L: L.ones(2).repeat(-1), raises(
        RuntimeError, r"Trying to create tensor with negative dimension -2: \[-2\]")),
    Case("roll shifts and dims differ in length", lambda L: L.ones(3).roll((1, 2), 0), raises(
        RuntimeError, r"shifts and dimensions must align. shifts: 2, dims:1")),
    Case("flip with a repeated dim", lambda L: L.ones(2, 2).flip(0, 0), raises(
        RuntimeError, r"dim 0 appears multiple times in the list of dims")),
    Case("tril of a 1-D tensor", lambda L: L.ones(3).tril(), raises(
        RuntimeError, r"tril: input tensor must have at least 2 dimensions")),
    Case("narrow past the end", lambda L: L.ones(4).narrow(0, 3, 2), raises(
        RuntimeError, r"start \(3\) \+ length \(2\) exceeds dimension size \(4\)")),
    Case("unflatten sizes that don't multiply", lambda L: L.ones(6).unflatten(0, (2, 2)),
         raises(RuntimeError, r"[Pp]rovided sizes \[2, 2\] don't multiply up to the size of "
                              r"dim 0 \(6\)")),
    Case("t() of a 3-D tensor", lambda L: L.ones(2, 2, 2).t(), raises(
        RuntimeError, r"t\(\) expects a tensor with <= 2 dimensions, but self is 3D")),
    Case("diagonal of one dim twice", lambda L: L.ones(2, 2).diagonal(0, 0, 0), raises(
        RuntimeError, r"diagonal dimensions cannot be identical 0, 0")),
    Case("select out of range", lambda L: L.ones(2).select(0, 5), raises(
        IndexError, r"select\(\): index 5 out of range for tensor of size \[2\] at dimension 0")),
    Case("reshape of an empty tensor with -1", lambda L: L.zeros(0, 3).reshape(-1, 0), raises(
        RuntimeError, r"cannot reshape tensor of 0 elements into shape \[-1, 0\] because the "
                      r"unspecified dimension size -1 can be any value and is ambiguous")),
    Case("view of a transposed tensor", lambda L: L.ones(2, 3).t().view(6), raises(
        RuntimeError, r"view size is not compatible with input tensor's size and stride")),
    # ------------------------------------------------------------ reductions
    Case("sum over a dim out of range", lambda L: L.ones(2, 3).sum(2),
         raises(IndexError, **oor("2"))),
    Case("sum over a repeated dim", lambda L: L.ones(2, 3).sum((0, 0)), raises(
        RuntimeError, r"dim 0 appears multiple times in the list of dims",
        ours=r"dim \(0, 0\) names the same dimension twice")),
    Case("amax over a repeated dim", lambda L: L.ones(2, 3).amax((1, -1)), raises(
        RuntimeError, r"dim 1 appears multiple times in the list of dims",
        ours=r"dim \(1, -1\) names the same dimension twice")),
    Case("mean of an int tensor", lambda L: L.arange(3).mean(), raises(
        RuntimeError, r"mean\(\): could not infer output dtype. Input dtype must be either a "
                      r"floating point or complex dtype. Got: Long")),
    Case("std of an int tensor", lambda L: L.arange(3).std(), raises(
        RuntimeError, r"std and var only support floating point and complex dtypes")),
    Case("max() of an empty tensor", lambda L: L.zeros(0).max(), raises(
        RuntimeError, r"max\(\): Expected reduction dim to be specified for input.numel\(\) "
                      r"== 0")),
    Case("max along a size-0 dim", lambda L: L.zeros(0, 3).max(0), raises(
        IndexError, r"max\(\): Expected reduction dim 0 to have non-zero size")),
    Case("argmax of an empty tensor", lambda L: L.zeros(0).argmax(), raises(
        IndexError, r"argmax\(\): Expected reduction dim to be specified for "
                      r"input.numel\(\) == 0")),
    Case("max over a tuple of dims", lambda L: L.ones(2, 3).max(dim=(0, 1)), raises(
        TypeError, r"max\(\) received an invalid combination of arguments",
        ours=r"max\(\).*(tuple|an int)")),
    Case("topk k bigger than the dim", lambda L: L.ones(3).topk(4), raises(
        RuntimeError, r"selected index k out of range")),
    Case("kthvalue k out of range", lambda L: L.ones(3).kthvalue(4), raises(
        (RuntimeError, IndexError), r"kthvalue\(\): selected number k out of range")),
    Case("logsumexp over a dim out of range", lambda L: L.ones(2, 3).logsumexp(3),
         raises(IndexError, **oor("3"))),
    Case("cumsum over a dim out of range", lambda L: L.ones(2, 3).cumsum(-3),
         raises(IndexError, **oor("-3"))),
    Case("softmax over a dim out of range", lambda L: L.ones(2, 3).softmax(2),
         raises(IndexError, **oor("2"))),
    Case("sum of an empty tensor is 0", lambda L: L.zeros(0, 3).sum(0), value()),
    Case("prod of an empty tensor is 1", lambda L: L.zeros(0).prod(), value()),
    Case("mean of an empty tensor is nan", lambda L: L.zeros(0).mean(), value()),
    Case("amax over a size-0 dim", lambda L: L.zeros(2, 0).amax(1), raises(
        IndexError, r"amax\(\): Expected reduction dim 1 to have non-zero size")),
    Case("softmax over a size-0 dim is empty", lambda L: L.zeros(2, 0).softmax(1), value()),
    Case("0-d softmax of nan is nan", lambda L: L.tensor(float("nan")).softmax(0), value()),
    # ------------------------------------------------------------ matmul
    Case("1-D @ 1-D of different lengths", lambda L: L.ones(3) @ L.ones(2), raises(
        RuntimeError, r"inconsistent tensor size, expected tensor \[3\] and src \[2\]",
        ours=r"\(3,\) and \(2,\)")),
    Case("batch dims that don't broadcast", lambda L: L.ones(2, 3, 4) @ L.ones(5, 4, 2), raises(
        RuntimeError, r"size of tensor a \(2\) must match the size of tensor b \(5\) at "
                      r"non-singleton dimension 0", ours=r"\(2, 3, 4\) and \(5, 4, 2\)")),
    Case("int @ float", lambda L: L.ones(2, 2, dtype=L.int64) @ L.ones(2, 2), raises(
        RuntimeError, r"expected m1 and m2 to have the same dtype, but got: long int != float")),
    Case("float64 @ float32", lambda L: L.ones(2, 2, dtype=L.float64) @ L.ones(2, 2), raises(
        RuntimeError, r"expected m1 and m2 to have the same dtype, but got: double != float")),
    Case("matmul with a number", lambda L: L.matmul(L.ones(2), 2.0), raises(
        TypeError, r"matmul\(\): argument 'other' \(position 2\) must be Tensor, not float")),
    Case("empty inner dim gives zeros", lambda L: L.ones(2, 0) @ L.ones(0, 3), value()),
    Case("permute() of a 0-d tensor without dims", lambda L: L.tensor(1.0).permute(), raises(
        TypeError, r"permute\(\) missing 1 required positional arguments?: \"dims\"")),
    # ------------------------------------------------------------ found by the random programs
    # (test_random_programs_surface.py keeps its in-place edits away from these until fixed)
    Case("gelu at ±inf", lambda L: L.nn.functional.gelu(
        L.tensor([float("inf"), -float("inf")], dtype=L.float64)), value()),
    Case("exp's 0-d output changed in place", lambda L: _edit_after(
        L, lambda L, x: x.sum().exp(), "output"), raises(RuntimeError, STALE)),
] + [
    Case(f"{name}'s {which} changed in place", lambda L, f=f, w=which: _edit_after(L, f, w),
         raises(RuntimeError, STALE))
    for name, which, f in [
        ("amax", "input", lambda L, x: x.amax(0)),
        ("amax", "output", lambda L, x: x.amax(0)),
        ("amin", "input", lambda L, x: x.amin(0)),
        ("gather", "input", lambda L, x: x.gather(0, L.tensor([2, 0]))),
        ("clamp", "input", lambda L, x: x.clamp(-0.5, 0.5)),
        ("clamp_min", "input", lambda L, x: x.clamp(min=0.0)),
        ("hardsigmoid", "input", lambda L, x: L.nn.functional.hardsigmoid(x)),
        ("sgn", "input", lambda L, x: x.sgn()),
        ("sgn", "output", lambda L, x: x.sgn())]
] + [
    Case(f"{name}'s input changed in place, not needed", lambda L, f=f: _edit_after(
        L, f, "input"), value())
    for name, f in [("lerp (end)", lambda L, x: L.lerp(L.ones(3, dtype=x.dtype), x, 0.25)),
                    ("frac", lambda L, x: x.frac()),
                    ("kron", lambda L, x: L.kron(x, L.ones(2, dtype=x.dtype)))]
] + [
    # e^x − 1 near 0 as torch's expm1: in float32, exp(-1e-8) − 1 would be 0 (compared as
    # f(x)/x, so that the value's relative error shows)
    Case(f"{name} of tiny negative numbers, {dtype}", lambda L, name=name, dtype=dtype: (
        lambda x: getattr(L.nn.functional, name)(x) / x)(
            L.tensor([-1e-8, -3e-6, -1e-3], dtype=getattr(L, dtype))), value())
    for name in ("elu", "selu", "celu") for dtype in ("float32", "float64")
] + [
    # torch's second derivative at exactly 0 is 0, though its first derivative there is the
    # exponential branch's (s·α·i): ours too (EluOp/EluGrad)
    Case(f"{name}'s second order at 0", lambda L, name=name: _grad_of_grad_at(
        L, lambda x: getattr(L.nn.functional, name)(x), [0.0, -1.0, 1.0, float("nan")]),
         value())
    for name in ("elu", "selu", "celu")
] + [
    Case(f"{label}: gradient and second order at 0, ±1, NaN", lambda L, f=f: (
        _grad(L, lambda x: f(L, x), [0.0, -1.0, 1.0, float("nan"), -0.0]),
        _grad_of_grad_at(L, lambda x: f(L, x), [0.0, -1.0, 1.0, float("nan")])), value())
    for label, f in [("elu α=2", lambda L, x: L.nn.functional.elu(x, alpha=2.0)),
                     ("selu", lambda L, x: L.nn.functional.selu(x)),
                     ("celu α=0.5", lambda L, x: L.nn.functional.celu(x, alpha=0.5)),
                     ("elu_ in place", lambda L, x: L.nn.functional.elu(x * 1.0, inplace=True))]
] + [
    Case("silu's gradient at 0 under an infinite upstream gradient", lambda L: _grad(
        L, lambda x: L.nn.functional.silu(x).log(), [0.0, -0.0]), value()),
    Case("hardswish's gradient at nan", lambda L: _grad(
        L, lambda x: L.nn.functional.hardswish(x), [float("nan"), 0.0, 3.0, -3.0]), value()),
] + [
    Case("x * 2 needs only the 2: x changed in place", _mul_by_number_then_edit, value()),
    *[Case(f"{label} {shapes}, only {'ab'[needs]} needs a gradient, {'ab'[edited]} changed "
           f"in place", lambda L, shapes=shapes, needs=needs, edited=edited, f=f:
           _product_then_edit(L, shapes, needs, edited, f),
           value() if needs == edited else raises(RuntimeError, STALE))
      for label, f, all_shapes in [
          ("a @ b", lambda L, a, b: a @ b,
           [((3, 4), (4, 2)), ((4,), (4, 2)), ((2, 3, 4), (4, 2)), ((3, 4), (4,))]),
          ("linear(a, b)", lambda L, a, b: L.nn.functional.linear(a, b),
           [((3, 4), (2, 4)), ((2, 3, 4), (2, 4))]),
          ("a * b", lambda L, a, b: a * b, [((3,), (3,)), ((2, 3), (3,))]),
          ("einsum(a, b)", lambda L, a, b: L.einsum("ij,jk->ik", a, b), [((3, 4), (4, 2))])]
      for shapes in all_shapes for needs in (0, 1) for edited in (0, 1)],
    # a / b: dz/da reads b only, dz/db reads a and b
    *[Case(f"a / b, only {'ab'[needs]} needs a gradient, {'ab'[edited]} changed in place",
           lambda L, needs=needs, edited=edited: _product_then_edit(
               L, ((2, 3), (3,)), needs, edited, lambda L, a, b: a / b),
           value() if needs == edited == 0 else raises(RuntimeError, STALE))
      for needs in (0, 1) for edited in (0, 1)],
    Case("abs's input changed in place", lambda L: _edit_after(L, lambda L, x: x.abs(),
                                                               "input"),
         raises(RuntimeError, STALE)),
    Case("grad of relu's gradient is zero", lambda L: _grad_of_grad(L, lambda x: x.relu()),
         value()),
    Case("grad of abs's gradient is zero", lambda L: _grad_of_grad(L, lambda x: x.abs()),
         value()),
    Case("prod's gradient at inf with a zero elsewhere", lambda L: _grad(
        L, lambda x: x.prod(0), [[1.0, float("inf")], [0.0, 2.0]]), value()),
    Case("prod's gradient over everything with two zeros and a nan", lambda L: _grad(
        L, lambda x: x.prod(), [0.0, float("nan"), 0.0, 3.0]), value()),
    Case("prod's gradient over everything with one zero and an inf", lambda L: _grad(
        L, lambda x: x.prod(), [[0.0, float("inf")], [2.0, 3.0]]), value()),
    Case("cumprod's gradient past a zero and a nan", lambda L: _grad(
        L, lambda x: x.cumprod(0), [0.0, float("nan"), 0.0]), value()),
    Case("cumprod's gradient past a zero and an inf", lambda L: _grad(
        L, lambda x: x.cumprod(0), [2.0, 0.0, float("inf"), 3.0]), value()),
] + [
    # zeros with inf/nan after them, along either dim: first order (torch's O(n) formula) and
    # through create_graph (its O(n²) one), to second order
    Case(f"cumprod's gradient and second order, {label}", lambda L, a=a, dim=dim: (
        _weighted_grad(L, lambda x: x.cumprod(dim), a),
        _grad_of_grad_at(L, lambda x: x.cumprod(dim) * L.tensor(
            np.cos(np.arange(np.size(a))).reshape(np.shape(a)), dtype=L.float64), a)), value())
    for label, a, dim in [
        ("two zeros then nan", [0.0, 0.0, float("nan")], 0),
        ("zero, inf, zero", [0.0, 2.0, float("inf"), 0.0], 0),
        ("inf, zero", [float("inf"), 0.0, 2.0], 0),
        ("three zeros", [0.0, 0.0, 0.0], 0),
        ("rows", [[0.0, 0.5, float("nan"), 0.0], [3.0, 0.0, float("inf"), 1.0],
                  [-2.0, 1.0, 0.0, 0.0]], 1),
        ("columns", [[0.0, 0.5, float("nan"), 0.0], [3.0, 0.0, float("inf"), 1.0],
                     [0.0, 1.0, 0.0, float("nan")]], 0)]
]


@parametrize(CASES)
def test_misuse_matches_torch(case):
    check(case)
