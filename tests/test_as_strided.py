"""as_strided against torch: views of a tensor's storage with any sizes, strides and storage
offset (the offset counts from the storage's start, not the input's first element).

Checked, case by case from tables: values, gradients (overlapping windows and zero strides
accumulate; an expanded input divides by its copies) and second-order gradients, on contiguous
inputs, slices with offsets, transposes, sub-blocks, expanded inputs, views of as_strided views,
size-0 and 0-d views, float64/float32 and integer dtypes; ``storage_offset()`` on many views;
torch's errors (out of bounds, negative strides/offsets/sizes, length mismatch, argument
types); writes through a view reaching the tensor it was taken from (and its version counter);
``as_strided_`` in place; ``as_strided_copy`` and ``as_strided_scatter`` (values, the
result's layout, gradients w.r.t. both inputs, errors)."""
import numpy as np
import pytest
import torch

import tinygrad_sgd as tg
from strategies import assert_same, check_against_torch

R = np.random.default_rng(11)


def _ident(x):
    return x


# name, base shape, view of the base (same expression in both libraries), size, stride, offset
CASES = [
    ("contiguous", (10,), _ident, (3, 3), (3, 1), None),
    ("sliding windows (overlap)", (10,), _ident, (4, 3), (2, 1), None),
    ("unfold 2-d (overlap)", (4, 5), _ident, (3, 4, 2, 2), (5, 1, 5, 1), None),
    ("zero stride (broadcast)", (6,), _ident, (3, 4), (0, 1), 1),
    ("all zero strides", (6,), _ident, (2, 3), (0, 0), 5),
    ("slice: default offset is the input's", (10,), lambda x: x[2:], (3, 2), (2, 1), None),
    ("slice, explicit offset 0", (10,), lambda x: x[2:], (2, 2), (1, 2), 0),
    ("slice, explicit offset", (10,), lambda x: x[2:], (2, 2), (1, 2), 4),
    ("transposed", (3, 4), lambda x: x.t(), (12,), (1,), None),
    ("transposed, strided", (3, 4), lambda x: x.t(), (2, 3), (1, 4), 1),
    ("sub-block", (3, 4), lambda x: x[1:, 1:], (2, 2), (1, 4), None),
    ("step slice", (12,), lambda x: x[1::3], (3,), (3,), None),
    ("reshaped slice", (2, 6), lambda x: x.reshape(3, 4)[:, 1:], (2, 3), (4, 1), None),
    ("expanded input", (6,), lambda x: x.expand(2, 6), (4,), (1,), 1),
    ("expanded row", (3, 4), lambda x: x[1].expand(3, 4), (2, 2), (1, 1), None),
    ("view of a view", (10,), lambda x: x.as_strided((4,), (2,), 1), (2, 2), (1, 3), None),
    ("0-d result", (5,), _ident, (), (), 3),
    ("size-1 dims", (6,), _ident, (1, 3, 1), (7, 2, 0), 0),
    ("0-d input", (), _ident, (1, 1), (1, 1), 0),
    ("size 0", (5,), _ident, (0, 3), (1, 1), 2),
    ("size 0, offset past the end", (5,), _ident, (2, 0), (1, 1), 9),
]
IDS = [c[0] for c in CASES]


@pytest.mark.parametrize("name,shape,view,size,stride,offset", CASES, ids=IDS)
def test_values_and_gradients_float64(name, shape, view, size, stride, offset):
    """Forward, the gradient w.r.t. the base leaf (through the view), second order (the
    square makes it non-zero)."""
    check_against_torch(lambda L, x: L.as_strided(view(x), size, stride, offset) ** 2,
                        [R.standard_normal(shape)], label=name)


@pytest.mark.parametrize("name,shape,view,size,stride,offset", CASES, ids=IDS)
def test_non_leaf_input_and_float32(name, shape, view, size, stride, offset):
    check_against_torch(lambda L, x: L.as_strided(view(x * 2.0 + 1.0), size, stride, offset)
                        .sin(), [R.standard_normal(shape).astype(np.float32)], rtol=1e-5,
                        atol=1e-6, label=name)


