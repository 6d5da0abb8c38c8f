"""Shape, indexing and constructor ops against torch.

One table of cases (``fn(lib, *tensors)``, run with ``lib = tinygrad_sgd`` and ``lib = torch``)
drives value, gradient for every float input and second order in float64 over random shapes
(size-1 and size-0 dims included), and float32 staying float32; index arrays are drawn with
repeats where torch accumulates. Then: mixed basic/advanced indexing, integer and bool dtypes,
views as graph nodes (hooks, retain_grad), in-place forms, memory sharing, the constructors
(bit-exact ranges), and the error torch raises for each misuse (class and message)."""
import warnings
from typing import Callable, NamedTuple

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import tinygrad_sgd as tg
from strategies import arrays, assert_same, both, check_against_torch

warnings.filterwarnings("ignore", message=".*(x.T|Tensor.T|meshgrid|non-tuple sequence).*")


class Case(NamedTuple):
    label: str
    fn: Callable
    arrays: tuple


def shapes(min_dims=0, max_dims=4, max_side=4, empty=True):
    """Shapes with size-1 dims, and size-0 dims now and then."""
    side = st.integers(0 if empty else 1, max_side).map(lambda s: s if s or empty else 1)
    return st.lists(side, min_size=min_dims, max_size=max_dims).map(tuple)


def ints(draw, shape, lo, hi):
    return draw(hnp.arrays(np.int64, shape, elements=st.integers(lo, hi)))


def dim_of(draw, ndim):
    n = max(ndim, 1)
    return draw(st.integers(-n, n - 1))


# ============================================================================ the cases
@st.composite
def unary(draw, label, fn, min_dims=0, max_dims=4, empty=True, **params):
    shape = draw(shapes(min_dims, max_dims, empty=empty))
    p = {k: draw(v(shape) if callable(v) else v) for k, v in params.items()}
    return Case(f"{label}{p} on {shape}", lambda lib, x: fn(lib, x, **p), (draw(arrays(shape)),))


def a_dim(shape):
    return st.integers(-max(len(shape), 1), max(len(shape), 1) - 1)


def two_dims(shape):
    n = len(shape)
    return st.lists(st.integers(-n, n - 1), min_size=2, max_size=2).filter(
        lambda d: d[0] % n != d[1] % n)


def dim_subset(shape):
    n = len(shape)
    return st.lists(st.integers(0, max(n - 1, 0)), max_size=n, unique=True).map(tuple)


def pieces(lib, parts):
    """Tuple results in one tensor; each piece weighted so a mix-up shows."""
    return lib.cat([p.reshape(-1) * float(i + 1) for i, p in enumerate(parts)]
                   + [parts[0].reshape(-1)[:0]])


@st.composite
def reshape_to(draw):
    shape = draw(shapes())
    target = list(draw(st.permutations(shape)))
    if target and 0 not in shape and draw(st.booleans()):
        target[draw(st.integers(0, len(target) - 1))] = -1
    how = draw(st.sampled_from(["reshape", "view", "same"]))
    target = shape if how == "same" else tuple(target)
    return Case(f"{shape}.{how}{target}",
                lambda lib, x: x.view(target) if how == "view" else x.reshape(target),
                (draw(arrays(shape)),))


@st.composite
def expand_case(draw):
    shape = draw(shapes(max_dims=3, max_side=3))
    target = tuple(draw(st.lists(st.integers(0, 3), max_size=2)) +
                   [draw(st.integers(0, 3)) if s == 1 else draw(st.sampled_from([s, -1]))
                    for s in shape])
    return Case(f"{shape}.expand{target}", lambda lib, x: x.expand(target),
                (draw(arrays(shape)),))


@st.composite
def repeat_case(draw, which):
    shape = draw(shapes(max_dims=3, max_side=3))
    extra = draw(st.integers(0, 2)) if which == "repeat" else draw(st.integers(-len(shape), 2))
    reps = tuple(draw(st.integers(0, 3)) for _ in range(max(len(shape) + extra, 0)))
    return Case(f"{shape}.{which}{reps}", lambda lib, x: getattr(x, which)(reps)
                if which == "tile" else x.repeat(*reps) if reps else x.repeat(()),
                (draw(arrays(shape)),))


@st.composite
def repeat_interleave_case(draw):
    shape = draw(shapes(max_dims=3))
    dim = draw(st.none() | a_dim(shape)) if shape else None
    n = shape[dim] if dim is not None else int(np.prod(shape))
    if draw(st.booleans()):
        r = draw(st.integers(0, 3))
        return Case(f"{shape}.repeat_interleave({r}, {dim})",
                    lambda lib, x: x.repeat_interleave(r, dim=dim), (draw(arrays(shape)),))
    return Case(f"{shape}.repeat_interleave(tensor, {dim})",
                lambda lib, x, r: x.repeat_interleave(r, dim=dim),
                (draw(arrays(shape)), ints(draw, (n,), 0, 3)))


@st.composite
def split_case(draw, which):
    shape = draw(shapes(min_dims=1))
    dim = draw(a_dim(shape))
    n = shape[dim]
    if which == "split_sizes":
        cuts = sorted(draw(st.lists(st.integers(0, n), max_size=3)))
        arg = [b - a for a, b in zip([0] + cuts, cuts + [n])]
        which = "split"
    elif which == "split":
        arg = draw(st.integers(1 if n else 0, 4))
    elif which == "chunk":
        arg = draw(st.integers(1, 4))
    else:
        arg = draw(st.integers(1, 4) | st.lists(st.integers(-n - 1, n + 1), max_size=3))
    return Case(f"{shape}.{which}({arg}, {dim})",
                lambda lib, x: pieces(lib, getattr(x, which)(arg, dim)), (draw(arrays(shape)),))


@st.composite
def cat_case(draw, which):
    shape = list(draw(shapes(min_dims=1, max_dims=3)))
    dim = draw(a_dim(shape))
    arrs = []
    for _ in range(draw(st.integers(1, 3))):
        if which == "cat":
            shape[dim] = draw(st.integers(0, 3))
        arrs.append(draw(arrays(tuple(shape))))
    if which == "stack":
        dim = draw(st.integers(-len(shape) - 1, len(shape)))
    return Case(f"{which}({[a.shape for a in arrs]}, {dim})",
                lambda lib, *xs: getattr(lib, which)(xs, dim), tuple(arrs))


@st.composite
def diagonal_case(draw, which):
    shape = draw(shapes(min_dims=2 if which != "diag_embed" else 1, max_dims=4))
    offset = draw(st.integers(-3, 3))
    d = draw(two_dims(shape if which == "diagonal" else shape + (1,)))
    fns = {"diagonal": lambda lib, x: x.diagonal(offset, *d),
           "diag_embed": lambda lib, x: lib.diag_embed(x, offset, *d)}
    return Case(f"{shape}.{which}({offset}, {d})", fns[which], (draw(arrays(shape)),))


@st.composite
def gather_case(draw, which):
    shape = draw(shapes(min_dims=1, max_dims=3, empty=False))
    dim = draw(a_dim(shape))
    d = dim % len(shape)
    ishape = tuple(draw(st.integers(0, 4)) if k == d else draw(st.integers(0, s))
                   for k, s in enumerate(shape))
    if which == "take_along_dim":   # broadcast with x apart from dim
        ishape = tuple(n if k == d else draw(st.sampled_from([s, 1]))
                       for k, (n, s) in enumerate(zip(ishape, shape)))
    unique = which in ("scatter", "scatter_value")
    if unique:          # where one place gets two values torch leaves the winner unspecified
        ishape = ishape[:d] + (min(ishape[d], shape[d]),) + ishape[d + 1:]
        idx = np.argsort(draw(arrays(shape)), axis=d)[tuple(slice(0, n) for n in ishape)]
    else:
        idx = ints(draw, ishape, 0, shape[d] - 1)
    x = draw(arrays(shape))
    src = draw(arrays(ishape))      # (torch has a gradient only for src of index's shape)
    if which == "gather":
        return Case(f"{shape}.gather({dim}, {ishape})", lambda lib, x, i: x.gather(dim, i),
                    (x, idx))
    if which == "scatter_value":
        return Case(f"{shape}.scatter({dim}, {ishape}, 2.5)",
                    lambda lib, x, i: x.scatter(dim, i, 2.5), (x, idx))
    if which == "take_along_dim":
        return Case(f"{shape}.take_along_dim({ishape}, {dim})",
                    lambda lib, x, i: lib.take_along_dim(x, i, dim), (x, idx))
    if which.startswith("scatter_reduce"):
        reduce, include_self = which.split(":")[1], draw(st.booleans())
        if reduce == "prod":
            x, src = (draw(arrays(a.shape, 0.5, 1.5)) for a in (x, src))
        return Case(f"{shape}.scatter_reduce({dim}, {ishape}, {reduce}, {include_self})",
                    lambda lib, x, i, s: x.scatter_reduce(dim, i, s, reduce,
                                                          include_self=include_self),
                    (x, idx, src))
    return Case(f"{shape}.{which}({dim}, {ishape})",
                lambda lib, x, i, s: getattr(x, which)(dim, i, s), (x, idx, src))


