"""torch.distributions' beta, chi2, fishersnedecor and multinomial modules (Beta, Chi2,
FisherSnedecor, Multinomial in torch's module layout), against torch: shapes, properties,
log_prob/entropy/cdf values and gradients in float32 and float64, validation errors, seeded
samples, rsample gradients, KL pairs; torch.amp's custom_fwd/custom_bwd/is_autocast_available;
torch.nn.utils' clip_grad, convert_parameters, init and memory_format modules."""
import warnings

import numpy as np
import pytest
import torch

import tinygrad_sgd as tg
import tinygrad_sgd.distributions as D

TD = torch.distributions
LIBS = {"tg": tg, "torch": torch}


def _np(x):
    return x.detach().numpy() if hasattr(x, "detach") else np.asarray(x)


def _outcome(fn):
    """('ok', value) or ('err', class name, message with the library's name as torch's)."""
    try:
        return ("ok", fn())
    except Exception as e:        # noqa: BLE001  (the error is the result compared)
        return ("err", type(e).__name__, str(e).replace("tinygrad_sgd", "torch"))


def _assert_same(ours, theirs, tol):
    assert ours[0] == theirs[0], (ours, theirs)
    if ours[0] == "err":
        assert ours[1:] == theirs[1:]
        return
    a, b = ours[1], theirs[1]
    a, b = (a, b) if isinstance(a, (list, tuple)) else ([a], [b])
    assert len(a) == len(b)
    for x, y in zip(a, b):
        if hasattr(y, "dtype"):
            assert str(x.dtype).split(".")[-1] == str(y.dtype).split(".")[-1]
        np.testing.assert_allclose(_np(x), _np(y), rtol=tol, atol=tol, equal_nan=True)


# name: (maker(lib, params), parameter values, value for log_prob / cdf / icdf)
CASES = {
    "beta": (lambda L, p: L.distributions.Beta(*p),
             [[0.5, 2.0, 3.0, 0.3], [0.7, 1.5, 4.0, 0.3]], [0.2, 0.5, 0.9, 0.01]),
    "beta_broadcast": (lambda L, p: L.distributions.Beta(*p),
                       [[[0.5], [2.0]], [0.7, 1.5, 4.0]], [0.2, 0.5, 0.9]),
    "beta_number": (lambda L, p: L.distributions.Beta(2.0, 3.0), [], 0.3),
    "chi2": (lambda L, p: L.distributions.Chi2(*p), [[0.5, 2.0, 5.0, 40.0]],
             [0.2, 1.5, 7.0, 35.0]),
    "chi2_number": (lambda L, p: L.distributions.Chi2(3.0), [], 2.0),
    "fisher": (lambda L, p: L.distributions.FisherSnedecor(*p),
               [[1.0, 3.0, 6.0, 2.0], [2.0, 5.0, 10.0, 4.5]], [0.2, 1.5, 3.0, 0.7]),
    "fisher_number": (lambda L, p: L.distributions.FisherSnedecor(3.0, 7.0), [], 1.0),
    "multinomial_probs": (lambda L, p: L.distributions.Multinomial(5, probs=p[0]),
                          [[0.2, 0.3, 0.5]], [1., 2., 2.]),
    "multinomial_logits": (lambda L, p: L.distributions.Multinomial(4, logits=p[0]),
                           [[[0.2, -1.3, 0.5], [1., 2., 3.]]], [[1., 0., 3.], [2., 2., 0.]]),
    "multinomial_unnormalised": (lambda L, p: L.distributions.Multinomial(3, probs=p[0]),
                                 [[2.0, 1.0, 1.0]], [0., 3., 0.]),
}
DTYPES = ["float32", "float64"]
PROPS = ["mean", "mode", "variance", "stddev"]
METHODS = ["log_prob", "entropy", "cdf", "icdf", "enumerate_support"]


def _build(name, L, dtype, requires_grad=False):
    maker, params, _ = CASES[name]
    ps = [L.tensor(p, dtype=getattr(L, dtype), requires_grad=requires_grad) for p in params]
    return maker(L, ps), ps


