"""The less-common tensor operations at their edges, found by probing against torch (probe 32):
``index_put`` with one mask and one value of another dtype (torch's masked_fill shortcut),
``histogram``/``histogramdd`` given bin-edge tensors of the wrong dtype or shape, weights of
another dtype, ``searchsorted`` on a 0-d sequence, ``diff(n=0)`` (a copy, not the input
itself; prepend/append unused), ``logaddexp2`` rounded as torch's kernel (float16 in float32),
``heaviside`` on a number, a one-operand ``einsum`` that only relabels (a view, as torch's),
and the checks of ``alpha`` (add, sub) and ``value`` (addcmul, addcdiv) against the result's
dtype. Each case runs the same small program under tinygrad_sgd and torch and compares
values, dtypes, shapes, gradients, or the error's class."""
import numpy as np
import pytest
import torch

import tinygrad_sgd as tg


def _run(T, program):
    try:
        out = program(T)
    except Exception as e:                      # noqa: BLE001 (the class is compared)
        return e
    flat = []
    for o in out if isinstance(out, (tuple, list)) else (out,):
        flat += list(o) if isinstance(o, (tuple, list)) else [o]     # (histogramdd's edges)
    return flat


def _same(program, exact=True):
    """Run ``program(T)`` for both; the same error class, or the same outputs (bit for bit,
    or within a few of the dtype's epsilons)."""
    ours, theirs = _run(tg, program), _run(torch, program)
    if isinstance(theirs, Exception):
        assert isinstance(ours, type(theirs)), (ours, theirs)
        return
    assert not isinstance(ours, Exception), (ours, theirs)
    assert len(ours) == len(theirs)
    for a, b in zip(ours, theirs):
        assert tuple(a.shape) == tuple(b.shape)
        assert str(a.dtype).split(".")[-1] == str(b.dtype).split(".")[-1]
        x, y = a.detach().numpy(), b.detach().numpy()
        if exact:
            np.testing.assert_array_equal(x, y)
        else:
            eps = float(np.finfo(x.dtype).eps)
            np.testing.assert_allclose(x, y, rtol=4 * eps, atol=4 * eps)


# ---------------------------------------------------------------------------- index_put
# before: every case with a value of another dtype raised "Index put requires the source and
# destination dtypes match"; torch writes one value through a single mask whatever its dtype
MASK_VALUES = [lambda T: T.tensor(5.), lambda T: T.tensor([5.]), lambda T: T.tensor(5),
               lambda T: T.tensor(True), lambda T: T.tensor([[7.]])]
MASKS = [lambda T: T.tensor([True, False, True]), lambda T: T.tensor([[True, False, True],
                                                                      [False, False, True]])]


@pytest.mark.parametrize("value", MASK_VALUES)
@pytest.mark.parametrize("mask", MASKS)
@pytest.mark.parametrize("accumulate", [False, True])
def test_index_put_one_mask_one_value_is_masked_fill(value, mask, accumulate):
    def program(T):
        m = mask(T)
        x = T.zeros(*m.shape, dtype=T.float64)
        return x.index_put_((m,), value(T), accumulate=accumulate), \
            T.zeros(*m.shape, dtype=T.float64).index_put((m,), value(T))
    _same(program)


@pytest.mark.filterwarnings("ignore:indexing with dtype")
def test_index_put_one_value_through_a_byte_mask_is_masked_fills_error():
    _same(lambda T: T.zeros(3).index_put_((T.tensor([1, 0, 1], dtype=T.uint8),),
                                          T.tensor(5.)))


def test_index_put_masked_fill_shortcut_gradients():
    def program(T):
        x = T.zeros(3, dtype=T.float64, requires_grad=True)
        v = T.tensor(5., dtype=T.float64, requires_grad=True)
        y = x.index_put((T.tensor([True, False, True]),), v)
        return (y,) + T.autograd.grad((y * T.tensor([1., 2., 3.], dtype=T.float64)).sum(),
                                      [x, v])
    _same(program)


# ---------------------------------------------------------------------------- histogram
# before: the first five ran (bins cast to the input's dtype, weights too, a one-edge
# tensor gave an empty histogram) and the 2-d edges were NumPy's ValueError
HISTOGRAM_ERRORS = [
    lambda T: T.histogram(T.tensor([1., 2]), T.tensor([0., 1, 3], dtype=T.float64)),
    lambda T: T.histogram(T.tensor([1., 2]), 3, weight=T.tensor([1., 2], dtype=T.float64)),
    lambda T: T.histogram(T.tensor([1., 2]), T.tensor([0.])),
    lambda T: T.histogramdd(T.tensor([[1., 2]]), [T.tensor([0., 1, 3], dtype=T.float64)] * 2),
    lambda T: T.histogramdd(T.tensor([[1., 2]]), [T.tensor([0.])] * 2),
    lambda T: T.histogram(T.tensor([1., 2]), T.tensor([[0., 1, 3]])),
    lambda T: T.histogramdd(T.tensor([[1., 2]]), [T.tensor([[0., 1, 3]])] * 2),
]


