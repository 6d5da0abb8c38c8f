"""Probe 35 (torch's ModuleInfo database, ``module_db``, run against the library's nn
modules: outputs, input and parameter gradients, running statistics, and torch's error inputs),
each against real torch:

* ``F.batch_norm`` (and ``BatchNorm1d/2d/3d``, ``SyncBatchNorm``) check ``eps`` as torch does:
  positive when training, non-negative otherwise (a ValueError; the library ran on with a NaN
  or infinite output), after torch's "more than 1 value per channel" check, which now also
  comes first for a 1-d input; ``torch.batch_norm`` and ``torch.native_batch_norm`` keep
  torch's lack of both checks (a training batch of one gave a ValueError there, torch zeros);
* batch and instance norm with ``eps=0`` (``F.instance_norm``, ``InstanceNorm*d``,
  ``torch.batch_norm``, ``torch.native_batch_norm``): a channel of one value has torch's
  r = 0 (output β, zero gradient through x, second order too) where the library gave NaN;
  layer and group norm keep torch's NaN; and ``torch.batch_norm`` of a training batch of one
  gives torch's NaN running variance (a ZeroDivisionError once its check was moved out);
* ``nn.HuberLoss(delta=...)`` refuses a delta that is not a float or int (torch's TypeError;
  a complex delta was taken);
* ``CircularPad1d/2d/3d`` check the input's dims first, torch's ValueError;
* ``cross_entropy``/``nll_loss`` (and their modules) check a class-index target's batch size
  before its dtype, with torch's words (an int32 or float target gave a TypeError), and a
  class weight of the wrong shape says torch's words too.
"""
import numpy as np
import pytest
import torch

import tinygrad_sgd as tg

RNG = np.random.default_rng(35)


def _outcome(fn):
    """('ok', value) or (exception class name, message)."""
    try:
        return "ok", fn()
    except Exception as e:                      # (both must refuse alike)
        return type(e).__name__, str(e).replace("tinygrad_sgd.", "torch.")


def _check_same(lib_fn, *args):
    """Run ``lib_fn(torch, *args)`` and ``lib_fn(tg, *args)``; the same error, or the same
    output and gradients (float64)."""
    want, got = _outcome(lambda: lib_fn(torch, *args)), _outcome(lambda: lib_fn(tg, *args))
    assert got[0] == want[0], (got, want)
    if want[0] != "ok":
        assert got[1] == want[1]
        return
    (t_out, t_leaves), (o_out, o_leaves) = want[1], got[1]
    np.testing.assert_allclose(o_out.detach().numpy(), t_out.detach().numpy(), rtol=1e-10,
                               atol=1e-12)      # (NaN where torch's is, assert_allclose's default)
    cot = RNG.standard_normal(tuple(t_out.shape))
    (t_out * torch.tensor(cot)).sum().backward()
    (o_out * tg.tensor(cot)).sum().backward()
    for t, o in zip(t_leaves, o_leaves):
        assert (t.grad is None) == (o.grad is None)
        if t.grad is not None:
            np.testing.assert_allclose(o.grad.numpy(), t.grad.numpy(), rtol=1e-10, atol=1e-12)


_X = RNG.standard_normal((4, 3, 5))


def _leaf(lib, a):
    return lib.tensor(a, dtype=lib.float64, requires_grad=True)


# ------------------------------------------------------------------ batch norm's eps
def _functional(lib, shape, training, eps):
    x = _leaf(lib, _X.reshape(-1)[:int(np.prod(shape))].reshape(shape))
    C = shape[1] if len(shape) > 1 else 1
    w, b = _leaf(lib, np.linspace(0.5, 1.5, C)), _leaf(lib, np.linspace(-1, 1, C))
    rm, rv = lib.zeros(C, dtype=lib.float64), lib.ones(C, dtype=lib.float64) * 2
    out = lib.nn.functional.batch_norm(x, rm, rv, w, b, training=training, eps=eps)
    return out, (x, w, b)