def test_the_modules_are_torchs():
    for mod in ["beta", "chi2", "fishersnedecor", "multinomial", "dirichlet", "gamma",
                "studentT", "binomial"]:
        assert sorted(getattr(D, mod).__all__) == sorted(getattr(TD, mod).__all__), mod
    assert D.beta.Beta is D.Beta and D.chi2.Chi2 is D.Chi2
    assert D.fishersnedecor.FisherSnedecor is D.FisherSnedecor
    assert D.multinomial.Multinomial is D.Multinomial
    for cls in ["Beta", "Chi2", "FisherSnedecor", "Multinomial"]:
        assert getattr(D, cls).__module__.split(".")[-1] == getattr(TD, cls).__module__.split(
            ".")[-1]
        assert issubclass(getattr(D, cls), D.Distribution)
    assert issubclass(D.Chi2, D.Gamma) and issubclass(D.Beta, D.ExponentialFamily)
    assert set(dir(TD)) - set(dir(D)) == set()


@pytest.mark.parametrize("name", CASES)
def test_class_attributes_as_torch(name):
    ours, theirs = _build(name, tg, "float64")[0], _build(name, torch, "float64")[0]
    for attr in ["has_rsample", "has_enumerate_support"]:
        assert getattr(ours, attr) == getattr(theirs, attr)
    assert tuple(ours.batch_shape) == tuple(theirs.batch_shape)
    assert tuple(ours.event_shape) == tuple(theirs.event_shape)
    assert type(ours.support).__name__ == type(theirs.support).__name__
    assert ours.support.event_dim == theirs.support.event_dim
    assert ({k: type(v).__name__ for k, v in ours.arg_constraints.items()}
            == {k: type(v).__name__ for k, v in theirs.arg_constraints.items()})


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("what", PROPS + METHODS)
@pytest.mark.parametrize("name", CASES)
def test_values_and_errors_as_torch(name, what, dtype):
    value = CASES[name][2]
    tol = 1e-5 if dtype == "float32" else 1e-10

    def run(L):
        d = _build(name, L, dtype)[0]
        if what in PROPS:
            return getattr(d, what)
        if what in ("entropy", "enumerate_support"):
            return getattr(d, what)()
        return getattr(d, what)(L.tensor(value, dtype=getattr(L, dtype)))
    _assert_same(_outcome(lambda: run(tg)), _outcome(lambda: run(torch)), tol)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("what", ["log_prob", "entropy", "mean", "variance", "mode"])
@pytest.mark.parametrize("name", [n for n in CASES if CASES[n][1]])
def test_gradients_wrt_parameters_as_torch(name, what, dtype):
    value = CASES[name][2]

    def run(L):
        d, ps = _build(name, L, dtype, requires_grad=True)
        out = (d.log_prob(L.tensor(value, dtype=getattr(L, dtype))) if what == "log_prob"
               else d.entropy() if what == "entropy" else getattr(d, what))
        grads = L.autograd.grad(out.sum(), ps, allow_unused=True)
        return [out] + [g if g is not None else L.zeros(()) for g in grads]
    _assert_same(_outcome(lambda: run(tg)), _outcome(lambda: run(torch)),
                 1e-4 if dtype == "float32" else 1e-9)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", CASES)
def test_seeded_samples_and_rsample_gradients_as_torch(name, dtype):
    def sample(L):
        d = _build(name, L, dtype)[0]
        L.manual_seed(3)
        return d.sample((2, 5))

    def rsample(L):
        d, ps = _build(name, L, dtype, requires_grad=True)
        L.manual_seed(7)
        x = d.rsample((4,))
        if not ps:
            return [x]
        return [x] + list(L.autograd.grad((x * x).sum(), ps))
    tol = 1e-5 if dtype == "float32" else 1e-9
    _assert_same(_outcome(lambda: sample(tg)), _outcome(lambda: sample(torch)), tol)
    _assert_same(_outcome(lambda: rsample(tg)), _outcome(lambda: rsample(torch)), tol * 10)
    ours, theirs = _build(name, tg, dtype)[0], _build(name, torch, dtype)[0]
    drawn, ref = ours.sample((3,)), theirs.sample((3,))
    assert tuple(drawn.shape) == tuple(ref.shape) and not drawn.requires_grad
    assert str(drawn.dtype).split(".")[-1] == str(ref.dtype).split(".")[-1]
    assert bool(ours.support.check(drawn).all())


