"""nn layers, losses, init and distributions against torch 2.13, table by table: integer
inputs to linear / local_response_norm / the regression losses, the dtypes torch takes for
class-index targets, BatchNorm with mixed dtypes, empty normalisations, a 1-D attention mask,
LayerNorm's float32 rounding, the registered KL divergences, same-seed initialisers and
sparse embeddings.

Each row runs the same program on torch and on tinygrad_sgd and compares what comes out: the
values, the dtype, the gradient w.r.t. every input that takes one, or the error's class (ours
an instance of torch's) and torch's key words in our message."""
import warnings

import numpy as np
import pytest
import torch

import tinygrad_sgd as tg

RNG = np.random.default_rng(7)


from torch_compare import F, Outcome, assert_values, as_numpy as _np  # noqa: E402,F401


def same_as_torch(fn, arrays, grad=(), rtol=1e-6, atol=1e-7, message=True):
    """fn(L, *tensors) on torch and on us: the same error (ours an instance of torch's class,
    torch's first line in ours when ``message``), or the same values, dtype and gradients."""
    theirs, ours = Outcome(torch, fn, arrays, grad), Outcome(tg, fn, arrays, grad)
    if theirs.error is not None:
        assert ours.error is not None, f"torch raised {theirs.error!r}, we returned {ours.out}"
        assert isinstance(ours.error, type(theirs.error)), \
            f"{type(ours.error).__name__}: {ours.error} is not torch's {theirs.error!r}"
        if message:
            expected = str(theirs.error).split("\n")[0].strip()
            assert expected in str(ours.error), (str(ours.error), expected)
        return
    if ours.error is not None:
        raise AssertionError(f"torch returned {theirs.out}, we raised") from ours.error
    assert_values(ours.out, theirs.out, rtol, atol)
    assert (theirs.grads is None) == (ours.grads is None)
    for i, (g, h) in enumerate(zip(ours.grads or (), theirs.grads or ())):
        assert (g is None) == (h is None), f"gradient {i}"
        if h is not None:
            assert_values(g, h, rtol, atol, what=f"gradient {i}")


def ints(*shape, dtype="int64", lo=0, hi=9):
    return RNG.integers(lo, hi, shape).astype(dtype)


def arr(*shape, dtype="float32"):
    return RNG.uniform(-2, 2, shape).astype(dtype)


INT_DTYPES = ("int64", "int32", "int16", "uint8", "bool")


# ============================================================================ 1. integer inputs
def _linear_cases():
    for dt in INT_DTYPES:
        x2, w, b = ints(3, 4, dtype=dt, hi=3), ints(2, 4, dtype=dt, hi=3), ints(2, dtype=dt, hi=3)
        yield f"{dt}-2d", lambda L, x, w: F(L).linear(x, w), [x2, w], False
        yield f"{dt}-2d-bias", lambda L, x, w, b: F(L).linear(x, w, b), [x2, w, b], False
        yield f"{dt}-1d-bias", lambda L, x, w, b: F(L).linear(x, w, b), [x2[0], w, b], False
        yield f"{dt}-3d", lambda L, x, w: F(L).linear(x, w), [x2[None].copy(), w], False
        yield f"{dt}-x-float-w", lambda L, x, w: F(L).linear(x, w), [x2, w.astype("f4")], True
        yield f"{dt}-x-float-w-b", lambda L, x, w, b: F(L).linear(x, w, b), \
            [x2, w.astype("f4"), b.astype("f4")], True
        yield f"{dt}-float-bias", lambda L, x, w, b: F(L).linear(x, w, b), \
            [x2, w, b.astype("f4")], True
    yield "uint8-wraps", lambda L, x, w: F(L).linear(x, w), \
        [ints(3, 4, dtype="uint8", lo=100, hi=250), ints(2, 4, dtype="uint8", lo=2, hi=9)], False
    yield "Linear-module-int", lambda L, x: (L.manual_seed(0), L.nn.Linear(4, 2)(x))[1], \
        [ints(3, 4)], False


