"""set_default_dtype / get_default_dtype, as torch: every float nobody chose a dtype for takes
the default — creation, ranges, random draws, integer tensors made float, layer parameters,
the printed dtype suffix. Each behaviour is compared with torch under the same default; the
``float64`` fixture restores float32 in both libraries even when a test fails."""
import numpy as np
import pytest
import torch

import tinygrad_sgd as tg
from tinygrad_sgd import nn


@pytest.fixture
def float64():
    """The default float dtype float64 in both libraries, for one test (float32 again after,
    whatever happens)."""
    tg.set_default_dtype(tg.float64)
    torch.set_default_dtype(torch.float64)
    try:
        yield
    finally:
        tg.set_default_dtype(tg.float32)
        torch.set_default_dtype(torch.float32)


def _name(dtype):
    return str(dtype).split(".")[-1]


def _same(ours, theirs, exact=True):
    """Same dtype, shape and values (bit for bit unless ``exact`` is False)."""
    assert _name(ours.dtype) == _name(theirs.dtype), (ours.dtype, theirs.dtype)
    assert tuple(ours.shape) == tuple(theirs.shape)
    expected = theirs.detach().numpy()
    if exact:
        np.testing.assert_array_equal(ours.numpy(), expected)
    else:
        rtol = 1e-12 if expected.dtype == np.float64 else 1e-6     # libm vs torch's kernels
        np.testing.assert_allclose(ours.numpy(), expected, rtol=rtol)


# (name, f(lib) -> tensor); lib is tinygrad_sgd or torch, both spelled alike
CREATION = [
    ("tensor", lambda L: L.tensor([1.5, -2.25])),
    ("tensor_scalar", lambda L: L.tensor(1.5)),
    ("tensor_empty_list", lambda L: L.tensor([])),
    ("tensor_ints_stay_int64", lambda L: L.tensor([1, 2])),
    ("tensor_bools", lambda L: L.tensor([True])),
    ("tensor_np_float32_with_python_float", lambda L: L.tensor([np.float32(1.5), 2.5])),
    ("tensor_np_float32_alone", lambda L: L.tensor([np.float32(1.5), np.float32(2)])),
    ("tensor_np_float32_with_int", lambda L: L.tensor([np.float32(1.5), 2])),
    ("tensor_np_float16_with_python_float", lambda L: L.tensor([np.float16(1), 2.5])),
    ("tensor_np_int32_with_python_float", lambda L: L.tensor([np.int32(1), 2.5])),
    ("tensor_np_scalar_keeps_its_dtype", lambda L: L.tensor(np.float32(1.5))),
    ("tensor_explicit_float32", lambda L: L.tensor([1.5], dtype=L.float32)),
    ("as_tensor", lambda L: L.as_tensor([0.5, 1.0])),
    ("from_numpy_keeps_dtype", lambda L: L.from_numpy(np.ones(2, dtype=np.float32))),
    ("zeros", lambda L: L.zeros(3)),
    ("ones", lambda L: L.ones(2, 3)),
    ("empty", lambda L: L.empty(2).zero_()),
    ("full_float", lambda L: L.full((2,), 1.5)),
    ("full_int", lambda L: L.full((2,), 3)),
    ("full_bool", lambda L: L.full((2,), True)),
    ("eye", lambda L: L.eye(3)),
    ("eye_rect", lambda L: L.eye(2, 3)),
    ("arange_float", lambda L: L.arange(0., 1., .1)),
    ("arange_int", lambda L: L.arange(5)),
    ("arange_float_step", lambda L: L.arange(0, 3, 0.25)),
    ("linspace", lambda L: L.linspace(0, 1, 7)),
    ("linspace_long", lambda L: L.linspace(-3.3, 7.1, 101)),
    ("logspace", lambda L: L.logspace(0, 1, 5)),
    ("logspace_base2", lambda L: L.logspace(-2, 3, 9, base=2)),
    ("zeros_like_keeps", lambda L: L.zeros_like(L.ones(2, dtype=L.float32))),
    ("ones_like_default", lambda L: L.ones_like(L.ones(2))),
]