@pytest.mark.parametrize("name", CASES)
def test_expand_as_torch(name):
    def run(L):
        d = _build(name, L, "float64")[0]
        e = d.expand((2,) + tuple(d.batch_shape))
        out = [e.mean, e.log_prob(L.tensor(CASES[name][2], dtype=L.float64))]
        return [L.tensor(list(e.batch_shape) + list(e.event_shape))] + out
    _assert_same(_outcome(lambda: run(tg)), _outcome(lambda: run(torch)), 1e-10)


BAD_PARAMETERS = [
    ("beta_negative", lambda L: L.distributions.Beta(L.tensor([-1.0, 2.0]), L.tensor([1., 1.]),
                                                     validate_args=True)),
    ("beta_zero", lambda L: L.distributions.Beta(L.tensor([1.0, 2.0]), L.tensor([0.0, 1.0]),
                                                 validate_args=True)),
    ("beta_numbers", lambda L: L.distributions.Beta(-1.0, 2.0, validate_args=True)),
    ("chi2_negative", lambda L: L.distributions.Chi2(L.tensor([-1.0, 2.0]), validate_args=True)),
    ("chi2_number", lambda L: L.distributions.Chi2(-1.0, validate_args=True)),
    ("chi2_list", lambda L: L.distributions.Chi2([1.0, 2.0])),
    ("fisher_negative", lambda L: L.distributions.FisherSnedecor(
        L.tensor([1.0, 2.0]), L.tensor([-1.0, 1.0]), validate_args=True)),
    ("fisher_nan", lambda L: L.distributions.FisherSnedecor(
        L.tensor([float("nan")]), L.tensor([1.0]), validate_args=True)),
    ("multinomial_negative_probs", lambda L: L.distributions.Multinomial(
        3, probs=L.tensor([0.2, -0.1, 0.9]), validate_args=True)),
    ("multinomial_both", lambda L: L.distributions.Multinomial(
        3, probs=L.tensor([0.2, 0.8]), logits=L.tensor([0.2, 0.8]))),
    ("multinomial_neither", lambda L: L.distributions.Multinomial(3)),
    ("multinomial_tensor_count", lambda L: L.distributions.Multinomial(
        L.tensor(3), probs=L.tensor([0.2, 0.8]))),
    ("multinomial_0d_probs", lambda L: L.distributions.Multinomial(3, probs=L.tensor(0.2))),
    ("multinomial_nan_logits", lambda L: L.distributions.Multinomial(
        3, logits=L.tensor([float("nan"), 0.]), validate_args=True)),
]


@pytest.mark.parametrize("name, make", BAD_PARAMETERS, ids=[c[0] for c in BAD_PARAMETERS])
def test_parameter_validation_as_torch(name, make):
    ours, theirs = _outcome(lambda: make(tg)), _outcome(lambda: make(torch))
    assert theirs[0] == "err" and ours[:3] == theirs[:3]


BAD_VALUES = [
    ("beta_outside", lambda L: L.distributions.Beta(L.tensor([1., 2.]), L.tensor([1., 1.]),
                                                    validate_args=True), [1.5, 0.5]),
    ("beta_edges", lambda L: L.distributions.Beta(L.tensor([1., 2.]), L.tensor([1., 1.]),
                                                  validate_args=True), [0.0, 1.0]),
    ("chi2_negative", lambda L: L.distributions.Chi2(L.tensor([1., 2.]), validate_args=True),
     [-1.0, 1.0]),
    ("chi2_zero", lambda L: L.distributions.Chi2(L.tensor([1., 2.]), validate_args=True),
     [0.0, 0.0]),
    ("fisher_zero", lambda L: L.distributions.FisherSnedecor(
        L.tensor([1., 3.]), L.tensor([1., 1.]), validate_args=True), [0.0, 1.0]),
    ("multinomial_wrong_total", lambda L: L.distributions.Multinomial(
        3, probs=L.tensor([0.2, 0.8]), validate_args=True), [1.0, 1.0]),
    ("multinomial_fractions", lambda L: L.distributions.Multinomial(
        3, probs=L.tensor([0.2, 0.8]), validate_args=True), [1.5, 1.5]),
    ("multinomial_wrong_shape", lambda L: L.distributions.Multinomial(
        3, probs=L.tensor([0.2, 0.8]), validate_args=True), [1.0, 1.0, 1.0]),
    ("multinomial_unvalidated_total", lambda L: L.distributions.Multinomial(
        3, probs=L.tensor([0.2, 0.8]), validate_args=False), [4.0, 1.0]),
    ("multinomial_zero_prob_zero_count", lambda L: L.distributions.Multinomial(
        3, probs=L.tensor([0.0, 1.0]), validate_args=True), [0.0, 3.0]),
    ("multinomial_zero_prob_count", lambda L: L.distributions.Multinomial(
        3, probs=L.tensor([0.0, 1.0]), validate_args=True), [1.0, 2.0]),
]