@pytest.mark.parametrize("fn, arrays, loose", [c[1:] for c in _linear_cases()],
                         ids=[c[0] for c in _linear_cases()])
def test_linear_integer_inputs(fn, arrays, loose):
    same_as_torch(fn, arrays, message=not loose)      # (mixed dtypes: torch's class only)


def _lrn_cases():
    for dt in INT_DTYPES:
        for shape in ((2, 5, 6), (2, 5, 3, 2), (1, 4, 2, 2, 2)):
            for size in (1, 2, 3):
                yield f"{dt}-{len(shape)}d-size{size}", shape, dt, size


@pytest.mark.parametrize("shape, dtype, size", [c[1:] for c in _lrn_cases()],
                         ids=[c[0] for c in _lrn_cases()])
def test_local_response_norm_integer_inputs(shape, dtype, size):
    x = ints(*shape, dtype=dtype, hi=60 if dtype != "bool" else 2)
    same_as_torch(lambda L, x: F(L).local_response_norm(x, size, alpha=0.01), [x], rtol=1e-6)
    same_as_torch(lambda L, x: L.nn.LocalResponseNorm(size, k=2.0)(x), [x], rtol=1e-6)


def _regression_cases():
    for loss in ("mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss"):
        for dt in INT_DTYPES:
            for red in ("mean", "sum", "none"):
                xi, yi = ints(3, 4, dtype=dt, hi=5), ints(3, 4, dtype=dt, hi=5)
                xf, yf = arr(3, 4), arr(3, 4, dtype="float64")
                for kind, pair, grad in (("int-int", [xi, yi], ()),
                                         ("int-float", [xi, yf], (1,)),
                                         ("float-int", [xf, yi], (0,)),
                                         ("int-int-broadcast", [xi, yi[:1]], ())):
                    if loss == "huber_loss" and kind == "float-int":
                        grad = ()       # (torch's backward refuses the mix; ours does not)
                    yield f"{loss}-{dt}-{red}-{kind}", loss, red, pair, grad
    for dt in ("int64", "uint8"):          # smooth_l1 with β = 0 is torch's l1_loss
        yield f"smooth_l1-beta0-{dt}", "smooth_l1_loss-beta0", "none", \
            [ints(3, 4, dtype=dt), ints(3, 4, dtype=dt)], ()


@pytest.mark.parametrize("loss, reduction, arrays, grad", [c[1:] for c in _regression_cases()],
                         ids=[c[0] for c in _regression_cases()])
def test_regression_losses_integer_inputs(loss, reduction, arrays, grad):
    kw = {"reduction": reduction}
    if loss.endswith("-beta0"):
        loss, kw["beta"] = loss[:-6], 0.0
    same_as_torch(lambda L, x, y: getattr(F(L), loss)(x, y, **kw), arrays, grad=grad)


# ============================================================================ 2. class targets
def _target_cases():
    for dt in ("int64", "uint8", "int32", "int16", "int8", "bool", "float32", "float64"):
        for shape in ((5,), (4, 5), (3, 5, 2), (2, 5, 2, 2)):
            tshape = (shape[0],) + shape[2:] if len(shape) > 1 else ()
            t = ints(*tshape, hi=2 if dt == "bool" else 5).astype(dt)
            for loss in ("nll_loss", "cross_entropy", "cross_entropy-smooth"):
                yield f"{loss}-{dt}-{len(shape)}d", loss, arr(*shape), t


@pytest.mark.parametrize("loss, x, t", [c[1:] for c in _target_cases()],
                         ids=[c[0] for c in _target_cases()])
def test_class_index_target_dtypes(loss, x, t):
    kw = {}
    if loss.endswith("-smooth"):
        loss, kw["label_smoothing"] = loss[:-7], 0.1
    same_as_torch(lambda L, x, t: getattr(F(L), loss)(x, t, **kw), [x, t], grad=(0,),
                  rtol=1e-5, atol=1e-6)


# ============================================================================ 3. BatchNorm dtypes
_DT = {"h": "float16", "f": "float32", "d": "float64", "-": None}