# integer tensors made float, float32 tensors staying float32
PROMOTION = [
    ("int_div_2", lambda L: L.tensor([1, 2, 3]) / 2),
    ("int_div_int", lambda L: L.tensor([1, 2, 3]) / L.tensor([2, 4, 5])),
    ("true_divide", lambda L: L.true_divide(L.tensor([1, 2]), L.tensor([3, 3]))),
    ("bool_div", lambda L: L.tensor([True, False]) / 2),
    ("int_exp", lambda L: L.tensor([1, 2]).exp()),
    ("int_log", lambda L: L.tensor([1, 2]).log()),
    ("int_sqrt", lambda L: L.tensor([1, 2]).sqrt()),
    ("int_sin", lambda L: L.tensor([1, 2]).sin()),
    ("int_sigmoid", lambda L: L.tensor([1, 2]).sigmoid()),
    ("int_tanh", lambda L: L.tensor([1, 2]).tanh()),
    ("int_mul_float", lambda L: L.tensor([1, 2]) * 1.5),
    ("int_add_float", lambda L: L.tensor([1, 2]) + 1.5),
    ("float_sub_int", lambda L: 0.5 - L.tensor([1, 2])),
    ("int_pow_half", lambda L: L.tensor([1, 2]) ** 0.5),
    ("int_where_float", lambda L: L.where(L.tensor([True, False]), L.tensor([1, 2]), 0.5)),
    ("int_mean_dtype", lambda L: L.tensor([1, 2]).mean(dtype=L.float64)),
    ("int_atan2", lambda L: L.atan2(L.tensor([1, 2]), L.tensor([3, 1]))),
    ("int_logsumexp", lambda L: L.logsumexp(L.tensor([1, 2]), 0)),
    ("int_isclose", lambda L: L.isclose(L.tensor([100, 2]), L.tensor([101, 2]), rtol=0.01)),
    ("int_floor_div_stays_int", lambda L: L.div(L.tensor([5, 7]), 2, rounding_mode="floor")),
    ("int_mul_int_stays_int", lambda L: L.tensor([1, 2]) * 3),
    ("f32_mul_float", lambda L: L.ones(2, dtype=L.float32) * 1.5),
    ("f32_mean", lambda L: L.ones(2, dtype=L.float32).mean()),
    ("f32_std", lambda L: L.tensor([1., 2., 4.], dtype=L.float32).std()),
    ("int_times_f32_scalar", lambda L: L.tensor([1, 2]) * L.tensor(1.5, dtype=L.float32)),
    ("dot_float", lambda L: L.tensor([1.5, 2.]) @ L.tensor([2., 1.])),
    ("float_method_is_float32", lambda L: L.tensor([1, 2]).float()),
    ("double_method", lambda L: L.tensor([1, 2]).double()),
]


@pytest.mark.parametrize("name, make", CREATION + PROMOTION, ids=[c[0] for c in
                                                                   CREATION + PROMOTION])
def test_under_float64_as_torch(float64, name, make):
    # (sqrt and x ** 0.5: ours is IEEE's sqrt, correctly rounded; torch's vectorized float64
    # sqrt on some AVX-512 CPUs is 1 ulp off it: sqrt(2) = 1.414213562373095 on an Intel Xeon)
    _same(make(tg), make(torch), exact=name not in ("int_logsumexp", "int_atan2", "int_sqrt",
                                                    "int_pow_half"))


@pytest.mark.parametrize("name, make", CREATION + PROMOTION, ids=[c[0] for c in
                                                                   CREATION + PROMOTION])
def test_under_float32_as_torch(name, make):
    """The same table with the default left alone (float32 in both)."""
    assert tg.get_default_dtype() == tg.float32 and torch.get_default_dtype() == torch.float32
    _same(make(tg), make(torch), exact=name not in ("int_logsumexp", "int_atan2",
                                                    "int_sigmoid", "int_tanh", "int_exp",
                                                    "int_log", "int_sin"))