@pytest.mark.parametrize("dtype", [np.int64, np.int32, np.int16, np.uint8, np.bool_])
@pytest.mark.parametrize("name,shape,view,size,stride,offset", CASES[:12], ids=IDS[:12])
def test_integer_and_bool_values(name, shape, view, size, stride, offset, dtype):
    a = R.integers(0, 100, shape).astype(dtype)
    ours = view(tg.tensor(a)).as_strided(size, stride, offset)
    theirs = view(torch.tensor(a)).as_strided(size, stride, offset)
    assert_same(ours, theirs, what=name)
    assert not ours.requires_grad


def _random_geometry(rng, storage):
    """Sizes, strides (zero and overlapping ones included) and an offset that fit."""
    ndim = int(rng.integers(0, 4))
    size = tuple(int(n) for n in rng.integers(0 if rng.random() < 0.1 else 1, 4, ndim))
    stride = tuple(int(s) for s in rng.integers(0, 5, ndim))
    reach = sum((n - 1) * s for n, s in zip(size, stride)) if 0 not in size else 0
    offset = None if rng.random() < 0.3 else int(rng.integers(0, max(storage - reach, 1)))
    return size, stride, offset


RANDOM_VIEWS = [_ident, lambda x: x[1:, 2:], lambda x: x.t(), lambda x: x[::2, 1::3],
                lambda x: x[2], lambda x: x.reshape(6, 5)[1:].t()]


@pytest.mark.parametrize("seed", range(24))
def test_random_geometries(seed):
    rng = np.random.default_rng(seed)
    view = RANDOM_VIEWS[seed % len(RANDOM_VIEWS)]
    size, stride, offset = _random_geometry(rng, 30)
    if offset is None:
        own = view(torch.zeros(5, 6)).storage_offset()
        reach = sum((n - 1) * s for n, s in zip(size, stride)) if 0 not in size else 0
        if own + reach >= 30:
            offset = 0
    check_against_torch(lambda L, x: L.as_strided(view(x), size, stride, offset) * 1.5,
                        [rng.standard_normal((5, 6))], second_order=False,
                        label=f"{size} {stride} {offset}")


def test_memory_without_a_contiguous_owner_is_refused():
    strided = np.ndarray((3,), np.float64, buffer=bytearray(48), strides=(16,))
    x = tg.from_numpy(strided)
    with pytest.raises(RuntimeError, match="not one contiguous block"):
        x.as_strided((2,), (1,))
    windows = np.lib.stride_tricks.sliding_window_view(np.arange(6.), 3)    # through NumPy's
    assert tg.from_numpy(windows[2]).storage_offset() == 2                     # own as_strided


def test_gradients_accumulate_in_overlaps():
    """Each storage element gets the sum over every window that reads it."""
    x = tg.zeros(10, requires_grad=True)
    x.as_strided((4, 3), (2, 1)).sum().backward()
    assert x.grad.tolist() == [1, 1, 2, 1, 2, 1, 2, 1, 1, 0]
    y = tg.zeros(3, requires_grad=True)
    y.as_strided((5, 2), (0, 1), 1).sum().backward()
    assert y.grad.tolist() == [0, 5, 5]


@pytest.mark.parametrize("lib", [tg, torch])
def test_storage_offset_of_views(lib):
    x = lib.arange(24.).reshape(4, 6)
    views = [x, x[1], x[2:], x[1:, 2:], x.t(), x.t()[3], x[:, 1], x[1::2, 3],
             x[3].expand(5, 6), x.reshape(6, 4)[2], x[1:].reshape(-1)[5:], x.view(2, 12)[1],
             x.as_strided((2,), (3,), 7), x.as_strided((2, 2), (3, 1), 7)[1], x.unsqueeze(0)[0, 2],
             x.flatten()[23:], x[0, :1]]
    offsets = [v.storage_offset() for v in views]
    assert offsets == [0, 6, 12, 8, 0, 3, 1, 9, 18, 8, 11, 12, 7, 10, 12, 23, 0]