def _batch_norm_cases():
    for xd in "hfd":
        for params in ("hhhh", "ffff", "dddd", "ff--", "--ff", "fff-", "hhfh", "dddf", "f-ff"):
            for training in (True, False):
                if not training and "-" in params[:2]:
                    continue
                yield f"x{xd}-{params}-{'train' if training else 'eval'}", xd, params, training


@pytest.mark.parametrize("xd, params, training", [c[1:] for c in _batch_norm_cases()],
                         ids=[c[0] for c in _batch_norm_cases()])
def test_batch_norm_mixed_dtypes(xd, params, training):
    """F.batch_norm(x, running_mean, running_var, weight, bias): the output's dtype and values,
    the gradients (weight and bias in their own dtype), the running statistics after the step
    (their own dtype), or torch's error for a mix it refuses."""
    x = arr(4, 3, 5, dtype=_DT[xd])
    ps = [None if c == "-" else (arr(3, dtype=_DT[c]) if i != 1 else
                                 RNG.uniform(0.5, 2, 3).astype(_DT[c]))
          for i, c in enumerate(params)]
    given = [p for p in ps if p is not None]
    slots = list(np.cumsum([p is not None for p in ps]))
    slots = [None if p is None else int(k) for p, k in zip(ps, slots)]
    tol = dict(rtol=2e-3, atol=2e-3) if "h" in xd + params else dict(rtol=1e-5, atol=1e-6)
    stats = {}

    def fn(L, x, *ts):
        rm, rv, w, b = [None if s is None else ts[s - 1] for s in slots]
        out = F(L).batch_norm(x, rm, rv, w, b, training=training, momentum=0.3)
        stats[L.__name__] = rm, rv
        return out

    grad = tuple(i for i, c in enumerate("x" + params[2:]) if c != "-" and (i == 0 or training))
    grad = tuple({0: 0, 1: slots[2], 2: slots[3]}[i] for i in grad)
    same_as_torch(fn, [x] + given, grad=grad, message=False, **tol)
    if set(stats) == {"torch", "tinygrad_sgd"}:
        for ours, theirs in zip(stats["tinygrad_sgd"], stats["torch"]):
            if theirs is not None:
                assert_values(ours, theirs, what="running statistic", **tol)


@pytest.mark.parametrize("xd, pd, training", [(x, p, t) for x in ("float16", "float32", "float64")
                                              for p in ("float16", "float32", "float64")
                                              for t in (True, False)])
def test_batch_norm_module_mixed_dtypes(xd, pd, training):
    """nn.BatchNorm1d/2d with its parameters and buffers cast to ``pd``, one step on an input
    of ``xd``: the output and the buffers' dtypes and values (or torch's error)."""
    for shape, cls in (((4, 3, 5), "BatchNorm1d"), ((2, 3, 2, 3), "BatchNorm2d")):
        x = arr(*shape, dtype=xd)
        stats = {}

        def fn(L, x):
            L.manual_seed(0)
            m = getattr(L.nn, cls)(3, momentum=0.2).to(getattr(L, pd)).train(training)
            stats[L.__name__] = m
            return m(x)
        tol = dict(rtol=2e-3, atol=2e-3) if "16" in xd + pd else dict(rtol=1e-5, atol=1e-6)
        same_as_torch(fn, [x], grad=(0,), message=False, **tol)
        if set(stats) == {"torch", "tinygrad_sgd"}:
            for name in ("running_mean", "running_var", "num_batches_tracked"):
                assert_values(getattr(stats["tinygrad_sgd"], name),
                              getattr(stats["torch"], name), what=name, **tol)


@pytest.mark.parametrize("training", [True, False])
@pytest.mark.parametrize("which", ["mean", "var"])
def test_batch_norm_one_running_statistic(training, which):
    rm, rv = arr(3), RNG.uniform(0.5, 2, 3).astype("float32")

    def fn(L, x, s):
        args = (s, None) if which == "mean" else (None, s)
        return F(L).batch_norm(x, *args, training=training)
    same_as_torch(fn, [arr(4, 3), rm if which == "mean" else rv])