def _module(lib, name, shape, training, eps):
    lib.manual_seed(0)
    m = getattr(lib.nn, name)(shape[1], eps=eps).double().train(training)
    x = _leaf(lib, _X.reshape(-1)[:int(np.prod(shape))].reshape(shape))
    out = m(x)
    return out + m.running_mean.reshape((-1,) + (1,) * (x.ndim - 2)), (x, m.weight, m.bias)


def _aten(lib, shape, training, eps):
    """torch.batch_norm; the running statistics after it are added to the output (a batch
    of one in training makes the running variance NaN, as torch)."""
    x = _leaf(lib, _X.reshape(-1)[:int(np.prod(shape))].reshape(shape))
    C = shape[1]
    w, b = _leaf(lib, np.linspace(0.5, 1.5, C)), _leaf(lib, np.linspace(-1, 1, C))
    rm, rv = lib.zeros(C, dtype=lib.float64), lib.ones(C, dtype=lib.float64) * 2
    out = lib.batch_norm(x, w, b, rm, rv, training, 0.1, eps, False)
    return lib.cat([out.reshape(-1), rm, rv]), (x, w, b)


_EPS = [1e-5, 0.5, 0.0, -1.0, -1e-9]
# (a 1-d or 0-d input only in training: there torch's Python checks answer first; in eval
# torch's kernel's errors for them are its own, see the probe's report)
_CASES = [(shape, training) for shape in [(4, 3), (4, 3, 5), (1, 3), (1, 3, 1)]
          for training in (True, False)] + [((1,), True), ((3,), True), ((), True)]


@pytest.mark.parametrize("eps", _EPS)
@pytest.mark.parametrize("shape,training", _CASES, ids=str)
def test_batch_norm_eps(shape, training, eps):
    if len(shape) < 2:      # (no running statistics: those give torch's kernel's own errors)
        def run(lib, shape, training, eps):
            x = _leaf(lib, _X.reshape(-1)[:int(np.prod(shape))].reshape(shape))
            return lib.nn.functional.batch_norm(x, None, None, training=training, eps=eps), (x,)
        _check_same(run, shape, training, eps)
    else:
        _check_same(_functional, shape, training, eps)


@pytest.mark.parametrize("eps", _EPS)
@pytest.mark.parametrize("training", [True, False])
@pytest.mark.parametrize("name,shape", [("BatchNorm1d", (4, 3)), ("BatchNorm1d", (4, 3, 5)),
                                        ("BatchNorm2d", (2, 3, 2, 5)),
                                        ("BatchNorm3d", (2, 3, 1, 2, 5)),
                                        ("SyncBatchNorm", (4, 3, 5))])
def test_batch_norm_module_eps(name, shape, training, eps):
    _check_same(_module, name, shape, training, eps)


@pytest.mark.parametrize("eps", [1e-5, 0.0, -0.5])
@pytest.mark.parametrize("training", [True, False])
@pytest.mark.parametrize("shape", [(4, 3), (1, 3), (1, 3, 1)], ids=str)
def test_torch_batch_norm_skips_the_checks(shape, training, eps):
    _check_same(_aten, shape, training, eps)


@pytest.mark.parametrize("training", [True, False])
def test_native_batch_norm_batch_of_one(training):
    def run(lib):
        x = _leaf(lib, _X[:1, :, 0])
        rm, rv = lib.zeros(3, dtype=lib.float64), lib.ones(3, dtype=lib.float64)
        out = lib.native_batch_norm(x, None, None, rm, rv, training, 0.1, 1e-5)[0]
        return lib.cat([out.reshape(-1), rm, rv]), (x,)
    _check_same(run)


# ------------------------------------------------------------------ HuberLoss's delta
@pytest.mark.parametrize("delta", [1.0, 2, 0.25, True, np.float64(0.5), 1 + 0j, "1.0", None,
                                   np.float32(0.5), np.int64(2)], ids=repr)