def test_storage_offset_and_strides_match_torch():
    base = np.arange(60.).reshape(3, 4, 5)
    for f in [lambda x: x, lambda x: x[1:, ::2, 3:], lambda x: x.permute(2, 0, 1)[1:],
              lambda x: x.transpose(0, 2)[:, 1], lambda x: x[..., 1].expand(2, 3, 4)]:
        ours, theirs = f(tg.tensor(base)), f(torch.tensor(base))
        assert ours.storage_offset() == theirs.storage_offset()
        assert ours.stride() == theirs.stride()
        assert_same(ours.as_strided((3, 2), (1, 7)), theirs.as_strided((3, 2), (1, 7)))


def test_fortran_ordered_memory_is_read_in_memory_order():
    a = np.asfortranarray(R.standard_normal((3, 4)))
    ours, theirs = tg.from_numpy(a), torch.from_numpy(a)
    assert ours.stride() == theirs.stride() == (1, 3)
    assert_same(ours.as_strided((4, 2), (2, 1), 2), theirs.as_strided((4, 2), (2, 1), 2))
    assert_same(ours[1:].as_strided((2,), (5,)), theirs[1:].as_strided((2,), (5,)))


def test_storage_of_a_dtype_view_counts_its_own_elements():
    a = np.arange(8, dtype=np.int32)
    ours, theirs = tg.tensor(a)[2:].view(tg.int64), torch.tensor(a)[2:].view(torch.int64)
    assert ours.storage_offset() == theirs.storage_offset() == 1
    assert_same(ours.as_strided((4,), (1,), 0), theirs.as_strided((4,), (1,), 0))


ERRORS = [
    ("out of bounds", (3,), (5,), None, RuntimeError,
     r"setStorage: sizes \[3\], strides \[5\], storage offset 0, and itemsize 8 requiring a "
     r"storage size of 88 are out of bounds for storage of size 80"),
    ("out of bounds by the offset", (2, 5), (5, 1), 1, RuntimeError, "out of bounds"),
    ("0-d past the end", (), (), 10, RuntimeError, "out of bounds for storage of size 80"),
    ("negative stride", (3,), (-1,), 5, RuntimeError,
     r"Negative strides are not supported at the moment, got strides: \[-1\]"),
    ("negative offset", (3,), (1,), -1, RuntimeError, "invalid storage offset -1"),
    ("negative size", (-3, 2), (1, 1), None, RuntimeError,
     "Storage size calculation overflowed"),
    ("length mismatch", (3, 2), (1,), None, RuntimeError,
     "mismatch in length of strides and shape"),
    ("int size", 3, (1,), None, TypeError, "must be tuple of ints, not int"),
    ("float stride", (3,), (1.0,), None, TypeError, "found element of type float at pos 0"),
    ("bool stride", (3,), (True,), None, TypeError, "found element of type bool at pos 0"),
    ("float offset", (3,), (1,), 1.5, TypeError, "'storage_offset' .* must be int, not float"),
]


@pytest.mark.parametrize("name,size,stride,offset,error,match", ERRORS,
                         ids=[e[0] for e in ERRORS])
def test_errors_as_torch(name, size, stride, offset, error, match):
    for lib in (torch, tg):
        x = lib.arange(10, dtype=lib.float64)
        with pytest.raises(error, match=match):
            x.as_strided(size, stride, offset)


TYPE_ERRORS = [  # the function numbers the input as argument 1, a method does not count self
    ("function size", lambda L, x: L.as_strided(x, 3, (1,))),
    ("method size", lambda L, x: x.as_strided(3, (1,))),
    ("function offset", lambda L, x: L.as_strided(x, (2,), (1,), 1.5)),
    ("in-place method stride", lambda L, x: x.as_strided_((2,), (1.0,))),
    ("in-place function size", lambda L, x: L.as_strided_(x, [2.0], (1,))),
    ("scatter function size", lambda L, x: L.as_strided_scatter(x, x[:2], 2, (1,))),
    ("scatter method size", lambda L, x: x.as_strided_scatter(x[:2], 2, (1,))),
    ("scatter stride", lambda L, x: L.as_strided_scatter(x, x[:2], (2,), (1.0,))),
    ("scatter offset", lambda L, x: L.as_strided_scatter(x, x[:2], (2,), (1,), 1.5)),
    ("scatter src", lambda L, x: L.as_strided_scatter(x, [1, 2], (2,), (1,))),
]