@pytest.mark.parametrize("program", HISTOGRAM_ERRORS)
def test_histogram_checks_given_edges_and_weights(program):
    with pytest.raises(RuntimeError):
        program(torch)
    _same(program)


@pytest.mark.parametrize("program", [
    lambda T: T.histogram(T.tensor([1., 2, 2.5]), T.tensor([0., 1, 2.5, 4])),
    lambda T: T.histogram(T.tensor([1., 2], dtype=T.float64), T.tensor([0., 3],
                                                                        dtype=T.float64)),
    lambda T: T.histogram(T.tensor([1., 2]), 3, weight=T.tensor([1., 2]), density=True),
    lambda T: T.histogramdd(T.tensor([[1., 2], [0, 3]]), [T.tensor([0., 1, 3])] * 2),
])
def test_histogram_with_matching_edges_still_counts(program):
    _same(program)


def test_histogram_edges_are_a_copy_of_the_bins_tensor():
    for T in (tg, torch):
        bins = T.tensor([0., 1., 3.])
        _, edges = T.histogram(T.tensor([1., 2.]), bins)
        bins.add_(10)
        np.testing.assert_array_equal(edges.numpy(), [0., 1., 3.])


# ---------------------------------------------------------------------------- searchsorted
# before: an IndexError ("tuple index out of range") from inside the search
@pytest.mark.parametrize("program", [
    lambda T: T.searchsorted(T.tensor(1.), T.tensor([2.])),
    lambda T: T.searchsorted(T.tensor(1.), 2.),
    lambda T: T.bucketize(T.tensor([2.]), T.tensor(1.)),
])
def test_searchsorted_refuses_a_0d_sequence(program):
    with pytest.raises(RuntimeError):
        program(torch)
    _same(program)


# ---------------------------------------------------------------------------- diff
# before: n=0 returned the input itself (writing to the result wrote to the input) and with
# prepend/append returned the concatenation; torch returns a copy of the input alone
@pytest.mark.parametrize("extra", [{}, {"prepend": "p"}, {"append": "a"},
                                   {"prepend": "p", "append": "a"}])
@pytest.mark.parametrize("dim", [0, 1, -1])
def test_diff_of_order_zero_is_a_copy_of_the_input(extra, dim):
    d = np.array([[1., 4, 9, 16], [2, 3, 5, 7], [0, 0, 1, 1]])

    def program(T):
        x = T.tensor(d)
        side = T.ones(3, 2, dtype=T.float64) if dim else T.ones(2, 4, dtype=T.float64)
        y = T.diff(x, n=0, dim=dim, **{k: side for k in extra})
        with T.no_grad():
            y.add_(100)
        return x, y
    _same(program)


def test_diff_of_order_zero_still_checks_prepend():
    _same(lambda T: T.diff(T.ones(3), n=0, prepend=T.zeros(2, 2)))


def test_diff_of_order_zero_gradient():
    def program(T):
        x = T.tensor([1., 2., 4.], dtype=T.float64, requires_grad=True)
        p = T.tensor([0.], dtype=T.float64, requires_grad=True)
        y = T.diff(x, n=0, prepend=p)
        return (y,) + T.autograd.grad((y * y).sum(), [x, p], allow_unused=True)[:1]
    _same(program)


# ---------------------------------------------------------------------------- logaddexp2
# before: log₂ via logaddexp of x·ln2 and y·ln2, three roundings: a third of the float16
# results 1–2 ulps off, ~40% of float32/float64 results an ulp off
def _uniform_pair(dtype):
    rng = np.random.default_rng(0)
    return (rng.standard_normal(400) * 5).astype(dtype), (rng.standard_normal(400) * 5).astype(
        dtype)


def test_logaddexp2_float16_matches_torch_exactly():
    a, b = _uniform_pair(np.float16)
    ours = tg.logaddexp2(tg.tensor(a), tg.tensor(b)).numpy()
    theirs = torch.logaddexp2(torch.tensor(a), torch.tensor(b)).numpy()
    np.testing.assert_array_equal(ours, theirs)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_logaddexp2_mostly_bit_for_bit(dtype):
    """torch's vectorised exp2/log1p (SLEEF) differ from NumPy's in the last bit now and
    then: within a rounding or two of the result, in few elements."""
    a, b = _uniform_pair(dtype)
    ours = tg.logaddexp2(tg.tensor(a), tg.tensor(b)).numpy()
    theirs = torch.logaddexp2(torch.tensor(a), torch.tensor(b)).numpy()
    assert ours.dtype == theirs.dtype
    eps = float(np.finfo(dtype).eps)
    np.testing.assert_allclose(ours, theirs, rtol=2 * eps, atol=2 * eps)
    assert (ours != theirs).mean() < 0.15