@st.composite
def index_case(draw, which):
    shape = draw(shapes(min_dims=1, max_dims=3, empty=False))
    dim = draw(a_dim(shape))
    n = shape[dim % len(shape)]
    if which == "index_copy":       # distinct places (one value each)
        idx = np.array(draw(st.permutations(range(n)))[:draw(st.integers(0, n))], np.int64)
    else:
        idx = ints(draw, (draw(st.integers(0, 5)),), 0, n - 1)
    src_shape = shape[:dim % len(shape)] + idx.shape + shape[dim % len(shape) + 1:]
    x, src = draw(arrays(shape)), draw(arrays(src_shape))
    if which == "index_select":
        return Case(f"{shape}.index_select({dim}, {idx})",
                    lambda lib, x, i: x.index_select(dim, i), (x, idx))
    if which == "index_fill":       # a 0-d tensor value: differentiable too
        return Case(f"{shape}.index_fill({dim}, {idx}, v)",
                    lambda lib, x, i, v: x.index_fill(dim, i, v), (x, idx, np.array(1.5)))
    if which == "index_add":
        alpha = draw(st.sampled_from([1, 2.5]))
        return Case(f"{shape}.index_add({dim}, {idx}, alpha={alpha})",
                    lambda lib, x, i, s: x.index_add(dim, i, s, alpha=alpha), (x, idx, src))
    return Case(f"{shape}.index_copy({dim}, {idx})",
                lambda lib, x, i, s: x.index_copy(dim, i, s), (x, idx, src))


@st.composite
def mask_case(draw, which):
    shape = draw(shapes(max_dims=3))
    mshape = shape[draw(st.integers(0, len(shape))):]          # broadcasts to x
    if which != "masked_fill_scalar" and which != "masked_fill" and draw(st.booleans()):
        shape, mshape = mshape, shape                           # or x broadcasts to it
    x, m = draw(arrays(shape)), draw(hnp.arrays(np.bool_, mshape))
    if which == "masked_fill_scalar":
        return Case(f"{shape}.masked_fill({mshape}, -2.0)",
                    lambda lib, x, m: x.masked_fill(m, -2.0), (x, m))
    if which == "masked_fill":
        return Case(f"{shape}.masked_fill({mshape}, v)",
                    lambda lib, x, m, v: x.masked_fill(m, v), (x, m, np.array(0.75)))
    if which == "masked_select":
        return Case(f"{shape}.masked_select({mshape})", lambda lib, x, m: x.masked_select(m),
                    (x, m))
    count = int(np.broadcast_to(m, np.broadcast_shapes(shape, mshape)).sum())
    src = draw(arrays((count + draw(st.integers(0, 2)),)))
    return Case(f"{shape}.masked_scatter({mshape})",
                lambda lib, x, m, s: x.masked_scatter(m, s), (x, m, src))


@st.composite
def take_case(draw, negative=True):
    shape = draw(shapes(empty=False))
    n = int(np.prod(shape))
    idx = ints(draw, draw(shapes(max_dims=2)), -n if negative else 0, n - 1)
    return Case(f"{shape}.take({idx.shape})", lambda lib, x, i: x.take(i),
                (draw(arrays(shape)), idx))


@st.composite
def unfold_case(draw):
    shape = draw(shapes(min_dims=1, max_dims=3))
    dim = draw(a_dim(shape))
    size = draw(st.integers(0, shape[dim]))
    step = draw(st.integers(1, 3))
    return Case(f"{shape}.unfold({dim}, {size}, {step})",
                lambda lib, x: x.unfold(dim, size, step), (draw(arrays(shape)),))


def _movedim(lib, x, src, dst):
    return lib.movedim(x, src, dst)