@pytest.mark.parametrize("name,call", TYPE_ERRORS, ids=[e[0] for e in TYPE_ERRORS])
def test_argument_type_errors_word_for_word(name, call):
    messages = []
    for lib in (torch, tg):
        with pytest.raises(TypeError) as info:
            call(lib, lib.arange(6.))
        messages.append(str(info.value))
    assert messages[0] == messages[1]


def test_out_of_bounds_from_a_view_counts_the_whole_storage():
    for lib in (torch, tg):
        x = lib.arange(10.)[2:]
        assert x.as_strided((2,), (7,)).tolist() == [2.0, 9.0]
        with pytest.raises(RuntimeError, match="storage offset 2, and itemsize 4 requiring a "
                                               "storage size of 44"):
            x.as_strided((3,), (4,))


def test_arguments_as_torch_takes_them():
    x, t = tg.arange(10.), torch.arange(10.)
    for args, kwargs in [(([2, 2], [1, 2], 3), {}), ((tg.Size([2]), (3,)), {}),
                         (((2,), (3,)), {"storage_offset": None}),
                         ((), {"size": (2,), "stride": (3,), "storage_offset": 1})]:
        targs = tuple(torch.Size(a) if isinstance(a, tg.Size) else a for a in args)
        assert_same(tg.as_strided(x, *args, **kwargs), torch.as_strided(t, *targs, **kwargs))
    assert_same(x.as_strided((2,), (tg.tensor(3),), tg.tensor(1)),
                t.as_strided((2,), (torch.tensor(3),), torch.tensor(1)))


# ------------------------------------------------------------------ writes share the memory
WRITES = [
    ("fill_", lambda v: v.fill_(-1.0)),
    ("zero_", lambda v: v.zero_()),
    ("copy_", lambda v: v.copy_(v.new_ones(v.shape) * 7)),
    ("add_", lambda v: v.add_(100.0)),
    ("mul_", lambda v: v.mul_(-2.0)),
    ("setitem", lambda v: v.__setitem__(0, 9.0)),
]
VIEWS = [("block", _ident, (2, 2), (1, 3), 1), ("from a slice", lambda x: x[3:], (2,), (2,), None),
         ("from a transpose", lambda x: x.reshape(3, 4).t(), (3,), (4,), 2),
         ("zero stride, fill", _ident, (3,), (0,), 5)]


# (torch refuses writes other than fill_/zero_ into a view with a zero stride)
WRITE_CASES = [(v[0] + ", " + w[0], *v[1:], w[1]) for v in VIEWS for w in WRITES
               if v[3] != (0,) or w[0] in ("fill_", "zero_")]


@pytest.mark.parametrize("name,view,size,stride,offset,write", WRITE_CASES,
                         ids=[c[0] for c in WRITE_CASES])
def test_writes_reach_the_base(name, view, size, stride, offset, write):
    results = []
    for lib in (tg, torch):
        base = lib.arange(12.)
        v = view(base).as_strided(size, stride, offset)
        write(v)
        results.append((base, v))
    (b, v), (tb, tv) = results
    assert_same(b, tb, what="base")
    assert_same(v, tv, what="view")


def test_a_write_into_a_view_of_a_leaf_is_refused():
    for lib in (torch, tg):
        x = lib.arange(4., requires_grad=True)
        with pytest.raises(RuntimeError, match="view of a leaf Variable that requires grad"):
            x.as_strided((2,), (1,)).add_(1.0)


def test_a_write_through_the_view_bumps_the_version():
    """A value saved for backward and changed through an as_strided view is refused."""
    for lib in (tg, torch):
        x = lib.arange(6., requires_grad=True)
        h = x * 1.0
        loss = (h * h).sum()                       # h saved
        with lib.no_grad():
            h.as_strided((2,), (2,), 1).add_(1.0)
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            loss.backward()