# ============================================================================ 4. empty norms
def _empty_norm_cases():
    shapes = ((2, 4, 0), (0, 4, 3), (2, 4, 0, 3), (0, 4, 0), (2, 0, 3))
    layers = {
        "group_norm": lambda L, x: F(L).group_norm(x, 2),
        "GroupNorm-affine": lambda L, x: L.nn.GroupNorm(2, 4)(x),
        "instance_norm": lambda L, x: F(L).instance_norm(x),
        "InstanceNorm1d-affine": lambda L, x: L.nn.InstanceNorm1d(4, affine=True)(x),
        "InstanceNorm-stats": lambda L, x: L.nn.InstanceNorm1d(4, track_running_stats=True)(x),
        "layer_norm-last": lambda L, x: F(L).layer_norm(x, x.shape[-1:]),
        "LayerNorm-last": lambda L, x: L.nn.LayerNorm(x.shape[-1:])(x),
        "LayerNorm-all": lambda L, x: L.nn.LayerNorm(x.shape[1:])(x),
        "rms_norm": lambda L, x: F(L).rms_norm(x, x.shape[-1:]),
        "BatchNorm1d": lambda L, x: L.nn.BatchNorm1d(4)(x),
    }
    for shape in shapes:
        for name, fn in layers.items():
            if "1d" in name or "Stats" in name:
                if len(shape) != 3:
                    continue
            yield f"{name}-{shape}", shape, fn


@pytest.mark.parametrize("shape, fn", [c[1:] for c in _empty_norm_cases()],
                         ids=[c[0] for c in _empty_norm_cases()])
def test_empty_normalisations(shape, fn):
    """The output and the input's gradient, or torch's error (its words, but for a 0-channel
    input given to a 4-channel layer: torch's come from a reshape)."""
    same_as_torch(fn, [arr(*shape)], grad=(0,), message=shape[1] != 0)


_EMPTY_MODULES = {
    "GroupNorm": lambda L, shape: L.nn.GroupNorm(2, 4),
    "InstanceNorm-affine-stats": lambda L, shape: getattr(L.nn, f"InstanceNorm{len(shape) - 2}d")(
        4, affine=True, track_running_stats=True),
    "InstanceNorm-stats": lambda L, shape: getattr(L.nn, f"InstanceNorm{len(shape) - 2}d")(
        4, track_running_stats=True),
    "LayerNorm-all": lambda L, shape: L.nn.LayerNorm(shape[1:]),
    "LayerNorm-last": lambda L, shape: L.nn.LayerNorm(shape[-1:]),
    "BatchNorm": lambda L, shape: getattr(L.nn, f"BatchNorm{len(shape) - 2}d")(4),
}


@pytest.mark.parametrize("shape", [(2, 4, 0), (0, 4, 3), (2, 4, 0, 3), (0, 4, 0)])
@pytest.mark.parametrize("name", list(_EMPTY_MODULES))
def test_empty_normalisation_modules(name, shape):
    """After one forward and backward of an empty input: every parameter's gradient (torch's
    NaN for γ of a group norm over empty groups) and every buffer (running statistics left as
    they are when there is no position, NaN when there is no sample), with no NumPy warning
    leaking out — or torch's error."""
    x = arr(*shape)
    seen = []
    for L in (torch, tg):
        L.manual_seed(0)
        mod = _EMPTY_MODULES[name](L, shape)
        with torch.no_grad():       # (buffers away from their initial values)
            for _, b in mod.named_buffers():
                if b.dtype.is_floating_point if L is torch else b.dtype.kind == "f":
                    b.add_(0.5) if L is torch else b.copy_(b.numpy() + 0.5)
        with warnings.catch_warnings():
            warnings.simplefilter("error", RuntimeWarning)
            try:
                mod(L.tensor(x)).sum().backward()
            except (IndexError, RuntimeError, ValueError) as e:
                seen.append(e)
                continue
        seen.append([(n, _np(p.grad)) for n, p in mod.named_parameters()]
                    + [(n, _np(b)) for n, b in mod.named_buffers()])
    theirs, ours = seen
    if isinstance(theirs, Exception) or isinstance(ours, Exception):
        assert isinstance(ours, type(theirs)), (ours, theirs)
        return
    assert [n for n, _ in ours] == [n for n, _ in theirs]
    for (n, a), (_, b) in zip(ours, theirs):
        np.testing.assert_allclose(np.asarray(a, np.float64), np.asarray(b, np.float64),
                                   rtol=1e-6, equal_nan=True, err_msg=f"{name}.{n}")