SPECIAL = [-np.inf, -3.0, -0.0, 0.0, 1.5, np.inf, np.nan]


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
def test_logaddexp2_infinities_and_nan(dtype):
    a = np.repeat(SPECIAL, len(SPECIAL))
    b = np.tile(SPECIAL, len(SPECIAL))
    _same(lambda T: T.logaddexp2(T.tensor(a, dtype=getattr(T, dtype)),
                                 T.tensor(b, dtype=getattr(T, dtype))), exact=dtype == "float16")


def test_logaddexp2_gradients_first_and_second_order():
    def program(T):
        x = T.tensor([1., -2., 3., -np.inf, 0.], dtype=T.float64, requires_grad=True)
        y = T.tensor([0.5, -2., -1., 1., 40.], dtype=T.float64, requires_grad=True)
        z = T.logaddexp2(x, y)
        gx, gy = T.autograd.grad((z * T.tensor([1., 2, 3, 4, 5], dtype=T.float64)).sum(),
                                 [x, y], create_graph=True)
        return (z, gx, gy) + T.autograd.grad(gx.sum() + 2 * gy.sum(), [x, y])
    _same(program, exact=False)


@pytest.mark.parametrize("program", [
    lambda T: T.logaddexp2(2., T.tensor([1.])),
    lambda T: T.heaviside(2., T.tensor([1.])),        # before: AttributeError
    lambda T: T.heaviside(T.tensor([1.]), 2.),
])
def test_number_where_a_tensor_is_needed_is_a_type_error(program):
    _same(program)


# ---------------------------------------------------------------------------- einsum views
# before: a copy; torch's one-operand einsum that sums nothing is a view of the operand
# (a permute, after a diagonal for a repeated label), so writing to it writes through
RELABELS = ["ijk", "kji", "ijk->ikj", "iij->ij", "iii->i", "iij->ji", "jii", "iji->ij",
            "ij...->...ji", "...", "i...->...i"]


@pytest.mark.parametrize("equation", RELABELS)
def test_one_operand_einsum_without_sums_is_a_view(equation):
    x = np.arange(27.).reshape(3, 3, 3)

    def program(T):
        a = T.tensor(x)
        y = T.einsum(equation, a)
        with T.no_grad():
            y.mul_(-1)
        return a, y
    _same(program)


@pytest.mark.parametrize("equation", RELABELS + ["ijk->k", "iij->j", "ijk->"])
def test_one_operand_einsum_gradients(equation):
    x = np.arange(27.).reshape(3, 3, 3)

    def program(T):
        a = T.tensor(x, requires_grad=True)
        y = T.einsum(equation, a)
        w = T.tensor(np.arange(float(y.numel())).reshape(tuple(y.shape)), dtype=T.float64)
        return (y,) + T.autograd.grad((y * w).sum(), [a])
    _same(program)


@pytest.mark.parametrize("dtype", ["bool", "int64", "float32"])
def test_one_operand_einsum_keeps_the_dtype(dtype):
    _same(lambda T: T.einsum("iij->ji", T.tensor(np.arange(27).reshape(3, 3, 3) % 2,
                                                 dtype=getattr(T, dtype))))


# ---------------------------------------------------------------------------- alpha, value
# before: alpha and value that the result's dtype cannot hold wrapped around (int8 with
# alpha=300) or became inf (float16 with alpha=1e10), and NaN/inf values for an integer
# addcmul were Python's ValueError/OverflowError; torch raises "value cannot be converted
# to type ... without overflow". A bool result took an int alpha as int (an int64 result).
DTYPES = ["int8", "uint8", "int16", "int32", "int64", "bool", "float16", "float32", "float64"]
SCALARS = [2.5, -2.5, 300, -1, -300, 1e10, float("inf"), float("nan"), 2, True, False, 0,
           2 ** 40, 1e40]


def _x(T, dtype):
    return T.tensor([1, 2, 0]).to(getattr(T, dtype))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("scalar", SCALARS)
def test_add_and_sub_check_alpha_against_the_result_dtype(dtype, scalar):
    _same(lambda T: T.add(_x(T, dtype), _x(T, dtype), alpha=scalar))
    _same(lambda T: T.add(_x(T, dtype), 3, alpha=scalar))
    _same(lambda T: T.sub(_x(T, dtype), _x(T, dtype), alpha=scalar))
    _same(lambda T: _x(T, dtype).add_(_x(T, dtype), alpha=scalar))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("scalar", SCALARS)
def test_addcmul_and_addcdiv_check_value_against_the_result_dtype(dtype, scalar):
    _same(lambda T: T.addcmul(_x(T, dtype), _x(T, dtype), _x(T, dtype), value=scalar))
    _same(lambda T: _x(T, dtype).addcmul_(_x(T, dtype), _x(T, dtype), value=scalar))
    _same(lambda T: T.addcdiv(_x(T, dtype), _x(T, dtype).float(), _x(T, dtype).float() + 1,
                              value=scalar))