RANDOM = [
    ("rand", lambda L: L.rand(5)),
    ("randn", lambda L: L.randn(20)),
    ("randn_short", lambda L: L.randn(3)),
    ("rand_like", lambda L: L.rand_like(L.zeros(4))),
    ("randn_like_float32", lambda L: L.randn_like(L.zeros(17, dtype=L.float32))),
    ("normal_numbers", lambda L: L.normal(0., 2., (18,))),
    ("randint_stays_int64", lambda L: L.randint(0, 9, (6,))),
    ("bernoulli_of_default", lambda L: L.bernoulli(L.full((6,), 0.5))),
    ("uniform_", lambda L: L.empty(7).uniform_(-1, 1)),
    ("normal_", lambda L: L.empty(17).normal_()),
    ("exponential_", lambda L: L.empty(5).exponential_()),
    ("random_", lambda L: L.empty(5).random_()),
    ("init_normal_", lambda L: L.nn.init.normal_(L.empty(3, 17))),
    ("init_kaiming_uniform_", lambda L: L.nn.init.kaiming_uniform_(L.empty(4, 5))),
    ("init_xavier_normal_", lambda L: L.nn.init.xavier_normal_(L.empty(4, 5))),
    ("init_trunc_normal_", lambda L: L.nn.init.trunc_normal_(L.empty(4, 5))),
    ("init_orthogonal_", lambda L: L.nn.init.orthogonal_(L.empty(3, 3))),
    ("dropout", lambda L: L.nn.functional.dropout(L.ones(40), 0.5)),
]


@pytest.mark.parametrize("name, make", RANDOM, ids=[c[0] for c in RANDOM])
def test_random_draws_under_float64_as_torch(float64, name, make):
    """Same seed, same draws, bit for bit, in the default dtype."""
    tg.manual_seed(7)
    torch.manual_seed(7)
    ours, theirs = make(tg), make(torch)
    _same(ours, theirs, exact=name != "init_orthogonal_")


LAYERS = [
    ("Conv2d.weight", lambda L: L.nn.Conv2d(2, 3, 3).weight),
    ("Conv2d.bias", lambda L: L.nn.Conv2d(2, 3, 3).bias),
    ("Conv1d.weight", lambda L: L.nn.Conv1d(2, 3, 3).weight),
    ("ConvTranspose2d.weight", lambda L: L.nn.ConvTranspose2d(2, 3, 3).weight),
    ("Parameter()", lambda L: L.nn.Parameter()),
]
# layers in the other nn files
LAYERS_ELSEWHERE = [
    ("Linear.weight", "nn/linear.py", lambda L: L.nn.Linear(2, 3).weight),
    ("Linear.bias", "nn/linear.py", lambda L: L.nn.Linear(2, 3).bias),
    ("Embedding.weight", "nn/sparse.py", lambda L: L.nn.Embedding(5, 3).weight),
    ("BatchNorm1d.running_mean", "nn/normalization.py",
     lambda L: L.nn.BatchNorm1d(3).running_mean),
    ("BatchNorm1d.weight", "nn/normalization.py", lambda L: L.nn.BatchNorm1d(3).weight),
    ("LayerNorm.weight", "nn/normalization.py", lambda L: L.nn.LayerNorm(3).weight),
    ("RMSNorm.weight", "nn/normalization.py", lambda L: L.nn.RMSNorm(3).weight),
    ("PReLU.weight", "nn/activation.py", lambda L: L.nn.PReLU().weight),
]


@pytest.mark.parametrize("name, make", LAYERS, ids=[c[0] for c in LAYERS])
def test_layer_parameters_under_float64_as_torch(float64, name, make):
    tg.manual_seed(3)
    torch.manual_seed(3)
    ours, theirs = make(tg), make(torch)
    assert isinstance(ours, nn.Parameter)
    _same(ours, theirs)


@pytest.mark.parametrize("name, where, make", LAYERS_ELSEWHERE,
                         ids=[c[0] for c in LAYERS_ELSEWHERE])
def test_layer_parameters_elsewhere_under_float64(float64, name, where, make):
    tg.manual_seed(3)
    torch.manual_seed(3)
    _same(make(tg), make(torch))


def test_module_float_and_double_and_clip_grad_norm_without_grads(float64):
    conv = nn.Conv2d(1, 2, 3)
    assert conv.float().weight.dtype == tg.float32       # .float() is float32, as torch
    assert conv.double().weight.dtype == tg.float64
    total = nn.utils.clip_grad_norm_(conv.parameters(), 1.0)        # no gradients: tensor(0.)
    total_t = torch.nn.utils.clip_grad_norm_(torch.nn.Conv2d(1, 2, 3).parameters(), 1.0)
    _same(total, total_t)