# ========================================================================== 5. 1-D attention masks
def _sdpa_mask_cases():
    masks = {"bool1d": np.array([1, 0, 1, 1, 0], bool), "bool1d-none-kept": np.zeros(5, bool),
             "float1d": RNG.normal(size=5).astype("float32"), "bool0d": np.array(True),
             "float0d": np.array(0.5, np.float32), "bool(1,5)": np.array([[1, 0, 1, 1, 1]], bool),
             "float64-1d": RNG.normal(size=5), "int1d": np.array([1, 0, 1, 1, 0]),
             "bool1d-wrong-length": np.ones(4, bool)}
    for qshape in ((2, 3, 4, 8), (3, 4, 8), (4, 8)):
        for name, m in masks.items():
            for kw in ({}, {"is_causal": True}, {"scale": 0.3}, {"dropout_p": 1.0}):
                yield f"{len(qshape)}d-{name}-{'-'.join(kw) or 'plain'}", qshape, m, kw


@pytest.mark.parametrize("qshape, mask, kw", [c[1:] for c in _sdpa_mask_cases()],
                         ids=[c[0] for c in _sdpa_mask_cases()])
def test_sdpa_low_rank_masks(qshape, mask, kw):
    """A 0-D or 1-D attn_mask: torch's fused kernel (4-D inputs, no dropout) refuses it with an
    IndexError; otherwise it broadcasts over the keys (dropout_p=1.0: every weight dropped, a
    deterministic zero output)."""
    q, k, v = arr(*qshape), arr(*qshape[:-2], 5, 8), arr(*qshape[:-2], 5, 6)

    def fn(L, q, k, v, m):
        return F(L).scaled_dot_product_attention(q, k, v, attn_mask=m, **kw)
    for grad in ((0, 1, 2), (0, 1, 2, 3)):     # (a mask with a gradient: torch's math path)
        if 3 in grad and mask.dtype != np.float32:
            continue
        same_as_torch(fn, [q, k, v, mask], grad=() if kw.get("dropout_p") else grad,
                      rtol=1e-5, atol=1e-5, message=mask.shape != (4,))  # (broadcast: ours)
        # (atol: a 0-D mask's gradient is a sum that is 0 but for rounding, ~1e-7 both)


# ============================================================================ 7. KL divergences
def _dist(L, kind, ts):
    D = L.distributions
    if kind == "Normal":
        return D.Normal(ts[0], ts[1])
    if kind == "Uniform":
        return D.Uniform(ts[0], ts[0] + ts[1])
    if kind == "Bernoulli-probs":
        return D.Bernoulli(probs=ts[0])
    if kind == "Bernoulli-logits":
        return D.Bernoulli(logits=ts[0])
    if kind == "Categorical-probs":
        return D.Categorical(probs=ts[0])
    if kind == "Categorical-logits":
        return D.Categorical(logits=ts[0])
    if kind == "MultivariateNormal":
        return D.MultivariateNormal(ts[0], scale_tril=ts[1])
    if kind == "Independent-Normal":
        return D.Independent(D.Normal(ts[0], ts[1]), 1)


def _params(kind, r, shape=(3,)):
    if kind in ("Normal", "Uniform", "Independent-Normal"):
        shape = (2, 3) if kind.startswith("Independent") else shape
        return [r.normal(size=shape), r.uniform(0.5, 2.0, shape)]
    if kind == "Bernoulli-probs":
        return [r.uniform(0.05, 0.95, shape)]
    if kind in ("Bernoulli-logits", "Categorical-logits"):
        return [r.normal(size=shape if kind.startswith("B") else (3, 4))]
    if kind == "Categorical-probs":
        return [r.dirichlet(np.ones(4), 3)]
    if kind == "MultivariateNormal":
        return [r.normal(size=(2, 3)), np.tril(r.normal(size=(3, 3))) + 2 * np.eye(3)]