@pytest.mark.parametrize("name, make, value", BAD_VALUES, ids=[c[0] for c in BAD_VALUES])
def test_log_prob_of_edge_and_invalid_values_as_torch(name, make, value):
    _assert_same(_outcome(lambda: make(tg).log_prob(tg.tensor(value))),
                 _outcome(lambda: make(torch).log_prob(torch.tensor(value))), 1e-6)


def _kl_family(L, dtype):
    t = lambda v: L.tensor(v, dtype=getattr(L, dtype), requires_grad=True)    # noqa: E731
    Dn = L.distributions
    return {
        "Beta": lambda: Dn.Beta(t([0.5, 2.0, 3.0]), t([0.7, 1.5, 4.0])),
        "Beta2": lambda: Dn.Beta(t([1.5, 0.3, 3.0]), t([2.7, 0.5, 1.0])),
        "Chi2": lambda: Dn.Chi2(t([0.5, 2.0, 5.0])),
        "Chi2b": lambda: Dn.Chi2(t([1.5, 3.0, 4.0])),
        "Fisher": lambda: Dn.FisherSnedecor(t([1.0, 3.0, 6.0]), t([2.0, 5.0, 10.0])),
        "Multinomial": lambda: Dn.Multinomial(3, probs=t([0.2, 0.3, 0.5])),
        "Gamma": lambda: Dn.Gamma(t([1.5, 2.0, 0.5]), t([1.0, 0.5, 2.0])),
        "Exponential": lambda: Dn.Exponential(t([1.5, 2.0, 0.5])),
        "Normal": lambda: Dn.Normal(t([0.1, -1.0, 0.5]), t([1.0, 0.5, 2.0])),
        "Uniform": lambda: Dn.Uniform(t([0.1, 0.2, 0.0]), t([0.5, 0.9, 1.0])),
        "UniformWide": lambda: Dn.Uniform(t([-0.1, 0.2, 0.0]), t([0.5, 0.9, 1.5])),
        "ContinuousBernoulli": lambda: Dn.ContinuousBernoulli(t([0.3, 0.6, 0.9])),
        "Pareto": lambda: Dn.Pareto(t([1.0, 2.0, 0.5]), t([2.5, 3.0, 1.5])),
        "Gumbel": lambda: Dn.Gumbel(t([0.1, -1.0, 0.5]), t([1.0, 0.5, 2.0])),
        "Laplace": lambda: Dn.Laplace(t([0.1, -1.0, 0.5]), t([1.0, 0.5, 2.0])),
    }


OURS = {"Beta", "Beta2", "Chi2", "Chi2b", "Fisher", "Multinomial"}
KL_PAIRS = [(p, q) for p in _kl_family(torch, "float64") for q in _kl_family(torch, "float64")
            if (p in OURS or q in OURS)] + [("Uniform", "Pareto"), ("UniformWide", "Pareto")]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("p, q", KL_PAIRS)
def test_kl_divergence_values_gradients_and_missing_pairs_as_torch(p, q, dtype):
    def run(L):
        fam = _kl_family(L, dtype)
        P, Q = fam[p](), fam[q]()
        kl = L.distributions.kl_divergence(P, Q)
        leaves = [v for v in list(P.__dict__.values()) + list(Q.__dict__.values())
                  if isinstance(v, L.Tensor) and v.requires_grad and v.grad_fn is None]
        if not kl.requires_grad:                  # (an infinite constant: Beta-Pareto)
            return [kl]
        grads = L.autograd.grad(kl.sum(), leaves, allow_unused=True)
        return [kl] + [g if g is not None else L.zeros(()) for g in grads]
    _assert_same(_outcome(lambda: run(tg)), _outcome(lambda: run(torch)),
                 1e-4 if dtype == "float32" else 1e-9)


# ------------------------------------------------------------------------------ torch.amp
DEVICE_TYPES = ["cpu", "cuda", "mps", "xpu", "hpu", "mtia", "maia", "xla", "ipu", "meta",
                "lazy", "vulkan", "hip", "mkldnn", "ve", "fpga", "cuda:0", "foo", "CPU", "", 1,
                None]