CASES = {
    "reshape": reshape_to(),
    "expand": expand_case(),
    "flatten": unary("flatten", lambda lib, x, d: x.flatten(*d), min_dims=1,
                     d=lambda s: st.tuples(a_dim(s), a_dim(s)).filter(
                         lambda d: d[0] % len(s) <= d[1] % len(s))),
    "unflatten": unary("unflatten", lambda lib, x, d: x.unflatten(d, (1, -1, 1)), min_dims=1,
                       empty=False, d=a_dim),
    "permute": unary("permute", lambda lib, x, p: x.permute(p),
                     p=lambda s: st.permutations(range(len(s)))),
    "transpose": unary("transpose", lambda lib, x, d: x.transpose(*d),
                       d=lambda s: st.tuples(a_dim(s), a_dim(s))),
    "swapaxes": unary("swapaxes", lambda lib, x, d: lib.swapaxes(x, *d), min_dims=1,
                      d=lambda s: st.tuples(a_dim(s), a_dim(s))),
    "swapdims": unary("swapdims", lambda lib, x, d: x.swapdims(*d), min_dims=1,
                      d=lambda s: st.tuples(a_dim(s), a_dim(s))),
    "t": unary("t", lambda lib, x: x.t(), max_dims=2),
    "T": unary("T", lambda lib, x: x.T),
    "movedim": unary("movedim", lambda lib, x, d: _movedim(lib, x, d[0], d[1]), min_dims=1,
                     d=lambda s: st.permutations(range(len(s))).map(
                         lambda p: (tuple(p[:2]), tuple(reversed(p[:2]))))),
    "moveaxis": unary("moveaxis", lambda lib, x, d: x.moveaxis(*d), min_dims=1,
                      d=lambda s: st.tuples(a_dim(s), a_dim(s))),
    "squeeze": unary("squeeze", lambda lib, x, d: x.squeeze(d), d=dim_subset),
    "squeeze()": unary("squeeze()", lambda lib, x: x.squeeze()),
    "unsqueeze": unary("unsqueeze", lambda lib, x, d: x.unsqueeze(d),
                       d=lambda s: st.integers(-len(s) - 1, len(s))),
    "repeat": repeat_case("repeat"),
    "tile": repeat_case("tile"),
    "repeat_interleave": repeat_interleave_case(),
    "flip": unary("flip", lambda lib, x, d: x.flip(d), d=dim_subset),
    "fliplr": unary("fliplr", lambda lib, x: x.fliplr(), min_dims=2),
    "flipud": unary("flipud", lambda lib, x: lib.flipud(x), min_dims=1),
    "roll": unary("roll", lambda lib, x, s, d: x.roll(s, d), min_dims=1, s=st.integers(-5, 5),
                  d=a_dim),
    "roll(dims=None)": unary("roll", lambda lib, x, s: x.roll(s), s=st.integers(-5, 5)),
    "roll(two dims)": unary("roll", lambda lib, x, d: x.roll((2, -1), d), min_dims=2,
                            d=two_dims),
    "rot90": unary("rot90", lambda lib, x, k, d: x.rot90(k, d), min_dims=2,
                   k=st.integers(-5, 5), d=two_dims),
    "narrow": unary("narrow", lambda lib, x, d: x.narrow(d, 0, x.shape[d] // 2), min_dims=1,
                    d=a_dim),
    "select": unary("select", lambda lib, x, d: x.select(d, -1), min_dims=1, empty=False,
                    d=a_dim),
    "unbind": unary("unbind", lambda lib, x, d: pieces(lib, x.unbind(d)), min_dims=1,
                    empty=False, d=a_dim),
    "split": split_case("split"),
    "split_sizes": split_case("split_sizes"),
    "chunk": split_case("chunk"),
    "tensor_split": split_case("tensor_split"),
    "cat": cat_case("cat"),
    "stack": cat_case("stack"),
    "diag(vector)": unary("diag", lambda lib, x, k: lib.diag(x, k), min_dims=1, max_dims=1,
                          k=st.integers(-2, 2)),
    "diag(matrix)": unary("diag", lambda lib, x, k: x.diag(k), min_dims=2, max_dims=2,
                          k=st.integers(-4, 4)),
    "diagonal": diagonal_case("diagonal"),
    "diag_embed": diagonal_case("diag_embed"),
    "trace": unary("trace", lambda lib, x: x.trace(), min_dims=2, max_dims=2),
    "tril": unary("tril", lambda lib, x, k: x.tril(k), min_dims=2, k=st.integers(-4, 4)),
    "triu": unary("triu", lambda lib, x, k: lib.triu(x, k), min_dims=2, k=st.integers(-4, 4)),
    "gather": gather_case("gather"),
    "take_along_dim": gather_case("take_along_dim"),
    "take_along_dim(None)": take_case(negative=False).map(lambda c: c._replace(
        fn=lambda lib, x, i: lib.take_along_dim(x, i))),
    "scatter": gather_case("scatter"),
    "scatter(value)": gather_case("scatter_value"),
    "scatter_add": gather_case("scatter_add"),
    **{f"scatter_reduce:{r}": gather_case(f"scatter_reduce:{r}")
       for r in ("sum", "prod", "mean", "amax", "amin")},
    "index_select": index_case("index_select"),
    "index_add": index_case("index_add"),
    "index_copy": index_case("index_copy"),
    "index_fill": index_case("index_fill"),
    "masked_fill": mask_case("masked_fill"),
    "masked_fill(number)": mask_case("masked_fill_scalar"),
    "masked_select": mask_case("masked_select"),
    "masked_scatter": mask_case("masked_scatter"),
    "take": take_case(),
    "unfold": unfold_case(),
    "clone": unary("clone", lambda lib, x: x.clone()),
    "contiguous": unary("contiguous", lambda lib, x: x.T.contiguous()),
}


@pytest.mark.parametrize("name", list(CASES))
@settings(max_examples=12)
@given(data=st.data())
def test_op_matches_torch_float64(name, data):
    case = data.draw(CASES[name], label=name)
    check_against_torch(case.fn, case.arrays, label=case.label)


@pytest.mark.parametrize("name", list(CASES))
@settings(max_examples=4)
@given(data=st.data())
def test_op_matches_torch_float32_and_stays_float32(name, data):
    case = data.draw(CASES[name], label=name)
    arrs = [a.astype(np.float32) if a.dtype.kind == "f" else a for a in case.arrays]
    check_against_torch(case.fn, arrs, rtol=2e-6, atol=1e-6, second_order=False,
                        label=case.label)


# ============================================================================ indexing
@st.composite
def torch_indices(draw, shape):
    """A torch index for ``shape``: ints, slices, None, one ``...``, True/False, int tensors,
    int lists and bool masks, the advanced ones adjacent or separated by basic ones."""
    adv = draw(shapes(1, 2, 3, empty=False))               # the advanced indices' shape
    items, dim, nd = [], 0, len(shape)
    while dim < nd or (len(items) < 6 and draw(st.integers(0, 3)) == 3):
        kinds = (["slice", "int", "array", "list", "mask", "..."] if dim < nd else []) + \
            ["None", "bool"]
        kind = draw(st.sampled_from(kinds))
        n = shape[dim] if dim < nd else 0
        if kind == "int" and n:
            items.append(draw(st.integers(-n, n - 1)))
        elif kind == "slice":
            b = st.none() | st.integers(-n - 1, n + 1)
            items.append(slice(draw(b), draw(b), draw(st.none() | st.integers(1, 3))))
        elif kind in ("array", "list") and n:
            a = ints(draw, draw(st.sampled_from([adv, (1,)])), -n, n - 1)
            items.append(a if kind == "array" else a.tolist())
        elif kind == "mask":
            k = draw(st.integers(1, min(2, nd - dim)))
            items.append(draw(hnp.arrays(np.bool_, shape[dim:dim + k])))
            dim += k - 1
        elif kind == "..." and not any(i is Ellipsis for i in items):
            items.append(Ellipsis)
            dim += draw(st.integers(0, nd - dim)) - 1
        elif kind in ("None", "bool"):
            items.append(None if kind == "None" else draw(st.booleans()))
            continue
        else:
            continue
        dim += 1
        if not any(i is Ellipsis for i in items) and draw(st.integers(0, 4)) == 0:
            break                                           # leave the last dims out
    return tuple(items)


def _tensors(lib, index):
    return tuple(lib.tensor(i) if isinstance(i, np.ndarray) else i for i in index)


@settings(max_examples=150)
@given(data=st.data())
def test_mixed_indexing_matches_torch(data):
    shape = data.draw(shapes(1, 4, 4), label="shape")
    index = data.draw(torch_indices(shape), label="index")
    x = data.draw(arrays(shape))
    try:
        torch.tensor(x)[_tensors(torch, index)]
    except (IndexError, RuntimeError) as e:         # torch refuses it: so do we, alike
        with pytest.raises(type(e)):
            tg.tensor(x)[_tensors(tg, index)]
        return
    check_against_torch(lambda lib, x: x[_tensors(lib, index)], (x,),
                        label=f"{shape}[{index}]")


@pytest.mark.parametrize("index", [
    (1, slice(None), [0, 2]),                       # int and tensor separated by a slice
    (slice(None), 1, [0, 2]),                       # adjacent
    ([0, 1], slice(None), [0, 2]),                  # two tensors separated: dims go first
    ([0, 1], 1, [0, 2]),                            # separated by an int only
    (None, 1, Ellipsis, [[0], [2]]),
    (1, None, [2, 2, 0]),                           # repeats accumulate in the gradient
    (Ellipsis, 1, Ellipsis), (0, Ellipsis, Ellipsis),   # torch takes several ``...``
])
def test_int_and_tensor_index_place_the_index_dim_as_torch(index):
    x = np.arange(24.0).reshape(2, 3, 4)
    as_tensor = tuple(np.array(i) if isinstance(i, list) else i for i in index)
    check_against_torch(lambda lib, x: x[_tensors(lib, as_tensor)], (x,), label=str(index))
    assert tg.tensor(x)[1, :, tg.tensor([0, 2])].shape == (3, 2)


@pytest.mark.parametrize("index", [(1, slice(None), [0, 2]), ([1, 0], slice(1, 3), 3),
                                   (None, 0, Ellipsis, [2, 0, 1])])
def test_index_put_writes_where_torch_reads(index):
    # (IndexPut takes torch_index's two-step index, so ``x[index] = v`` can follow torch)
    from tinygrad_sgd.functions.index import torch_index
    from tinygrad_sgd.ops.index import IndexPut
    x = np.arange(24.0).reshape(2, 3, 4)
    tindex = tuple(np.array(i) if isinstance(i, list) else i for i in index)
    vshape = tuple(torch.zeros(2, 3, 4)[_tensors(torch, tindex)].shape)

    def put(lib, x, v):
        if lib is torch:
            y = x.clone()
            y[_tensors(torch, tindex)] = v
            return y
        return IndexPut.apply(x, v, torch_index(_tensors(tg, tindex), x.shape))
    check_against_torch(put, (x, np.linspace(-1, 1, int(np.prod(vshape))).reshape(vshape)),
                        label=str(index))


def test_index_tensors_of_every_integer_dtype_and_0d_tensors_select():
    a, b = both(np.arange(12.0).reshape(3, 4))
    for dtype in (np.int64, np.int32, np.uint8, np.bool_):
        i = np.array([1, 0, 1]).astype(dtype)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")             # uint8 masks are deprecated in both
            assert_same(a[tg.tensor(i)], b[torch.tensor(i)], what=str(dtype))
    with pytest.raises(IndexError, match="must be long, int, byte or bool"):
        a[tg.tensor(np.array([1], np.int16))]
    assert_same(a[tg.tensor(2), tg.tensor([0, 3])], b[torch.tensor(2), torch.tensor([0, 3])])
    assert_same(a[tg.tensor(True)], b[torch.tensor(True)])
    assert_same(a[[[0, 1], [1, 0]]], b[[[0, 1], [1, 0]]])    # a nested list reads as a tuple


# ============================================================================ dtypes
INT_OPS = {
    "reshape": lambda lib, x: x.reshape(-1),
    "permute": lambda lib, x: x.permute(1, 0),
    "flip": lambda lib, x: x.flip(0, 1),
    "roll": lambda lib, x: x.roll(1, 1),
    "rot90": lambda lib, x: x.rot90(),
    "repeat": lambda lib, x: x.repeat(2, 1, 2),
    "tile": lambda lib, x: x.tile(2),
    "repeat_interleave": lambda lib, x: x.repeat_interleave(2, dim=1),
    "stack": lambda lib, x: lib.stack([x, x], 1),
    "gather": lambda lib, x: x.gather(1, lib.tensor([[2, 2], [0, 1]])),
    "scatter": lambda lib, x: x.scatter(1, lib.tensor([[2], [0]]), 7),
    "scatter_add": lambda lib, x: x.scatter_add(0, lib.tensor([[1, 1, 0]]), x[:1]),
    "scatter_reduce mean": lambda lib, x: x.scatter_reduce(
        1, lib.tensor([[0, 0, 0], [1, 1, 1]]), -x, "mean"),
    "scatter_reduce amax": lambda lib, x: x.scatter_reduce(
        1, lib.tensor([[0, 0, 1]]), x[:1].flip(1), "amax", include_self=False),
    "scatter_reduce prod": lambda lib, x: x.scatter_reduce(
        1, lib.tensor([[0, 0, 1]]), x[:1], "prod"),
    "scatter_reduce sum": lambda lib, x: x.scatter_reduce(
        0, lib.tensor([[0, 1, 1]]), x[1:], "sum"),
    "index_add": lambda lib, x: x.index_add(1, lib.tensor([0, 0]), x[:, :2]),
    "index_fill": lambda lib, x: x.index_fill(1, lib.tensor([2, 0]), 1),
    "masked_fill": lambda lib, x: x.masked_fill(lib.tensor([True, False, True]), 1),
    "masked_select": lambda lib, x: x.masked_select(lib.tensor([True, False, True])),
    "take": lambda lib, x: x.take(lib.tensor([[5, -1]])),
    "tril": lambda lib, x: x.tril(),
    "triu": lambda lib, x: lib.triu(x, 1),
    "diag": lambda lib, x: x.diag(),
    "diag_embed": lambda lib, x: lib.diag_embed(x),
    "diagonal": lambda lib, x: x.diagonal(1),
    "unfold": lambda lib, x: x.unfold(1, 2, 1),
    "nonzero": lambda lib, x: x.nonzero(),
    "argwhere": lambda lib, x: lib.argwhere(x),
    "where(cond)": lambda lib, x: lib.stack(lib.where(x), 0),
}


@pytest.mark.parametrize("dtype", [np.int64, np.int32, np.bool_])
@pytest.mark.parametrize("name", list(INT_OPS))
def test_integer_and_bool_tensors_keep_torch_dtypes(name, dtype):
    x = np.array([[3, 0, -5], [2, 7, 1]]).astype(dtype)
    if dtype == np.bool_ and "mean" in name:
        return                                                  # torch: not for bool
    assert_same(INT_OPS[name](tg, tg.tensor(x)), INT_OPS[name](torch, torch.tensor(x)),
                what=name)


def test_trace_of_integers_is_int64_and_cat_promotes_as_torch():
    for dtype in (np.int32, np.int64, np.float32):
        x = np.arange(9).reshape(3, 3).astype(dtype)
        assert_same(tg.tensor(x).trace(), torch.tensor(x).trace())
    for da, db in [(np.int64, np.float32), (np.bool_, np.int32), (np.float32, np.float64),
                   (np.int32, np.int64), (np.bool_, np.bool_)]:
        a, b = np.ones((2, 1), da), np.zeros((2, 2), db)
        assert_same(tg.cat([tg.tensor(a), tg.tensor(b)], 1),
                    torch.cat([torch.tensor(a), torch.tensor(b)], 1))
    # torch's legacy rule: a 1-d empty tensor joins whatever the others' shape
    check_against_torch(lambda lib, a, b, c: lib.cat([a, b, c], 1),
                        (np.zeros(0), np.ones((2, 3)), np.zeros(0)))
    check_against_torch(lambda lib, a, b: lib.cat([a, b]), (np.zeros(0), np.zeros(0)))


@pytest.mark.parametrize("x", [np.array(0.0), np.array(2.0), np.array([0.0, np.nan, -1.0]),
                               np.zeros((2, 0)), np.array([[0, 1], [2, 0]])])
def test_nonzero_argwhere_and_where_of_a_condition(x):
    a, b = tg.tensor(x), torch.tensor(x)
    assert_same(a.nonzero(), b.nonzero())
    assert_same(tg.argwhere(a), torch.argwhere(b))
    for ours, theirs in ((a.nonzero(as_tuple=True), b.nonzero(as_tuple=True)),
                         (tg.where(a), torch.where(b))):
        assert len(ours) == len(theirs)
        for o, t in zip(ours, theirs):
            assert_same(o, t)


# ============================================================================ views are nodes
VIEWS = {                     # each returns a tensor of x's values, as a new node
    "reshape(same)": lambda x: x.reshape(x.shape),
    "view(same)": lambda x: x.view(x.shape),
    "view(-1)": lambda x: x.view(-1),
    "expand(same)": lambda x: x.expand(x.shape),
    "expand_as": lambda x: x.expand_as(x),
    "T": lambda x: x.T,
    "t()": lambda x: x.t(),
    "squeeze()": lambda x: x.squeeze(),
    "squeeze(0)": lambda x: x.squeeze(0),
    "transpose(0, 0)": lambda x: x.transpose(0, 0),
    "permute(0)": lambda x: x.permute(0),
    "movedim(0, 0)": lambda x: x.movedim(0, 0),
    "flip(())": lambda x: x.flip(()),
    "narrow(all)": lambda x: x.narrow(0, 0, 3),
    "x[:]": lambda x: x[:],
    "x[...]": lambda x: x[...],
    "clone": lambda x: x.clone(),
    "unflatten": lambda x: x.unflatten(0, (3,)),
}


@pytest.mark.parametrize("name", list(VIEWS))
def test_a_view_is_a_new_node_so_hooks_and_retain_grad_act_on_it(name):
    results = []
    for lib in (tg, torch):
        x = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
        h = x * 1.0
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            v = VIEWS[name](h)
        assert v is not h and v.grad_fn is not None, name
        v.retain_grad()
        v.register_hook(lambda g: g * 10.0)
        (v * lib.tensor([1.0, 2.0, 4.0]) + h).sum().backward()
        results.append((x.grad, v.grad, h.grad))
    for ours, theirs in zip(*results):
        assert (ours is None) == (theirs is None)
        if ours is not None:
            assert_same(ours, theirs, what=name)


def test_flatten_of_one_dim_and_contiguous_of_contiguous_return_the_tensor_itself():
    x = tg.ones(3, requires_grad=True) * 2.0
    assert x.flatten() is x and x.contiguous() is x
    m = tg.ones(2, 3)
    assert m.flatten(1) is m and m.T.contiguous() is not m and m.T.contiguous().is_contiguous()


def test_copies_do_not_share_memory_and_views_do():
    x = tg.arange(12.0).reshape(3, 4)
    for copy in (x.flip(0), x.roll(1), x.repeat(1, 1), x.tile(1), x.clone(), x.gather(0, tg.zeros(
            1, 4, dtype=tg.int64)), x.index_select(0, tg.tensor([0])), x.tril(),
                 x.repeat_interleave(1, 0), x.rot90(0), x.contiguous()[...].clone()):
        copy.add_(100.0)
    assert x.tolist() == np.arange(12.0).reshape(3, 4).tolist()
    ours, theirs = tg.arange(12.0).reshape(3, 4), torch.arange(12.0).reshape(3, 4)
    for lib, t in ((tg, ours), (torch, theirs)):
        t.diagonal().mul_(-1.0)          # a view: writes through
        t[1].add_(10.0)
        t.T[0].add_(100.0)
        t.narrow(1, 2, 1).zero_()
        t.view(lib.int32)[0, 0] = 1
        t.unfold(1, 2, 2)[2].mul_(3.0)   # windows that do not overlap: a view, as torch's
    assert_same(ours, theirs)


@pytest.mark.parametrize("dim, size, step", [(0, 2, 1), (1, 3, 2), (-1, 1, 3), (1, 3, 1)])
@pytest.mark.parametrize("layout", ["contiguous", "transposed", "sliced"])
def test_unfold_is_a_view_with_torchs_strides(dim, size, step, layout):
    """unfold is as_strided of the input's memory (torch's view): the same shape, strides
    and values, later writes to the input seen through it, and gradients summed where
    windows overlap."""
    results = []
    for lib in (tg, torch):
        x = lib.arange(30.0).reshape(5, 6)
        x = {"contiguous": x, "transposed": x.T, "sliced": x[1:, ::2]}[layout]
        leaf = x.detach().clone().requires_grad_(True)
        u = leaf.unfold(dim, size, step)
        w = lib.arange(float(u.numel())).reshape(tuple(u.shape))
        (g,) = lib.autograd.grad((u * w).sum(), leaf)
        view = x.unfold(dim, size, step)
        x.mul_(-1.0)
        results.append((tuple(u.shape), tuple(u.stride()), view.tolist(), g.tolist()))
    assert results[0] == results[1]


def test_clone_memory_formats_and_view_dtype():
    x = tg.arange(24.0).reshape(2, 3, 2, 2)
    t = torch.arange(24.0).reshape(2, 3, 2, 2)
    for fmt in ("preserve_format", "contiguous_format", "channels_last"):
        ours, theirs = x.clone(memory_format=getattr(tg, fmt)), t.clone(
            memory_format=getattr(torch, fmt))
        assert_same(ours, theirs)
        assert tuple(s // 4 for s in ours.array.strides) == theirs.stride(), fmt
    assert x.T.clone().array.strides == x.T.array.strides        # preserve: the same layout
    for dtype, tdtype in ((tg.int32, torch.int32), (tg.float64, torch.float64),
                          (tg.int16, torch.int16), (tg.uint8, torch.uint8)):
        assert_same(x.view(dtype), t.view(tdtype))
    v = x.view(tg.int32)
    assert not v.requires_grad and np.shares_memory(v.array, x.array)


# ============================================================================ in place
IN_PLACE = {          # (method, args(lib, src) with src a float tensor that may require grad)
    "masked_fill_": lambda lib, s: ("masked_fill_", (lib.tensor([True, False, True, False]),
                                                     s.sum())),
    "index_add_": lambda lib, s: ("index_add_", (0, lib.tensor([2, 0, 2]), s)),
    "index_copy_": lambda lib, s: ("index_copy_", (0, lib.tensor([2, 0, 1]), s)),
    "index_fill_": lambda lib, s: ("index_fill_", (1, lib.tensor([3, 3]), s.sum())),
    "scatter_": lambda lib, s: ("scatter_", (1, lib.tensor([[0, 1], [2, 3], [1, 0]]), s[:, :2])),
    "scatter_add_": lambda lib, s: ("scatter_add_", (1, lib.tensor([[0, 0]] * 3), s[:, :2])),
    "scatter_reduce_": lambda lib, s: ("scatter_reduce_", (1, lib.tensor([[0, 0]] * 3),
                                                           s[:, :2], "amax")),
    "masked_scatter_": lambda lib, s: ("masked_scatter_", (lib.tensor([True, False] * 2), s)),
}


@pytest.mark.parametrize("name", list(IN_PLACE))
@pytest.mark.parametrize("who", ["non-leaf", "buffer, source requires grad"])
def test_in_place_forms_join_the_graph_as_torch(name, who):
    results = []
    for lib in (tg, torch):
        x = lib.tensor(np.arange(12.0).reshape(3, 4) - 5.0, requires_grad=True)
        s = lib.tensor(np.linspace(-1, 1, 12).reshape(3, 4), requires_grad=True)
        target = x * 2.0 if who == "non-leaf" else lib.zeros(3, 4, dtype=lib.float64)
        method, args = IN_PLACE[name](lib, s)
        out = getattr(target, method)(*args)
        assert out is target and target.grad_fn is not None
        (target * lib.tensor(np.arange(12.0).reshape(3, 4))).sum().backward()
        results.append((target, x.grad, s.grad))
    for ours, theirs in zip(*results):
        assert (ours is None) == (theirs is None)
        if ours is not None:
            assert_same(ours, theirs, what=name)


def test_in_place_on_a_leaf_that_requires_grad_is_refused_and_versions_move():
    x = tg.zeros(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        x.index_add_(0, tg.tensor([0]), tg.ones(1))
    y = tg.zeros(3)
    v = y._version
    y.masked_fill_(tg.tensor([True, False, True]), 2.0).index_fill_(0, tg.tensor([1]), -1.0)
    assert y.tolist() == [2.0, -1.0, 2.0] and y._version == v + 2
    with pytest.raises(RuntimeError, match="doesn't match the broadcast shape"):
        tg.zeros(4).masked_fill_(tg.ones(3, 4).bool(), 1.0)


@pytest.mark.parametrize("shape,wrap", [((3, 3), False), ((7, 3), True), ((7, 3), False),
                                        ((3, 5), False), ((2, 2, 2), False)])
def test_fill_diagonal_(shape, wrap):
    ours, theirs = tg.zeros(shape), torch.zeros(shape)
    ours.fill_diagonal_(2.5, wrap=wrap), theirs.fill_diagonal_(2.5, wrap=wrap)
    assert_same(ours, theirs)
    a, b = both(np.ones(shape))
    oa, ob = a * 3.0, b * 3.0
    oa.fill_diagonal_(0.0), ob.fill_diagonal_(0.0)
    oa.sum().backward(), ob.sum().backward()
    assert_same(a.grad, b.grad)


# ============================================================================ scatter edges
def test_scatter_reduce_ties_zeros_and_duplicates_follow_torch():
    x = np.array([[1.0, 2.0, 0.0, 2.0], [0.0, 3.0, 3.0, 1.0]])
    src = np.array([[2.0, 2.0, 0.0], [3.0, 0.0, 0.0]])
    idx = np.array([[1, 1, 2], [1, 2, 2]])
    for reduce in ("sum", "prod", "mean", "amax", "amin"):
        for include_self in (True, False):
            check_against_torch(lambda lib, x, s: x.scatter_reduce(
                1, lib.tensor(idx), s, reduce, include_self=include_self), (x, src),
                second_order=reduce != "prod", label=f"{reduce} {include_self}")


def test_duplicate_indices_accumulate():
    for fn in (lambda lib, x, s: x.index_add(0, lib.tensor([1, 1, 1]), s),
               lambda lib, x, s: x.scatter_add(0, lib.tensor([[1, 1], [1, 0], [1, 1]]), s),
               lambda lib, x, s: x.index_select(0, lib.tensor([1, 1, 0])) * s,
               lambda lib, x, s: x.gather(0, lib.tensor([[1, 1], [1, 1], [0, 1]])) * s,
               lambda lib, x, s: x.take(lib.tensor([[3, 3], [3, -1], [0, 0]])) * s):
        check_against_torch(fn, (np.arange(4.0).reshape(2, 2), np.arange(6.0).reshape(3, 2)))


def test_scatter_with_a_larger_src_uses_its_corner_and_legacy_reduce():
    i = np.array([[0, 1], [2, 0]])
    for fn in (lambda lib, x: x.scatter(1, lib.tensor(i), lib.ones(3, 3) * 2.0),
               lambda lib, x: x.scatter_add(1, lib.tensor(i), lib.ones(3, 3) * 2.0),
               lambda lib, x: x.scatter(1, lib.tensor(i), lib.ones(2, 2) * 2.0, reduce="add"),
               lambda lib, x: x.scatter(1, lib.tensor(i), 3.0, reduce="multiply")):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            assert_same(fn(tg, tg.ones(3, 4)), fn(torch, torch.ones(3, 4)))
    with pytest.raises(RuntimeError, match="not differentiable|not implemented"):
        tg.ones(3, 4, requires_grad=True).scatter(1, tg.tensor(i), 3.0, reduce="add")


# ============================================================================ errors
def _m(*shape):
    return lambda lib: lib.zeros(*shape)


ERRORS = [   # (what, fn(lib), a phrase of torch's message that ours has too)
    ("reshape(-1, -1)", lambda lib: lib.zeros(2, 3).reshape(-1, -1), "only one dimension can"),
    ("reshape(-2, 3)", lambda lib: lib.zeros(2, 3).reshape(-2, 3), "invalid shape dimension -2"),
    ("reshape(4, 2)", lambda lib: lib.zeros(2, 3).view(4, 2), "is invalid for input of size 6"),
    ("reshape 0 els", lambda lib: lib.zeros(0, 3).reshape(-1, 0), "-1 can be any value"),
    ("permute(0, 0)", lambda lib: lib.zeros(2, 3).permute(0, 0), "duplicate dims"),
    ("permute(0)", lambda lib: lib.zeros(2, 3).permute(0), "does not match the length of the"),
    ("permute(0, 2)", lambda lib: lib.zeros(2, 3).permute(0, 2), "out of range"),
    ("expand(4, 3)", lambda lib: lib.zeros(2, 3).expand(4, 3), "must match the existing size"),
    ("expand(3)", lambda lib: lib.zeros(2, 3).expand(3), "must be greater or equal to the"),
    ("expand(-1,2,3)", lambda lib: lib.zeros(2, 3).expand(-1, 2, 3), "leading, non-existing"),
    ("t() of 3-d", lambda lib: lib.zeros(2, 3, 4).t(), "expects a tensor with <= 2 dimensions"),
    ("transpose(0, 3)", lambda lib: lib.zeros(2, 3, 4).transpose(0, 3), "out of range"),
    ("flatten(2, 1)", lambda lib: lib.zeros(2, 3, 4).flatten(2, 1), "cannot come after end_dim"),
    ("squeeze((1, 1))", lambda lib: lib.zeros(2, 1).squeeze((1, 1)), "appears multiple times"),
    ("unsqueeze(4)", lambda lib: lib.zeros(2, 1, 4).unsqueeze(4), "out of range"),
    ("cat of 0-d", lambda lib: lib.cat([lib.tensor(1.0), lib.tensor(2.0)]),
     "zero-dimensional tensor (at position 0) cannot be concatenated"),
    ("cat with a list", lambda lib: lib.cat([lib.zeros(2), [1.0, 2.0]]),
     "expected Tensor as element 1 in argument 0, but got list"),
    ("cat of ranks", lambda lib: lib.cat([lib.zeros(2), lib.zeros(2, 3)]),
     "Tensors must have same number of dimensions: got 1 and 2"),
    ("cat of sizes", lambda lib: lib.cat([lib.zeros(2, 3), lib.zeros(2, 4)]),
     "Sizes of tensors must match except in dimension 0. Expected size 3 but got size 4"),
    ("cat([])", lambda lib: lib.cat([]), "expected a non-empty list of Tensors"),
    ("stack of a tuple", lambda lib: lib.stack([(lib.zeros(2), lib.zeros(2)), lib.zeros(2)]),
     "expected Tensor as element 0 in argument 0, but got tuple"),
    ("stack of sizes", lambda lib: lib.stack([lib.zeros(2), lib.zeros(3)]),
     "stack expects each tensor to be equal size, but got [2] at entry 0 and [3] at entry 1"),
    ("stack([])", lambda lib: lib.stack([]), "stack expects a non-empty TensorList"),
    ("split([1, 4])", lambda lib: lib.zeros(10).split([1, 4]),
     "split_with_sizes expects split_sizes to sum exactly to 10"),
    ("split(0)", lambda lib: lib.zeros(10).split(0), "split_size can only be 0 if dimension"),
    ("split(-1)", lambda lib: lib.zeros(10).split(-1), "split_size be non-negative"),
    ("chunk(0)", lambda lib: lib.zeros(10).chunk(0), "chunk expects `chunks` to be greater"),
    ("tensor_split(0)", lambda lib: lib.zeros(7).tensor_split(0), "number of sections must"),
    ("narrow past end", lambda lib: lib.zeros(2, 3).narrow(1, 2, 2), "exceeds dimension size"),
    ("narrow(len < 0)", lambda lib: lib.zeros(2, 3).narrow(1, 1, -1), "length must be non-neg"),
    ("select(1, 4)", lambda lib: lib.zeros(3, 4).select(1, 4), "out of range"),
    ("select of 0-d", lambda lib: lib.tensor(1.0).select(0, 0), "cannot be applied to a 0-dim"),
    ("unbind of 0-d", lambda lib: lib.tensor(1.0).unbind(), "tensor has no dimensions"),
    ("repeat(2)", lambda lib: lib.zeros(2, 3).repeat(2), "can not be smaller than number of"),
    ("repeat(-1, 2)", lambda lib: lib.zeros(2, 3).repeat(-1, 2), "negative dimension"),
    ("repeat_interleave(-1)", lambda lib: lib.zeros(3).repeat_interleave(-1), "non-negative"),
    ("repeat_interleave sizes", lambda lib: lib.zeros(3).repeat_interleave(
        lib.tensor([1, 2]), dim=0), "repeats must have the same size as input along dim"),
    ("flip((0, 0))", lambda lib: lib.zeros(3, 4).flip((0, 0)), "appears multiple times"),
    ("fliplr of 1-d", lambda lib: lib.zeros(3).fliplr(), "Input must be >= 2-d"),
    ("roll", lambda lib: lib.zeros(3, 4).roll((1, 2), (0,)), "shifts and dimensions must align"),
    ("rot90 dims", lambda lib: lib.zeros(3, 4).rot90(1, (0,)), "total rotation dims == 2"),
    ("rot90 same", lambda lib: lib.zeros(3, 4).rot90(1, (0, 0)), "dims to be different"),
    ("rot90 of 1-d", lambda lib: lib.zeros(3).rot90(), "expected total dims >= 2"),
    ("unfold size", lambda lib: lib.zeros(7).unfold(0, 8, 2), "dimension 0 is 7 but size is 8"),
    ("unfold step", lambda lib: lib.zeros(7).unfold(0, 2, 0), "step is 0 but must be > 0"),
    ("unflatten", lambda lib: lib.zeros(2, 6).unflatten(1, (4, 3)), "don't multiply up to"),
    ("movedim repeat", lambda lib: lib.zeros(2, 3).movedim((0, 0), (1, 0)), "repeated dim in"),
    ("movedim count", lambda lib: lib.zeros(2, 3).movedim((0, 1), (1,)), "same number of dims"),
    ("diag of 3-d", lambda lib: lib.zeros(2, 2, 2).diag(), "Supports 1D or 2D tensors. Got 3D"),
    ("diagonal(0, 1, 1)", lambda lib: lib.zeros(2, 3).diagonal(0, 1, 1), "cannot be identical"),
    ("trace of 1-d", lambda lib: lib.zeros(3).trace(), "expected a matrix"),
    ("tril of 1-d", lambda lib: lib.zeros(3).tril(), "must have at least 2 dimensions"),
    ("gather ranks", lambda lib: lib.zeros(3, 4).gather(1, lib.tensor([0])),
     "Index tensor must have the same number of dimensions as input tensor"),
    ("gather sizes", lambda lib: lib.zeros(3, 4).gather(0, lib.tensor([[0, 1, 2, 0, 1]])),
     "Size does not match at dimension 1"),
    ("gather range", lambda lib: lib.zeros(3, 4).gather(1, lib.tensor([[0, 4]])),
     "index 4 is out of bounds for dimension 1 with size 4"),
    ("gather float", lambda lib: lib.zeros(3, 4).gather(1, lib.tensor([[0.0]])),
     "Expected dtype int32/int64 for index"),
    ("scatter dtype", lambda lib: lib.zeros(3).scatter(0, lib.tensor([0]), lib.ones(
        1, dtype=lib.float64)), "Expected self.dtype to be equal to src.dtype"),
    ("scatter_reduce", lambda lib: lib.zeros(3).scatter_reduce(0, lib.tensor([0]), lib.ones(
        1), "foo"), "reduce argument must be either sum, prod, mean, amax or amin, got foo"),
    ("scatter_reduce max grad", lambda lib: lib.zeros(3, requires_grad=True).scatter_reduce(
        0, lib.tensor([0]), lib.ones(1), "max").sum().backward(), "to be one of 'sum', 'prod'"),
    ("index_select 2-d", lambda lib: lib.zeros(3).index_select(0, lib.tensor([[0]])),
     "Index is supposed to be a vector"),
    ("index_select range", lambda lib: lib.zeros(3).index_select(0, lib.tensor([3])),
     "index out of range in self"),
    ("index_add dtype", lambda lib: lib.zeros(3).index_add(0, lib.tensor([0]), lib.ones(
        1, dtype=lib.float64)), "must have the same scalar type"),
    ("index_add count", lambda lib: lib.zeros(3).index_add(0, lib.tensor([0, 0]), lib.ones(3)),
     "Number of indices (2) should be equal to source.size(dim)"),
    ("index_add shape", lambda lib: lib.zeros(3, 4).index_add(0, lib.tensor([0]), lib.ones(
        1, 3)), "source tensor shape must match self tensor shape"),
    ("index_copy dtype", lambda lib: lib.zeros(3).index_copy(0, lib.tensor([0]), lib.ones(
        1, dtype=lib.float64)), "self and source expected to have the same dtype"),
    ("index_fill value", lambda lib: lib.zeros(3).index_fill(0, lib.tensor([0]), lib.ones(1)),
     "only supports a 0-dimensional value tensor"),
    ("masked_fill mask", lambda lib: lib.zeros(3).masked_fill(lib.ones(3, dtype=lib.int64), 1),
     "only supports boolean masks"),
    ("masked_select mask", lambda lib: lib.zeros(3).masked_select(lib.ones(3)),
     "expected BoolTensor for mask"),
    ("masked_scatter", lambda lib: lib.zeros(3).masked_scatter(lib.ones(3).bool(), lib.ones(2)),
     "Number of elements of source < number of ones in mask"),
    ("take range", lambda lib: lib.zeros(2, 3).take(lib.tensor([6])),
     "out of range: tried to access index 6 on a tensor of 6 elements"),
    ("take_along_dim", lambda lib: lib.zeros(2, 3).take_along_dim(lib.tensor([0]), 0),
     "should have the same number of dimensions"),
    ("x[float tensor]", lambda lib: lib.zeros(3)[lib.tensor([1.0])], "must be long, int, byte"),
    ("x[int16 tensor]", lambda lib: lib.zeros(3)[lib.tensor([1], dtype=lib.int16)], "byte or"),
    ("x[0, 0, 0]", lambda lib: lib.zeros(2, 3)[0, 0, 0], "too many indices for tensor of dim"),
    ("x[..., ..., 0]", lambda lib: lib.zeros(2, 3)[..., ..., 0], "out of"),
    ("x[::-1]", lambda lib: lib.zeros(3)[::-1], "step must be greater than zero"),
    ("x[mask]", lambda lib: lib.zeros(2, 3)[lib.ones(3).bool()], "The shape of the mask [3] at"),
    ("x[5]", lambda lib: lib.zeros(2, 3)[5], "index 5 is out of bounds for dimension 0"),
    ("x[:, [0, 3]]", lambda lib: lib.zeros(2, 3)[:, [0, 3]], "index 3 is out of bounds for"),
    ("view(int16) 0-d", lambda lib: lib.tensor(1.0).view(lib.int16), "cannot be 0"),
    ("view(float64)", lambda lib: lib.zeros(3).view(lib.float64), "must be divisible by 2"),
    ("view(int16) of .t()", lambda lib: lib.zeros(3, 4).t().view(lib.int16), "stride(-1) must"),
    ("arange step 0", lambda lib: lib.arange(0, 5, 0), "step must be nonzero"),
    ("arange sign", lambda lib: lib.arange(0, 5, -1), "inconsistent with step sign"),
    ("arange inf", lambda lib: lib.arange(0, float("inf")), "unsupported range"),
    ("arange int64 step", lambda lib: lib.arange(0, 5, 0.5, dtype=lib.int64), "step must be"),
    ("linspace(-1)", lambda lib: lib.linspace(0, 1, -1), "number of steps must be non-negative"),
    ("eye(-1)", lambda lib: lib.eye(-1), "n must be greater or equal to 0"),
    ("eye(2, -1)", lambda lib: lib.eye(2, -1), "m must be greater or equal to 0"),
    ("zeros(-1)", lambda lib: lib.zeros(-1), "Dimension size must be non-negative"),
    ("zeros(2.5)", lambda lib: lib.zeros(2.5), ""),
    ("int requires grad", lambda lib: lib.zeros(2, dtype=lib.int64, requires_grad=True),
     "floating point"),
    ("meshgrid indexing", lambda lib: lib.meshgrid(lib.zeros(2), indexing="ji"),
     'indexing must be one of "xy" or "ij", but received: ji'),
    ("meshgrid 2-d", lambda lib: lib.meshgrid(lib.zeros(2, 2), indexing="ij"),
     "Expected 0D or 1D tensor in the tensor list"),
    ("meshgrid dtypes", lambda lib: lib.meshgrid(lib.arange(2), lib.zeros(2), indexing="ij"),
     "meshgrid expects all tensors to have the same dtype"),
    ("from_numpy(list)", lambda lib: lib.from_numpy([1, 2]), "expected np.ndarray (got list)"),
    ("device='foo'", lambda lib: lib.zeros(2, device="foo"), "device type at start of device"),
]


@pytest.mark.parametrize("what,fn,phrase", ERRORS, ids=[e[0] for e in ERRORS])
def test_misuse_raises_torchs_error(what, fn, phrase):
    with pytest.raises(Exception) as theirs:
        fn(torch)
    assert phrase in str(theirs.value), f"torch now says: {theirs.value}"
    with pytest.raises(type(theirs.value)) as ours:
        fn(tg)
    assert phrase in str(ours.value)


def test_shape_errors_are_shape_errors_and_other_devices_are_refused():
    for bad in (lambda: tg.zeros(2, 3).reshape(4, 2), lambda: tg.zeros(2).expand(3),
                lambda: tg.cat([tg.zeros(2), tg.zeros(2, 2)]), lambda: tg.zeros(3).split([1])):
        with pytest.raises(tg.errors.ShapeError):
            bad()
    for device in ("cpu", tg.device("cpu"), None):
        assert tg.ones(2, device=device).tolist() == [1.0, 1.0]
    for make in (lambda: tg.zeros(2, device="cuda"), lambda: tg.arange(3, device="cuda:0"),
                 lambda: tg.tensor([1.0], device="cuda"), lambda: tg.eye(2, device="mps")):
        with pytest.raises(RuntimeError, match="CPU only"):
            make()


# ============================================================================ constructors
@settings(max_examples=60)
@given(start=st.floats(-50, 50).map(lambda v: round(v, 2)),
       step=st.floats(0.01, 3).map(lambda v: round(v, 3)), n=st.integers(0, 600),
       sign=st.sampled_from([1, -1]), steps=st.integers(0, 200), stretch=st.floats(0.9, 1.1))
def test_ranges_match_torch_bit_for_bit(start, step, n, sign, steps, stretch):
    step *= sign
    end = start + step * n * stretch
    pairs = [(tg.float32, torch.float32), (tg.float64, torch.float64), (tg.int64, torch.int64),
             (tg.int32, torch.int32), (None, None)]
    for ours_dtype, torch_dtype in pairs:
        for make in (lambda lib, d: lib.arange(start, end, step, dtype=d),
                     lambda lib, d: lib.linspace(start, end, steps, dtype=d),
                     lambda lib, d: lib.logspace(start / 20, end / 20, steps, 2.5, dtype=d)):
            try:
                theirs = make(torch, torch_dtype)
            except (RuntimeError, ValueError) as e:
                with pytest.raises(type(e)):
                    make(tg, ours_dtype)
                continue
            ours = make(tg, ours_dtype)
            assert str(ours.dtype).split(".")[-1] == str(theirs.dtype).split(".")[-1]
            np.testing.assert_array_equal(ours.array, theirs.numpy())


CONSTRUCTORS = {
    "zeros(2, 3)": lambda lib: lib.zeros(2, 3),
    "zeros((2, 3))": lambda lib: lib.zeros((2, 3)),
    "zeros([2, 0])": lambda lib: lib.zeros([2, 0]),
    "zeros(size=...)": lambda lib: lib.zeros(size=(2, 3), dtype=lib.int32),
    "ones(2, int64)": lambda lib: lib.ones(2, dtype=lib.int64),
    "ones(()) requires grad": lambda lib: lib.ones((), requires_grad=True),
    "empty": lambda lib: lib.empty(2, 3).zero_(),
    "empty((2,), bool)": lambda lib: lib.empty((2,), dtype=lib.bool).fill_(True),
    "full(True)": lambda lib: lib.full((2,), True),
    "full(2)": lambda lib: lib.full((2,), 2),
    "full(2.5)": lambda lib: lib.full((2, 1), 2.5, requires_grad=True),
    "full(np.float64)": lambda lib: lib.full((2,), np.float64(2.5)),
    "full(np.int32)": lambda lib: lib.full((2,), np.int32(3)),
    "full(tensor)": lambda lib: lib.full((2,), lib.tensor(4)),
    "full(dtype)": lambda lib: lib.full((2,), 2, dtype=lib.float64),
    "eye(3)": lambda lib: lib.eye(3),
    "eye(2, 3, int64)": lambda lib: lib.eye(2, 3, dtype=lib.int64),
    "eye(0)": lambda lib: lib.eye(0, requires_grad=True),
    "arange(5)": lambda lib: lib.arange(5),
    "arange(end=5)": lambda lib: lib.arange(end=5),
    "arange(5.)": lambda lib: lib.arange(5.0, requires_grad=True),
    "arange(1, 2.5, 0.5)": lambda lib: lib.arange(1, 2.5, 0.5),
    "arange(tensor)": lambda lib: lib.arange(lib.tensor(3)),
    "arange(np.float64)": lambda lib: lib.arange(np.float64(3)),
    "arange(True)": lambda lib: lib.arange(True),
    "arange(0.5, 5, int64)": lambda lib: lib.arange(0.5, 5, dtype=lib.int64),
    "arange(-1.5, 5, 1.5, int64)": lambda lib: lib.arange(-1.5, 5, 1.5, dtype=lib.int64),
    "arange(1, 4, 0.5, int32)": lambda lib: lib.arange(1, 4, 0.5, dtype=lib.int32),
    "linspace(0, 1, 1)": lambda lib: lib.linspace(0, 1, 1),
    "linspace(tensor)": lambda lib: lib.linspace(lib.tensor(0.5), 2, 4, requires_grad=True),
    "logspace(2, 5, 1)": lambda lib: lib.logspace(2, 5, 1),
    "logspace(-1, 3, 4, int64)": lambda lib: lib.logspace(-1, 3, 4, dtype=lib.int64),
    "tensor([1, 2.5])": lambda lib: lib.tensor([1, 2.5]),
    "tensor([True, 2])": lambda lib: lib.tensor([True, 2]),
    "tensor(np.float64)": lambda lib: lib.tensor(np.float64(1.5)),
    "tensor(int32 array)": lambda lib: lib.tensor(np.array([1], np.int32)),
    "tensor([])": lambda lib: lib.tensor([]),
    "tensor(dtype, grad)": lambda lib: lib.tensor([1, 2], dtype=lib.float64, requires_grad=True),
    "tensor(tensor)": lambda lib: lib.tensor(lib.ones(2, requires_grad=True)),
    "tensor([0-d tensors])": lambda lib: lib.tensor([lib.tensor(1.0), lib.tensor(2.0)]),
    "as_tensor(list)": lambda lib: lib.as_tensor([1, 2]),
    "as_tensor(array, dtype)": lambda lib: lib.as_tensor(np.array([1.0, 2.0]), dtype=lib.int32),
    "zeros_like(dtype)": lambda lib: lib.zeros_like(lib.ones(2), dtype=lib.int64),
    "ones_like(grad)": lambda lib: lib.ones_like(lib.zeros(2), requires_grad=True),
    "full_like(int, 2.5)": lambda lib: lib.full_like(lib.zeros(2, dtype=lib.int64), 2.5),
    "empty_like(dtype)": lambda lib: lib.empty_like(lib.ones(2), dtype=lib.int64).zero_(),
    "new_zeros": lambda lib: lib.ones(2, dtype=lib.float64).new_zeros(2, 3),
    "new_ones(dtype)": lambda lib: lib.ones(2).new_ones((2,), dtype=lib.int64),
    "new_full": lambda lib: lib.arange(3).new_full((1,), 2.5),
    "new_empty": lambda lib: lib.arange(3).new_empty(2).zero_(),
    "new_tensor": lambda lib: lib.arange(3).new_tensor([1.5, True]),
    "new_tensor(float)": lambda lib: lib.ones(1, dtype=lib.float64).new_tensor([1, 2]),
}


@pytest.mark.parametrize("name", list(CONSTRUCTORS))
def test_constructors_match_torch(name):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours, theirs = CONSTRUCTORS[name](tg), CONSTRUCTORS[name](torch)
    assert_same(ours, theirs, what=name)
    assert ours.requires_grad == theirs.requires_grad and ours.is_leaf


def test_from_numpy_and_as_tensor_share_memory_and_tensor_copies():
    a = np.array([1.0, 2.0])
    shared, also, copied = tg.from_numpy(a), tg.as_tensor(a), tg.tensor(a)
    a[0] = 5.0
    assert shared.tolist() == also.tolist() == [5.0, 2.0] and copied.tolist() == [1.0, 2.0]
    assert shared.dtype == np.float64
    t = tg.ones(2)
    assert tg.as_tensor(t) is t and tg.as_tensor(t, dtype=tg.float64).dtype == np.float64


@pytest.mark.parametrize("indexing", ["ij", "xy", None])
@pytest.mark.parametrize("shapes_", [((2,), (3,)), ((2,), (), (4,)), ((3,),)])
def test_meshgrid_values_and_gradients(indexing, shapes_):
    arrs = tuple(np.arange(1.0, 1.0 + np.prod(s)).reshape(s) for s in shapes_)

    def fn(lib, *xs):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            grids = lib.meshgrid(*xs, indexing=indexing) if indexing else lib.meshgrid(*xs)
        return lib.stack([g * float(k + 1) for k, g in enumerate(grids)])
    check_against_torch(fn, arrs, label=f"meshgrid {shapes_} {indexing}")
    with pytest.warns(UserWarning, match="indexing"):
        tg.meshgrid(tg.zeros(2))


def test_repeat_of_an_empty_tensor_has_its_own_memory():
    # np.tile of an empty array is a view of it; an in-place edit of the repeat then looked
    # like an edit of what logsumexp saved (torch: repeat always copies, backward runs)
    for L in (tg, torch):
        x = L.zeros(0, 1, requires_grad=True)
        y = x.logsumexp(1)
        z = y.repeat(1, 2)
        z.detach().abs_()
        (y.sum() + z.sum()).backward()
        assert tuple(x.grad.shape) == (0, 1)


def test_stride_is_torchs_for_the_same_memory():
    """stride() (and stride(dim)) in elements, as torch for the same views: contiguous,
    transposed, sliced with steps, expanded (0), size-0 and 0-d; torch's IndexErrors."""
    a = np.arange(2 * 3 * 4, dtype=np.float32).reshape(2, 3, 4)
    for make in (lambda t: t, lambda t: t.transpose(0, 2), lambda t: t[:, ::2, 1:],
                 lambda t: t[:1].expand(5, 3, 4), lambda t: t.permute(2, 0, 1)[1],
                 lambda t: t.reshape(6, 4)[::3]):
        ours, theirs = make(tg.tensor(a)), make(torch.tensor(a))
        assert ours.stride() == theirs.stride()
        assert [ours.stride(d) for d in range(-ours.ndim, ours.ndim)] == \
            [theirs.stride(d) for d in range(-theirs.ndim, theirs.ndim)]
    for shape in [(0, 3), (3, 0), (2, 0, 4)]:
        assert tg.zeros(shape).stride() == torch.zeros(shape).stride()
    assert tg.zeros(()).stride() == torch.zeros(()).stride() == ()
    assert tg.zeros(2, 3, dtype=tg.float64).stride() == (3, 1)        # elements, not bytes
    for t, dim in [(tg.zeros(2, 3), 2), (tg.zeros(2, 3), -3), (tg.zeros(()), 0)]:
        theirs = torch.zeros(t.shape)
        with pytest.raises(IndexError) as ours_error:
            t.stride(dim)
        with pytest.raises(IndexError) as torch_error:
            theirs.stride(dim)
        assert str(ours_error.value) == str(torch_error.value)


@pytest.mark.parametrize("attr", ["mT", "mH", "H"])
def test_matrix_transposes_of_a_vector_raise_torchs_error(attr):
    with pytest.raises(RuntimeError) as theirs:
        getattr(torch.ones(3), attr)
    with pytest.raises(RuntimeError) as ours:
        getattr(tg.ones(3), attr)
    assert str(ours.value) == str(theirs.value)