def _kl_cases():
    pairs = [("Normal", "Normal"), ("Uniform", "Uniform"), ("Uniform", "Normal"),
             ("Normal", "Uniform"), ("Bernoulli-probs", "Bernoulli-probs"),
             ("Bernoulli-logits", "Bernoulli-probs"), ("Categorical-probs", "Categorical-logits"),
             ("Categorical-logits", "Categorical-logits"),
             ("MultivariateNormal", "MultivariateNormal"),
             ("Independent-Normal", "Independent-Normal")]
    for p, q in pairs:
        for seed in range(3):
            r = np.random.default_rng(seed)
            pp, qq = _params(p, r), _params(q, r)
            if (p, q) == ("Uniform", "Uniform") and seed == 0:     # q's support covers p's
                qq = [pp[0] - 0.25, pp[1] + 0.5]
            yield f"{p}-{q}-{seed}", p, q, pp, qq


@pytest.mark.parametrize("p, q, pp, qq", [c[1:] for c in _kl_cases()],
                         ids=[c[0] for c in _kl_cases()])
def test_kl_divergence_registered_pairs(p, q, pp, qq):
    """kl_divergence(p, q) for every pair torch registers among our distributions: the values
    (∞ where torch has ∞) and the gradients w.r.t. every parameter of p and q."""
    n = len(pp)

    def fn(L, *ts):
        return L.distributions.kl_divergence(_dist(L, p, ts[:n]), _dist(L, q, ts[n:]))
    same_as_torch(fn, pp + qq, grad=tuple(range(n + len(qq))), rtol=1e-9, atol=1e-12)


# ============================================================================ 8. same-seed init
_INITS = {
    "uniform_": lambda I, t, **g: I.uniform_(t, -0.5, 2.0, **g),
    "normal_": lambda I, t, **g: I.normal_(t, 0.5, 2.0, **g),
    "trunc_normal_": lambda I, t, **g: I.trunc_normal_(t, **g),
    "trunc_normal_-narrow": lambda I, t, **g: I.trunc_normal_(t, 0.0, 1.0, -0.5, 0.3, **g),
    "trunc_normal_-shifted": lambda I, t, **g: I.trunc_normal_(t, 1.0, 2.0, 0.0, 3.0, **g),
    "xavier_uniform_": lambda I, t, **g: I.xavier_uniform_(t, gain=1.5, **g),
    "xavier_normal_": lambda I, t, **g: I.xavier_normal_(t, **g),
    "kaiming_uniform_": lambda I, t, **g: I.kaiming_uniform_(t, a=0.2, **g),
    "kaiming_normal_": lambda I, t, **g: I.kaiming_normal_(t, mode="fan_out", **g),
    "orthogonal_": lambda I, t, **g: I.orthogonal_(t, **g),
    "sparse_": lambda I, t, **g: I.sparse_(t, 0.3, **g),
}


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("generator", [False, True])
@pytest.mark.parametrize("shape", [(7, 5), (5, 7), (3, 4, 5), (1000, 2)])
@pytest.mark.parametrize("name", list(_INITS))
def test_init_same_seed_as_torch(name, shape, generator, dtype):
    """With the same seed (global, or a Generator's) every random initialiser of nn.init
    draws the same numbers in the same order as torch's: equal tensors."""
    if name == "sparse_" and len(shape) != 2:      # 2-D tensors only: torch's error class
        errors = []
        for L in (torch, tg):
            with pytest.raises(Exception) as e:
                _INITS[name](L.nn.init, L.empty(*shape))
            errors.append(e.value)
        assert isinstance(errors[1], type(errors[0])), errors
        return
    got = []
    for L in (torch, tg):
        L.manual_seed(123)
        kw = {}
        if generator:
            kw["generator"] = L.Generator()
            kw["generator"].manual_seed(99)
        t = L.empty(*shape, dtype=getattr(L, dtype))
        _INITS[name](L.nn.init, t, **kw)
        got.append(_np(t))
    loose = name == "orthogonal_"       # (the same draws, then a QR: LAPACK's rounding)
    np.testing.assert_allclose(got[1], got[0], rtol=1e-6 if dtype == "float32" else 1e-12,
                               atol=(1e-7 if dtype == "float32" else 1e-14) * (1e3 if loose
                                                                              else 1))