@pytest.mark.parametrize("device_type", DEVICE_TYPES)
def test_is_autocast_available_and_autocast_device_errors_as_torch(device_type):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for fn in [lambda L: L.amp.is_autocast_available(device_type),
                   lambda L: L.autocast(device_type, enabled=False) and None]:
            ours, theirs = _outcome(lambda: fn(tg)), _outcome(lambda: fn(torch))
            if device_type == "" and ours[0] == "err" and theirs[0] == "err":
                assert ours[1] == theirs[1] == "RuntimeError"
                continue
            assert ours == theirs


def _square_function(L, device_type, cast_inputs):
    class Square(L.autograd.Function):
        @staticmethod
        @L.amp.custom_fwd(device_type=device_type, cast_inputs=cast_inputs)
        def forward(ctx, x, shift=None):
            ctx.save_for_backward(x)
            ctx.autocast_in_forward = L.is_autocast_enabled(device_type)
            return x * x + (0.0 if shift is None else shift)

        @staticmethod
        @L.amp.custom_bwd(device_type=device_type)
        def backward(ctx, grad):
            x, = ctx.saved_tensors
            ctx.autocast_in_backward = L.is_autocast_enabled(device_type)
            return 2 * x * grad, None
    return Square


@pytest.mark.parametrize("device_type", ["cpu", "cuda", "mps"])
@pytest.mark.parametrize("cast", [None, "float16", "float64"])
def test_custom_fwd_and_custom_bwd_outside_autocast_as_torch(device_type, cast):
    def run(L):
        fn = _square_function(L, device_type, None if cast is None else getattr(L, cast))
        x = L.tensor([1.5, -2.0, 0.25], requires_grad=True)
        y = fn.apply(x, L.tensor(1.0))
        y.sum().backward()
        ctx = y.grad_fn
        return y, x.grad, ctx._fwd_used_autocast, ctx.autocast_in_backward
    ours, theirs = run(tg), run(torch)
    _assert_same(("ok", list(ours[:2])), ("ok", list(theirs[:2])), 0)
    assert ours[2:] == theirs[2:] == (False, False)


def test_custom_fwd_and_custom_bwd_arguments_as_torch():
    for fn in [lambda L: L.amp.custom_fwd(lambda ctx: 0),
               lambda L: L.amp.custom_fwd(device_type=1),
               lambda L: L.amp.custom_bwd(lambda ctx: 0),
               lambda L: L.amp.custom_bwd(device_type=None),
               lambda L: L.amp.custom_fwd(device_type="cpu", cast_inputs=L.float16).func.__name__,
               lambda L: L.amp.custom_bwd(device_type="cpu").keywords]:
        assert _outcome(lambda: fn(tg)) == _outcome(lambda: fn(torch))
    import inspect
    for name in ["custom_fwd", "custom_bwd", "is_autocast_available"]:
        ours = inspect.signature(getattr(tg.amp, name))
        assert list(ours.parameters) == list(inspect.signature(getattr(torch.amp, name)).parameters)


# ------------------------------------------------------------------------------ nn.utils
def test_nn_utils_submodules_as_torch():
    nu, tnu = tg.nn.utils, torch.nn.utils
    for mod in ["clip_grad", "memory_format"]:
        assert sorted(getattr(nu, mod).__all__) == sorted(getattr(tnu, mod).__all__)
    for mod, names in [("clip_grad", ["clip_grad_norm_", "clip_grad_norm", "clip_grad_value_"]),
                       ("convert_parameters", ["parameters_to_vector", "vector_to_parameters"]),
                       ("init", ["skip_init"]),
                       ("memory_format", ["convert_conv2d_weight_memory_format",
                                          "convert_conv3d_weight_memory_format"])]:
        for name in names:
            assert getattr(getattr(nu, mod), name) is getattr(nu, name)
            assert hasattr(getattr(tnu, mod), name)
    for name in ["get_total_norm", "clip_grads_with_norm_"]:     # torch's "_" names there
        assert getattr(nu.clip_grad, "_" + name) is getattr(nu, name)
        assert getattr(tnu.clip_grad, "_" + name) is getattr(tnu, name)
    public = {n for n in dir(tnu) if not n.startswith("_")} - {n for n in dir(nu)}
    assert public == set()