REPRS = [
    lambda L: L.tensor([1.5, 2.0]),
    lambda L: L.tensor([1.5], dtype=L.float32),
    lambda L: L.tensor([1.5], dtype=L.float64),
    lambda L: L.tensor([1.5], dtype=L.float16),
    lambda L: L.tensor([1, 2]),
    lambda L: L.tensor(2.5),
    lambda L: L.zeros(0),
    lambda L: L.zeros(0, dtype=L.float32),
    lambda L: L.zeros(0, dtype=L.int64),
    lambda L: L.zeros(2, 0),
    lambda L: L.zeros(2, 0, dtype=L.float32),
    lambda L: L.tensor([1.5], dtype=L.float32, requires_grad=True) * 2,
    lambda L: L.tensor([1.5], requires_grad=True),
]


@pytest.mark.parametrize("default", ["float32", "float64"])
@pytest.mark.parametrize("i", range(len(REPRS)))
def test_repr_names_the_dtype_as_torch(i, default):
    """torch names every dtype but the default float, int64 and bool (an empty tensor: every
    dtype but the default float)."""
    tg.set_default_dtype(getattr(tg, default))
    torch.set_default_dtype(getattr(torch, default))
    try:
        ours = repr(REPRS[i](tg)).replace("tinygrad_sgd.", "torch.")
        theirs = repr(REPRS[i](torch)).replace("MulBackward0", "MulBackward")
        assert ours == theirs
    finally:
        tg.set_default_dtype(tg.float32)
        torch.set_default_dtype(torch.float32)


def test_get_default_dtype_round_trip():
    assert tg.get_default_dtype() is tg.float32
    tg.set_default_dtype(tg.float64)
    try:
        assert tg.get_default_dtype() is tg.float64
        assert tg.tensor([0.1]).dtype == tg.float64
        tg.set_default_dtype(tg.double)               # torch's other name
        assert tg.get_default_dtype() is tg.float64
    finally:
        tg.set_default_dtype(tg.float32)
    assert tg.get_default_dtype() is tg.float32 and tg.tensor([0.1]).dtype == tg.float32
    assert "set_default_dtype" in tg.__all__ and "get_default_dtype" in tg.__all__


@pytest.mark.parametrize("ours, theirs", [
    (tg.int64, torch.int64), (tg.int32, torch.int32), (tg.bool_, torch.bool),
    (tg.uint8, torch.uint8), ("float64", "float64"), (float, float), (None, None),
    (np.float64, None),
])
def test_non_float_defaults_are_refused_as_torch(ours, theirs):
    with pytest.raises(TypeError) as expected:
        torch.set_default_dtype(theirs)
    with pytest.raises(TypeError) as got:
        tg.set_default_dtype(ours)
    assert str(got.value) == str(expected.value)
    assert tg.get_default_dtype() is tg.float32
    assert torch.get_default_dtype() == torch.float32


def test_float16_default_is_refused_clearly():
    """torch accepts float16 as the default; this library does not (its random draws and
    ranges are float32/float64 only), and says so instead of doing half of it."""
    with pytest.raises(TypeError, match=r"set_default_dtype: tinygrad_sgd.float16 as the "
                                        r"default dtype is not supported by tinygrad_sgd "
                                        r"\(torch accepts it\): use float32 or float64"):
        tg.set_default_dtype(tg.float16)
    assert tg.get_default_dtype() is tg.float32


def test_autograd_under_float64(float64):
    """A whole small step: parameters, data and gradients all in the default dtype."""
    tg.manual_seed(0)
    torch.manual_seed(0)
    w, wt = tg.randn(3, requires_grad=True), torch.randn(3, requires_grad=True)
    x, xt = tg.tensor([[0.1, 0.2, 0.3], [1.0, -1.0, 0.5]]), torch.tensor(
        [[0.1, 0.2, 0.3], [1.0, -1.0, 0.5]])
    loss, loss_t = ((x @ w).sigmoid() - 0.5).pow(2).mean(), ((xt @ wt).sigmoid() - 0.5).pow(
        2).mean()
    loss.backward()
    loss_t.backward()
    _same(loss, loss_t, exact=False)
    _same(w.grad, wt.grad, exact=False)


def test_shim_offers_set_default_dtype_and_once_differentiable():
    from tinygrad_sgd._torch_shim import torch_modules
    with torch_modules():
        import torch as shim
        from torch.autograd.function import once_differentiable
        assert shim.set_default_dtype is tg.set_default_dtype
        assert shim.get_default_dtype() is tg.float32
        from tinygrad_sgd.autograd.custom import once_differentiable as ours
        assert once_differentiable is ours