def test_as_strided_in_place():
    for lib in (tg, torch):
        x = lib.arange(10.)
        v = x[1:]
        assert v.as_strided_((2, 2), (3, 1)) is v
        assert v.shape == (2, 2) and v.storage_offset() == 1
        assert v.tolist() == [[1.0, 2.0], [4.0, 5.0]]
        v.fill_(0.0)
        assert x.tolist() == [0, 0, 0, 3, 0, 0, 6, 7, 8, 9]
        lib.as_strided_(v, (3,), (3,), 0)
        assert v.tolist() == [0.0, 3.0, 6.0]


def test_as_strided_in_place_in_a_graph():
    a, grads = R.standard_normal(8), []
    for lib in (tg, torch):
        x = lib.tensor(a, requires_grad=True)
        y = x * 3.0
        y.as_strided_((3, 2), (2, 1), 1)
        assert y.shape == (3, 2) and y.requires_grad
        (y * y).sum().backward()
        grads.append(x.grad)
        with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
            x.as_strided_((2,), (1,))
    assert_same(*grads, what="gradient")


# ------------------------------------------------------------------ copy and scatter
def test_as_strided_copy_owns_its_memory():
    for lib in (tg, torch):
        x = lib.arange(12.).reshape(3, 4)[1:]
        c = lib.as_strided_copy(x, (2, 2), (1, 4))
        assert c.tolist() == [[4.0, 8.0], [5.0, 9.0]] and c.storage_offset() == 0
        c.fill_(0.0)
        assert x.sum().item() == sum(range(4, 12))
    check_against_torch(lambda L, x: L.as_strided_copy(x.t(), (3, 2), (1, 2), 1) ** 2,
                        [R.standard_normal((2, 4))], label="as_strided_copy")


SCATTERS = [  # name, input shape, view of it, size, stride, offset
    ("contiguous", (2, 3), _ident, (2,), (1,), None),
    ("strided places", (3, 4), _ident, (2, 2), (4, 1), 5),
    ("transposed input keeps its layout", (2, 3), lambda x: x.t(), (2,), (1,), None),
    ("sub-block: the input's offset is the default", (3, 4), lambda x: x[1:, 1:], (2,),
     (1,), None),
    ("sub-block, places partly outside it", (3, 4), lambda x: x[1:, 1:], (2, 2), (4, 1), 3),
    ("sub-block, explicit offset 0", (3, 4), lambda x: x[1:, 1:], (3,), (1,), 0),
    ("step slice", (3, 4), lambda x: x[:, ::2], (2,), (1,), 1),
    ("expanded input is copied row-major", (4,), lambda x: x.expand(2, 4), (2,), (1,), 1),
    ("permuted 3-d", (2, 3, 4), lambda x: x.permute(2, 0, 1), (2, 3), (6, 1), 2),
    ("0-d", (), _ident, (), (), 0),
    ("size 0", (4,), _ident, (0,), (1,), 0),
]


def _scatter(L, x, s, size, stride, offset):
    """as_strided_scatter; on torch its definition (a copy of the input's storage, laid out
    as the input, written through as_strided), whose gradient w.r.t. the input is right:
    torch 2.13's own as_strided_scatter gives the input the gradient of the *overwritten*
    places (it fails torch's gradcheck) and refuses a non-contiguous input that requires
    grad."""
    if L is tg:
        return tg.as_strided_scatter(x, s, size, stride, offset)
    if any(n > 1 and st == 0 for n, st in zip(x.shape, x.stride())):
        y = x.clone(memory_format=torch.contiguous_format)
    else:
        n = x.untyped_storage().nbytes() // x.element_size()
        y = torch.as_strided(x, (n,), (1,), 0).clone().as_strided(x.shape, x.stride(),
                                                                  x.storage_offset())
    y.as_strided(size, stride, offset).copy_(s)
    return y


@pytest.mark.parametrize("name,shape,view,size,stride,offset", SCATTERS,
                         ids=[s[0] for s in SCATTERS])