def test_huber_loss_delta(delta):
    def run(lib, delta):
        x, y = _leaf(lib, _X[:, :, 0]), _leaf(lib, _X[:, :, 1])
        return lib.nn.HuberLoss(delta=delta)(x, y), (x, y)
    _check_same(run, delta)


# ------------------------------------------------------------------ ε = 0, a constant slice
# torch's batch and instance norm kernels take r = 0 for a channel of one value when ε = 0
# (x̂ = 0: the output is β, no gradient through x); layer and group norm give NaN there.
_CONST = np.array([[[1., 2., 3., 4.], [5., 5., 5., 5.]], [[1., 0., 3., 4.], [2., 2., 2., 2.]]])


def _const_case(name):
    def run(lib, dtype, create_graph):
        x = lib.tensor(_CONST, dtype=getattr(lib, dtype), requires_grad=True)
        w = lib.tensor([0.5, 1.5], dtype=x.dtype, requires_grad=True)
        b = lib.tensor([-1.0, 2.0], dtype=x.dtype, requires_grad=True)
        F = lib.nn.functional
        if name == "instance_norm":
            out = F.instance_norm(x, weight=w, bias=b, eps=0.0)
        elif name == "InstanceNorm1d":
            m = lib.nn.InstanceNorm1d(2, eps=0.0, affine=True, track_running_stats=True)
            m.to(x.dtype)
            out = m(x) + m.running_var[:, None]           # (and the running statistics)
        elif name == "batch_norm":                          # torch.batch_norm: no eps check
            rm = lib.zeros(2, dtype=x.dtype)
            rv = lib.ones(2, dtype=x.dtype)
            out = lib.batch_norm(x, w, b, rm, rv, True, 0.1, 0.0, False)
            out = out + rv[:, None]
        elif name == "native_batch_norm":
            out = lib.native_batch_norm(x.transpose(0, 1) * 1.0, w, b, None, None, True, 0.1,
                                        0.0)[0]
        elif name == "group_norm":
            out = F.group_norm(x, 2, w, b, eps=0.0)
        else:
            out = F.layer_norm(x, (4,), eps=0.0)
        cot = lib.tensor(np.linspace(-1, 1, out.numel()).reshape(tuple(out.shape)),
                         dtype=out.dtype)
        grads = lib.autograd.grad((out * cot).sum(), (x, w, b), create_graph=create_graph,
                                  allow_unused=True)
        if create_graph:                                   # and a second order
            grads = grads + lib.autograd.grad(sum((g * g).sum() for g in grads[:1]), (x, w),
                                              allow_unused=True)
        return [out] + list(grads)
    return run


@pytest.mark.parametrize("create_graph", [False, True])
@pytest.mark.parametrize("dtype", ["float64", "float32", "float16"])
@pytest.mark.parametrize("name", ["instance_norm", "InstanceNorm1d", "batch_norm",
                                  "native_batch_norm", "group_norm", "layer_norm"])
def test_eps_zero_constant_slice(name, dtype, create_graph):
    if create_graph and dtype == "float16":
        pytest.skip("float16 second order: Tensor operations in float16, not torch's kernel")
    run = _const_case(name)
    want, got = run(torch, dtype, create_graph), run(tg, dtype, create_graph)
    tol = {"float64": 1e-10, "float32": 1e-5, "float16": 2e-3}[dtype]
    assert len(want) == len(got)
    for t, o in zip(want, got):
        assert (t is None) == (o is None)
        if t is not None:
            assert np.isnan(o.detach().float().numpy()).sum() == \
                np.isnan(t.detach().float().numpy()).sum()
            np.testing.assert_allclose(o.detach().double().numpy(),
                                       t.detach().double().numpy(), rtol=tol, atol=tol)


# ------------------------------------------------------------------ torch's error inputs
def _raises_as_torch(fn):
    """torch raises; ours raises an instance of the same class whose message holds torch's."""
    with pytest.raises(Exception) as want:
        fn(torch)
    with pytest.raises(type(want.value)) as got:
        fn(tg)
    assert str(want.value) in str(got.value)