def _conv_tree(L):
    L.manual_seed(0)
    nn = L.nn
    return nn.Sequential(nn.Conv2d(3, 4, 3), nn.ReLU(),
                         nn.Sequential(nn.ConvTranspose2d(4, 2, 2), nn.Conv1d(2, 2, 1)),
                         nn.Conv3d(2, 2, 1), nn.ConvTranspose3d(2, 2, 1), nn.ConvTranspose1d(2, 2, 1),
                         nn.Conv2d(2, 6, 2, groups=2))


CONVERSIONS = [("2d", "channels_last"), ("2d", "contiguous_format"), ("2d", "preserve_format"),
               ("2d", None), ("2d", "bad"), ("3d", "channels_last"), ("3d", "contiguous_format"),
               ("2d then 2d", "contiguous_format")]


@pytest.mark.parametrize("which, fmt", CONVERSIONS)
def test_convert_conv_weight_memory_format_as_torch(which, fmt):
    def run(L):
        model = _conv_tree(L)
        before = [p for p in model.parameters()]
        memory_format = "bad" if fmt == "bad" else None if fmt is None else getattr(L, fmt)
        if which == "2d then 2d":
            L.nn.utils.convert_conv2d_weight_memory_format(model, L.channels_last)
        convert = getattr(L.nn.utils, f"convert_conv{which[:2]}_weight_memory_format")
        assert convert(model, memory_format) is model
        after = list(model.parameters())
        assert all(a is b for a, b in zip(before, after))
        x = L.ones(1, 3, 5, 5)
        return ([p.stride() for p in after], [p.requires_grad for p in after],
                [p.is_contiguous() for p in after], model[0](x).detach(),
                [_np(p).tolist() for p in after])
    ours, theirs = _outcome(lambda: run(tg)), _outcome(lambda: run(torch))
    assert ours[0] == theirs[0]
    if ours[0] == "err":
        assert ours[1:] == theirs[1:] or (ours[1], theirs[1]) == ("ShapeError", "RuntimeError")
        return
    assert ours[1][:3] == theirs[1][:3] and ours[1][4] == theirs[1][4]
    np.testing.assert_allclose(_np(ours[1][3]), _np(theirs[1][3]), rtol=1e-5, atol=1e-6)


def test_clone_memory_format_none_and_wrong_type_as_torch():
    for fmt in [None, 3, "channels_last"]:
        def run(L):
            x = L.ones(2, 3, 4, 5).permute(0, 2, 3, 1)
            return x.clone(memory_format=fmt).stride()
        assert _outcome(lambda: run(tg)) == _outcome(lambda: run(torch))


SHIMMED = [("torch.distributions.beta", "Beta", D.Beta),
           ("torch.distributions.chi2", "Chi2", D.Chi2),
           ("torch.distributions.fishersnedecor", "FisherSnedecor", D.FisherSnedecor),
           ("torch.distributions.multinomial", "Multinomial", D.Multinomial),
           ("torch.nn.utils.clip_grad", "clip_grad_norm_", tg.nn.utils.clip_grad_norm_),
           ("torch.nn.utils.clip_grad", "_get_total_norm", tg.nn.utils.get_total_norm),
           ("torch.nn.utils.convert_parameters", "parameters_to_vector",
            tg.nn.utils.parameters_to_vector),
           ("torch.nn.utils.init", "skip_init", tg.nn.utils.skip_init),
           ("torch.nn.utils.memory_format", "convert_conv2d_weight_memory_format",
            tg.nn.utils.convert_conv2d_weight_memory_format),
           ("torch.amp", "custom_fwd", tg.amp.custom_fwd),
           ("torch.amp", "is_autocast_available", tg.amp.is_autocast_available)]


@pytest.mark.parametrize("module, name, ours", SHIMMED, ids=[f"{m}.{n}" for m, n, _ in SHIMMED])
def test_a_torch_program_imports_them_from_torchs_modules(module, name, ours):
    import importlib

    from tinygrad_sgd._torch_shim import torch_modules
    assert getattr(importlib.import_module(module), name)       # (torch has it there)
    with torch_modules():
        shimmed = importlib.import_module(module)
        assert getattr(shimmed, name) is ours
        public = {n for n in dir(shimmed) if not n.startswith("_")}
        assert public <= set(dir(importlib.import_module(module)))