# ============================================================================ 9. sparse embeddings
def _module(L, cls, w, i):
    m = getattr(L.nn, cls).from_pretrained(w, freeze=False, sparse=True)
    return m(i), m.weight


def _sparse_embedding_cases():
    ids = np.array([[0, 4, 4], [1, 1, 4]])
    yield "F.embedding", lambda L, w, i: (F(L).embedding(i, w, sparse=True), w), ids
    yield "F.embedding-padding", lambda L, w, i: (F(L).embedding(i, w, padding_idx=1,
                                                                 sparse=True), w), ids
    yield "F.embedding-max_norm", lambda L, w, i: (F(L).embedding(i, w, max_norm=0.5,
                                                                  sparse=True), w), ids
    yield "F.embedding_bag-sum", lambda L, w, i: (F(L).embedding_bag(i, w, mode="sum",
                                                                     sparse=True), w), ids
    yield "F.embedding_bag-mean", lambda L, w, i: (F(L).embedding_bag(i, w, sparse=True), w), \
        ids
    yield "Embedding-module", lambda L, w, i: _module(L, "Embedding", w, i), ids
    yield "EmbeddingBag-module", lambda L, w, i: _module(L, "EmbeddingBag", w, i), ids


@pytest.mark.parametrize("fn, ids", [c[1:] for c in _sparse_embedding_cases()],
                         ids=[c[0] for c in _sparse_embedding_cases()])
def test_sparse_embedding_is_a_dense_gradient_with_a_warning(fn, ids):
    """sparse=True: torch's weight.grad is a sparse COO tensor; ours holds the same values as a
    dense Tensor, and the lookup says so with a UserWarning (none without a gradient)."""
    w = arr(5, 3)
    outs, grads = [], []
    for L in (torch, tg):
        weight = L.tensor(w.copy(), requires_grad=True)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            given = weight
            out, weight = fn(L, weight, L.tensor(ids))
            is_module = weight is not given          # (a module's own Parameter)
        dense = [str(c.message) for c in caught if "sparse=True" in str(c.message)]
        assert (len(dense) == 1) == (L is tg), dense
        if L is tg:
            assert "dense" in dense[0] and issubclass(caught[0].category, UserWarning)
        out.backward(L.tensor(np.cos(np.arange(out.numel())).reshape(tuple(out.shape))
                              .astype(np.float32)))
        outs.append(out)
        grads.append(weight.grad)
    assert grads[0].is_sparse
    assert_values(outs[1], outs[0], 1e-6, 1e-7)
    assert_values(grads[1], grads[0].to_dense(), 1e-6, 1e-7, what="gradient")
    with warnings.catch_warnings():
        warnings.simplefilter("error")          # no gradient to come: no warning
        with tg.no_grad():
            fn(tg, tg.tensor(w.copy(), requires_grad=True), tg.tensor(ids))
        if not is_module:
            fn(tg, tg.tensor(w.copy()), tg.tensor(ids))


@pytest.mark.parametrize("call", ["scale_grad_by_freq", "bag-max"])
def test_sparse_embedding_refusals_as_torch(call):
    """sparse with scale_grad_by_freq fails at backward, sparse with mode='max' at the call:
    torch's classes and words."""
    def fn(L, w, i):
        w.requires_grad_(True)
        if call == "bag-max":
            return F(L).embedding_bag(i, w, mode="max", sparse=True)
        out = F(L).embedding(i, w, scale_grad_by_freq=True, sparse=True)
        out.sum().backward()
        return out
    same_as_torch(fn, [arr(5, 3), np.array([[0, 4, 4], [1, 1, 4]])])