@pytest.mark.parametrize("dims", [1, 2, 3])
@pytest.mark.parametrize("ndim", [1, 2, 3, 4, 5, 6])
def test_circular_pad_checks_the_input_dims(dims, ndim):
    """CircularPad{1,2,3}d take (C, ...) or (N, C, ...) of their dims, else torch's ValueError
    (the library went on to F.pad: a NotImplementedError, or padded a wrong dim)."""
    shape = (2, 3, 4, 5, 3, 2)[:ndim]
    x = RNG.standard_normal(shape)

    def run(lib):
        t = lib.tensor(x, requires_grad=True)
        out = getattr(lib.nn, f"CircularPad{dims}d")(1)(t)
        out.backward(lib.ones_like(out))
        return out, t.grad
    if ndim in (dims + 1, dims + 2):
        (t_out, t_grad), (o_out, o_grad) = run(torch), run(tg)
        np.testing.assert_array_equal(o_out.detach().numpy(), t_out.detach().numpy())
        np.testing.assert_array_equal(o_grad.numpy(), t_grad.numpy())
    else:
        _raises_as_torch(run)


_TARGETS = {"int64": lambda lib, s: lib.zeros(s, dtype=lib.int64),
            "int32": lambda lib, s: lib.zeros(s, dtype=lib.int32),
            "float32": lambda lib, s: lib.zeros(s)}


@pytest.mark.parametrize("target_dtype", list(_TARGETS))
@pytest.mark.parametrize("loss", ["cross_entropy", "cross_entropy_smoothed", "nll_loss",
                                  "CrossEntropyLoss", "NLLLoss"])
@pytest.mark.parametrize("input_shape,target_shape", [((4, 3), (5,)), ((4, 3), (5, 2)),
                                                      ((4, 3, 2), (5, 2)), ((0, 3), (1,))])
def test_class_targets_batch_size_first(loss, input_shape, target_shape, target_dtype):
    """A target whose batch is not the input's: torch's ValueError "Expected input batch_size
    ... to match target batch_size", before any check of the target's dtype (the library
    reported the dtype of an int32 or float target first, a TypeError)."""
    def run(lib):
        x = lib.zeros(input_shape)
        t = _TARGETS[target_dtype](lib, target_shape)
        if loss in ("CrossEntropyLoss", "NLLLoss"):
            return getattr(lib.nn, loss)()(x, t)
        if loss == "cross_entropy_smoothed":
            return lib.nn.functional.cross_entropy(x, t, label_smoothing=0.1)
        return getattr(lib.nn.functional, loss)(x, t)
    _raises_as_torch(run)


@pytest.mark.parametrize("weight_shape", [(2,), (4,), (2, 2), (3, 1)], ids=str)
@pytest.mark.parametrize("target", ["indices", "probabilities"])
@pytest.mark.parametrize("loss", ["cross_entropy", "nll_loss", "CrossEntropyLoss"])
def test_class_weight_shape_error_has_torchs_words(loss, target, weight_shape):
    """A class weight not of shape (C,): torch's RuntimeError and its words."""
    if loss == "nll_loss" and target == "probabilities":
        pytest.skip("nll_loss takes class indices only")

    def run(lib):
        x = lib.zeros(2, 3)
        t = lib.zeros(2, dtype=lib.int64) if target == "indices" else lib.zeros(2, 3)
        w = lib.ones(weight_shape)
        if loss == "CrossEntropyLoss":
            return lib.nn.CrossEntropyLoss(weight=w)(x, t)
        return getattr(lib.nn.functional, loss)(x, t, weight=w)
    with pytest.raises(RuntimeError) as want:
        run(torch)
    with pytest.raises(RuntimeError) as got:
        run(tg)
    assert str(want.value).removeprefix("cross_entropy: ") in str(got.value)