def test_as_strided_scatter(name, shape, view, size, stride, offset):
    base, src = R.standard_normal(shape), R.standard_normal(size)
    check_against_torch(lambda L, x, s: _scatter(L, view(x), s, size, stride, offset) ** 2,
                        [base, src], label=name)
    ours = tg.as_strided_scatter(view(tg.tensor(base)), tg.tensor(src), size, stride, offset)
    theirs = torch.as_strided_scatter(view(torch.tensor(base)), torch.tensor(src), size,
                                      stride, offset)
    assert_same(ours, theirs, what=name)
    if ours.numel():
        assert ours.stride() == theirs.stride()
        assert ours.storage_offset() == theirs.storage_offset()


def test_as_strided_scatter_casts_src_and_is_a_method():
    a, b = tg.arange(6.).reshape(2, 3), torch.arange(6.).reshape(2, 3)
    assert_same(a.as_strided_scatter(tg.ones(2, dtype=tg.float64), (2,), (2,), 1),
                b.as_strided_scatter(torch.ones(2, dtype=torch.float64), (2,), (2,), 1))


@pytest.mark.parametrize("src_shape,size,offset,match", [
    ((3,), (2,), 0, r"expected src to have a size equal to the slice of self. src size = "
                    r"\[3\], slice size = \[2\]"),
    ((1,), (2,), 0, "src size = \\[1\\]"),
    ((2,), (2,), 5, "out of bounds for storage of size 24")])
def test_as_strided_scatter_errors(src_shape, size, offset, match):
    for lib in (tg, torch):
        with pytest.raises(RuntimeError, match=match):
            lib.as_strided_scatter(lib.zeros(2, 3), lib.ones(src_shape), size, (1,), offset)


def test_a_write_into_an_as_strided_view_in_a_graph_rewires_its_base():
    """Writing into an as_strided view of a tensor in a graph rewires the base's graph (torch's
    CopySlices) when the base is its whole storage (a result, C-ordered), views of it made
    before the write included; otherwise it is refused — an error, never a stale gradient."""
    def run(lib):
        x = lib.arange(1.0, 7.0, dtype=lib.float64, requires_grad=True)
        w = lib.tensor(2.5, dtype=lib.float64, requires_grad=True)
        y = x * 2
        before = y.as_strided((2, 2), (3, 1), 1)
        y.as_strided((2,), (2,), 1).mul_(w)
        y.as_strided((2, 2), (1, 2))[1].add_(w * w)
        loss = (y * lib.arange(1.0, 7.0, dtype=lib.float64)).sum() + (before ** 2).sum()
        return (y.detach(),) + lib.autograd.grad(loss, (x, w))
    for a, b in zip(run(tg), run(torch)):
        np.testing.assert_allclose(a.numpy(), b.detach().numpy(), rtol=1e-12)
    data = np.arange(8.0)
    t = tg.from_numpy(data[2:])             # a view of a bigger array: not its whole storage
    w = tg.tensor(2.0, dtype=tg.float64, requires_grad=True)
    with pytest.raises(RuntimeError, match="as_strided view"):
        t.as_strided((2,), (2,)).mul_(w)



def test_a_result_in_the_librarys_reused_memory_is_its_own_storage():
    """Big results live in reused arrays laid at an offset in a bigger block of bytes
    (kernels.buffers): their storage is that array — offset 0, as a fresh torch result — so an
    explicit storage_offset=0 reads the result's first element, not the block's bytes."""
    rng = np.random.default_rng(3)
    a, b = rng.standard_normal((2, 256, 128)).astype(np.float32)
    ours = tg.tensor(a) @ tg.tensor(b.T.copy())
    theirs = torch.tensor(a) @ torch.tensor(b.T.copy())
    assert ours.array.nbytes >= 64 << 10 and ours.array.base is not None   # a reused array
    for t in (ours, theirs):
        assert t.storage_offset() == 0 and t[3:].storage_offset() == 3 * 256
    np.testing.assert_allclose(ours.as_strided((3, 4), (256, 2), 0).numpy(),
                               theirs.as_strided((3, 4), (256, 2), 0).numpy(), rtol=1e-5)
    with pytest.raises(RuntimeError, match="out of bounds for storage of size 262144$"):
        ours[1:].as_strided((256, 256), (256, 1), 1)
